"""Helpers of certified trajectories' values (re-exported by :mod:`symbolic.truth.trajectory`).

Contract
--------
:func:`point_key` keys a parameter dict (balls by identity); :func:`ball_values` gives the point
evaluation's domain values of a dict holding certified balls (None when all are Fractions);
:func:`to_fraction` is the exact value of an mpf, float, SymPy Rational or int; :func:`undecided_sentence`
says why a claim after updates gets no verdict (its digits are finer than the certified ball).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Mapping

import mpmath
import sympy as sp
from flint import arb

from ..spec.errors import DerivcheckError
from .balls import exact

__all__ = ["point_key", "ball_values", "to_fraction", "undecided_sentence"]


def point_key(values: Mapping) -> tuple:
    """A hashable key of a parameter dict; a ball (unhashable) is keyed by identity — the trajectory keeps
    every result it returned, so its balls live as long as the key."""
    return tuple(sorted((k, ("ball", id(v)) if isinstance(v, arb) else v) for k, v in values.items()))


def ball_values(values: Mapping) -> dict | None:
    """The domain values (fmpq / arb) of a parameter dict holding certified balls; None if all are Fractions."""
    if not any(isinstance(v, arb) for v in values.values()):
        return None
    return {k: v if isinstance(v, arb) else exact(v) for k, v in values.items()}


def to_fraction(value) -> Fraction:
    """The exact value of an mpf, float, SymPy Rational or int (a non-finite value is one sentence)."""
    if isinstance(value, mpmath.mpf):
        sign, man, exp, _ = value._mpf_
        if not value or not mpmath.isfinite(value):
            if value == 0:
                return Fraction(0)
            raise DerivcheckError(f"a replayed value is {value}, not a finite number")
        return (-1) ** sign * Fraction(int(man)) * Fraction(2) ** int(exp)
    if isinstance(value, float):
        return Fraction(value)
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    return Fraction(value)


def undecided_sentence(claimed: str, lo: Fraction, hi: Fraction, n: int) -> str:
    """Why a claim after ``n`` updates gets no verdict: its printed digits are finer than the certified ball."""
    with mpmath.workdps(20):
        lo_s, hi_s = mpmath.nstr(mpmath.mpf(lo.numerator) / lo.denominator, 17), \
            mpmath.nstr(mpmath.mpf(hi.numerator) / hi.denominator, 17)
    return (f"the claimed {claimed} is more precise than {n:,} certified update(s) can judge: the value lies "
            f"between {lo_s} and {hi_s}, across a verdict boundary; claim fewer digits")
