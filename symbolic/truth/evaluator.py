"""Number expressions evaluated exactly: rationals stay rational, exp/log/tanh at high precision.

Contract
--------
:class:`MixedEvaluator` gives the value of a SymPy number expression built by the rule
table (rational arithmetic, exp, log, tanh, relu's Piecewise), each distinct subexpression
once: a :class:`fractions.Fraction` while only rational arithmetic is involved, else an
mpmath number at the caller's working precision. :func:`evaluate` substitutes a point and
returns a SymPy ``Rational`` or a ``Float`` of ``DIGITS`` (60) digits on which two working
precisions agree (SymPy's ``evalf`` decides anything in doubt). A Piecewise condition too
close to 0 to call, or a nan, raises :class:`NearKink`; anything else undecidable
:class:`Unevaluable`. :func:`refuse_data_variable` is the one sentence for ``d…/dx``-style
requests this evaluator's callers do not take.
"""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import sympy as sp

from ..spec.errors import DerivcheckError, shorten
from ..spec.names import Name

__all__ = ["DIGITS", "MixedEvaluator", "NearKink", "Unevaluable", "evaluate", "refuse_data_variable"]

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
    """Derivatives are taken with respect to parameters, nodes and inputs, not the targets or the loss."""
    if var.kind in ("y", "L"):
        raise DerivcheckError(
            f"Derivatives with respect to {var} are not supported; differentiate with respect to a "
            f"parameter (W, b), a node (u, a) or an input (x).")


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
