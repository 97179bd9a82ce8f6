"""Verdicts for claimed numbers: ok, rounding or WRONG, by the digits the author printed.

Contract
--------
A claimed number is kept as the text the author printed, so its precision is
known: ``"0.35891648"`` has a last-digit unit of 1e-8, ``"0.5"`` of 0.1,
``"3.51e-5"`` of 1e-7, and a trailing zero after the point counts (``"0.40"`` →
0.01). An integer with trailing zeros is read at its coarsest precision (``"1200"``
→ 100, ``"1000"`` → 1000; :func:`coarse_integer` tells, so the output can say so),
and a bare ``"0"`` claims exactly zero (``"0.00"`` claims zero to two decimals).

:func:`judge` compares it with the exact value:

* ``ok`` — |claimed − exact| ≤ ½ unit (the printed digits are the exact value
  correctly rounded; exactly half a unit counts, as either rounding direction
  is then correct);
* ``rounding`` — within ``ROUNDING_UNITS`` = 1 unit (truncation instead of
  rounding), and not of the opposite sign (rounding never flips a sign:
  ``"0.1"`` for −0.057 is WRONG). The other explained rounding — a number
  reproduced from the author's own rounded earlier numbers — is decided by
  :mod:`symbolic.claims.carry`, not here;
* ``WRONG`` — anything else (0.49 for 0.51 is two units: WRONG).

Comparison is done in exact rational arithmetic against the exact value (a
SymPy Rational, or a Float with ≥ 50 significant digits, far below any unit).
:func:`judge_bounds` judges a value known only as a certified interval [lo, hi]: it
answers only when no verdict boundary (:func:`boundaries`) lies inside, so a caller
raises the precision instead of guessing.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import sympy as sp
from mpmath.libmp import prec_to_dps

__all__ = ["Verdict", "VERDICTS", "Judgement", "judge", "judge_bounds", "boundaries", "printed_unit", "ROUNDING_UNITS",
           "coarse_integer", "bare_zero",
           "format_exact"]

ROUNDING_UNITS = 1
_EXTREME_BITS = 20_000  # |value| beyond 2**±20000 (≈ 10**±6000) is far outside any printed claim's unit


class Verdict:
    OK = "ok"
    ROUNDING = "rounding"
    WRONG = "WRONG"
    SHAPE = "shape error"
    ERROR = "error"


VERDICTS = (Verdict.OK, Verdict.ROUNDING, Verdict.WRONG, Verdict.SHAPE, Verdict.ERROR)


@dataclass(frozen=True)
class Judgement:
    verdict: str
    units_off: Fraction  # |claimed − exact| in units of the last printed digit


def coarse_integer(text: str) -> bool:
    """An integer printed with trailing zeros and no exponent ("1200"): read at its coarsest precision."""
    t = Decimal(text).as_tuple()
    return t.exponent == 0 and len(t.digits) > 1 and t.digits[-1] == 0 and "e" not in text.lower()


def bare_zero(text: str) -> bool:
    """A plain "0" (or "+0", "-0"): a claim of exactly zero."""
    return text.strip().lstrip("+-") == "0"


def printed_unit(text: str) -> Fraction:
    """The value of one unit in the last printed digit of ``text`` (see the module contract)."""
    t = Decimal(text).as_tuple()
    exponent = t.exponent
    if coarse_integer(text):
        digits = "".join(map(str, t.digits))
        exponent += len(digits) - len(digits.rstrip("0"))
    return Fraction(10) ** exponent


def _fraction(value) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, sp.Float):
        mantissa, exponent = value._mpf_[1], value._mpf_[2]
        sign = -1 if value._mpf_[0] else 1
        if mantissa and abs(int(exponent) + int(mantissa).bit_length()) > _EXTREME_BITS:
            # beyond ±2**_EXTREME_BITS (e.g. e^(−10^15)): a same-signed stand-in at that bound gives the same
            # verdict for every claim judge accepts, and 2**(10^15) is never built
            bound = Fraction(2) ** (_EXTREME_BITS if int(exponent) > 0 else -_EXTREME_BITS)
            return sign * bound
        return sign * Fraction(int(mantissa)) * Fraction(2) ** int(exponent)
    return Fraction(value)


def units_off(text: str, exact) -> Fraction:
    """|claimed − exact| measured in units of the claimed number's last digit."""
    return abs(Fraction(Decimal(text)) - _fraction(exact)) / printed_unit(text)


def judge(text: str, exact) -> Judgement:
    """The verdict for a printed number against the exact value."""
    if bare_zero(text):
        value = _fraction(exact)
        return Judgement(Verdict.OK if value == 0 else Verdict.WRONG, abs(value))
    off = units_off(text, exact)
    if off <= Fraction(1, 2):
        return Judgement(Verdict.OK, off)
    claimed, truth = Fraction(Decimal(text)), _fraction(exact)
    if off <= ROUNDING_UNITS and not (claimed * truth < 0):
        return Judgement(Verdict.ROUNDING, off)
    return Judgement(Verdict.WRONG, off)


def boundaries(text: str) -> list[Fraction]:
    """The exact values at which the verdict of the printed number ``text`` changes: claimed ± ½ unit,
    claimed ± ROUNDING_UNITS units, and 0 (where the sign rule starts)."""
    claimed, unit = Fraction(Decimal(text)), printed_unit(text)
    if bare_zero(text):
        return [Fraction(0)]
    return [claimed - ROUNDING_UNITS * unit, claimed - unit / 2, claimed + unit / 2,
            claimed + ROUNDING_UNITS * unit, Fraction(0)]


def judge_bounds(text: str, lo: Fraction, hi: Fraction) -> Judgement | None:
    """The verdict when the exact value is only known to lie in [lo, hi] (a certified ball): the verdict
    every value of the interval gets, or None when a verdict boundary lies inside it (more precision
    is needed; nothing is guessed)."""
    if lo == hi:
        return judge(text, lo)
    if any(lo <= b <= hi for b in boundaries(text)):
        return None
    return judge(text, (lo + hi) / 2)


def format_exact(value, digits: int = 15) -> str:
    """A readable rendering of an exact value: the fraction when short, else ``digits`` significant digits —
    never more than a Float carries (a ball trajectory's value certified to 3 digits prints 3, not 15)."""
    if isinstance(value, sp.Float):
        digits = max(1, min(digits, prec_to_dps(value._prec)))
    if isinstance(value, sp.Rational) and not isinstance(value, sp.Integer):
        decimal = sp.Float(value, digits)
        if value.q <= 10 ** 6:
            return f"{value.p}/{value.q} = {_trim(decimal, digits)}"
        return _trim(decimal, digits)
    return _trim(sp.Float(value, digits), digits)


def _trim(value, digits: int) -> str:
    text = str(sp.Float(value, digits))
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".") or "0"
    return text
