"""Verdicts for claimed numbers: ok, rounding or WRONG, by the digits the author printed.

Contract
--------
A claimed number is kept as the text the author printed, so its precision is
known: ``"0.35891648"`` has a last-digit unit of 1e-8, ``"0.5"`` of 0.1,
``"3.51e-5"`` of 1e-7, and a trailing zero counts (``"0.40"`` → 0.01).

:func:`judge` compares it with the exact value:

* ``ok`` — |claimed − exact| ≤ ½ unit (the printed digits are the exact value
  correctly rounded; exactly half a unit counts, as either rounding direction
  is then correct);
* ``rounding`` — within ``ROUNDING_UNITS`` units (truncation, or rounded
  intermediates carried forward), and not of the opposite sign (rounding never
  flips a sign: ``"0.1"`` for −0.057 is WRONG);
* ``WRONG`` — anything else.

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

__all__ = ["Verdict", "Judgement", "judge", "judge_bounds", "boundaries", "printed_unit", "ROUNDING_UNITS",
           "format_exact"]

ROUNDING_UNITS = 2
_EXTREME_BITS = 20_000  # |value| beyond 2**±20000 (≈ 10**±6000) is far outside any printed claim's unit


class Verdict:
    OK = "ok"
    ROUNDING = "rounding"
    WRONG = "WRONG"
    SHAPE = "shape error"
    ERROR = "error"


@dataclass(frozen=True)
class Judgement:
    verdict: str
    units_off: Fraction  # |claimed − exact| in units of the last printed digit


def printed_unit(text: str) -> Fraction:
    """The value of one unit in the last printed digit of ``text``."""
    exponent = Decimal(text).as_tuple().exponent
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
    """A readable rendering of an exact value: the fraction when short, else ``digits`` significant digits."""
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
