"""Verdict boundaries of :func:`symbolic.claims.verdict.judge`, one table, hand arithmetic in the comments.

Rules (DESIGN "Verdicts"): with u = one unit in the last printed digit,
|claimed − exact| ≤ u/2 → ok; ≤ 2u → rounding; anything else → WRONG.
The exact values below are rationals (exactly representable) or 60-digit
SymPy Floats whose deviation (1e-50) is far above their own binary error
(~1e-61) and far below every unit used.
"""
from __future__ import annotations

from fractions import Fraction as F

import pytest
import sympy as sp

from symbolic.claims.verdict import ROUNDING_UNITS, judge, printed_unit

R = sp.Rational
TINY = R(1, 10 ** 60)  # far below any printed unit


def flt(text: str) -> sp.Float:
    return sp.Float(text, 60)


# (claimed text, exact value, expected verdict, expected units off or None) — hand arithmetic on the right.
CASES = [
    # --- half a unit of the last digit: "0.123" has u = 0.001
    ("0.123", R(1234, 10000), "ok", F(2, 5)),                     # |0.123 − 0.1234| = 0.0004 = 0.4u
    ("0.123", R(1235, 10000), "ok", F(1, 2)),                     # 0.0005 = exactly u/2 → ok
    ("0.123", R(1235, 10000) - TINY, "ok", None),                 # just inside u/2
    ("0.123", R(1235, 10000) + TINY, "rounding", None),           # just outside u/2
    ("0.123", R(1225, 10000), "ok", F(1, 2)),                     # u/2 below: 0.1225
    ("0.123", R(1225, 10000) - TINY, "rounding", None),           # just outside, below
    # --- the rounding band: up to 1u (truncation); nothing else is rounding unless carried (tests/test_carry.py)
    ("0.123", R(124, 1000), "rounding", F(1)),                    # exactly 1u (truncation of 0.1239…)
    ("0.123", R(124, 1000) + TINY, "WRONG", None),                # just beyond 1u
    ("0.123", R(122, 1000), "rounding", F(1)),                    # 1u below
    ("0.123", R(122, 1000) - TINY, "WRONG", None),                # just beyond 1u below
    ("0.123", R(125, 1000), "WRONG", F(2)),                       # 2u
    ("0.123", R(121, 1000), "WRONG", F(2)),                       # 2u below
    ("0.49", R(51, 100), "WRONG", F(2)),                          # two printed digits, 2u: a flipped bias, not rounding
    ("0.123", R(126, 1000), "WRONG", F(3)),                       # 3u
    # --- rounding never flips a sign
    ("0.1", R(-57, 1000), "WRONG", F(157, 100)),                  # 0.157 = 1.57u, but −0.057 rounds to "-0.1"
    ("-0.1", R(57, 1000), "WRONG", F(157, 100)),                  # the mirror image
    ("0.0", R(-4, 100), "ok", F(2, 5)),                           # a printed zero has no sign to flip
    # --- trailing zeros count: against 0.404
    ("0.4", R(404, 1000), "ok", F(1, 25)),                        # u = 0.1: 0.004 = 0.04u
    ("0.40", R(404, 1000), "ok", F(2, 5)),                        # u = 0.01: 0.004 = 0.4u
    ("0.400", R(404, 1000), "WRONG", F(4)),                       # u = 0.001: 0.004 = 4u
    # ... and against 0.406
    ("0.4", R(406, 1000), "ok", F(3, 50)),                        # 0.006 = 0.06u
    ("0.40", R(406, 1000), "rounding", F(3, 5)),                  # 0.006 = 0.6u
    ("0.400", R(406, 1000), "WRONG", F(6)),                       # 0.006 = 6u
    # integers: "1000" has u = 1, "1e3" has u = 1000
    # an integer with trailing zeros is read at its coarsest precision: "1000" has u = 1000, "1200" u = 100
    ("1000", R(1400), "ok", F(2, 5)),                             # 400 = 0.4u
    ("1200", R(1249), "ok", F(49, 100)),                          # 49 = 0.49u
    ("1200", R(1251), "rounding", F(51, 100)),                    # 51 = 0.51u
    ("1e3", R(1400), "ok", F(2, 5)),                              # 400 = 0.4u
    ("1001", R(1400), "WRONG", F(399)),                           # u = 1: 399u
    ("2", R(5, 2), "ok", F(1, 2)),                                # 0.5 = u/2
    ("2", R(7, 2), "WRONG", F(3, 2)),                             # 1.5u
    ("3", R(3, 2), "WRONG", F(3, 2)),                             # 1.5u (was lenient: issue 21)
    # a bare 0 claims exactly zero; "0.00" claims zero to two decimals
    ("0", R(3, 2), "WRONG", None),
    ("0", R(3, 10), "WRONG", None),                               # 0.3u, but "0" claims exactly 0
    ("0", R(0), "ok", F(0)),
    ("-0", R(0), "ok", F(0)),
    ("0.00", R(4, 1000), "ok", F(2, 5)),                          # u = 0.01: 0.004 = 0.4u
    # --- negative numbers
    ("-0.12", R(-125, 1000), "ok", F(1, 2)),                      # |−0.12 + 0.125| = 0.005 = u/2
    ("-0.12", R(-125, 1000) - TINY, "rounding", None),            # just outside
    ("-0.12", R(-13, 100), "rounding", F(1)),                     # 0.01 = 1u
    ("-0.12", R(-15, 100), "WRONG", F(3)),                        # 0.03 = 3u
    ("0.12", R(-12, 100), "WRONG", F(24)),                        # sign lost: 0.24 = 24u
    ("-0.019049119", flt("-0.0190491182582781"), "rounding", None),  # seed 002: 0.74u
    ("+0.5", R(1, 2), "ok", F(0)),                                # explicit plus sign
    # --- scientific notation: "3.51e-5" has u = 0.01e-5 = 1e-7
    ("3.51e-5", R(351018778, 10 ** 13), "ok", None),              # |3.51e-5 − 3.51018778e-5| = 1.8778e-9 = 0.019u
    ("3.51e-5", R(3515, 10 ** 8), "ok", F(1, 2)),                 # 3.515e-5: 5e-8 = u/2
    ("3.51e-5", R(3515, 10 ** 8) + TINY, "rounding", None),       # just outside
    ("3.51e-5", R(352, 10 ** 7), "rounding", F(1)),               # 3.52e-5: 1e-7 = 1u
    ("3.51e-5", R(353, 10 ** 7), "WRONG", F(2)),                  # 3.53e-5: 2e-7 = 2u
    ("3.51E-5", R(3535, 10 ** 8), "WRONG", F(5, 2)),              # 3.535e-5: 2.5e-7 = 2.5u
    ("35.1e-6", R(3515, 10 ** 8), "ok", F(1, 2)),                 # the same number and unit (0.1e-6 = 1e-7)
    ("3.510e-5", R(3515, 10 ** 8), "WRONG", F(5)),                # trailing zero: u = 1e-8, 5e-8 = 5u
    ("0.0000351085", R(351018778, 10 ** 13), "WRONG", None),      # u = 1e-10: 6.6222e-8 = 662u
    # --- 60-digit Floats as exact values (deviations of 1e-50)
    ("0.593269992", flt("0.593269992107187"), "ok", None),        # seed 002 out_h1: 0.107u
    ("0.1235", flt("0.12355") - flt("1e-50"), "ok", None),        # just inside u/2 (u = 1e-4)
    ("0.1235", flt("0.12355") + flt("1e-50"), "rounding", None),  # just outside u/2
    ("0.1235", flt("0.12360") + flt("1e-50"), "WRONG", None),     # just beyond 1u
    ("0.1235", flt("0.12360") - flt("1e-50"), "rounding", None),  # just inside 1u
    # --- exact values given as Python Fractions and ints
    ("0.333", F(1, 3), "ok", F(1, 3)),                            # 1/3 − 0.333 = 1/3000 = u/3
    ("0.33", F(1, 3), "ok", F(1, 3)),                             # 1/300 = u/3
    ("0.3", F(1, 3), "ok", F(1, 3)),                              # 1/30 = u/3
    ("0.334", F(1, 3), "rounding", F(2, 3)),                      # 0.334 − 1/3 = 2/3000 = 2u/3
    ("7", 7, "ok", F(0)),
]


@pytest.mark.parametrize("claimed, exact, verdict, units", CASES, ids=[f"{c[0]}~{c[1]}" for c in CASES])
def test_judge(claimed, exact, verdict, units):
    judgement = judge(claimed, exact)
    assert judgement.verdict == verdict
    if units is not None:
        assert judgement.units_off == units
    bound = {"ok": F(1, 2), "rounding": F(ROUNDING_UNITS)}.get(verdict)
    if verdict == "ok":
        assert judgement.units_off <= bound
    elif verdict == "rounding":
        assert F(1, 2) < judgement.units_off <= bound
    else:  # beyond the band, a flipped sign, or a bare "0" for a nonzero value
        assert judgement.units_off > ROUNDING_UNITS or F(claimed) * F(exact.p, exact.q) < 0 or \
            claimed.lstrip("+-") == "0"


UNITS = [
    ("0.35891648", F(1, 10 ** 8)),
    ("0.5", F(1, 10)),
    ("0.40", F(1, 100)),
    ("3.51e-5", F(1, 10 ** 7)),
    ("3.510e-5", F(1, 10 ** 8)),
    ("-0.019049119", F(1, 10 ** 9)),
    ("12", F(1)),
    ("1e3", F(1000)),
    ("1.0e3", F(100)),
]


@pytest.mark.parametrize("text, unit", UNITS, ids=[u[0] for u in UNITS])
def test_printed_unit(text, unit):
    assert printed_unit(text) == unit


# ---------------------------------------------------------------- the same rule, for any printed number
from decimal import Decimal  # noqa: E402

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(digits=st.integers(-10 ** 12, 10 ** 12), exponent=st.integers(-30, 5), eighths=st.integers(-40, 40),
       scientific=st.booleans())
def test_judge_any_number(digits, exponent, eighths, scientific):
    """claimed = digits·10^exponent printed with exactly that last digit; exact = claimed + eighths/8 units.

    |eighths| ≤ 4 → ok (≤ ½ unit), ≤ 8 → rounding (≤ 1 unit), else WRONG; a claim whose sign is
    opposite to the exact value's is WRONG whatever the distance (claimed 1, exact −1/8), and a bare "0"
    claims exactly zero.
    """
    number = Decimal(digits).scaleb(exponent)
    text = f"{number:E}" if scientific or exponent > 0 or (exponent == 0 and digits % 10 == 0) else f"{number:f}"
    unit = printed_unit(text)
    assert unit == F(10) ** exponent
    exact = F(Decimal(text)) + F(eighths, 8) * unit
    expected = "ok" if abs(eighths) <= 4 else "rounding" if abs(eighths) <= 8 else "WRONG"
    if expected == "rounding" and F(Decimal(text)) * exact < 0:
        expected = "WRONG"
    if text.lstrip("+-") == "0":
        expected = "ok" if exact == 0 else "WRONG"
    assert judge(text, exact).verdict == expected
    assert judge(text, sp.Rational(exact.numerator, exact.denominator)).verdict == expected
