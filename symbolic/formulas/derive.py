"""The matrix-form backprop equations of a network, derived and proved.

Contract
--------
:func:`derive` gives, for any depth, activations, loss and bias modes, a
:class:`MatrixForm` of formula nodes: δ^{(L)} (with the simplifications a − y
for sigmoid + bce and for softmax + softmax_ce, the softmax Jacobian
diag(a) − a aᵀ for other softmax losses, else ∇_a L ⊙ f'(u^{(L)})), the
recurrence δ^{(l)} = (W^{(l+1)})ᵀ δ^{(l+1)} ⊙ f'(u^{(l)}), ∇W^{(l)} = δ^{(l)}
(a^{(l−1)})ᵀ, ∇b^{(l)} = δ^{(l)} (summed, Σ_i δ_i^{(l)}, for a shared bias; none
for bias 'none'). :meth:`MatrixForm.equations` lists them in backprop order,
:meth:`MatrixForm.latex` / :meth:`MatrixForm.text` print them, and
:meth:`MatrixForm.prove` proves each one entry by entry (δ inlined) against
``sympy.diff`` of the model's loss with :func:`symbolic.formulas.proofs.prove_equal`.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator, Sequence

import sympy as sp

from ..spec.errors import DerivcheckError
from ..spec.network import Network
from ..spec.rules import ACTIVATIONS, FUSED_OUTPUTS, LOSSES
from .evaluation import evaluate
from .models import Matrix, Model
from .nodes import (Apply, Const, Deriv, Diag, EDiv, Hadamard, Juxt, MatMul, Neg, Node, Sub, SumAll, Transpose, Var,
                    rebuild)
from .proofs import STAGES, Item, Proof, prove_equal
from .render import to_latex, to_text
from .shapes import Ctx, shape_of

__all__ = ["MatrixForm", "derive"]


@dataclass(frozen=True)
class MatrixForm:
    """The matrix-form gradients of one network (see :func:`derive`)."""

    network: Network
    deltas: dict[int, Node]          # δ^{(l)} in textbook form (uses δ^{(l+1)})
    grad_W: dict[int, Node]          # ∇W^{(l)} = δ^{(l)} (a^{(l-1)})ᵀ
    grad_b: dict[int, Node]          # ∇b^{(l)} (absent for bias 'none')
    output_note: str = ""

    def equations(self) -> list[tuple[Node, Node]]:
        """(left, right) pairs in backprop order: δ^{(L)}, ∇W^{(L)}, ∇b^{(L)}, δ^{(L−1)}, …"""
        out: list[tuple[Node, Node]] = []
        for l in range(self.network.depth, 0, -1):
            out.append((Var("delta", l), self.deltas[l]))
            out.append((Deriv(Var("L"), Var("W", l), nabla=True), self.grad_W[l]))
            if l in self.grad_b:
                out.append((Deriv(Var("L"), Var("b", l), nabla=True), self.grad_b[l]))
        return out

    def inline(self, node: Node) -> Node:
        """``node`` with every δ^{(l)} replaced by its derived expression (recursively)."""
        memo: dict[int, Node] = {}

        def sub(n: Node) -> Node:
            if isinstance(n, Var) and n.kind == "delta":
                if n.layer not in memo:
                    memo[n.layer] = sub(self.deltas[n.layer])
                return memo[n.layer]
            return rebuild(n, sub)

        return sub(node)

    def latex(self) -> str:
        """An ``aligned`` block, one equation per line."""
        lines = [f"{to_latex(lhs)} &= {to_latex(rhs)}" for lhs, rhs in self.equations()]
        body = " \\\\\n".join(lines)
        return "\\begin{aligned}\n" + body + "\n\\end{aligned}"

    def text(self) -> str:
        lines = [f"{to_text(lhs)} = {to_text(rhs)}" for lhs, rhs in self.equations()]
        if self.output_note:
            lines.append(f"({self.output_note})")
        return "\n".join(lines)

    def prove(self, stages: Sequence[str] = STAGES) -> list[tuple[str, Proof]]:
        """Prove every equation entry by entry against sympy.diff of the closed form."""
        results = []
        for lhs, rhs in self.equations():
            results.append((to_text(lhs), self.prove_one(lhs, rhs, stages)))
        return results

    def prove_one(self, lhs: Node, rhs: Node, stages: Sequence[str] = STAGES) -> Proof:
        inlined = self.inline(rhs)
        ctx = Ctx(self.network)
        shape_of(inlined, ctx)
        net = self.network

        def build(model: Model) -> Iterator[Item]:
            claim = evaluate(inlined, model, ctx)
            yield (to_text(lhs), _closed_form_truth(lhs, model, net), claim)

        return prove_equal(net, build, stages)


def _closed_form_truth(lhs: Node, model: Model, net: Network) -> Matrix:
    """The truth of a derived equation's left side: sympy.diff of the model's loss."""
    if isinstance(lhs, Var) and lhs.kind == "delta":
        return model.delta(lhs.layer)
    assert isinstance(lhs, Deriv)
    wrt = lhs.wrt
    params = model.array(wrt.kind, wrt.layer)
    return params.applyfunc(lambda s: sp.diff(model.loss, s))

class _NODE_OPS:
    """The matrix-form node constructors a loss rule's ``matrix_gradient`` builds ∇_a L from."""

    sub = staticmethod(Sub)
    ediv = staticmethod(EDiv)
    hadamard = staticmethod(Hadamard)
    neg = staticmethod(Neg)
    one = Const(Fraction(1))

    @staticmethod
    def scale(c: Fraction, node: Node) -> Node:
        return Juxt(Const(c), node)


def _loss_gradient(network: Network) -> Node:
    """∇_a L for the output a = a^{(L)}, as a node."""
    depth = network.depth
    a, y = Var("a", depth), Var("y")
    loss = network.loss
    build = LOSSES[loss].matrix_gradient
    if build is not None:
        return build(_NODE_OPS, a, y, network.layers[-1])
    raise DerivcheckError(f"No matrix form is known for the loss {loss!r}.")


def derive(network: Network) -> MatrixForm:
    """The matrix-form backprop equations of ``network`` (any depth, activation, loss, bias modes)."""
    depth = network.depth
    out_act, loss = network.activations[-1], network.loss
    note = ""
    a_out, y = Var("a", depth), Var("y")
    if (out_act, loss) in FUSED_OUTPUTS:  # a fused output pair: δ = a − y
        delta_out: Node = Sub(a_out, y)
        if LOSSES[loss].targets == "distribution":  # the table's a Σy − y is a − y only when Σ y = 1
            note = f"δ{depth} = a{depth} − y holds for targets with Σ_k y_k = 1"
    elif not ACTIVATIONS[out_act].elementwise:  # softmax Jacobian
        jac = Sub(Diag(a_out), MatMul(a_out, Transpose(a_out)))
        delta_out = MatMul(jac, _loss_gradient(network))
    else:
        delta_out = Hadamard(_loss_gradient(network), Apply("f", Var("u", depth), prime=True))
    deltas: dict[int, Node] = {depth: delta_out}
    for l in range(depth - 1, 0, -1):
        deltas[l] = Hadamard(MatMul(Transpose(Var("W", l + 1)), Var("delta", l + 1)),
                             Apply("f", Var("u", l), prime=True))
    grad_W: dict[int, Node] = {}
    grad_b: dict[int, Node] = {}
    for l in range(1, depth + 1):
        grad_W[l] = MatMul(Var("delta", l), Transpose(Var("a", l - 1)))
        mode = network.bias[l - 1]
        if mode == "per-neuron":
            grad_b[l] = Var("delta", l)
        elif mode == "shared":
            grad_b[l] = SumAll(Var("delta", l))
    return MatrixForm(network, deltas, grad_W, grad_b, note)
