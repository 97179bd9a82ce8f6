"""Exact runs of a straight-line program: assignments of SymPy expressions over node symbols.

Contract
--------
A program (:class:`symbolic.truth.program.Structured`) is a list of assignments
``symbol := expression`` in which each expression uses only earlier symbols, the
parameters and the data. This module runs such lists at one point, with one
interpreter (:class:`NodeInterpreter`, a :class:`symbolic.truth.evaluator.MixedEvaluator`)
over the SymPy definitions; it never compiles or parses text.

* :func:`run_assignments` fills an environment ``{symbol: value}``: values stay
  :class:`fractions.Fraction` while only rational arithmetic is involved, else
  mpmath numbers at the working precision given. relu's f' at u = 0 is a
  :class:`symbolic.spec.errors.KinkError` naming the node (``u2[1]``).
* :func:`needed_assignments` keeps only the assignments some expressions depend on.
* :func:`exact_values` turns a computation ``compute(dps) -> values`` into exact
  SymPy values: all-Fraction results become ``Rational``; mpmath runs are done at
  ``DIGITS + 20`` and ``DIGITS + 40`` working digits and must agree to
  ``DIGITS + 5`` digits (otherwise 180 and 300 digits are tried), and the answer
  is a ``Float`` of ``DIGITS`` (60) digits. A value that cancels (a shared bias's
  Σ_k δ_k under softmax is identically 0) is reported as 0 when it is below
  10^-170 in absolute value at both 180 and 300 digits. Anything the evaluator
  cannot decide, a division by zero, a non-finite value or a cancellation below
  ``DIGITS`` digits is a :class:`symbolic.spec.errors.DerivcheckError` in one sentence.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Callable, Iterable, Sequence

import mpmath
import sympy as sp

from ..spec.errors import DerivcheckError, KinkError
from .evaluator import DIGITS, MixedEvaluator, NearKink, Unevaluable

__all__ = ["NodeKink", "NodeInterpreter", "needed_assignments", "run_assignments", "values_in", "exact_values"]

_GUARD = 20
_ZERO = mpmath.mpf(10) ** -170  # below this at 180 and 300 digits, a cancelling value is 0

Expr = sp.Expr
Assignments = Sequence[tuple[sp.Symbol, Expr]]


class NodeKink(Exception):
    """A relu kink (or a nan) met while interpreting; ``node`` is the canonical node name (``u2[1]``)."""

    def __init__(self, node: str):
        self.node = node


class NodeInterpreter(MixedEvaluator):
    """:class:`symbolic.truth.evaluator.MixedEvaluator` over node symbols; a kink is named by its node."""

    def __call__(self, e: Expr, target):
        try:
            return super().__call__(e)
        except NearKink as k:
            raise NodeKink(_node_name(k.where) if isinstance(k.where, sp.Piecewise) else str(target)) from None


def _node_name(piece: sp.Piecewise) -> str:
    """The canonical node a Piecewise (relu) is applied to: ``u2[1]``."""
    for s in piece.free_symbols:
        head, *idx = s.name.split("_")
        return head + (f"[{','.join(idx)}]" if idx else "")
    return "a pre-activation"


def _kink(node: str, where: str, what: str) -> KinkError:
    return KinkError(f"{node} = 0{where} lies exactly on relu's kink, where {what or 'the derivative'} "
                     f"does not exist; move the point off the kink.")


def needed_assignments(assignments: Assignments, exprs: Iterable[Expr],
                       other: dict | None = None) -> list[tuple[sp.Symbol, Expr]]:
    """The assignments ``exprs`` depend on (transitively, also through ``other`` definitions), in order."""
    defs = dict(other or {})
    defs.update(assignments)
    own = {s for s, _ in assignments}
    want: set = set()
    stack = [s for e in exprs for s in e.free_symbols if s in defs]
    while stack:
        s = stack.pop()
        if s in want:
            continue
        want.add(s)
        stack.extend(t for t in defs[s].free_symbols if t in defs and t not in want)
    return [(s, e) for s, e in assignments if s in want and s in own]


def run_assignments(env: dict, dps: int, forward: Assignments, assignments: Assignments, what: str = "",
                    where: str = "") -> dict:
    """Run ``forward`` then ``assignments`` into ``env`` at ``dps`` working digits; returns ``env``.

    A kink in ``assignments`` is a :class:`KinkError` about ``what`` (``where`` names the sample).
    """
    with mpmath.workdps(dps):
        ev = NodeInterpreter(env, dps)
        for s, e in forward:
            env[s] = ev(e, s)
        for s, e in assignments:
            try:
                env[s] = ev(e, s)
            except NodeKink as k:
                raise _kink(k.node, where, what) from None
    return env


def values_in(env: dict, dps: int, exprs: Sequence[Expr], what: str = "") -> list:
    """The values of ``exprs`` in a filled environment (Fractions or mpf at ``dps`` digits)."""
    with mpmath.workdps(dps):
        ev = NodeInterpreter(env, dps)
        out = []
        for e in exprs:
            try:
                out.append(ev(e, None))
            except NodeKink as k:
                raise _kink(k.node, "", what) from None
        return out


def exact_values(compute: Callable[[int], list], what: str) -> list[sp.Expr]:
    """Run ``compute(dps)``; Fractions become Rationals, mpf results must agree at two precisions."""
    precisions = [(DIGITS + _GUARD, DIGITS + 2 * _GUARD), (3 * DIGITS, 5 * DIGITS)]
    try:
        low = compute(precisions[0][0])
        if all(isinstance(v, Fraction) for v in low):
            return [sp.Rational(v.numerator, v.denominator) for v in low]
        for lo_dps, hi_dps in precisions:
            if lo_dps != precisions[0][0]:
                low = compute(lo_dps)
            high = compute(hi_dps)
            out, ok = [], True
            with mpmath.workdps(hi_dps):
                for lo, hi in zip(low, high):
                    if isinstance(lo, Fraction) and isinstance(hi, Fraction) and lo == hi:
                        out.append(sp.Rational(hi.numerator, hi.denominator))
                        continue
                    lo_m, hi_m = NodeInterpreter.mp(lo), NodeInterpreter.mp(hi)
                    if not (mpmath.isfinite(lo_m) and mpmath.isfinite(hi_m)):
                        raise DerivcheckError(f"{what or 'The value'} is not a finite real number at this point.")
                    if abs(hi_m - lo_m) > abs(hi_m) * mpmath.mpf(10) ** (-DIGITS - 5):
                        if lo_dps != precisions[0][0] and max(abs(lo_m), abs(hi_m)) < _ZERO:
                            out.append(sp.Float(0, DIGITS))  # cancels to 0 at 180 and 300 digits
                            continue
                        ok = False
                        break
                    out.append(sp.Float(hi_m, DIGITS))
            if ok:
                return out
    except Unevaluable as e:
        raise DerivcheckError(f"{what or 'The value'} cannot be evaluated exactly here ({e}).") from None
    except ZeroDivisionError:
        raise DerivcheckError(f"{what or 'The value'} divides by zero at this point.") from None
    raise DerivcheckError(f"{what or 'The value'} cancels to below {DIGITS} significant digits even at "
                          f"{precisions[-1][1]} working digits; derivcheck cannot state it exactly.")
