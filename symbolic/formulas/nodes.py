"""Formula nodes: the immutable trees that matrix-form backprop formulas are made of.

Contract
--------
A small class hierarchy (:class:`Node` and its subclasses) describes matrix
formulas the way tutorials write them: ``Var('W', 2)`` is W^{(2)},
``Var('delta', 1)`` is δ^{(1)} (defined as ∂L/∂u^{(1)}), :class:`Hadamard` is
⊙, :class:`MatMul` a matrix product, :class:`Juxt` a product written by
juxtaposition (a scalar factor when either side is 1×1, else a matrix
product), ``Apply('f', arg, prime=True)`` is f'(·), :class:`Entry` a subscript
(w_{ij}: an entry; w_i of a matrix: row i; b_i of a vector: an entry),
:class:`Deriv` a partial derivative ∂X/∂V, :class:`SumIdx` a Σ over an index,
:class:`MatrixLit` a bmatrix. A layer is an ``int``, a :class:`LayerRef`
(``l``, ``l+1``; ``L`` is the output layer) or None.

Nodes compare by value; ``span`` (the source columns a parsed node came from)
takes no part in comparison. The tree helpers are iterative or shallow:
:func:`children` (one level), :func:`walk` (every node, parents first),
:func:`rebuild` (a copy with a function applied to each child),
:func:`free_indices` (subscript variables not bound by a Σ) and
:func:`layer_vars` (the layer variables used). Nothing here knows a network,
a shape or a printer: :mod:`.render` prints nodes, :mod:`.shapes` checks them,
:mod:`.evaluation` evaluates them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Iterator

__all__ = [
    "LayerRef", "Layer", "Index", "Spanned", "Node", "Var", "Const", "Entry", "Transpose", "Binary", "MatMul", "Juxt", "Dot",
    "Hadamard", "EDiv", "Star", "Add", "Sub", "Div", "Neg", "Pow", "Apply", "Diag", "SumAll", "SumIdx", "Deriv",
    "MatrixLit", "Norm", "children", "walk", "rebuild", "free_indices", "layer_vars",
]


@dataclass(frozen=True)
class LayerRef:
    """A layer written with a variable: ``l``, ``l+1``, ``l-1``."""

    var: str
    offset: int = 0

    def __str__(self) -> str:
        return self.var + (f"{self.offset:+d}" if self.offset else "")


Layer = int | LayerRef | None
Index = int | str  # a fixed 1-based index or an index variable name


@dataclass(frozen=True)
class Spanned:
    """The base of every formula reader's nodes (these, :mod:`.layer_nodes`, :mod:`.conv_nodes`): ``span`` is the
    (start, end) of the source text a parsed node came from; it takes no part in comparison or repr."""

    span: tuple[int, int] | None = field(default=None, kw_only=True, compare=False, repr=False)


@dataclass(frozen=True)
class Node(Spanned):
    """Base class of the matrix-form formula nodes."""


@dataclass(frozen=True)
class Var(Node):
    """A named array: kind W, b, u, a, x, y, delta (∂L/∂u), L (the loss, 1×1)."""

    kind: str
    layer: Layer = None


@dataclass(frozen=True)
class Const(Node):
    value: Fraction


@dataclass(frozen=True)
class Entry(Node):
    """``base`` subscripted: two indices → an entry; one index → an entry of a vector or a row of a matrix."""

    base: Node
    indices: tuple[Index, ...]


@dataclass(frozen=True)
class Transpose(Node):
    arg: Node


@dataclass(frozen=True)
class Binary(Node):
    left: Node
    right: Node


class MatMul(Binary):
    """A strict matrix product (inner dimensions must agree)."""


class Juxt(Binary):
    """Juxtaposition: scalar times array if either side is 1×1, else a matrix product."""


class Dot(Binary):
    """``\\cdot``: the inner product of two vectors of the same shape, else like :class:`Juxt`."""


class Hadamard(Binary):
    """⊙: elementwise product of equal shapes."""


class EDiv(Binary):
    """⊘: elementwise division of equal shapes."""


class Star(Binary):
    """``*``: a scalar multiple, else elementwise for equal shapes (NumPy's and Ng's notes' ``*``), else a
    matrix product where only that fits; equal square shapes, where both fit, are refused as ambiguous."""


class Add(Binary):
    pass


class Sub(Binary):
    pass


class Div(Binary):
    """``\\frac{A}{B}`` with a 1×1 denominator."""


@dataclass(frozen=True)
class Neg(Node):
    arg: Node


@dataclass(frozen=True)
class Pow(Node):
    base: Node
    exponent: int


@dataclass(frozen=True)
class Apply(Node):
    """A function applied elementwise (or softmax to a vector).

    ``fn``: ``f`` (the network's activation of the layer given or inferred from the argument),
    ``sigmoid``, ``tanh``, ``relu``, ``identity``, ``softmax``, ``exp``, ``log``.
    """

    fn: str
    arg: Node
    prime: bool = False
    layer: Layer = None


@dataclass(frozen=True)
class Diag(Node):
    """diag(v): the square matrix with the column vector v on its diagonal."""

    arg: Node


@dataclass(frozen=True)
class SumAll(Node):
    """The sum of all entries (1ᵀ v), rendered Σ_k v_k."""

    arg: Node


@dataclass(frozen=True)
class SumIdx(Node):
    """Σ_{var=lo}^{hi} body; ``lo``/``hi`` None when the range is inferred from the body's subscripts."""

    var: str
    lo: int | None
    hi: int | None
    body: Node


@dataclass(frozen=True)
class Deriv(Node):
    """∂of/∂wrt; ``nabla`` only changes how it prints (∇_wrt of)."""

    of: Node
    wrt: Node
    nabla: bool = False


@dataclass(frozen=True)
class MatrixLit(Node):
    rows: tuple[tuple[Node, ...], ...]


@dataclass(frozen=True)
class Norm(Node):
    """The Euclidean (Frobenius) norm ‖·‖."""

    arg: Node


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, (Transpose, Neg, Apply, Diag, SumAll, Norm)):
        return (node.arg,)
    if isinstance(node, Entry):
        return (node.base,)
    if isinstance(node, Pow):
        return (node.base,)
    if isinstance(node, SumIdx):
        return (node.body,)
    if isinstance(node, Deriv):
        return (node.of, node.wrt)
    if isinstance(node, MatrixLit):
        return tuple(c for row in node.rows for c in row)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents first (iterative: no recursion limit)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(children(n)))


def rebuild(n: Node, f: Callable[[Node], Node]) -> Node:
    """A copy of ``n`` with ``f`` applied to each child."""
    if isinstance(n, Binary):
        return type(n)(f(n.left), f(n.right), span=n.span)
    if isinstance(n, (Transpose, Neg, Diag, SumAll, Norm)):
        return type(n)(f(n.arg), span=n.span)
    if isinstance(n, Apply):
        return Apply(n.fn, f(n.arg), n.prime, n.layer, span=n.span)
    if isinstance(n, Entry):
        return Entry(f(n.base), n.indices, span=n.span)
    if isinstance(n, Pow):
        return Pow(f(n.base), n.exponent, span=n.span)
    if isinstance(n, SumIdx):
        return SumIdx(n.var, n.lo, n.hi, f(n.body), span=n.span)
    if isinstance(n, Deriv):
        return Deriv(f(n.of), f(n.wrt), n.nabla, span=n.span)
    if isinstance(n, MatrixLit):
        return MatrixLit(tuple(tuple(f(c) for c in row) for row in n.rows), span=n.span)
    return n


def free_indices(node: Node) -> list[str]:
    """Index variables used in subscripts and not bound by a Σ, in order of first use."""
    out: list[str] = []

    def visit(n: Node, bound: frozenset):
        if isinstance(n, SumIdx):
            visit(n.body, bound | {n.var})
            return
        if isinstance(n, Entry):
            for i in n.indices:
                if isinstance(i, str) and i not in bound and i not in out:
                    out.append(i)
        for c in children(n):
            visit(c, bound)

    visit(node, frozenset())
    return out


def layer_vars(node: Node) -> list[str]:
    """Layer variables (the ``l`` of W^{(l+1)}) used anywhere in the tree."""
    out: list[str] = []
    for n in walk(node):
        layer = getattr(n, "layer", None)
        if isinstance(layer, LayerRef) and layer.var != "L" and layer.var not in out:
            out.append(layer.var)
    return out
