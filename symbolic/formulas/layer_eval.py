r"""Evaluate a resolved formula about a normalization layer over a :class:`~symbolic.formulas.layer_model.LayerModel`.

Contract
--------
:class:`LayerEvaluator` ``(resolved, model)``: :meth:`~LayerEvaluator.cases` yields, for every value
of the left side's free indices, ``(binding, left, [right_1, …])`` — :class:`Arr` values over the
axes the left side leaves open (batch norm's formulas are read for every feature at once when
they index only the samples, layer norm's for every sample). Reading rules:

* a quantity with an index letter picks that position; the letter's axis (samples or features) is
  the one it indexes everywhere in the formula (a letter used for both is refused); when the left
  side fixes the axis the layer does not normalize along (batch norm's feature j in ∂L/∂h_{ij}, layer
  norm's sample), a quantity written without that index takes the left side's (Thorey's γ, σ²);
* ``+ - \cdot \odot *`` and juxtaposition are elementwise with broadcasting over the axes (no
  matrix products occur in these layers), ``/`` divides, powers are whole or half;
* ``\sum_j`` runs j over its axis (``\sum_{j=1}^{N}``: a numeric upper bound must not pass the end,
  a letter is the end); ``\sum`` without an index sums over the axes its body has and the left
  side lacks, or else along the normalized vector (samples for batch norm, features for layer norm);
* a right side that still varies over an axis the left side does not, an index past its axis and an
  index free on the right side only are :class:`LayerShapeError` (the verdict ``shape error``).
"""
from __future__ import annotations

from fractions import Fraction
from itertools import product
from typing import Callable, Iterator

from .layer_model import Arr, LayerModel
from .layer_nodes import Bin, LNode, Neg, Num, Power, Quantity, Sqrt, Sum, Transpose, lwalk
from .layer_symbols import Resolved, normal_axis
from .raw import ReadFailure

__all__ = ["LayerEvaluator", "LayerShapeError", "AXIS_WORDS"]

AXIS_WORDS = {"s": "sample", "f": "feature"}


class LayerShapeError(Exception):
    """A formula whose indices or sums do not fit the layer (the message says which)."""


def _letter_axes(resolved: Resolved) -> dict[str, str]:
    out: dict[str, str] = {}
    for side in resolved.sides:
        for n in lwalk(side):
            if isinstance(n, Quantity):
                for axis, idx in n.axes:
                    if isinstance(idx, str):
                        if out.setdefault(idx, axis) != axis:
                            raise ReadFailure(f"The index {idx} counts {AXIS_WORDS[out[idx]]}s in one place and "
                                              f"{AXIS_WORDS[axis]}s in another; use two letters",
                                              n.span[0] if n.span else None)
    return out


def _free(node: LNode, bound: frozenset = frozenset()) -> list[str]:
    out: list[str] = []
    stack = [(node, bound)]
    while stack:
        n, b = stack.pop()
        if isinstance(n, Sum):
            stack.append((n.body, b | {n.var} if n.var else b))
            continue
        if isinstance(n, Quantity):
            out.extend(i for _, i in n.axes if isinstance(i, str) and i not in b and i not in out)
        for c in (n.left, n.right) if isinstance(n, Bin) else (n.arg,) if isinstance(n, (Neg, Sqrt)) else \
                (n.base,) if isinstance(n, Power) else ():
            stack.append((c, b))
    return out


class LayerEvaluator:
    """The cases of a formula over one model (module contract)."""

    def __init__(self, resolved: Resolved, model: LayerModel):
        self.resolved, self.model, self.ar = resolved, model, model.ar
        self.axes_of = _letter_axes(resolved)
        self.normal = normal_axis(resolved.spec)
        lhs = resolved.sides[0]
        self.free = _free(lhs)
        for k, side in enumerate(resolved.sides[1:], 1):
            extra = [i for i in _free(side) if i not in self.free]
            if extra:
                raise LayerShapeError(f"The index {extra[0]} is free on the right-hand side only (the left side does "
                                      f"not say which {AXIS_WORDS[self.axes_of[extra[0]]]} it is): a sum over "
                                      f"{extra[0]} missing?")
        self.left_axes = self._open_axes(lhs)
        other = "f" if self.normal == "s" else "s"
        self.implicit = {other: i for i in self.free if self.axes_of.get(i) == other}

    def _open_axes(self, node: LNode) -> tuple[str, ...]:
        if isinstance(node, Quantity):
            fixed = {a for a, _ in node.axes}
            return tuple(a for a in self.model.tables.get((node.role, node.deriv), Arr((), {})).axes if a not in fixed)
        return ("s", "f")

    def cases(self) -> Iterator[tuple[dict[str, int], Arr, list[Arr]]]:
        ranges = [range(1, self.model.sizes[self.axes_of[i]] + 1) for i in self.free]
        for values in product(*ranges):
            env = {i: (self.axes_of[i], v) for i, v in zip(self.free, values)}
            left = self.value(self.resolved.sides[0], env)
            rights = []
            for k, side in enumerate(self.resolved.sides[1:], 1):
                right = self.value(side, env)
                extra = [a for a in right.axes if a not in left.axes]
                if extra:
                    where = f"right-hand side {k}" if len(self.resolved.sides) > 2 else "The right side"
                    raise LayerShapeError(f"{where} varies over the {AXIS_WORDS[extra[0]]}s but the left side does "
                                          f"not: a sum over the {AXIS_WORDS[extra[0]]}s missing?")
                rights.append(right)
            yield {i: v for i, (_, v) in env.items()}, left, rights

    # ------------------------------------------------------------------------------ values
    def value(self, node: LNode, env: dict) -> Arr:
        ar = self.ar
        if isinstance(node, Quantity):
            return self._quantity(node, env)
        if isinstance(node, Num):
            return Arr.scalar(ar.const(node.value))
        if isinstance(node, Neg):
            return self._map(self.value(node.arg, env), lambda x: ar.mul((ar.const(Fraction(-1)), x)))
        if isinstance(node, Sqrt):
            return self._map(self.value(node.arg, env), ar.sqrt)
        if isinstance(node, Power):
            return self._map(self.value(node.base, env), lambda x: self._power(x, node.exponent))
        if isinstance(node, Bin):
            a, b = self.value(node.left, env), self.value(node.right, env)
            op: Callable = {"+": lambda x, y: ar.add((x, y)),
                            "-": lambda x, y: ar.add((x, ar.mul((ar.const(Fraction(-1)), y)))),
                            "/": lambda x, y: ar.mul((x, ar.inv(y)))}.get(node.op, lambda x, y: ar.mul((x, y)))
            return self._zip(a, b, op)
        if isinstance(node, Sum):
            return self._sum(node, env)
        if isinstance(node, Transpose):
            raise LayerShapeError("A transpose has no meaning in a formula about a normalization layer (its "
                                  "quantities are per entry); write the formula without ^T.")
        raise LayerShapeError("A part of the formula could not be evaluated.")  # pragma: no cover

    def _power(self, x, e: Fraction):
        ar = self.ar
        base = ar.sqrt(x) if e.denominator == 2 else x
        k = abs(e.numerator)
        out = ar.const(Fraction(1))
        for _ in range(k):
            out = ar.mul((out, base))
        return ar.inv(out) if e < 0 else out

    def _quantity(self, q: Quantity, env: dict) -> Arr:
        arr = self.model.table(q.role, q.deriv)
        fixed: dict[str, int] = {}
        for axis, idx in q.axes:
            if isinstance(idx, int):
                size = self.model.sizes[axis]
                if not 1 <= idx <= size:
                    raise LayerShapeError(f"The index {idx} runs past the {size} {AXIS_WORDS[axis]}s of the layer.")
                fixed[axis] = idx - 1
            else:
                fixed[axis] = env[idx][1] - 1
        for axis, letter in self.implicit.items():
            if axis in arr.axes and axis not in fixed:
                fixed[axis] = env[letter][1] - 1
        axes = tuple(a for a in arr.axes if a not in fixed)
        data = {tuple(k[arr.axes.index(a)] for a in axes): v for k, v in arr.data.items()
                if all(k[arr.axes.index(a)] == p for a, p in fixed.items())}
        return Arr(axes, data)

    def _map(self, a: Arr, fn: Callable) -> Arr:
        return Arr(a.axes, {k: fn(v) for k, v in a.data.items()})

    def _zip(self, a: Arr, b: Arr, fn: Callable) -> Arr:
        axes = tuple(x for x in ("s", "f") if x in a.axes or x in b.axes)
        out = {}
        for pos in product(*(range(self.model.sizes[x]) for x in axes)):
            at = dict(zip(axes, pos))
            out[pos] = fn(a.data[tuple(at[x] for x in a.axes)], b.data[tuple(at[x] for x in b.axes)])
        return Arr(axes, out)

    def _sum(self, node: Sum, env: dict) -> Arr:
        ar = self.ar
        if node.var is None:
            body = self.value(node.body, env)
            over = [a for a in body.axes if a not in self.left_axes] or \
                ([self.normal] if self.normal in body.axes else [])
            if not over:
                raise LayerShapeError("A \\sum without an index has nothing to sum over here (its body does not vary "
                                      "over the samples or features); write \\sum_j with the index.")
            keep = tuple(a for a in body.axes if a not in over)
            out: dict = {}
            for k, v in body.data.items():
                key = tuple(k[body.axes.index(a)] for a in keep)
                out.setdefault(key, []).append(v)
            return Arr(keep, {k: ar.add(vs) for k, vs in out.items()})
        axis = self.axes_of.get(node.var, self.normal)
        size = self.model.sizes[axis]
        lo = node.lo if node.lo is not None else 1
        hi = node.hi if isinstance(node.hi, int) else size
        if hi > size or lo < 1:
            raise LayerShapeError(f"The sum over {node.var} runs from {lo} to {hi}, past the {size} "
                                  f"{AXIS_WORDS[axis]}s of the layer.")
        terms = [self.value(node.body, env | {node.var: (axis, j)}) for j in range(lo, hi + 1)]
        if not terms:
            return Arr.scalar(ar.const(Fraction(0)))
        total = terms[0]
        for t in terms[1:]:
            total = self._zip(total, t, lambda x, y: ar.add((x, y)))
        return total
