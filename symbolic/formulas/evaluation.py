"""Evaluating a formula node as a SymPy matrix under a model.

Contract
--------
:func:`evaluate` turns a node into a ``sympy.ImmutableDenseMatrix`` under a
:class:`symbolic.formulas.models.Model` (generic or concrete) and a
:class:`symbolic.formulas.shapes.Ctx` (layer and index bindings). Its shapes
must have been checked with :func:`symbolic.formulas.shapes.shape_of` first;
evaluation itself does not re-check them. Juxtaposition and ``\\cdot`` with a
1×1 side scale the other side, ``+``/``−`` broadcast a 1×1 constant, Σ sums its
body over the index range, softmax uses the rule table's vector rule.
δ^{(l)} is :meth:`Model.delta`; ∂X/∂V is the model's ``deriv`` where it has one
(:mod:`symbolic.formulas.program_model`: the program's sweep), else ``sympy.diff`` of X's entries, taken
through a cut of the model when V is a node array (u, a), so X is differentiated
as a function of that node (a Jacobian for a vector by a vector, a gradient for
a scalar). Results are memoized per (node, model, bindings) in ``_memo``.
"""
from __future__ import annotations

import functools

import sympy as sp

from ..spec.rules import ACTIVATIONS
from .models import Matrix, Model, column
from .nodes import (Add, Apply, Const, Deriv, Diag, Div, Dot, EDiv, Entry, Hadamard, Index, Juxt, MatMul, MatrixLit, Neg,
                    Node, Norm, Pow, Star, Sub, SumAll, SumIdx, Transpose, Var, children)
from .shapes import Ctx, function_name, sum_range

__all__ = ["evaluate"]


def evaluate(node: Node, model: Model, ctx: Ctx, _memo: dict | None = None) -> Matrix:
    """``node`` as a SymPy matrix under ``model`` (shapes must have been checked with :func:`shape_of`)."""
    memo = {} if _memo is None else _memo
    return _Evaluator(model, ctx, memo).ev(node, dict(ctx.idx))


class _Evaluator:
    def __init__(self, model: Model, ctx: Ctx, memo: dict):
        self.model, self.ctx, self.memo = model, ctx, memo
        self.vars: dict[int, frozenset] = {}

    def _free(self, node: Node) -> frozenset:
        """Free index variables of ``node``, bottom-up and remembered (one pass over the tree in all)."""
        k = id(node)
        found = self.vars.get(k)
        if found is None:
            if isinstance(node, SumIdx):
                found = self._free(node.body) - {node.var}
            else:
                found = frozenset().union(*[self._free(c) for c in children(node)])
                if isinstance(node, Entry):
                    found |= {i for i in node.indices if isinstance(i, str)}
            self.vars[k] = found
        return found

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
        if isinstance(node, Star):
            a, b = ev(node.left), ev(node.right)
            if a.shape == (1, 1) or b.shape == (1, 1):
                return a[0, 0] * b if a.shape == (1, 1) else a * b[0, 0]
            return a.multiply_elementwise(b) if a.shape == b.shape else a * b
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
            name = function_name(node, ctx)
            a = ev(node.arg)
            if name in ACTIVATIONS and not ACTIVATIONS[name].elementwise:  # softmax: a vector rule
                return column(ACTIVATIONS[name].apply(list(a)))
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
        hook = getattr(m, "deriv", None)
        if hook is not None:  # a model read from the program (symbolic.formulas.program_model)
            return hook(node, lambda: self._select(wrt, m.name_matrix(kind, layer), idx), layer)
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
