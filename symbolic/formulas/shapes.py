"""Shapes of formula nodes under a network, and the ranges of their index variables.

Contract
--------
* :class:`Ctx` is what a node needs besides itself: the :class:`Network`,
  bindings of layer variables (``l`` → 2) and of index variables, and the
  source text a parsed node came from (so messages quote the author's LaTeX).
* :func:`shape_of` infers every node's (rows, cols) and raises
  :class:`ShapeMismatch` — a verdict (``shape error``), not bad input — naming
  the product, sum, ⊙ or subscript whose operand shapes do not fit. Bad input
  (a layer that does not exist, a bias the layer does not have, a derivative
  with respect to δ) is a :class:`DerivcheckError`.
* :func:`index_ranges` gives each free index variable its range (1..n) from
  the first dimension it indexes; :func:`check_index_ranges` raises
  :class:`ShapeMismatch` where a variable can exceed the dimension it indexes
  (Σ ranges are inferred and checked the same way); :func:`sum_range` is the
  range of one Σ.
* :func:`function_name` is the rule an :class:`Apply` means (``f`` resolves to
  its layer's activation); :func:`fmt_shape` prints a shape as ``2×3``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, Mapping

from ..spec.errors import DerivcheckError, shorten
from ..spec.network import Network
from ..spec.rules import ACTIVATIONS
from .nodes import (Add, Apply, Const, Deriv, Diag, Div, Dot, EDiv, Entry, Hadamard, Juxt, Layer, LayerRef, MatMul,
                    MatrixLit, Neg, Node, Norm, Pow, Star, Sub, SumAll, SumIdx, Transpose, Var, children, walk)
from .render import to_latex

__all__ = ["ShapeMismatch", "Ctx", "shape_of", "fmt_shape", "function_name", "index_ranges", "check_index_ranges",
           "sum_range"]


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


def fmt_shape(shape: tuple[int, int]) -> str:
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
    return all(isinstance(n, (Const, Neg, Add, Sub, Juxt, Div, Pow, MatMul, Hadamard, Star)) for n in walk(node)) and \
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
                                    f"{fmt_shape(base)}{ctx.where(node)}.", node)
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
        raise ShapeMismatch(f"The {op} {ctx.show(node)}{ctx.where(node)} adds a {fmt_shape(a)} array "
                            f"({ctx.show(node.left)}) to a {fmt_shape(b)} array ({ctx.show(node.right)}); "
                            f"both sides of {'+' if isinstance(node, Add) else '−'} need the same shape.", node)
    if isinstance(node, (Hadamard, EDiv)):
        a, b = sh(node.left), sh(node.right)
        if a != b:
            op = "⊙" if isinstance(node, Hadamard) else "⊘"
            raise ShapeMismatch(f"The {op} in {ctx.show(node)}{ctx.where(node)} combines "
                                f"{ctx.show(node.left)} ({fmt_shape(a)}) with {ctx.show(node.right)} "
                                f"({fmt_shape(b)}); {op} needs two arrays of the same shape.", node)
        return a
    if isinstance(node, Star):
        a, b = sh(node.left), sh(node.right)
        if _scalar(a) or _scalar(b):
            return b if _scalar(a) else a
        if a == b and a[0] == a[1]:
            raise DerivcheckError(f"The * in {ctx.show(node)}{ctx.where(node)} joins two {fmt_shape(a)} matrices, "
                                  f"so it can be read as the elementwise product (⊙) or as the matrix product; "
                                  f"write \\odot or leave the * out.")
        if a == b:
            return a
        if a[1] != b[0]:
            raise ShapeMismatch(f"The * in {ctx.show(node)}{ctx.where(node)} joins {ctx.show(node.left)} "
                                f"({fmt_shape(a)}) and {ctx.show(node.right)} ({fmt_shape(b)}); read as ⊙ it needs "
                                f"equal shapes, as a matrix product the left's {a[1]} columns must match the "
                                f"right's {b[0]} rows.", node)
        return (a[0], b[1])
    if isinstance(node, (MatMul, Juxt, Dot)):
        a, b = sh(node.left), sh(node.right)
        if isinstance(node, Dot) and a == b and 1 in a and not _scalar(a):
            return (1, 1)
        if not isinstance(node, MatMul) and (_scalar(a) or _scalar(b)):
            return b if _scalar(a) else a
        if a[1] != b[0]:
            raise ShapeMismatch(f"The product {ctx.show(node)}{ctx.where(node)} multiplies {ctx.show(node.left)} "
                                f"({fmt_shape(a)}) by {ctx.show(node.right)} ({fmt_shape(b)}); a matrix product "
                                f"needs the left's {a[1]} columns to match the right's {b[0]} rows.", node)
        return (a[0], b[1])
    if isinstance(node, Div):
        a, b = sh(node.left), sh(node.right)
        if not _scalar(b):
            raise ShapeMismatch(f"The fraction {ctx.show(node)}{ctx.where(node)} divides by "
                                f"{ctx.show(node.right)}, which is {fmt_shape(b)}, not a scalar.", node)
        return a
    if isinstance(node, Pow):
        a = sh(node.base)
        if not _scalar(a):
            raise ShapeMismatch(f"{ctx.show(node)}{ctx.where(node)} raises a {fmt_shape(a)} array to a power; "
                                f"only scalars can be raised to a power (use ⊙ or a norm).", node)
        return a
    if isinstance(node, Apply):
        a = sh(node.arg)
        rule = ACTIVATIONS.get(function_name(node, ctx))
        if rule is not None and not rule.elementwise:  # softmax
            if node.prime:
                raise DerivcheckError(f"{ctx.show(node)} asks for softmax' elementwise, but softmax is not "
                                      f"elementwise; write its Jacobian diag(a) − a aᵀ instead.")
            if a[1] != 1:
                raise ShapeMismatch(f"softmax in {ctx.show(node)} needs a column vector, not {fmt_shape(a)}.", node)
        return a
    if isinstance(node, Diag):
        a = sh(node.arg)
        if a[1] != 1:
            raise ShapeMismatch(f"diag in {ctx.show(node)} needs a column vector, not {fmt_shape(a)}.", node)
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
        raise DerivcheckError(f"{ctx.show(node)} differentiates a {fmt_shape(of)} array with respect to a "
                              f"{fmt_shape(wrt)} array; only scalars, vectors (a Jacobian) and gradients of a "
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
                                        f"{fmt_shape(s)}, not a scalar.", cell)
        return (len(node.rows), widths.pop())
    raise TypeError(f"unknown node {type(node).__name__}")


def _check_wrt(wrt: Node, ctx: Ctx) -> None:
    base = wrt.base if isinstance(wrt, Entry) else wrt
    if not isinstance(base, Var) or base.kind in ("L", "delta"):
        raise DerivcheckError(f"Cannot differentiate with respect to {ctx.show(wrt)}; use a weight, bias, "
                              f"pre-activation u, activation a, x or y.")


def function_name(node: Apply, ctx: Ctx) -> str:
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
                            f"for {to_latex(n.base)}, which has only {dim} {what} ({fmt_shape(base)}).", n)
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
