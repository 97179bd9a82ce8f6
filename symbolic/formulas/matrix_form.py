"""Matrix-form backprop for any depth: expression nodes, evaluation under a network, derivation, proofs.

Contract
--------
**Expression nodes.** A small immutable class hierarchy (:class:`Node` and its
subclasses) describes matrix formulas the way tutorials write them:
``Var('W', 2)`` is W^{(2)}, ``Var('delta', 1)`` is δ^{(1)} (defined as ∂L/∂u^{(1)}),
``Hadamard`` is ⊙, ``MatMul`` a matrix product, ``Juxt`` a product written by
juxtaposition (a scalar factor when either side is 1×1, else a matrix
product), ``Apply('f', arg, prime=True)`` is f'(·), ``Entry`` a subscript
(w_{ij}: an entry; w_i of a matrix: row i; b_i of a vector: an entry), ``Deriv``
a partial derivative ∂X/∂V, ``SumIdx`` a Σ over an index, ``MatrixLit`` a bmatrix.
The derivation builds them; :mod:`symbolic.formulas.parser` builds them from LaTeX.
:func:`to_latex` (dispatch on node type) prints them like the tutorials
(``\\left(W^{(2)}\\right)^T \\delta^{(2)} \\odot f'(u^{(1)})``), :func:`to_text` in Unicode;
the LaTeX reads back through the parser to the same meaning.

**Shapes.** :func:`shape_of` infers every node's shape under a network and
raises :class:`ShapeMismatch` (a verdict, not bad input) naming the product,
sum or ⊙ whose operand shapes do not fit, or an index whose range exceeds a
dimension. Bad input (a layer that does not exist, a bias the layer does not
have) is a :class:`DerivcheckError`.

**Models.** A :class:`Model` gives every quantity of one sample as SymPy
expressions of the parameter symbols of :func:`symbolic.spec.names.symbol_for`.
The *concrete* model is :func:`symbolic.truth.closed_form.closed_form` itself
(cut for node derivatives exactly as there). The *generic* model is the same
construction with every elementwise activation replaced by an undefined
function ``f_<name>`` whose derivative is another undefined function
``fp_<name>`` (softmax stays concrete: it is not elementwise). Substituting the
real rules into the generic model gives back the closed form expression for
expression (tested). :func:`evaluate` turns a node into a SymPy matrix under
a model; δ^{(l)} and ∂X/∂(node) are taken by ``sympy.diff`` through a cut.

**Proof method** (:func:`prove_equal`). ``simplify`` on exp-laden
expressions is unusable (minutes, DESIGN), so equality is decided exactly,
never at sampled points, in stages that stop at the first success:

1. *generic*: both sides in the generic model (undefined f, f'). Every atom
   (f(·), f'(·), exp(·), log(·), tanh(·)) becomes a fresh symbol keyed by its
   expanded argument, and the difference, a rational function of the
   parameters and these symbols, must have a zero numerator. Zero is a proof
   for every elementwise activation at once: the atoms are treated as
   independent variables, which is sound whatever the real functions are.
   Identical expressions are reported as *structural identity*.
2. *relations*: the same, after writing f' through f where the rule allows
   (σ' = σ(1 − σ), tanh' = 1 − tanh², identity, relu's step with H² = H);
   this proves activation-specific forms such as a ⊙ (1 − a) and the
   sigmoid + cross-entropy δ = a − y.
3. *test points*: both sides of ``symbolic.truth.closed_form`` (concrete rules) at
   exact points (the network's own numbers first), mpmath at 60 digits; a
   difference is a counterexample (the WRONG verdict).
4. *concrete*: the closed form itself with every exp(·)/tanh(·)/log(·) as a
   fresh symbol (exp(c·p) = E_p^c for integer c) and the same numerator test.

The numerator is built bottom-up on sparse polynomials with the denominator
kept as a product of named factors (:func:`_numerator`); a random rational
point screens out non-zero differences first. Nothing is ``expand``-ed as a
tree, so a depth-3 sigmoid proof against the concrete closed form takes about
a second. For softmax with cross-entropy the textbook δ = a − y holds only for
targets that sum to 1; each symbolic stage is retried with
y_n = 1 − Σ_{k<n} y_k and the proof says so. Anything neither proved nor
refuted is a :class:`DerivcheckError`, never a guess.

**Derivation** (:func:`derive`). For any depth, activations, loss and bias
modes: δ^{(L)} (with the simplifications a − y for sigmoid+bce and for
softmax+softmax_ce, the softmax Jacobian for other softmax losses), the
recurrence δ^{(l)} = (W^{(l+1)})ᵀ δ^{(l+1)} ⊙ f'(u^{(l)}), ∇W^{(l)} = δ^{(l)}
(a^{(l−1)})ᵀ, ∇b^{(l)} = δ^{(l)} (summed, Σ_i δ_i^{(l)}, for a shared bias).
:meth:`MatrixForm.prove` proves each one entry by entry against
``sympy.diff`` of the closed form.
"""
from __future__ import annotations

import functools
import itertools
import random
import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import singledispatch
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.fields import sfield
from sympy.polys.rings import ring
from sympy.polys.polyerrors import CoercionFailed, GeneratorsNeeded, PolynomialError

from ..truth.closed_form import MAX_TREE_SIZE, closed_form, tree_size
from ..spec.errors import DerivcheckError, TooLargeError, shorten
from ..truth.evaluator import DIGITS, evaluate as exact_evaluate
from ..spec.network import Network
from ..spec.names import Name, symbol_for
from ..spec.rules import _GENERIC, ACTIVATIONS, LOSSES, _Activation, generic_functions, generic_to_concrete

__all__ = [
    # nodes
    "Node", "Var", "Const", "LayerRef", "Entry", "Transpose", "MatMul", "Juxt", "Dot", "Hadamard", "EDiv",
    "Add", "Sub", "Neg", "Div", "Pow", "Apply", "Diag", "SumAll", "SumIdx", "Deriv", "MatrixLit", "Norm",
    # rendering
    "to_latex", "to_text",
    # shapes and evaluation
    "ShapeMismatch", "Ctx", "shape_of", "check_index_ranges", "index_ranges", "Model", "evaluate",
    "free_indices", "layer_vars",
    # proofs
    "Proof", "Counterexample", "prove_equal", "sample_points", "STAGES",
    # derivation
    "MatrixForm", "derive",
]

Matrix = sp.ImmutableDenseMatrix


# =============================================================================================== nodes
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
class Node:
    """Base class. ``span`` is the (start, end) of the source text a parsed node came from."""

    span: tuple[int, int] | None = field(default=None, kw_only=True, compare=False, repr=False)


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
class _Binary(Node):
    left: Node
    right: Node


class MatMul(_Binary):
    """A strict matrix product (inner dimensions must agree)."""


class Juxt(_Binary):
    """Juxtaposition: scalar times array if either side is 1×1, else a matrix product."""


class Dot(_Binary):
    """``\\cdot``: the inner product of two vectors of the same shape, else like :class:`Juxt`."""


class Hadamard(_Binary):
    """⊙: elementwise product of equal shapes."""


class EDiv(_Binary):
    """⊘: elementwise division of equal shapes."""


class Add(_Binary):
    pass


class Sub(_Binary):
    pass


class Div(_Binary):
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


_BINARY_OPS = {MatMul: "matmul", Juxt: "product", Dot: "\\cdot", Hadamard: "\\odot", EDiv: "\\oslash",
               Add: "+", Sub: "-", Div: "division"}


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, _Binary):
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


# =========================================================================================== rendering
_ADD, _NEG, _MUL, _POST, _ATOM = 1, 2, 3, 4, 5


def _prec(node: Node) -> int:
    if isinstance(node, (Add, Sub)):
        return _ADD
    if isinstance(node, Neg):
        return _NEG
    if isinstance(node, SumIdx):
        return _NEG
    if isinstance(node, (MatMul, Juxt, Dot, Hadamard, EDiv, SumAll)):
        return _MUL
    if isinstance(node, (Transpose, Entry, Pow)):
        return _POST
    if isinstance(node, Const) and (node.value < 0 or node.value.denominator != 1):
        return _MUL
    return _ATOM


def _layer_latex(layer: Layer) -> str:
    if isinstance(layer, LayerRef):
        return f"^{{({layer})}}"
    return f"^{{({layer})}}" if layer is not None else ""


def _index_latex(indices: Sequence[Index]) -> str:
    items = [str(i) for i in indices]
    sep = "" if all(len(s) == 1 for s in items) else ","
    return "_{" + sep.join(items) + "}"


_VAR_LETTER = {"W": "W", "b": "b", "u": "u", "a": "a", "x": "x", "y": "y", "delta": "\\delta", "L": "L"}


@singledispatch
def to_latex(node: Node) -> str:
    """LaTeX for a node (dispatch on its type), in the tutorials' notation."""
    raise TypeError(f"no LaTeX rule for {type(node).__name__}")


def _wrap(child: Node, minimum: int) -> str:
    text = to_latex(child)
    return f"\\left({text}\\right)" if _prec(child) < minimum else text


@to_latex.register
def _(node: Var) -> str:
    if node.kind == "a" and node.layer == 0:
        return "x"
    return _VAR_LETTER[node.kind] + _layer_latex(node.layer)


@to_latex.register
def _(node: Const) -> str:
    v = node.value
    if v.denominator == 1:
        return str(v.numerator)
    sign = "-" if v < 0 else ""
    return f"{sign}\\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"


@to_latex.register
def _(node: Entry) -> str:
    base = node.base
    if isinstance(base, Var) and base.kind != "L":
        letter = "w" if base.kind == "W" else _VAR_LETTER[base.kind]
        if base.kind == "a" and base.layer == 0:
            return "x" + _index_latex(node.indices)
        return letter + _index_latex(node.indices) + _layer_latex(base.layer)
    if isinstance(base, Var):
        return "L" + _index_latex(node.indices)
    return f"\\left({to_latex(base)}\\right)" + _index_latex(node.indices)


@to_latex.register
def _(node: Transpose) -> str:
    arg = node.arg
    if isinstance(arg, Var) and (arg.layer is None or (arg.kind == "a" and arg.layer == 0)):
        return to_latex(arg) + "^T"
    return f"\\left({to_latex(arg)}\\right)^T"


def _product(node: _Binary, op: str) -> str:
    # left-associative chain: a right operand of the same level needs parentheses; mixing ⊙ with
    # matrix products is always parenthesized, for the reader's sake.
    def side(child: Node, right: bool) -> str:
        same = _prec(child) == _MUL
        mixed = same and (isinstance(child, (Hadamard, EDiv)) != isinstance(node, (Hadamard, EDiv)))
        if _prec(child) < _MUL or (same and right) or mixed:
            return f"\\left({to_latex(child)}\\right)"
        return to_latex(child)

    return f"{side(node.left, False)}{op}{side(node.right, True)}"


@to_latex.register
def _(node: MatMul) -> str:
    return _product(node, " ")


@to_latex.register
def _(node: Juxt) -> str:
    return _product(node, " ")


@to_latex.register
def _(node: Dot) -> str:
    return _product(node, " \\cdot ")


@to_latex.register
def _(node: Hadamard) -> str:
    return _product(node, " \\odot ")


@to_latex.register
def _(node: EDiv) -> str:
    return _product(node, " \\oslash ")


@to_latex.register
def _(node: Add) -> str:
    return f"{to_latex(node.left)} + {_wrap(node.right, _NEG)}"


@to_latex.register
def _(node: Sub) -> str:
    return f"{to_latex(node.left)} - {_wrap(node.right, _MUL)}"


@to_latex.register
def _(node: Neg) -> str:
    return f"-{_wrap(node.arg, _MUL)}"


@to_latex.register
def _(node: Div) -> str:
    return f"\\frac{{{to_latex(node.left)}}}{{{to_latex(node.right)}}}"


@to_latex.register
def _(node: Pow) -> str:
    return f"{_wrap(node.base, _ATOM)}^{{{node.exponent}}}"


_FN_LATEX = {"f": "f", "sigmoid": "\\sigma", "tanh": "\\tanh", "exp": "\\exp", "log": "\\log",
             "relu": "\\operatorname{relu}", "identity": "\\operatorname{id}", "softmax": "\\operatorname{softmax}"}


@to_latex.register
def _(node: Apply) -> str:
    name = _FN_LATEX[node.fn] + ("'" if node.prime else "")
    if node.fn == "f" and node.layer is not None:
        name = "f" + _layer_latex(node.layer) + ("'" if node.prime else "")
    return f"{name}\\left({to_latex(node.arg)}\\right)"


@to_latex.register
def _(node: Diag) -> str:
    return f"\\operatorname{{diag}}\\left({to_latex(node.arg)}\\right)"


@to_latex.register
def _(node: SumAll) -> str:
    return f"\\sum_{{k}} {to_latex(Entry(node.arg, ('k',)))}"


@to_latex.register
def _(node: SumIdx) -> str:
    bounds = f"_{{{node.var}={node.lo}}}^{{{node.hi}}}" if node.lo is not None else f"_{{{node.var}}}"
    return f"\\sum{bounds} {_wrap(node.body, _MUL)}"


def _deriv_target(node: Node) -> str:
    return to_latex(node)


@to_latex.register
def _(node: Deriv) -> str:
    of = to_latex(node.of)
    if node.nabla:
        return f"\\nabla_{{{_deriv_target(node.wrt)}}} {_wrap(node.of, _ATOM)}"
    simple = isinstance(node.of, (Var, Entry))
    return (f"\\frac{{\\partial {of}}}{{\\partial {_deriv_target(node.wrt)}}}" if simple else
            f"\\frac{{\\partial \\left({of}\\right)}}{{\\partial {_deriv_target(node.wrt)}}}")


@to_latex.register
def _(node: MatrixLit) -> str:
    rows = " \\\\ ".join(" & ".join(to_latex(c) for c in row) for row in node.rows)
    return f"\\begin{{bmatrix}} {rows} \\end{{bmatrix}}"


@to_latex.register
def _(node: Norm) -> str:
    return f"\\left\\|{to_latex(node.arg)}\\right\\|"


# ------------------------------------------------------------------------------------- unicode text
_SUP = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")


def _layer_text(layer: Layer) -> str:
    return "" if layer is None else str(layer)


@singledispatch
def to_text(node: Node) -> str:
    """A compact Unicode rendering (``δ1 = (W2)ᵀ δ2 ⊙ f'(u1)``)."""
    raise TypeError(f"no text rule for {type(node).__name__}")


def _twrap(child: Node, minimum: int) -> str:
    text = to_text(child)
    return f"({text})" if _prec(child) < minimum else text


@to_text.register
def _(node: Var) -> str:
    if node.kind == "a" and node.layer == 0:
        return "x"
    return {"delta": "δ"}.get(node.kind, node.kind) + _layer_text(node.layer)


@to_text.register
def _(node: Const) -> str:
    return str(node.value)


@to_text.register
def _(node: Entry) -> str:
    return f"{_twrap(node.base, _ATOM)}[{','.join(map(str, node.indices))}]"


@to_text.register
def _(node: Transpose) -> str:
    arg = node.arg
    inner = to_text(arg) if isinstance(arg, Var) and arg.layer in (None, 0) else f"({to_text(arg)})"
    return inner + "ᵀ"


def _tproduct(node: _Binary, op: str) -> str:
    def side(child: Node, right: bool) -> str:
        same = _prec(child) == _MUL
        mixed = same and (isinstance(child, (Hadamard, EDiv)) != isinstance(node, (Hadamard, EDiv)))
        return f"({to_text(child)})" if _prec(child) < _MUL or (same and right) or mixed else to_text(child)

    return f"{side(node.left, False)}{op}{side(node.right, True)}"


to_text.register(MatMul, lambda n: _tproduct(n, " "))
to_text.register(Juxt, lambda n: _tproduct(n, " "))
to_text.register(Dot, lambda n: _tproduct(n, " · "))
to_text.register(Hadamard, lambda n: _tproduct(n, " ⊙ "))
to_text.register(EDiv, lambda n: _tproduct(n, " ⊘ "))
to_text.register(Add, lambda n: f"{to_text(n.left)} + {_twrap(n.right, _NEG)}")
to_text.register(Sub, lambda n: f"{to_text(n.left)} − {_twrap(n.right, _MUL)}")
to_text.register(Neg, lambda n: f"−{_twrap(n.arg, _MUL)}")
to_text.register(Div, lambda n: f"{_twrap(n.left, _POST)}/{_twrap(n.right, _ATOM)}")
to_text.register(Pow, lambda n: f"{_twrap(n.base, _ATOM)}{str(n.exponent).translate(_SUP)}")
to_text.register(Diag, lambda n: f"diag({to_text(n.arg)})")
to_text.register(SumAll, lambda n: f"Σₖ {_twrap(n.arg, _ATOM)}[k]")
to_text.register(Norm, lambda n: f"‖{to_text(n.arg)}‖")
to_text.register(MatrixLit, lambda n: "[" + "; ".join(", ".join(to_text(c) for c in r) for r in n.rows) + "]")

_FN_TEXT = {"f": "f", "sigmoid": "σ", "tanh": "tanh", "exp": "exp", "log": "log", "relu": "relu",
            "identity": "id", "softmax": "softmax"}


@to_text.register
def _(node: Apply) -> str:
    name = _FN_TEXT[node.fn] + (_layer_text(node.layer) if node.fn == "f" else "") + ("'" if node.prime else "")
    return f"{name}({to_text(node.arg)})"


@to_text.register
def _(node: SumIdx) -> str:
    bounds = f"{node.var}={node.lo}..{node.hi}" if node.lo is not None else node.var
    return f"Σ[{bounds}] {_twrap(node.body, _MUL)}"


@to_text.register
def _(node: Deriv) -> str:
    if node.nabla:
        return f"∇{to_text(node.wrt)} {_twrap(node.of, _ATOM)}"
    return f"∂{_twrap(node.of, _POST)}/∂{_twrap(node.wrt, _POST)}"


# ============================================================================================== shapes
class ShapeMismatch(Exception):
    """A formula whose shapes do not fit (a verdict: ``shape error``); ``str()`` is the sentence."""

    def __init__(self, message: str, node: Node | None = None):
        super().__init__(message)
        self.node = node


@dataclass
class Ctx:
    """What evaluation needs besides the node: the network, layer-variable and index bindings."""

    network: Network
    layers: dict[str, int] = field(default_factory=dict)
    idx: dict[str, int] = field(default_factory=dict)
    source: str | None = None  # the LaTeX a parsed node came from, for messages

    def layer(self, layer: Layer, node: Node) -> int:
        if isinstance(layer, LayerRef):
            if layer.var == "L":  # the output layer
                return self.network.depth + layer.offset
            if layer.var not in self.layers:
                raise DerivcheckError(f"The layer variable {layer.var} in {self.show(node)} has no value.")
            return self.layers[layer.var] + layer.offset
        if layer is None:
            raise DerivcheckError(f"{self.show(node)} needs a layer, like W^{{(2)}}.")
        return layer

    def show(self, node: Node) -> str:
        """The node as the author wrote it (source slice) or, for built nodes, rendered."""
        if self.source is not None and node.span is not None:
            text = self.source[node.span[0]:node.span[1]]
            text = re.sub(r"\\(?:left|right|[bB]igg?[lr]?)\s*(?=[()\[\]|.])", "", text)
            text = re.sub(r"\\(?:left|right)\s*\.", "", text)
            text = re.sub(r"\s+", " ", text).strip()
            text = re.sub(r"([(\[]) ", r"\1", re.sub(r" ([)\]])", r"\1", text))
            if text:
                return shorten(text, 100)
        text = to_latex(node)
        return shorten(text, 80)

    def where(self, node: Node) -> str:
        if self.source is not None and node.span is not None:
            return f" (column {node.span[0] + 1})"
        return ""


def _fmt_shape(shape: tuple[int, int]) -> str:
    return f"{shape[0]}×{shape[1]}"


def _var_shape(node: Var, ctx: Ctx) -> tuple[int, int]:
    net = ctx.network
    kind = node.kind
    if kind in ("x",):
        return (net.layers[0], 1)
    if kind == "y":
        return (net.layers[-1], 1)
    if kind == "L":
        return (1, 1)
    l = ctx.layer(node.layer, node)
    lo = 0 if kind == "a" else 1
    if not lo <= l <= net.depth:
        name = {"delta": "δ"}.get(kind, kind)
        raise DerivcheckError(f"{name}^{{({l})}} in {ctx.show(node)} names layer {l}, but the network's layers "
                              f"run from {lo} to {net.depth}.")
    if kind == "W":
        return (net.layers[l], net.layers[l - 1])
    if kind == "b":
        mode = net.bias[l - 1]
        if mode == "none":
            raise DerivcheckError(f"{ctx.show(node)} is a bias, but layer {l} has no bias (bias mode 'none').")
        return (1, 1) if mode == "shared" else (net.layers[l], 1)
    return (net.layers[l], 1)


def _entry_axes(node: Entry, shape: tuple[int, int], ctx: Ctx) -> list[tuple[int, int]]:
    """For each index: (axis, dimension). Raises for the wrong number of indices."""
    r, c = shape
    n = len(node.indices)
    if n == 2:
        return [(0, r), (1, c)]
    if n == 1:
        if c == 1:
            return [(0, r)]
        if r == 1:
            return [(1, c)]
        return [(0, r)]  # a row of a matrix
    raise DerivcheckError(f"{ctx.show(node)} has {n} subscripts; use one (a vector entry or a matrix row) or two.")


def shape_of(node: Node, ctx: Ctx, _memo: dict | None = None) -> tuple[int, int]:
    """The (rows, cols) of ``node``; raises :class:`ShapeMismatch` when an operation does not fit."""
    memo = {} if _memo is None else _memo
    key = id(node)
    if key in memo:
        return memo[key]
    result = _shape(node, ctx, memo)
    memo[key] = result
    return result


def _scalar(shape: tuple[int, int]) -> bool:
    return shape == (1, 1)


def _is_const(node: Node) -> bool:
    return all(isinstance(n, (Const, Neg, Add, Sub, Juxt, Div, Pow, MatMul, Hadamard)) for n in walk(node)) and \
        any(isinstance(n, Const) for n in walk(node))


def _shape(node: Node, ctx: Ctx, memo: dict) -> tuple[int, int]:
    sh = lambda n: shape_of(n, ctx, memo)  # noqa: E731
    if isinstance(node, Var):
        return _var_shape(node, ctx)
    if isinstance(node, Const):
        return (1, 1)
    if isinstance(node, Entry):
        base = sh(node.base)
        axes = _entry_axes(node, base, ctx)
        for (axis, dim), i in zip(axes, node.indices):
            if isinstance(i, int) and not 1 <= i <= dim:
                what = "row" if axis == 0 else "column"
                raise ShapeMismatch(f"{ctx.show(node)} asks for {what} {i} of {to_latex(node.base)}, which is "
                                    f"{_fmt_shape(base)}{ctx.where(node)}.", node)
        if len(node.indices) == 2 or base[1] == 1 or base[0] == 1:
            return (1, 1)
        return (1, base[1])
    if isinstance(node, Transpose):
        r, c = sh(node.arg)
        return (c, r)
    if isinstance(node, Neg):
        return sh(node.arg)
    if isinstance(node, (Add, Sub)):
        a, b = sh(node.left), sh(node.right)
        if a == b:
            return a
        if _scalar(a) and _is_const(node.left):
            return b
        if _scalar(b) and _is_const(node.right):
            return a
        op = "sum" if isinstance(node, Add) else "difference"
        raise ShapeMismatch(f"The {op} {ctx.show(node)}{ctx.where(node)} adds a {_fmt_shape(a)} array "
                            f"({ctx.show(node.left)}) to a {_fmt_shape(b)} array ({ctx.show(node.right)}); "
                            f"both sides of {'+' if isinstance(node, Add) else '−'} need the same shape.", node)
    if isinstance(node, (Hadamard, EDiv)):
        a, b = sh(node.left), sh(node.right)
        if a != b:
            op = "⊙" if isinstance(node, Hadamard) else "⊘"
            raise ShapeMismatch(f"The {op} in {ctx.show(node)}{ctx.where(node)} combines "
                                f"{ctx.show(node.left)} ({_fmt_shape(a)}) with {ctx.show(node.right)} "
                                f"({_fmt_shape(b)}); {op} needs two arrays of the same shape.", node)
        return a
    if isinstance(node, (MatMul, Juxt, Dot)):
        a, b = sh(node.left), sh(node.right)
        if isinstance(node, Dot) and a == b and 1 in a and not _scalar(a):
            return (1, 1)
        if not isinstance(node, MatMul) and (_scalar(a) or _scalar(b)):
            return b if _scalar(a) else a
        if a[1] != b[0]:
            raise ShapeMismatch(f"The product {ctx.show(node)}{ctx.where(node)} multiplies {ctx.show(node.left)} "
                                f"({_fmt_shape(a)}) by {ctx.show(node.right)} ({_fmt_shape(b)}); a matrix product "
                                f"needs the left's {a[1]} columns to match the right's {b[0]} rows.", node)
        return (a[0], b[1])
    if isinstance(node, Div):
        a, b = sh(node.left), sh(node.right)
        if not _scalar(b):
            raise ShapeMismatch(f"The fraction {ctx.show(node)}{ctx.where(node)} divides by "
                                f"{ctx.show(node.right)}, which is {_fmt_shape(b)}, not a scalar.", node)
        return a
    if isinstance(node, Pow):
        a = sh(node.base)
        if not _scalar(a):
            raise ShapeMismatch(f"{ctx.show(node)}{ctx.where(node)} raises a {_fmt_shape(a)} array to a power; "
                                f"only scalars can be raised to a power (use ⊙ or a norm).", node)
        return a
    if isinstance(node, Apply):
        a = sh(node.arg)
        if _fn_name(node, ctx) == "softmax":
            if node.prime:
                raise DerivcheckError(f"{ctx.show(node)} asks for softmax' elementwise, but softmax is not "
                                      f"elementwise; write its Jacobian diag(a) − a aᵀ instead.")
            if a[1] != 1:
                raise ShapeMismatch(f"softmax in {ctx.show(node)} needs a column vector, not {_fmt_shape(a)}.", node)
        return a
    if isinstance(node, Diag):
        a = sh(node.arg)
        if a[1] != 1:
            raise ShapeMismatch(f"diag in {ctx.show(node)} needs a column vector, not {_fmt_shape(a)}.", node)
        return (a[0], a[0])
    if isinstance(node, (SumAll, Norm)):
        sh(node.arg)
        return (1, 1)
    if isinstance(node, SumIdx):
        return sh(node.body)
    if isinstance(node, Deriv):
        of, wrt = sh(node.of), sh(node.wrt)
        _check_wrt(node.wrt, ctx)
        if _scalar(of):
            return wrt
        if _scalar(wrt):
            return of
        if of[1] == 1 and wrt[1] == 1:
            return (of[0], wrt[0])
        raise DerivcheckError(f"{ctx.show(node)} differentiates a {_fmt_shape(of)} array with respect to a "
                              f"{_fmt_shape(wrt)} array; only scalars, vectors (a Jacobian) and gradients of a "
                              f"scalar are supported.")
    if isinstance(node, MatrixLit):
        widths = {len(r) for r in node.rows}
        if len(widths) != 1:
            raise ShapeMismatch(f"The matrix {ctx.show(node)}{ctx.where(node)} has rows of different lengths "
                                f"({', '.join(str(len(r)) for r in node.rows)}).", node)
        for row in node.rows:
            for cell in row:
                s = sh(cell)
                if not _scalar(s):
                    raise ShapeMismatch(f"The matrix entry {ctx.show(cell)}{ctx.where(cell)} is "
                                        f"{_fmt_shape(s)}, not a scalar.", cell)
        return (len(node.rows), widths.pop())
    raise TypeError(f"unknown node {type(node).__name__}")


def _check_wrt(wrt: Node, ctx: Ctx) -> None:
    base = wrt.base if isinstance(wrt, Entry) else wrt
    if not isinstance(base, Var) or base.kind in ("L", "delta"):
        raise DerivcheckError(f"Cannot differentiate with respect to {ctx.show(wrt)}; use a weight, bias, "
                              f"pre-activation u, activation a, x or y.")


def _fn_name(node: Apply, ctx: Ctx) -> str:
    """The rule name an Apply means: ``f`` resolves to its layer's activation."""
    if node.fn != "f":
        return node.fn
    net = ctx.network
    if node.layer is not None:
        l = ctx.layer(node.layer, node)
        if not 1 <= l <= net.depth:
            raise DerivcheckError(f"{ctx.show(node)} names the activation of layer {l}, which does not exist.")
        return net.activations[l - 1]
    if len(set(net.activations)) == 1:
        return net.activations[0]
    layers = _top_layers(node.arg, ctx)
    if len(layers) == 1:
        return net.activations[layers.pop() - 1]
    raise DerivcheckError(f"Cannot tell which layer's activation f is in {ctx.show(node)} (the layers use "
                          f"{', '.join(net.activations)}); write f^{{(l)}} or use u^{{(l)}} in its argument.")


def _top_layers(node: Node, ctx: Ctx) -> set[int]:
    """Layers of W, b, u, δ mentioned in ``node`` outside nested function applications."""
    out: set[int] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Apply):
            continue
        if isinstance(n, Var) and n.kind in ("W", "b", "u", "delta"):
            out.add(ctx.layer(n.layer, n))
        stack.extend(children(n))
    return out


# ----------------------------------------------------------------------------------- index ranges
def index_ranges(node: Node, ctx: Ctx, given: Mapping[str, int] | None = None) -> dict[str, tuple[int, int]]:
    """Ranges (1..n) of the free indices of ``node``, from the first dimension each one indexes.

    The variable of a derivative is looked at first (in ∂L/∂w_{ij}^{(1)}, i and j range over W^{(1)}).
    ``given`` fixes indices to one value (a condition such as i = 1).
    """
    ranges: dict[str, tuple[int, int]] = {k: (v, v) for k, v in (given or {}).items()}
    memo: dict = {}
    order: list[Node] = [n.wrt for n in walk(node) if isinstance(n, Deriv)] + [node]
    for root in order:
        for n, bound in _entries_with_bound(root):
            base = shape_of(n.base, ctx, memo)
            for (axis, dim), i in zip(_entry_axes(n, base, ctx), n.indices):
                if isinstance(i, str) and i not in bound and i not in ranges:
                    ranges[i] = (1, dim)
    return ranges


def _entries_with_bound(node: Node) -> Iterator[tuple[Entry, frozenset]]:
    stack: list[tuple[Node, frozenset]] = [(node, frozenset())]
    while stack:
        n, bound = stack.pop()
        if isinstance(n, SumIdx):
            stack.append((n.body, bound | {n.var}))
            continue
        if isinstance(n, Entry):
            yield n, bound
        stack.extend((c, bound) for c in reversed(children(n)))


def check_index_ranges(node: Node, ctx: Ctx, ranges: Mapping[str, tuple[int, int]],
                       origin: Mapping[str, str] | None = None) -> None:
    """Raise :class:`ShapeMismatch` where an index variable can exceed the dimension it indexes.

    Σ ranges are checked (and inferred when not written) the same way.
    """
    memo: dict = {}

    def visit(n: Node, rng: Mapping[str, tuple[int, int]]):
        if isinstance(n, SumIdx):
            lo, hi = n.lo, n.hi
            if lo is None:
                dims = [dim for e, _ in _entries_with_bound(n.body) for (ax, dim), i in
                        zip(_entry_axes(e, shape_of(e.base, ctx, memo), ctx), e.indices) if i == n.var]
                if not dims:
                    raise DerivcheckError(f"The sum over {n.var} in {ctx.show(n)} has no bounds and its body "
                                          f"never uses {n.var} as a subscript; write \\sum_{{{n.var}=1}}^{{n}}.")
                lo, hi = 1, dims[0]
            if hi - lo > 10_000:
                raise DerivcheckError(f"The sum in {ctx.show(n)} has {hi - lo + 1} terms; at most 10001 are supported.")
            visit(n.body, {**rng, n.var: (lo, hi)})
            return
        if isinstance(n, Entry):
            base = shape_of(n.base, ctx, memo)
            for (axis, dim), i in zip(_entry_axes(n, base, ctx), n.indices):
                if isinstance(i, str):
                    if i not in rng:
                        raise DerivcheckError(f"The index {i} in {ctx.show(n)} is free on the right-hand side "
                                              f"only; it must appear on the left or be summed over.")
                    lo, hi = rng[i]
                    if lo < 1 or hi > dim:
                        what = "rows" if axis == 0 else "columns"
                        src = f" ({origin[i]})" if origin and i in origin else ""
                        raise ShapeMismatch(
                            f"The index {i} runs over {lo}..{hi}{src}, but {ctx.show(n)}{ctx.where(n)} uses it "
                            f"for {to_latex(n.base)}, which has only {dim} {what} ({_fmt_shape(base)}).", n)
        for c in children(n):
            visit(c, rng)

    visit(node, dict(ranges))


def sum_range(node: SumIdx, ctx: Ctx) -> tuple[int, int]:
    if node.lo is not None:
        return node.lo, node.hi
    for e, _ in _entries_with_bound(node.body):
        for (ax, dim), i in zip(_entry_axes(e, shape_of(e.base, ctx), ctx), e.indices):
            if i == node.var:
                return 1, dim
    raise DerivcheckError(f"Cannot infer the range of the sum over {node.var}.")


# ============================================================================================== models
def _column(items: Sequence[sp.Expr]) -> Matrix:
    return Matrix(len(items), 1, list(items))


def node_array(model, kind: str, layer: int | None) -> Matrix | None:
    """W, b, x, y, u or a of ``model`` (which has ``network``, ``params``, ``x``, ``y``, ``u``, ``a``) as a matrix.

    Weights are (n_l × n_{l−1}), a per-neuron bias and the node vectors are columns, a
    shared bias is 1 × 1; any other kind gives None (the model's own business).
    """
    net = model.network
    if kind == "W":
        return Matrix(net.layers[layer], net.layers[layer - 1],
                      lambda i, j: model.params[f"W{layer}[{i + 1},{j + 1}]"])
    if kind == "b":
        if net.bias[layer - 1] == "shared":
            return Matrix([[model.params[f"b{layer}"]]])
        return Matrix(net.layers[layer], 1, lambda i, j: model.params[f"b{layer}[{i + 1}]"])
    if kind == "x" or (kind == "a" and layer == 0):
        return _column(model.x)
    if kind == "y":
        return _column(model.y)
    if kind in ("u", "a"):
        return _column((model.u if kind == "u" else model.a)[layer])
    return None


class Model:
    """Every quantity of one sample as SymPy expressions (generic or concrete activations).

    ``cut`` maps canonical node names (``u2[1]``) to symbols, as in :func:`closed_form`.
    """

    def __init__(self, network: Network, concrete: bool, cut: Mapping[str, sp.Symbol] | None = None):
        size = tree_size(network)
        if size > MAX_TREE_SIZE:
            raise TooLargeError(
                f"The {'-'.join(map(str, network.layers))} network's closed form would have about {size:,} "
                f"expression nodes (limit {MAX_TREE_SIZE:,}); formulas are proved against the closed form, so "
                f"use a smaller network of the same depth and activations.")
        self.network = network
        self.concrete = concrete
        self.cut_map = dict(cut or {})
        self._cuts: dict[tuple[str, int], tuple["Model", Matrix]] = {}
        self._deltas: dict[int, Matrix] = {}
        net = network
        if concrete:
            cf = closed_form(network, cut=self.cut_map)
            self.params, self.x, self.y = cf.params, cf.x, cf.y
            self.u, self.a, self.terms, self.loss = cf.u, cf.a, cf.terms, cf.loss
        else:
            self.params = {p: symbol_for(_parse(p)) for p in net.parameter_names()}
            self.x = [symbol_for(Name("x", None, (i + 1,))) for i in range(net.layers[0])]
            self.y = [symbol_for(Name("y", None, (k + 1,))) for k in range(net.layers[-1])]
            u: list[list[sp.Expr]] = [[]]
            a: list[list[sp.Expr]] = [list(self.x)]
            for l in range(1, net.depth + 1):
                mode = net.bias[l - 1]
                ul = []
                for i in range(net.layers[l]):
                    s = sp.Add(*[self.params[f"W{l}[{i + 1},{j + 1}]"] * a[l - 1][j]
                                 for j in range(net.layers[l - 1])])
                    if mode == "shared":
                        s += self.params[f"b{l}"]
                    elif mode == "per-neuron":
                        s += self.params[f"b{l}[{i + 1}]"]
                    ul.append(self.cut_map.get(f"u{l}[{i + 1}]", s))
                al = self._activate(net.activations[l - 1], ul)
                al = [self.cut_map.get(f"a{l}[{i + 1}]", e) for i, e in enumerate(al)]
                u.append(ul)
                a.append(al)
            self.u, self.a = u, a
            self.terms = LOSSES[net.loss].terms(a[-1], self.y)
            self.loss = sp.Add(*self.terms)

    # ------------------------------------------------------------------ functions
    def _activate(self, name: str, us: Sequence[sp.Expr]) -> list[sp.Expr]:
        rule = ACTIVATIONS[name]
        if not rule.elementwise:
            return rule.apply(us)
        if self.concrete:
            return [rule.symbolic(v) for v in us]
        fn, _ = generic_functions(name)
        return [fn(v) for v in us]

    def function(self, name: str, prime: bool) -> Callable[[sp.Expr], sp.Expr]:
        """The scalar function ``name`` (or its derivative) in this model."""
        if name == "exp":
            return sp.exp
        if name == "log":
            return (lambda v: 1 / v) if prime else sp.log
        rule = ACTIVATIONS[name]
        if self.concrete:
            return rule.symbolic_prime if prime else rule.symbolic
        fn, fp = generic_functions(name)
        return fp if prime else fn

    # --------------------------------------------------------------------- arrays
    def array(self, kind: str, layer: int | None) -> Matrix:
        found = node_array(self, kind, layer)
        if found is not None:
            return found
        if kind == "L":
            return Matrix([[self.loss]])
        if kind == "delta":
            return self.delta(layer)
        raise DerivcheckError(f"Unknown quantity {kind!r}.")

    def with_cut(self, kind: str, layer: int) -> tuple["Model", Matrix]:
        """This model with node array ``kind{layer}`` replaced by fresh symbols (returned as a column)."""
        key = (kind, layer)
        if key not in self._cuts:
            n = self.network.layers[layer]
            syms = [sp.Dummy(f"{kind}{layer}_{i + 1}", real=True) for i in range(n)]
            cut = dict(self.cut_map)
            cut.update({f"{kind}{layer}[{i + 1}]": s for i, s in enumerate(syms)})
            self._cuts[key] = (Model(self.network, self.concrete, cut), _column(syms))
        return self._cuts[key]

    def delta(self, layer: int) -> Matrix:
        """δ^{(l)} = ∂L/∂u^{(l)}, by sympy.diff through a cut at u^{(l)}."""
        if layer not in self._deltas:
            cut, syms = self.with_cut("u", layer)
            back = {s: v for s, v in zip(syms, self.u[layer])}
            self._deltas[layer] = Matrix(len(syms), 1, [sp.diff(cut.loss, s).xreplace(back) for s in syms])
        return self._deltas[layer]


def _parse(name: str) -> Name:
    from ..spec.names import parse_name
    return parse_name(name)


# ============================================================================================ evaluate
def evaluate(node: Node, model: Model, ctx: Ctx, _memo: dict | None = None) -> Matrix:
    """``node`` as a SymPy matrix under ``model`` (shapes must have been checked with :func:`shape_of`)."""
    memo = {} if _memo is None else _memo
    return _Evaluator(model, ctx, memo).ev(node, dict(ctx.idx))


class _Evaluator:
    def __init__(self, model: Model, ctx: Ctx, memo: dict):
        self.model, self.ctx, self.memo = model, ctx, memo
        self.vars: dict[int, frozenset] = {}

    def _free(self, node: Node) -> frozenset:
        k = id(node)
        if k not in self.vars:
            self.vars[k] = frozenset(free_indices(node))
        return self.vars[k]

    def ev(self, node: Node, idx: dict[str, int]) -> Matrix:
        free = self._free(node)
        key = (id(node), id(self.model), tuple(sorted(self.ctx.layers.items())),
               tuple(sorted((k, v) for k, v in idx.items() if k in free)))
        if key in self.memo:
            return self.memo[key]
        out = self._ev(node, idx)
        self.memo[key] = out
        return out

    def _index(self, i: Index, idx: dict[str, int]) -> int:
        return (idx[i] if isinstance(i, str) else i) - 1

    def _ev(self, node: Node, idx: dict[str, int]) -> Matrix:
        ctx, m = self.ctx, self.model
        ev = lambda n: self.ev(n, idx)  # noqa: E731
        if isinstance(node, Var):
            layer = None if node.kind in ("x", "y", "L") else ctx.layer(node.layer, node)
            return m.array(node.kind, layer)
        if isinstance(node, Const):
            return Matrix([[sp.Rational(node.value.numerator, node.value.denominator)]])
        if isinstance(node, Entry):
            base = ev(node.base)
            pos = [self._index(i, idx) for i in node.indices]
            if len(pos) == 2:
                return Matrix([[base[pos[0], pos[1]]]])
            if base.shape[1] == 1:
                return Matrix([[base[pos[0], 0]]])
            if base.shape[0] == 1:
                return Matrix([[base[0, pos[0]]]])
            return base[pos[0]:pos[0] + 1, :]
        if isinstance(node, Transpose):
            return ev(node.arg).T
        if isinstance(node, Neg):
            return -ev(node.arg)
        if isinstance(node, (Add, Sub)):
            a, b = ev(node.left), ev(node.right)
            if a.shape != b.shape:
                if a.shape == (1, 1):
                    a = Matrix(*b.shape, [a[0, 0]] * (b.shape[0] * b.shape[1]))
                else:
                    b = Matrix(*a.shape, [b[0, 0]] * (a.shape[0] * a.shape[1]))
            return a + b if isinstance(node, Add) else a - b
        if isinstance(node, Hadamard):
            return ev(node.left).multiply_elementwise(ev(node.right))
        if isinstance(node, EDiv):
            a, b = ev(node.left), ev(node.right)
            return Matrix(a.shape[0], a.shape[1], lambda i, j: a[i, j] / b[i, j])
        if isinstance(node, (MatMul, Juxt, Dot)):
            a, b = ev(node.left), ev(node.right)
            if isinstance(node, Dot) and a.shape == b.shape and 1 in a.shape and a.shape != (1, 1):
                return Matrix([[sum((p * q for p, q in zip(a, b)), sp.Integer(0))]])
            if not isinstance(node, MatMul) and a.shape == (1, 1):
                return a[0, 0] * b
            if not isinstance(node, MatMul) and b.shape == (1, 1):
                return a * b[0, 0]
            return a * b
        if isinstance(node, Div):
            return ev(node.left) / ev(node.right)[0, 0]
        if isinstance(node, Pow):
            return Matrix([[ev(node.base)[0, 0] ** node.exponent]])
        if isinstance(node, Apply):
            name = _fn_name(node, ctx)
            a = ev(node.arg)
            if name == "softmax":
                return _column(ACTIVATIONS["softmax"].apply(list(a)))
            fn = m.function(name, node.prime)
            return a.applyfunc(fn)
        if isinstance(node, Diag):
            v = ev(node.arg)
            return Matrix(sp.diag(*list(v)))
        if isinstance(node, SumAll):
            return Matrix([[sp.Add(*list(ev(node.arg)))]])
        if isinstance(node, Norm):
            v = ev(node.arg)
            return Matrix([[sp.sqrt(sp.Add(*[e ** 2 for e in v]))]])
        if isinstance(node, SumIdx):
            lo, hi = sum_range(node, ctx)
            total = None
            for k in range(lo, hi + 1):
                term = self.ev(node.body, {**idx, node.var: k})
                total = term if total is None else total + term
            return total
        if isinstance(node, Deriv):
            return self._deriv(node, idx)
        if isinstance(node, MatrixLit):
            return Matrix([[ev(c)[0, 0] for c in row] for row in node.rows])
        raise TypeError(f"unknown node {type(node).__name__}")

    def _deriv(self, node: Deriv, idx: dict[str, int]) -> Matrix:
        ctx, m = self.ctx, self.model
        wrt = node.wrt
        base = wrt.base if isinstance(wrt, Entry) else wrt
        kind = base.kind
        layer = None if kind in ("x", "y") else ctx.layer(base.layer, base)
        if kind in ("u", "a") and layer >= 1:
            cut, syms = m.with_cut(kind, layer)
            sub = _Evaluator(cut, ctx, self.memo)
            of = sub.ev(node.of, idx)
            var = self._select(wrt, syms, idx)
            back = {s: v for s, v in zip(syms, (m.u if kind == "u" else m.a)[layer])}
            return self._jacobian(of, var).applyfunc(lambda e: e.xreplace(back))
        of = self.ev(node.of, idx)
        var = self._select(wrt, m.array(kind, layer), idx)
        return self._jacobian(of, var)

    def _select(self, wrt: Node, full: Matrix, idx: dict[str, int]) -> Matrix:
        if not isinstance(wrt, Entry):
            return full
        pos = [self._index(i, idx) for i in wrt.indices]
        if len(pos) == 2:
            return Matrix([[full[pos[0], pos[1]]]])
        if full.shape[1] == 1:
            return Matrix([[full[pos[0], 0]]])
        return full[pos[0]:pos[0] + 1, :]

    @staticmethod
    def _jacobian(of: Matrix, var: Matrix) -> Matrix:
        if of.shape == (1, 1):
            f = of[0, 0]
            return var.applyfunc(lambda s: _diff(f, s))
        if var.shape == (1, 1):
            s = var[0, 0]
            return of.applyfunc(lambda f: _diff(f, s))
        return Matrix(of.shape[0], var.shape[0], lambda i, j: _diff(of[i, 0], var[j, 0]))


@functools.lru_cache(maxsize=4096)
def _diff(f: sp.Expr, s: sp.Symbol) -> sp.Expr:
    """``sympy.diff``, remembered: the formulas of one file ask for the same partials again and again."""
    return sp.diff(f, s)


# ============================================================================================== proofs
def _atom_key(arg: sp.Expr) -> sp.Expr:
    return sp.expand(arg)


class _Rationalizer:
    """Replace exp/tanh/log/relu-step atoms by fresh symbols, one per distinct (expanded) argument."""

    def __init__(self):
        self.table: dict[tuple[str, sp.Expr], sp.Symbol] = {}
        self.steps: set[sp.Symbol] = set()
        self.memo: dict[sp.Expr, sp.Expr] = {}

    def sym(self, kind: str, arg: sp.Expr) -> sp.Symbol:
        key = (kind, arg)
        if key not in self.table:
            self.table[key] = sp.Dummy(f"{kind}{len(self.table)}")
            if kind == "H":
                self.steps.add(self.table[key])
        return self.table[key]

    def __call__(self, e: sp.Expr) -> sp.Expr:
        if e.is_Atom:
            return e
        if e in self.memo:
            return self.memo[e]
        out = self._convert(e)
        self.memo[e] = out
        return out

    def _convert(self, e: sp.Expr) -> sp.Expr:
        if isinstance(e, sp.Piecewise):
            return self._piecewise(e)
        args = [self(a) for a in e.args]
        if isinstance(e, sp.exp):
            # one symbol per distinct exponent up to an integer factor: exp(c·p) = E(p)^c
            arg = _atom_key(args[0])
            c, p = arg.as_content_primitive()
            if p.could_extract_minus_sign():
                c, p = -c, -p
            if p.is_Number:
                return sp.exp(arg)
            if c.is_Integer:
                return self.sym("E", p) ** int(c)
            return self.sym("E", arg)
        if isinstance(e, sp.tanh):
            arg = _atom_key(args[0])
            if arg.could_extract_minus_sign():
                return -self.sym("T", -arg)
            return self.sym("T", arg)
        if isinstance(e, sp.log):
            return self.sym("Lg", _atom_key(args[0]))
        if isinstance(e, _Step):
            arg = _atom_key(args[0])
            if arg.could_extract_minus_sign():
                return 1 - self.sym("H", -arg)
            return self.sym("H", arg)
        if isinstance(e, sp.Function) and len(args) == 1:  # f_name(·), fp_name(·): opaque atoms
            return self.sym(f"F_{e.func.__name__}_", _atom_key(args[0]))
        return e.func(*args) if args else e

    def _piecewise(self, e: sp.Piecewise) -> sp.Expr:
        """relu-style Piecewise((e1, v < 0), (e2, True | v > 0)[, (nan, True)]) → e1 (1 − H) + e2 H."""
        pieces = list(e.args)
        if len(pieces) == 3 and pieces[2].cond == sp.true and pieces[2].expr is sp.nan:
            pieces = pieces[:2]
        if len(pieces) != 2:
            return e
        (e1, c1), (e2, c2) = pieces
        if not isinstance(c1, sp.StrictLessThan) or c1.rhs != 0:
            return e
        v = self(c1.lhs)
        if not (c2 == sp.true or (isinstance(c2, sp.StrictGreaterThan) and c2.rhs == 0 and c2.lhs == c1.lhs)):
            return e
        v = _atom_key(v)
        e1, e2 = self(e1), self(e2)
        if v.could_extract_minus_sign():
            h = self.sym("H", -v)
            return e2 * (1 - h) + e1 * h
        h = self.sym("H", v)
        return e1 * (1 - h) + e2 * h

    def reduce_steps(self, e: sp.Expr) -> sp.Expr:
        if not self.steps:
            return e
        return e.replace(lambda p: p.is_Pow and p.base in self.steps and p.exp.is_Integer and p.exp > 0,
                         lambda p: p.base)


_SCREEN = random.Random(1729)


def _screen_nonzero(d: sp.Expr, steps: set) -> bool:
    """True when ``d`` is certainly not identically 0: it is nonzero at a random rational point.

    Every free symbol (parameters and atoms alike) gets an independent small value; relu steps
    get 0 or 1. A zero value proves nothing, and a division by zero skips the screen.
    """
    values = {}
    for s in d.free_symbols:
        values[s] = sp.Integer(_SCREEN.randint(0, 1)) if s in steps else \
            sp.Rational(_SCREEN.randint(-97, 97) or 1, _SCREEN.randint(1, 13))
    try:
        v = d.xreplace(values)
    except (ZeroDivisionError, TypeError):  # pragma: no cover - sympy returns zoo instead
        return False
    return v.is_Number and v.is_finite is True and v != 0


def _is_zero(diff: sp.Expr, rz: _Rationalizer) -> bool:
    """Exactly zero as a rational function of the parameters and the (independent) atoms."""
    d = rz(diff)
    if d == 0:
        return True
    if rz.steps:
        d = rz.reduce_steps(sp.expand(d))
        if d == 0:
            return True
    if d.has(sp.Piecewise, sp.nan):
        return False
    if _screen_nonzero(d, rz.steps):
        return False
    numerator = _numerator(d)
    if numerator is not None:
        return numerator == 0
    try:  # pragma: no cover - only for expressions the structural conversion does not know
        _, f = sfield(d)
    except (PolynomialError, CoercionFailed, GeneratorsNeeded):  # pragma: no cover
        return sp.expand(sp.numer(sp.together(d))) == 0
    return f == 0  # pragma: no cover


class _NotRational(Exception):
    pass


def _numerator(e: sp.Expr):
    """The numerator polynomial of ``e`` over its free symbols, or None when ``e`` is not rational.

    ``e`` equals numerator / (product of denominator factors) exactly as rational functions,
    so a zero numerator proves ``e`` ≡ 0. Built bottom-up on sparse polynomials with the
    denominator kept as a product of named factors (one per distinct sub-expression raised to
    a negative power), so a sum over terms sharing a denominator never multiplies it out
    again — much faster than expanding the expression tree (what ``together``/``sfield`` do).
    """
    symbols = sorted(e.free_symbols, key=lambda s: s.sort_key())
    if not symbols:
        return sp.Integer(0) if e == 0 else sp.Integer(1)
    R, *gens = ring(symbols, QQ)
    gen = dict(zip(symbols, gens))
    factors: dict[sp.Expr, object] = {}   # denominator factor key -> polynomial
    memo: dict = {}

    def power(key, k):
        return factors[key] ** k

    def conv(x):
        if x in memo:
            return memo[x]
        if x.is_Symbol:
            out = (gen[x], {})
        elif x.is_Rational:
            out = (R(QQ(int(x.p), int(x.q))), {})
        elif x.is_Add:
            parts = [conv(a) for a in x.args]
            lcm: dict = {}
            for _, den in parts:
                for key, k in den.items():
                    lcm[key] = max(lcm.get(key, 0), k)
            num = R.zero
            for n, den in parts:
                for key, k in lcm.items():
                    missing = k - den.get(key, 0)
                    if missing:
                        n = n * power(key, missing)
                num = num + n
            out = (num, lcm)
        elif x.is_Mul:
            num, den = R.one, {}
            for a in x.args:
                n2, d2 = conv(a)
                num = num * n2
                for key, k in d2.items():
                    den[key] = den.get(key, 0) + k
            out = (num, den)
        elif x.is_Pow and x.exp.is_Integer:
            n, d = conv(x.base)
            k = int(x.exp)
            if k >= 0:
                out = (n ** k, {key: v * k for key, v in d.items()})
            else:
                if n == 0:
                    raise _NotRational
                k = -k
                num = R.one
                for key, v in d.items():
                    num = num * power(key, v * k)
                key = x.base
                factors[key] = n
                out = (num, {key: k})
        else:
            raise _NotRational
        memo[x] = out
        return out

    try:
        return conv(e)[0]
    except _NotRational:
        return None


@dataclass(frozen=True)
class Counterexample:
    """Where a claimed formula and the truth differ."""

    key: object                     # what the caller's item was (a label)
    entry: tuple[int, int]          # 0-based entry of the matrix
    claimed: sp.Expr
    true: sp.Expr
    point: dict[str, object]        # canonical array name -> nested lists of Fractions
    own_point: bool                 # the network's own parameters and data


@dataclass(frozen=True)
class Proof:
    ok: bool
    method: str                     # structural identity | generic | concrete | counterexample
    assumption: str | None = None
    counterexample: Counterexample | None = None

    def describe(self, activations: Sequence[str] = ()) -> str:
        """How it was proved, as a clause: ``by structural identity: …`` / ``for every elementwise …``."""
        tail = f" ({self.assumption})" if self.assumption else ""
        acts = "/".join(dict.fromkeys(activations)) or "the network's activations"
        if self.method == "structural identity":
            return "by structural identity: both sides build the same expression for every entry" + tail
        if self.method == "generic":
            return ("for every elementwise activation f: each entry of the difference expands to exactly 0 "
                    "with f and f' kept as undefined functions" + tail)
        if self.method == "relations":
            return (f"for {acts}: each entry of the difference expands to exactly 0 once f' is written "
                    f"through f (σ' = σ(1 − σ), tanh' = 1 − tanh², …)" + tail)
        if self.method == "concrete":
            return (f"for {acts}: with every exp(·) (tanh, log) replaced by a fresh symbol, each entry of the "
                    f"difference cancels to exactly 0" + tail)
        return "not proved"


SUM_TO_ONE = "assuming the target sums to 1, Σ_k y_k = 1, as a one-hot or probability target does"


def _sum_to_one(model: Model) -> dict[sp.Symbol, sp.Expr]:
    ys = model.y
    return {ys[-1]: 1 - sp.Add(*ys[:-1])}


def sample_points(network: Network, count: int = 3, seed: int = 20240531) -> Iterator[tuple[dict, bool]]:
    """Exact test points ``{canonical array name: values}``: the network's own numbers first (if any)."""
    if network.params is not None and network.x is not None and network.y is not None:
        own = {k: v for k, v in network.params.items()}
        own["x"], own["y"] = network.x[0], network.y[0]
        if network.loss != "softmax_ce" or sum(own["y"]) == 1:
            yield own, True
    rng = random.Random(seed)
    net = network

    def val() -> Fraction:
        return Fraction(rng.choice([-9, -8, -7, -6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 10)

    for _ in range(count):
        point: dict[str, object] = {}
        for l in range(1, net.depth + 1):
            point[f"W{l}"] = tuple(tuple(val() for _ in range(net.layers[l - 1])) for _ in range(net.layers[l]))
            if net.bias[l - 1] == "shared":
                point[f"b{l}"] = val()
            elif net.bias[l - 1] == "per-neuron":
                point[f"b{l}"] = tuple(val() for _ in range(net.layers[l]))
        point["x"] = tuple(val() for _ in range(net.layers[0]))
        ys = [Fraction(rng.randint(1, 9), 10) for _ in range(net.layers[-1])]
        if net.loss == "softmax_ce":
            total = sum(ys)
            ys = [v / total for v in ys]
        point["y"] = tuple(ys)
        yield point, False


def _point_symbols(model: Model, point: Mapping[str, object]) -> dict[sp.Symbol, sp.Rational]:
    out: dict[sp.Symbol, sp.Rational] = {}
    rat = lambda v: sp.Rational(v.numerator, v.denominator)  # noqa: E731
    for name, sym in model.params.items():
        n = _parse(name)
        v = point[f"{n.kind}{n.layer}"]
        for i in n.indices:
            v = v[i - 1]
        out[sym] = rat(v)
    for sym, v in zip(model.x, point["x"]):
        out[sym] = rat(v)
    for sym, v in zip(model.y, point["y"]):
        out[sym] = rat(v)
    return out


def _on_kink(model: Model, pt: dict) -> bool:
    for l, act in enumerate(model.network.activations, 1):
        if act == "relu":
            for ue in model.u[l]:
                v = ue.xreplace(pt)
                v = v if v.is_Rational else sp.piecewise_fold(v).evalf(30)
                if v == 0 or (v.is_Number and abs(v) < sp.Float(10) ** -25):
                    return True
    return False


def _differs(claimed: sp.Expr, true: sp.Expr) -> bool:
    if claimed.is_Rational and true.is_Rational:
        return claimed != true
    scale = max(abs(true), 1)
    return abs(claimed - true) > sp.Float(10) ** (20 - DIGITS) * scale


Item = tuple[object, Matrix, Matrix]  # (key, truth, claim)


def _relations(expr: sp.Expr) -> sp.Expr:
    """Generic atoms with the true derivative rules substituted, f(·) itself kept opaque.

    sigmoid: f' = f (1 − f); tanh: f' = 1 − f²; identity: f(v) = v, f' = 1;
    relu: f(v) = v·H(v), f' = H(v) with the step H (H² = H away from the kink).
    """
    out = expr
    for name, (fn, prime) in list(_GENERIC.items()):
        if not (out.has(fn) or out.has(prime)):
            continue
        if name == "sigmoid":
            out = out.replace(prime, lambda v, fn=fn: fn(v) * (1 - fn(v)))
        elif name == "tanh":
            out = out.replace(prime, lambda v, fn=fn: 1 - fn(v) ** 2)
        elif name == "identity":
            out = out.replace(prime, lambda v: sp.Integer(1)).replace(fn, lambda v: v)
        elif name == "relu":
            out = out.replace(prime, lambda v: _Step(v)).replace(fn, lambda v: v * _Step(v))
    return out


_Step = sp.Function("step_relu", real=True)


def _failing(items: Sequence[Item], entries: Iterable[tuple[int, int]],
             transform: Callable[[sp.Expr], sp.Expr] = lambda e: e) -> tuple[list[tuple[int, int]], bool]:
    """Entries (item, flat position) whose difference is not proved 0, and whether all were identical."""
    failing, identical = [], True
    for k, pos in entries:
        t, c = items[k][1][pos], items[k][2][pos]
        if t == c:
            continue
        identical = False
        if not _is_zero(transform(t - c), _Rationalizer()):
            failing.append((k, pos))
    return failing, identical


STAGES = ("generic", "relations", "concrete")


def prove_equal(network: Network, build: Callable[[Model], Iterable[Item]],
                stages: Sequence[str] = STAGES) -> Proof:
    """Prove ``truth == claim`` for every item ``build(model)`` yields, or find a counterexample.

    ``build`` is called with the generic model and, if needed, the concrete one; it must yield
    the same keys in the same order for both. Stages (module docstring): generic f, f'; the
    same atoms with the activations' derivative rules; exact test points; the concrete closed
    form with exp(·) as fresh symbols. For softmax cross-entropy each symbolic stage is retried
    with Σ_k y_k = 1. ``stages`` may leave out ``generic``/``relations`` (tests use
    ``("concrete",)`` to prove against the closed form alone).
    """
    unknown = set(stages) - set(STAGES)
    if unknown or "concrete" not in stages:
        raise ValueError(f"stages must be a subset of {STAGES} that includes 'concrete'")
    sum_one = network.loss == "softmax_ce"
    rel: list[tuple[int, int]] | None = None
    if "generic" in stages or "relations" in stages:
        generic = Model(network, concrete=False)
        items = list(build(generic))
        for key, truth, claim in items:
            if truth.shape != claim.shape:
                raise ValueError(f"internal: shapes differ for {key}")
        entries = [(k, p) for k, (_, t, _) in enumerate(items) for p in range(len(t))]
        sub = _sum_to_one(generic) if sum_one else {}
        rel = entries
        if "generic" in stages:
            failing, identical = _failing(items, entries)
            if not failing:
                return Proof(True, "structural identity" if identical else "generic")
            if sub and not _failing(items, failing, lambda e: e.xreplace(sub))[0]:
                return Proof(True, "generic", SUM_TO_ONE)
            rel = failing
        if "relations" in stages:
            rel, _ = _failing(items, rel, _relations)
            if not rel:
                return Proof(True, "relations")
            if sub and not _failing(items, rel, lambda e: _relations(e.xreplace(sub)))[0]:
                return Proof(True, "relations", SUM_TO_ONE)
    concrete = Model(network, concrete=True)
    citems = list(build(concrete))
    if rel is None:
        rel = [(k, p) for k, (_, t, _) in enumerate(citems) for p in range(len(t))]
    first = list(dict.fromkeys(k for k, _ in rel))
    order = first + [k for k in range(len(citems)) if k not in first]
    for point, own in sample_points(network):
        pt = _point_symbols(concrete, point)
        if _on_kink(concrete, pt):
            continue
        for k in order:
            key, truth, claim = citems[k]
            for pos in itertools.product(range(truth.shape[0]), range(truth.shape[1])):
                try:
                    tv = exact_evaluate(truth[pos], pt, "the true value")
                    cv = exact_evaluate(claim[pos], pt, "the claimed value")
                except DerivcheckError:
                    break
                if _differs(cv, tv):
                    return Proof(False, "counterexample", None, Counterexample(key, pos, cv, tv, point, own))
    csub = _sum_to_one(concrete) if sum_one else {}
    left, _ = _failing(citems, rel)
    assumption = None
    if left and csub:
        left, _ = _failing(citems, left, lambda e: e.xreplace(csub))
        assumption = SUM_TO_ONE
    if left:
        raise DerivcheckError(
            "derivcheck could neither prove nor refute this formula exactly (it agrees at every test point "
            "but its difference from the truth does not cancel symbolically); rewrite it in terms of f and f'.")
    return Proof(True, "concrete", assumption)


# =========================================================================================== derivation
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
            return _rebuild(n, sub)

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


def _rebuild(n: Node, f: Callable[[Node], Node]) -> Node:
    """A copy of ``n`` with ``f`` applied to each child."""
    if isinstance(n, _Binary):
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


def _loss_gradient(network: Network) -> Node:
    """∇_a L for the output a = a^{(L)}, as a node."""
    depth = network.depth
    a, y = Var("a", depth), Var("y")
    diff = Sub(a, y)
    loss = network.loss
    if loss == "half_sse":
        return diff
    if loss == "sse":
        return Juxt(Const(Fraction(2)), diff)
    if loss == "mse":
        return Juxt(Const(Fraction(2, network.layers[-1])), diff)
    if loss == "bce":
        return EDiv(diff, Hadamard(a, Sub(Const(Fraction(1)), a)))
    if loss == "softmax_ce":  # −y ⊘ a
        return Neg(EDiv(y, a))
    raise DerivcheckError(f"No matrix form is known for the loss {loss!r}.")


def derive(network: Network) -> MatrixForm:
    """The matrix-form backprop equations of ``network`` (any depth, activation, loss, bias modes)."""
    depth = network.depth
    out_act, loss = network.activations[-1], network.loss
    note = ""
    a_out, y = Var("a", depth), Var("y")
    if (out_act, loss) == ("sigmoid", "bce"):
        delta_out: Node = Sub(a_out, y)
    elif (out_act, loss) == ("softmax", "softmax_ce"):
        delta_out = Sub(a_out, y)
        note = f"δ{depth} = a{depth} − y holds for targets with Σ_k y_k = 1"
    elif out_act == "softmax":
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
