"""The matrix-form section of a document: δ, ∇W, ∇b per layer, symbolic and with the numbers.

Contract
--------
:func:`matrix_equations` gives, per layer l, the (left, right) LaTeX of
δ^{(l)}, ∇_{W^{(l)}} L and ∇_{b^{(l)}} L as :func:`symbolic.formulas.derive.derive`
derives them (printed by :func:`symbolic.formulas.render.to_latex`), and under
key 0 the derivation's note (such as δ = a − y holding for targets that sum
to 1). :func:`matrix_section` writes them from the output layer down (for a
batch the gradients are written as means over the samples), followed, when
numbers are given, by δ^{(l)} (one column per sample, read from
:class:`symbolic.documents.numbers.SampleNumbers`) and the gradient matrices.
"""
from __future__ import annotations

from ..formulas.derive import derive
from ..formulas.nodes import Deriv, Node, Var
from ..formulas.printers import escape_text, format_number, matrix_latex
from ..formulas.render import to_latex
from ..spec.network import Network
from .numbers import SampleNumbers
from .writer import Writer

__all__ = ["matrix_section", "matrix_equations"]


def _nabla(kind: str, l: int) -> Node:
    """∇_{kind^{(l)}} L."""
    return Deriv(Var("L"), Var(kind, l), nabla=True)


def matrix_section(w: Writer, network: Network, nums: list[SampleNumbers] | None, grads: dict | None) -> None:
    """The matrix form per layer; ``nums`` (one per sample) and ``grads`` (the batch gradient) add the numbers."""
    D, m = network.depth, (len(nums) if nums else 1)
    symbolic = matrix_equations(network)
    w.text("Stacking the neurons of each layer into column vectors, with "
           "$\\delta^{(l)} = \\partial L / \\partial u^{(l)}$"
           + ("" if m == 1 else f" (one column per sample; the gradients are means over the {m} samples)") + ":"
           + "".join(f" {escape_text(note)}." for _, note in symbolic[0]))
    for l in range(D, 0, -1):
        scale = "" if m == 1 else f"\\frac{{1}}{{{m}}} \\sum_{{s}} "
        lines = [(lhs, (rhs if k == 0 else scale + rhs)) for k, (lhs, rhs) in enumerate(symbolic[l])]
        mode = network.bias[l - 1]
        w.section(f"Layer {l}", "subsection")
        w.add("\\begin{align*}", " \\\\\n".join(f"{lhs} &= {rhs}" for lhs, rhs in lines), "\\end{align*}")
        if nums:
            n, n_prev = network.layers[l], network.layers[l - 1]
            dvals = [[s.d("L", f"u{l}[{i}]") for s in nums] for i in range(1, n + 1)]
            w.display(f"{to_latex(Var('delta', l))} = {matrix_latex(dvals, w.p.digits)}")
            gW = [[grads[f"W{l}[{i},{j}]"] for j in range(1, n_prev + 1)] for i in range(1, n + 1)]
            w.display(f"{to_latex(_nabla('W', l))} = {matrix_latex(gW, w.p.digits)}")
            if mode == "per-neuron":
                gb = [grads[f"b{l}[{i}]"] for i in range(1, n + 1)]
                w.display(f"{to_latex(_nabla('b', l))} = {matrix_latex(gb, w.p.digits)}")
            elif mode == "shared":
                w.display(f"{to_latex(_nabla('b', l))} = {format_number(grads[f'b{l}'], w.p.digits)}")


def matrix_equations(network: Network) -> dict[int, list[tuple[str, str]]]:
    """Per layer, the symbolic (δ, ∇W, ∇b) equations as LaTeX; key 0 holds the derivation's note, if any."""
    form = derive(network)
    out: dict[int, list[tuple[str, str]]] = {}
    for l in range(1, network.depth + 1):
        rows = [(to_latex(Var("delta", l)), to_latex(form.deltas[l])),
                (to_latex(_nabla("W", l)), to_latex(form.grad_W[l]))]
        if l in form.grad_b:
            rows.append((to_latex(_nabla("b", l)), to_latex(form.grad_b[l])))
        out[l] = rows
    out[0] = [("", form.output_note)] if form.output_note else []
    return out
