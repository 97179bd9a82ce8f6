"""Exact values for a document's links: printed arithmetic, and network quantities at the document's point.

Contract
--------
:func:`judge_arithmetic` ``(printed, node) -> (verdict, exact text)`` evaluates the
numbers-only side ``node`` exactly (rationals, or certified balls at 320, 1,280 and 5,120
bits until the ball lies inside one verdict region of the printed number) and judges the
printed number by :func:`symbolic.claims.verdict.judge` / ``judge_bounds`` — the same
rules as a claim. :class:`PointValues` gives the exact value of a canonical quantity
(``u1[1]``, ``W2[1,1]``, ``x[2]``, ``dL/dW2[1,1]``) at the network's point with the
document's parameter changes, as an ``fmpq`` or an ``arb`` ball, through
:class:`symbolic.truth.exact.Truth`; :func:`same_value` decides whether two such values
are equal (exactly, or as disjoint/overlapping balls: overlapping balls of width under
2^-200 count as equal, said as "to 60 digits"). :func:`show` prints a value.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Callable

import sympy as sp
from flint import arb, fmpq

from ...formulas.arithmetic import Node, evaluate
from ...spec.errors import DerivcheckError
from ...spec.network import Network
from ...truth.balls import Unevaluable, bounds, to_mpf, workprec
from ...truth.exact import Truth
from ..verdict import Verdict, format_exact, judge, judge_bounds

__all__ = ["judge_arithmetic", "PointValues", "same_value", "show", "PRECISIONS", "as_ball"]

PRECISIONS = (320, 1_280, 5_120)


def show(value, digits: int = 15) -> str:
    if isinstance(value, Fraction):
        return format_exact(sp.Rational(value.numerator, value.denominator), digits)
    if isinstance(value, fmpq):
        return format_exact(sp.Rational(int(value.p), int(value.q)), digits)
    return format_exact(sp.Float(to_mpf(value), digits + 5), digits)


def as_ball(lo: Fraction, hi: Fraction):
    if lo == hi:
        return fmpq(lo.numerator, lo.denominator)
    return arb(fmpq(lo.numerator, lo.denominator)).union(arb(fmpq(hi.numerator, hi.denominator)))


def judge_arithmetic(printed: str, node: Node, lookup: Callable | None = None) -> tuple[str, str]:
    """The verdict of ``printed`` against the exact value of ``node`` (see the module contract)."""
    value = None
    for bits in PRECISIONS:
        with workprec(bits):
            value = evaluate(node, lookup)
            if isinstance(value, fmpq):
                return judge(printed, Fraction(int(value.p), int(value.q))).verdict, show(value)
            lo, hi = bounds(value)
            verdict = judge_bounds(printed, lo, hi)
            if verdict is not None:
                return verdict.verdict, show(value)
    return judge(printed, (lambda b: (b[0] + b[1]) / 2)(bounds(value))).verdict, show(value)


def same_value(a, b) -> bool | None:
    """True (equal), False (certainly different), None (undecided at this precision)."""
    if isinstance(a, fmpq) and isinstance(b, fmpq):
        return a == b
    d = (arb(a) if isinstance(a, fmpq) else a) - (arb(b) if isinstance(b, fmpq) else b)
    if not d.contains(0):
        return False
    return True if d.rad() < arb(2) ** -200 else None


class PointValues:
    """Exact values of canonical quantities at the network's point, under the document's changes."""

    def __init__(self, network: Network):
        self.network = network
        self._truths: dict = {}

    def truth(self, changes: dict[str, Fraction]) -> Truth:
        key = tuple(sorted(changes.items()))
        if key not in self._truths:
            self._truths[key] = Truth(self.network.with_values(changes) if changes else self.network)
        return self._truths[key]

    def value(self, canonical: str, changes: dict[str, Fraction]):
        """The value of ``canonical`` (a quantity, or ``dX/dY``), as fmpq or arb; DerivcheckError if it has none."""
        truth = self.truth(changes)
        of, wrt = canonical, None
        if canonical.startswith("d") and "/d" in canonical:
            of, wrt = canonical[1:].split("/d", 1)
        try:
            lo, hi = truth.enclosure(of, wrt, PRECISIONS[0])
        except (Unevaluable, ArithmeticError) as err:
            raise DerivcheckError(f"{canonical} cannot be evaluated here ({err})") from None
        if lo is None or hi is None:
            raise DerivcheckError(f"{canonical} could not be bounded")
        return as_ball(lo, hi)

    def matches(self, printed: str, canonical: str, changes: dict[str, Fraction]) -> bool:
        """Whether ``printed`` is ``canonical``'s value correctly rounded (verdict ok)."""
        try:
            v = self.value(canonical, changes)
        except DerivcheckError:
            return False
        if isinstance(v, fmpq):
            return judge(printed, Fraction(int(v.p), int(v.q))).verdict == Verdict.OK
        lo, hi = bounds(v)
        result = judge_bounds(printed, lo, hi)
        return result is not None and result.verdict == Verdict.OK
