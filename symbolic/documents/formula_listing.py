"""The symbolic formulas of a network alone (``derivcheck derive``): plain text or a LaTeX fragment.

Contract
--------
:func:`derive_formulas` ``(network, latex=False) -> str`` lists, with no
numbers, the forward pass (u = Σ w a + b, a = f(u)), the loss terms, and the
backward pass (∂L/∂a, ∂a/∂u, δ = ∂L/∂u per neuron, then ∂L/∂w and ∂L/∂b).
Plain text uses canonical names (``u1[1] = W1[1,1]*x[1] + …``,
``dL/dW2[2,3] = dL/du2[2] * a1[3]``); ``latex=True`` gives the document's
forward, loss, backward and matrix-form sections as a fragment (no preamble).
"""
from __future__ import annotations

import sympy as sp
from sympy.printing.str import StrPrinter

from ..spec.layered_network import LayeredNetwork
from .layer_document import derive_layer_formulas
from ..formulas.printers import DerivLatexPrinter, Num, format_number
from ..spec.errors import DerivcheckError
from ..spec.names import canonical_of_symbol, parse_name
from ..spec.network import Network
from ..spec.rules import ACTIVATIONS
from .chain_rule import activation_formula, backward_section, forward_section, loss_section, loss_terms, prime_formula
from .matrix_section import matrix_section
from .optimizer_section import update_rules_latex, update_rules_text
from .writer import Writer, a_name, a_of, bias_name, deriv, plus, sym, times, u_of

__all__ = ["derive_formulas"]


class _TextPrinter(StrPrinter):
    """Plain-text formulas with canonical names (for ``derive`` without ``--latex``)."""

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        if isinstance(expr, Num):
            return format_number(expr.value, latex=False)
        try:
            return canonical_of_symbol(expr) if parse_name(canonical_of_symbol(expr)) else expr.name
        except DerivcheckError:
            return expr.name

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        return f"d{self._print(expr.expr)}/d{self._print(expr.variables[0])}"


def derive_formulas(network: Network, latex: bool = False) -> str:
    """The symbolic forward pass, loss and chain rule of a network (no numbers)."""
    if isinstance(network, LayeredNetwork):  # a [[layer]] list: symbolic.documents.layer_document
        return derive_layer_formulas(network, latex)
    if latex:
        w = Writer(DerivLatexPrinter({}))
        w.section("Forward pass")
        forward_section(w, network, None, None)
        w.section("Loss")
        loss_section(w, network, None)
        w.section("Backward pass: the chain rule")
        backward_section(w, network, None, None)
        w.section("Matrix form")
        matrix_section(w, network, None, None)
        w.section("Update")
        w.add("\\begin{align*}", " \\\\\n".join(f"& {line}" for line in update_rules_latex(network)), "\\end{align*}")
        return "\n".join(w.lines) + "\n"
    tp = _TextPrinter({"order": "none"})
    D, L = network.depth, sym("L")
    out = ["# forward pass"]
    for l in range(1, D + 1):
        act = network.activations[l - 1]
        for i in range(1, network.layers[l] + 1):
            terms = [times(sym(f"W{l}[{i},{j}]"), a_of(l - 1, j)) for j in range(1, network.layers[l - 1] + 1)]
            b = bias_name(network, l, i)
            out.append(f"{tp.doprint(u_of(l, i))} = {tp.doprint(plus(*terms, *([sym(b)] if b else [])))}")
            if not ACTIVATIONS[act].elementwise:  # softmax
                rhs = f"exp({tp.doprint(u_of(l, i))}) / sum_k exp(u{l}[k])"
            else:
                rhs = tp.doprint(activation_formula(act, u_of(l, i)))
            out.append(f"{tp.doprint(a_of(l, i))} = {rhs}")
    out.append("# loss")
    for k, term in enumerate(loss_terms(network), 1):
        out.append(f"L[{k}] = {tp.doprint(term)}")
    out.append("L = " + " + ".join(f"L[{k}]" for k in range(1, network.layers[-1] + 1)))
    out.append("# backward pass (delta = dL/du)")
    for l in range(D, 0, -1):
        act = network.activations[l - 1]
        for i in range(1, network.layers[l] + 1):
            u, a = u_of(l, i), a_of(l, i)
            if not ACTIVATIONS[act].elementwise:  # softmax
                out.append(f"dL/d{tp.doprint(u)} = sum_k dL/da{l}[k] * a{l}[k] * ([k={i}] - {tp.doprint(a)})")
                continue
            if l == D:
                out.append(f"dL/d{tp.doprint(a)} = {tp.doprint(sp.diff(sp.Add(*loss_terms(network)), a))}")
            else:
                terms = [times(deriv(L, u_of(l + 1, k)), sym(f"W{l + 1}[{k},{i}]"))
                         for k in range(1, network.layers[l + 1] + 1)]
                out.append(f"dL/d{tp.doprint(a)} = {tp.doprint(plus(*terms))}")
            out.append(f"d{tp.doprint(a)}/d{tp.doprint(u)} = {tp.doprint(prime_formula(act, u, a))}")
        for i in range(1, network.layers[l] + 1):
            for j in range(1, network.layers[l - 1] + 1):
                out.append(f"dL/dW{l}[{i},{j}] = dL/du{l}[{i}] * {a_name(l - 1, j)}")
        if network.bias[l - 1] == "shared":
            out.append(f"dL/db{l} = " + " + ".join(f"dL/du{l}[{i}]" for i in range(1, network.layers[l] + 1)))
        elif network.bias[l - 1] == "per-neuron":
            for i in range(1, network.layers[l] + 1):
                out.append(f"dL/db{l}[{i}] = dL/du{l}[{i}]")
    out.append("# update (g = dL/dtheta, t = the update's number)")
    out += update_rules_text(network)
    return "\n".join(out) + "\n"
