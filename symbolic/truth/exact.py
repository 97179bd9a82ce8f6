"""Exact truth at a point: values and derivatives of any canonical quantity.

Contract
--------
:class:`Truth` wraps a network that has parameters and data. It answers

* :meth:`Truth.value` — any ``u``, ``a``, ``x``, ``y``, parameter, ``L`` or ``L[k]``;
* :meth:`Truth.derivative` — ``dX/dY`` for any two canonical quantities,
  parameters or nodes: X as a function of Y through the network graph, with
  everything that does not depend on Y held fixed (:mod:`symbolic.truth.closed_form`'s
  ``cut``), by ``sympy.diff``;
* :meth:`Truth.gradient` — ``dL/dθ`` for every parameter.

Results are SymPy numbers: a ``Rational`` when the inputs are rational and
no exp/log enters (truly exact), otherwise a ``Float`` evaluated to
``DIGITS`` (60) significant digits by mpmath. Node quantities refer to one
sample (``sample``, 1-based); ``L`` is the mean loss over the batch, so its
derivative w.r.t. one sample's node carries the 1/m factor.

A derivative that passes through relu exactly at its kink (u = 0) raises
:class:`KinkError` naming the node, never a one-sided value.

When the closed form would exceed ``closed_form.MAX_TREE_SIZE`` nodes, values,
derivatives and the gradient come from the structured derivation
(:mod:`symbolic.truth.program`, same contract; ``Truth.structured``) instead.
"""
from __future__ import annotations

import math
from fractions import Fraction
from functools import cached_property

import mpmath
import sympy as sp

from .closed_form import MAX_TREE_SIZE, ClosedForm, closed_form, tree_size
from ..spec.errors import DerivcheckError, KinkError, shorten
from ..spec.network import Network
from ..spec.names import Name, parse_name

__all__ = ["Truth", "evaluate", "DIGITS", "to_float"]

DIGITS = 60


class Unevaluable(Exception):
    """The mixed evaluator cannot decide this expression (the message says why)."""


class NearKink(Exception):
    """A Piecewise condition too close to 0 to call, or a nan branch/value: ``where`` is that expression."""

    def __init__(self, where: sp.Expr):
        super().__init__("a relu kink or a nan")
        self.where = where


_GUARD = 20  # extra working digits of the fast evaluator (it runs at DIGITS + 20 and DIGITS + 40)


class MixedEvaluator:
    """Value of a SymPy number expression, each distinct subexpression computed once.

    Values stay exact :class:`Fraction` while only rational arithmetic is involved and
    become mpmath numbers at ``dps`` digits once exp/log/tanh of a non-trivial argument
    enters. Symbols take their values from ``env`` (Fractions or mpf). A Piecewise
    condition within 10^(10 − dps) of 0, or a nan, raises :class:`NearKink`; anything
    else it cannot decide (unknown functions, free symbols, log of a non-positive
    number, and with ``finite`` a value that is not a finite real) :class:`Unevaluable`.
    Callers set the working precision (``mpmath.workdps(dps)``) around the calls.
    """

    _TESTS = {sp.StrictLessThan: lambda s: s < 0, sp.LessThan: lambda s: s <= 0,
              sp.StrictGreaterThan: lambda s: s > 0, sp.GreaterThan: lambda s: s >= 0}

    def __init__(self, env: dict, dps: int, finite: bool = False):
        self.env, self.dps, self.finite = env, dps, finite
        self.tiny = mpmath.mpf(10) ** (10 - dps)
        self.memo: dict = {}

    def __call__(self, e: sp.Expr):
        self.memo = {}  # env may have grown since the last call
        return self.rec(e)

    @staticmethod
    def mp(v):
        return mpmath.mpf(v.numerator) / v.denominator if isinstance(v, Fraction) else v

    def sign(self, e: sp.Expr, piece: sp.Expr) -> int:
        v = self.rec(e)
        if isinstance(v, Fraction):
            return (v > 0) - (v < 0)
        if abs(v) < self.tiny:
            raise NearKink(piece)
        return 1 if v > 0 else -1

    def rec(self, e):
        env = self.env
        if e in env:
            return env[e]
        memo = self.memo
        if e in memo:
            return memo[e]
        mp = self.mp
        if e.is_Rational:
            v = Fraction(int(e.p), int(e.q))
        elif e.is_Add:
            terms = [self.rec(a) for a in e.args]
            v = sum(terms, Fraction(0)) if all(isinstance(t, Fraction) for t in terms) else \
                mpmath.fsum(mp(t) for t in terms)
        elif e.is_Mul:
            factors = [self.rec(a) for a in e.args]
            if any(isinstance(f, Fraction) and f == 0 for f in factors):
                v = Fraction(0)
            elif all(isinstance(f, Fraction) for f in factors):
                v = math.prod(factors, start=Fraction(1))
            else:
                v = mpmath.fprod(mp(f) for f in factors)
        elif e.is_Pow:
            base, exponent = self.rec(e.base), self.rec(e.exp)
            if isinstance(exponent, Fraction) and exponent.denominator == 1:
                v = base ** int(exponent)
            elif mp(base) > 0:
                v = mpmath.power(mp(base), mp(exponent))
            else:
                raise Unevaluable(f"a power {shorten(str(e), 80)} has a non-positive base")
        elif isinstance(e, sp.exp):
            x = self.rec(e.args[0])
            v = Fraction(1) if x == 0 else mpmath.exp(mp(x))
        elif isinstance(e, sp.log):
            x = self.rec(e.args[0])
            if x <= 0:
                raise Unevaluable(f"log of a non-positive number: {shorten(str(e), 80)}")
            v = Fraction(0) if x == 1 else mpmath.log(mp(x))
        elif isinstance(e, sp.tanh):
            x = self.rec(e.args[0])
            v = Fraction(0) if x == 0 else mpmath.tanh(mp(x))
        elif isinstance(e, sp.Piecewise):
            for branch, cond in e.args:
                if cond is sp.true:
                    hit = True
                elif cond is sp.false:
                    hit = False
                elif type(cond) in self._TESTS:
                    hit = self._TESTS[type(cond)](self.sign(cond.lhs - cond.rhs, e))
                else:
                    raise Unevaluable(f"the condition {shorten(str(cond), 80)} cannot be decided")
                if hit:
                    if branch is sp.nan:
                        raise NearKink(e)
                    v = self.rec(branch)
                    break
            else:
                raise Unevaluable(f"no branch of {shorten(str(e), 80)} applies")
        elif e.is_Float:
            v = mpmath.mpf(e._mpf_)
        elif e.is_NumberSymbol:
            v = mpmath.mpf(e.evalf(self.dps + 5)._mpf_)
        elif e is sp.nan:
            raise NearKink(e)
        else:
            raise Unevaluable(f"cannot evaluate {type(e).__name__}")
        if self.finite and not isinstance(v, Fraction) and not (isinstance(v, mpmath.mpf) and mpmath.isfinite(v)):
            raise Unevaluable(f"{e} is not a finite real number")
        memo[e] = v
        return v


def refuse_data_variable(var: Name) -> None:
    """Derivatives are taken with respect to parameters and nodes, not the data or the loss."""
    if var.kind in ("x", "y", "L"):
        raise DerivcheckError(
            f"Derivatives with respect to {var} are not supported; differentiate with respect to a "
            f"parameter (W, b) or a node (u, a).")


def _fast_value(expr: sp.Expr, dps: int):
    """:class:`MixedEvaluator` of a closed number expression, every value a finite real."""
    with mpmath.workdps(dps):
        return MixedEvaluator({}, dps, finite=True)(expr)


def _fast_evaluate(expr: sp.Expr) -> sp.Expr | None:
    """A Rational, or a Float to DIGITS digits on which two working precisions agree; else None."""
    try:
        low = _fast_value(expr, DIGITS + _GUARD)
        if isinstance(low, Fraction):
            return sp.Rational(low.numerator, low.denominator)
        high = _fast_value(expr, DIGITS + 2 * _GUARD)
    except (Unevaluable, NearKink, ZeroDivisionError, OverflowError, TypeError, ValueError):
        return None
    if isinstance(high, Fraction) or not high:
        return None  # an exact zero from rounded arithmetic is evalf's to judge
    with mpmath.workdps(DIGITS + 2 * _GUARD):
        if abs(high - low) > abs(high) * mpmath.mpf(10) ** (-DIGITS - 5):
            return None  # cancellation: let evalf's adaptive precision decide
    return sp.Float(high, DIGITS)


def evaluate(expr: sp.Expr, point: dict, what: str = "the expression") -> sp.Expr:
    """Substitute exact numbers; keep a Rational exact, else evaluate to DIGITS digits.

    Expressions of the network's rules (rational arithmetic, exp, log, tanh, relu's
    Piecewise) are evaluated once per distinct subexpression with mpmath, checked at two
    working precisions; anything else, or any doubt, goes through SymPy's ``evalf``.
    """
    value = (expr if isinstance(expr, sp.Basic) else sp.Integer(expr)).xreplace(point)
    if value.is_Rational:
        return value
    fast = _fast_evaluate(value)
    if fast is not None:
        return fast
    if value.has(sp.Piecewise):
        value = sp.piecewise_fold(value)
    number = value.evalf(DIGITS)
    if number.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or not number.is_number or not number.is_real:
        raise DerivcheckError(f"{what} is not a finite real number at this point ({number}).")
    return number


def to_float(value: sp.Expr) -> float:
    """A SymPy number as a Python float (for comparison with the numeric witnesses)."""
    return float(value)


def _position(name: Name, depth: int) -> tuple[int, int]:
    """Order of quantities along the forward pass: parameters of layer l feed u_l, then a_l."""
    if name.kind in ("W", "b"):
        return (name.layer, 0)
    if name.kind == "u":
        return (name.layer, 1)
    if name.kind == "a":
        return (name.layer, 2)
    if name.kind in ("x",):
        return (0, 2)
    return (depth + 1, 0)  # L, L[k], y


class Truth:
    """Exact values and derivatives of one network at its parameters and data."""

    def __init__(self, network: Network, sample: int = 1):
        if network.params is None:
            raise DerivcheckError("The network has no parameter values, so there is no point to evaluate at.")
        if network.x is None or network.y is None:
            raise DerivcheckError("The network has no data (x and y), so there is no point to evaluate at.")
        if not 1 <= sample <= len(network.x):
            raise DerivcheckError(f"Sample {sample} does not exist; the batch has {len(network.x)} samples.")
        self.network = network
        self.sample = sample
        self.m = len(network.x)

    @cached_property
    def structured(self):
        """The structured program's truth (:mod:`symbolic.truth.program`) when the closed form would be
        too large (``tree_size > MAX_TREE_SIZE``); None otherwise."""
        if tree_size(self.network) <= MAX_TREE_SIZE:
            return None
        from .program import StructuredTruth
        return StructuredTruth(self.network, self.sample)

    @cached_property
    def form(self) -> ClosedForm:
        return closed_form(self.network)

    def point(self, sample: int | None = None) -> dict[sp.Symbol, sp.Rational]:
        """Exact values of every parameter and of one sample's data, keyed by symbol."""
        s = (sample or self.sample) - 1
        f = self.form
        pt = {sym: sp.Rational(v.numerator, v.denominator) for sym, v in
              ((f.params[k], v) for k, v in self.network.parameter_values().items())}
        pt.update({sym: sp.Rational(v.numerator, v.denominator) for sym, v in zip(f.x, self.network.x[s])})
        pt.update({sym: sp.Rational(v.numerator, v.denominator) for sym, v in zip(f.y, self.network.y[s])})
        return pt

    def _name(self, name: Name | str) -> Name:
        return (parse_name(name) if isinstance(name, str) else name).check(self.network)

    def _batch_mean(self, expr: sp.Expr, what: str) -> sp.Expr:
        total = sum((evaluate(expr, self.point(s), what) for s in range(1, self.m + 1)), sp.Integer(0))
        return total / self.m if self.m > 1 else total

    # ----------------------------------------------------------------- values
    def value(self, name: Name | str) -> sp.Expr:
        """The exact value of a canonical quantity (``L`` is the batch mean)."""
        n = self._name(name)
        if self.structured is not None:
            return self.structured.value(n)
        if n.kind == "L" and not n.indices:
            return self._batch_mean(self.form.loss, "L")
        return evaluate(self.form.expr(n), self.point(), str(n))

    # ------------------------------------------------------------ derivatives
    def derivative(self, of: Name | str, wrt: Name | str) -> sp.Expr:
        """d(of)/d(wrt) at the point, exactly (see the module contract)."""
        top, var = self._name(of), self._name(wrt)
        refuse_data_variable(var)
        if self.structured is not None:
            return self.structured.derivative(top, var)
        self._check_kinks(top, var)
        what = f"d{top}/d{var}"
        if var.is_parameter:
            expr = sp.diff(self.form.expr(top), self.form.params[str(var)])
            if top.kind == "L":
                return self._batch_mean(expr, what) if not top.indices else evaluate(expr, self.point(), what)
            return evaluate(expr, self.point(), what)
        t = sp.Dummy("t", real=True)
        cut = closed_form(self.network, cut={str(var): t})
        expr = sp.diff(cut.expr(top), t)
        node_value = self.value(var)
        pt = self.point()
        pt[t] = node_value
        result = evaluate(expr, pt, what)
        if top.kind == "L" and not top.indices and self.m > 1:
            result = result / self.m
        return result

    def gradient(self) -> dict[str, sp.Expr]:
        """dL/dθ for every parameter, in canonical order."""
        if self.structured is not None:
            return self.structured.gradient()
        return {p: self.derivative("L", p) for p in self.network.parameter_names()}

    # ------------------------------------------------------------------ kinks
    def _check_kinks(self, top: Name, var: Name) -> None:
        """Raise if a relu kink (u = 0 exactly) lies between ``var`` and ``top``."""
        depth = self.network.depth
        lo, hi = _position(var, depth), _position(top, depth)
        for l, act in enumerate(self.network.activations, 1):
            if act != "relu" or not (lo <= (l, 1) and hi >= (l, 2)):
                continue
            for s in range(1, self.m + 1):
                pt = self.point(s)
                for i, ue in enumerate(self.form.u[l], 1):
                    v = evaluate(ue, pt, f"u{l}[{i}]")
                    if v == 0 or (not v.is_Rational and abs(v) < sp.Float(10) ** (10 - DIGITS)):
                        where = f" for sample {s}" if self.m > 1 else ""
                        raise KinkError(
                            f"u{l}[{i}] = 0{where} lies exactly on relu's kink, where d{top}/d{var} does not "
                            f"exist; move the point off the kink.")
