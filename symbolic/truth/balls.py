"""The number domain of the exact point evaluation: rationals, certified balls, and "undefined".

Contract
--------
A value is one of

* a ``flint.fmpq`` — an exact rational, kept while only rational arithmetic is involved;
* a ``flint.arb`` — a real ball (midpoint ± radius) at the current working precision
  (``flint.ctx.prec`` bits), rigorous: the true value lies inside it;
* an :class:`Undefined` — a derivative that passes through a kink (relu at exactly 0),
  carrying the node that caused it. It propagates through sums and through products
  with anything but an *exact* 0 (where both one-sided derivatives agree).

:func:`compile_scalar` turns a rule-table SymPy expression of a few symbols (f(u), f'(u),
a loss term and its derivative) into a function over this domain, once; no text is ever
parsed. A condition whose sign the ball cannot decide raises :class:`Undecided` (the caller
raises the precision); a log of a non-positive number or a division by a ball containing 0
raises :class:`Unevaluable`. Helpers: :func:`add`, :func:`mul`, :func:`dot`, :func:`to_fraction`,
:func:`bounds`.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

import flint
import mpmath
import sympy as sp
from flint import arb, fmpq

__all__ = ["EXTREME_BITS", "Undefined", "Undecided", "Unevaluable", "Value", "compile_scalar", "add", "mul", "dot", "exact",
           "to_fraction", "to_mpf", "magnitude_bits", "bounds", "is_zero", "workprec"]

workprec = flint.ctx.workprec


@dataclass(frozen=True)
class Undefined:
    """A derivative through a kink: ``node`` (canonical name, e.g. ``u1[2]``) lies exactly on it; ``reason``
    says which kink when it is not relu's at 0 (a tied maximum of a max-pool window)."""

    node: str
    reason: str = ""


class Undecided(Exception):
    """A ball straddles 0 where a sign must be known; more precision may decide it."""


class Unevaluable(Exception):
    """The expression has no finite real value here (the message says why)."""


Value = "fmpq | arb | Undefined"
ZERO, ONE = fmpq(0), fmpq(1)


def exact(v: Fraction | int) -> fmpq:
    """A Python rational as an exact domain value."""
    if type(v) is Fraction:
        return fmpq(v.numerator, v.denominator)
    f = Fraction(v)
    return fmpq(f.numerator, f.denominator)


def is_zero(v) -> bool:
    """Exactly zero (an fmpq 0): the only value that absorbs an :class:`Undefined` in a product."""
    return type(v) is fmpq and v == 0


def add(values: Sequence) -> object:
    total = ZERO
    for v in values:
        if type(v) is Undefined:
            return v
        total = total + v
    return total


def mul(values: Sequence) -> object:
    undefined = None
    product = ONE
    for v in values:
        if type(v) is Undefined:
            undefined = undefined or v
            continue
        if is_zero(v):
            return ZERO
        product = product * v
    return undefined if undefined is not None else product


def dot(xs: Sequence, ys: Sequence) -> object:
    return add([mul((x, y)) for x, y in zip(xs, ys)])


def _sign(v) -> int:
    if type(v) is fmpq:
        return (v > 0) - (v < 0)
    if v.is_exact():
        return (v > 0) - (v < 0)
    if v > 0:
        return 1
    if v < 0:
        return -1
    raise Undecided("a ball straddles 0 where its sign decides a branch")


def _exp(x):
    return ONE if is_zero(x) else arb(x).exp()


def _log(x):
    if type(x) is fmpq:
        if x <= 0:
            raise Unevaluable("log of a non-positive number")
        return ZERO if x == 1 else arb(x).log()
    if not x > 0:
        if x <= 0:
            raise Unevaluable("log of a non-positive number")
        raise Undecided("log of a ball that contains 0")
    return x.log()


def _tanh(x):
    return ZERO if is_zero(x) else arb(x).tanh()


def _power(base, n):
    if type(base) is Undefined:
        return base
    if isinstance(n, int):
        if n >= 0:
            return base ** n
        if type(base) is fmpq:
            if base == 0:
                raise Unevaluable("division by zero")
            return ONE / base ** (-n)
        if base.contains(0):
            if base == 0:
                raise Unevaluable("division by zero")
            raise Undecided("division by a ball that contains 0")
        return ONE / base ** (-n)
    return _exp(mul((n, _log(base))))


_UNARY = {sp.exp: _exp, sp.log: _log, sp.tanh: _tanh}
_TESTS = {sp.StrictLessThan: lambda s: s < 0, sp.LessThan: lambda s: s <= 0,
          sp.StrictGreaterThan: lambda s: s > 0, sp.GreaterThan: lambda s: s >= 0}


def _checked(v):
    if type(v) is arb and not v.is_finite():
        raise Undecided("a ball grew infinite")
    return v


def compile_scalar(expr: sp.Expr, args: Sequence[sp.Symbol], kink: str = "a kink") -> Callable:
    """``f(*values)`` evaluating ``expr`` at ``args = values`` over the domain (see the module contract).

    A ``nan`` branch (relu's f' at 0) gives ``Undefined(kink)``; the caller names the node by
    passing ``kink`` at call time as the keyword ``node``.
    """
    index = {a: i for i, a in enumerate(args)}

    def build(e: sp.Expr) -> Callable:
        if e in index:
            i = index[e]
            return lambda vals, node: vals[i]
        if e.is_Rational:
            c = fmpq(int(e.p), int(e.q))
            return lambda vals, node: c
        if e is sp.nan:
            return lambda vals, node: Undefined(node)
        if e.is_Add:
            parts = [build(a) for a in e.args]
            return lambda vals, node: _checked(add([p(vals, node) for p in parts]))
        if e.is_Mul:
            parts = [build(a) for a in e.args]
            return lambda vals, node: _checked(mul([p(vals, node) for p in parts]))
        if e.is_Pow:
            base = build(e.base)
            if e.exp.is_Integer:
                n = int(e.exp)
                return lambda vals, node: _checked(_power(base(vals, node), n))
            expo = build(e.exp)
            return lambda vals, node: _checked(_power(base(vals, node), expo(vals, node)))
        if type(e) in _UNARY:
            fn, inner = _UNARY[type(e)], build(e.args[0])

            def unary(vals, node):
                x = inner(vals, node)
                return x if type(x) is Undefined else _checked(fn(x))
            return unary
        if isinstance(e, sp.Piecewise):
            branches = []
            for branch, cond in e.args:
                if cond is sp.true:
                    test = None
                elif type(cond) in _TESTS:
                    test = (build(cond.lhs - cond.rhs), _TESTS[type(cond)])
                else:
                    raise Unevaluable(f"the condition {cond} cannot be decided")
                branches.append((test, build(branch)))

            def piecewise(vals, node):
                for test, branch in branches:
                    if test is None:
                        return branch(vals, node)
                    side, holds = test
                    s = side(vals, node)
                    if type(s) is Undefined:
                        return s
                    if holds(_sign(s)):
                        return branch(vals, node)
                raise Unevaluable("no branch applies")
            return piecewise
        raise Unevaluable(f"{type(e).__name__} is not in the exact point evaluator's domain")

    fn = build(expr if isinstance(expr, sp.Basic) else sp.Integer(expr))
    return lambda *vals, node=kink: fn(vals, node)


def _mid(v) -> tuple[int, int]:
    """(mantissa, exponent) of a ball's midpoint: mid = mantissa · 2^exponent exactly."""
    man, exp = v.mid().man_exp()
    return int(man), int(exp)


def magnitude_bits(v) -> int:
    """log2 of the midpoint's magnitude, to the bit (0 for a zero midpoint)."""
    man, exp = _mid(v)
    return exp + abs(man).bit_length() if man else 0


def to_mpf(v) -> mpmath.mpf:
    """The value (an fmpq, or a ball's midpoint) rounded once to mpmath's working precision."""
    if type(v) is fmpq:
        return mpmath.mpf(int(v.p)) / int(v.q)
    man, exp = _mid(v)
    return mpmath.mpf((int(man < 0), abs(man), exp, abs(man).bit_length())) if man else mpmath.mpf(0)


def to_fraction(v) -> Fraction:
    """The exact value of an fmpq, or the midpoint of a ball, as a Fraction."""
    if type(v) is fmpq:
        return Fraction(int(v.p), int(v.q))
    man, exp = _mid(v)
    return Fraction(man * 2 ** exp) if exp >= 0 else Fraction(man, 2 ** -exp)


EXTREME_BITS = 20_000  # beyond 2^±20000 (≈ 10^±6000) no printed claim's unit tells values apart


def bounds(v) -> tuple[Fraction, Fraction]:
    """Rigorous lower and upper bounds of a value (equal for an exact rational); a ball entirely beyond
    2^±20000 in magnitude gets same-signed stand-in bounds at that scale (its verdict for every printed
    claim), so that 2^(10^15) is never built."""
    if type(v) is fmpq:
        f = to_fraction(v)
        return f, f
    if not v.contains(0):
        top = magnitude_bits(v)
        if abs(top) > EXTREME_BITS:
            sign = 1 if v > 0 else -1
            scale = Fraction(2) ** (EXTREME_BITS if top > 0 else -EXTREME_BITS)
            lo, hi = sorted((sign * scale, sign * scale * (2 if top > 0 else Fraction(1, 2))))
            return lo, hi
    mid = to_fraction(v)
    rad = to_fraction(arb(v.rad()))
    return mid - rad, mid + rad
