"""The float screen of the repair search: a formula node evaluated with NumPy at one point of the program.

Contract
--------
:class:`FloatPoint` ``(model)`` takes a :class:`symbolic.formulas.program_model.PointModel` (the
program's forward pass and reverse sweep at one point) and holds every quantity as a float64
array (weights n_l × n_{l−1}, vectors as columns, a shared bias 1 × 1). :meth:`FloatPoint.value`
evaluates a formula node under a :class:`symbolic.formulas.shapes.Ctx` (layer and index bindings)
with the semantics of :func:`symbolic.formulas.evaluation.evaluate` — juxtaposition and ``\\cdot``
scale by a 1×1 side, ``*`` is elementwise for equal shapes, ``+``/``−`` broadcast a 1×1 constant,
Σ runs over its range, f/f' are the rule table's NumPy twins — and raises :class:`Unfit` where
shapes do not fit (nothing is broadcast silently) and :class:`symbolic.formulas.program_model.NotInProgram`
for a derivative other than ∂L/∂(W, b, u, a). It is a screen, never a verdict: a candidate that
passes is proved by :func:`symbolic.formulas.verify.verify_formula`.
"""
from __future__ import annotations

import numpy as np

from ..spec.rules import ACTIVATIONS
from .nodes import (Add, Apply, Const, Deriv, Diag, Div, Dot, EDiv, Entry, Hadamard, Juxt, MatMul, MatrixLit, Neg,
                    Node, Norm, Pow, Star, Sub, SumAll, SumIdx, Transpose, Var)
from .program_model import NotInProgram, PointModel
from .shapes import Ctx, function_name, sum_range

__all__ = ["FloatPoint", "Unfit"]


class Unfit(Exception):
    """Shapes that do not fit, an index out of range, or a value that is not finite."""


def _floats(m) -> np.ndarray:
    return np.array([[float(v) for v in row] for row in m.tolist()], dtype=float)


class FloatPoint:
    """Every quantity of one point as float64 arrays (module contract)."""

    def __init__(self, model: PointModel):
        self.model = model
        self.network = model.network
        self._arrays: dict = {}
        self._partials: dict = {}

    def array(self, kind: str, layer: int | None) -> np.ndarray:
        key = (kind, layer)
        if key not in self._arrays:
            self._arrays[key] = _floats(self.model.array(kind, layer))
        return self._arrays[key]

    def loss_partial(self, wrt: Node, ctx: Ctx) -> np.ndarray:
        base = wrt.base if isinstance(wrt, Entry) else wrt
        if not isinstance(base, Var) or base.kind not in ("W", "b", "u", "a"):
            raise NotInProgram
        layer = ctx.layer(base.layer, base)
        if base.kind == "a" and layer == 0:
            raise NotInProgram
        key = (base.kind, layer)
        if key not in self._partials:
            names = self.model.name_matrix(base.kind, layer)
            self._partials[key] = _floats(names.applyfunc(lambda n: self.model.partial("L", str(n))))
        full = self._partials[key]
        return self._select(wrt, full, ctx) if isinstance(wrt, Entry) else full

    @staticmethod
    def _index(i, ctx: Ctx) -> int:
        v = ctx.idx[i] if isinstance(i, str) else i
        return v - 1

    def _select(self, node: Entry, base: np.ndarray, ctx: Ctx) -> np.ndarray:
        r, c = base.shape
        try:
            pos = [self._index(i, ctx) for i in node.indices]
            if min(pos) < 0:
                raise Unfit
            if len(pos) == 2:
                return base[pos[0]:pos[0] + 1, pos[1]:pos[1] + 1] if pos[0] < r and pos[1] < c else _raise()
            if c == 1:
                return base[pos[0]:pos[0] + 1, :] if pos[0] < r else _raise()
            if r == 1:
                return base[:, pos[0]:pos[0] + 1] if pos[0] < c else _raise()
            return base[pos[0]:pos[0] + 1, :] if pos[0] < r else _raise()
        except (KeyError, IndexError):
            raise Unfit from None

    def value(self, node: Node, ctx: Ctx) -> np.ndarray:
        ev = lambda n: self.value(n, ctx)  # noqa: E731
        if isinstance(node, Var):
            layer = None if node.kind in ("x", "y", "L") else ctx.layer(node.layer, node)
            net = self.network
            if layer is not None and not (0 if node.kind == "a" else 1) <= layer <= net.depth:
                raise Unfit
            if node.kind == "b" and net.bias[layer - 1] == "none":
                raise Unfit
            return self.array(node.kind, layer)
        if isinstance(node, Const):
            return np.array([[float(node.value)]])
        if isinstance(node, Entry):
            return self._select(node, ev(node.base), ctx)
        if isinstance(node, Transpose):
            return ev(node.arg).T
        if isinstance(node, Neg):
            return -ev(node.arg)
        if isinstance(node, (Add, Sub)):
            a, b = ev(node.left), ev(node.right)
            if a.shape != b.shape and (1, 1) not in (a.shape, b.shape):
                raise Unfit
            return a + b if isinstance(node, Add) else a - b
        if isinstance(node, (Hadamard, EDiv)):
            a, b = ev(node.left), ev(node.right)
            if a.shape != b.shape:
                raise Unfit
            return a * b if isinstance(node, Hadamard) else a / b
        if isinstance(node, (MatMul, Juxt, Dot, Star)):
            a, b = ev(node.left), ev(node.right)
            if isinstance(node, Dot) and a.shape == b.shape and 1 in a.shape and a.shape != (1, 1):
                return np.array([[float(np.sum(a * b))]])
            if not isinstance(node, MatMul) and (a.shape == (1, 1) or b.shape == (1, 1)):
                return a * b
            if isinstance(node, Star) and a.shape == b.shape:
                return a * b
            if a.shape[1] != b.shape[0]:
                raise Unfit
            return a @ b
        if isinstance(node, Div):
            a, b = ev(node.left), ev(node.right)
            if b.shape != (1, 1):
                raise Unfit
            return a / b[0, 0]
        if isinstance(node, Pow):
            a = ev(node.base)
            if a.shape != (1, 1):
                raise Unfit
            return a ** node.exponent
        if isinstance(node, Apply):
            a = ev(node.arg)
            name = function_name(node, ctx)
            if name == "exp":
                return np.exp(a)
            if name == "log":
                return 1 / a if node.prime else np.log(a)
            rule = ACTIVATIONS[name].numeric
            if not rule.elementwise:
                if a.shape[1] != 1 or node.prime:
                    raise Unfit
                return rule.value(a.T).T
            return rule.derivative(a) if node.prime else rule.value(a)
        if isinstance(node, Diag):
            a = ev(node.arg)
            if a.shape[1] != 1:
                raise Unfit
            return np.diag(a[:, 0])
        if isinstance(node, SumAll):
            return np.array([[float(np.sum(ev(node.arg)))]])
        if isinstance(node, Norm):
            return np.array([[float(np.sqrt(np.sum(ev(node.arg) ** 2)))]])
        if isinstance(node, SumIdx):
            lo, hi = sum_range(node, ctx)
            total = None
            for k in range(lo, hi + 1):
                term = self.value(node.body, Ctx(ctx.network, ctx.layers, {**ctx.idx, node.var: k}, ctx.source))
                if total is not None and term.shape != total.shape:
                    raise Unfit
                total = term if total is None else total + term
            return total
        if isinstance(node, Deriv):
            if isinstance(node.of, Var) and node.of.kind == "L":
                return self.loss_partial(node.wrt, ctx)
            raise NotInProgram
        if isinstance(node, MatrixLit):
            rows = [[ev(c) for c in row] for row in node.rows]
            if any(v.shape != (1, 1) for row in rows for v in row) or len({len(r) for r in rows}) != 1:
                raise Unfit
            return np.array([[v[0, 0] for v in row] for row in rows])
        raise NotInProgram


def _raise():
    raise Unfit

