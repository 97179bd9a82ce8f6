"""Exact truth at a point: values and derivatives of any canonical quantity.

Contract
--------
:class:`Truth` wraps a network that has parameters and data. It answers

* :meth:`Truth.value` — any ``u``, ``a``, ``x``, ``y``, parameter, ``L`` or ``L[k]``;
* :meth:`Truth.derivative` — ``dX/dY`` for any two canonical quantities,
  parameters or nodes: X as a function of Y through the network graph, with
  everything that does not depend on Y held fixed (the ``cut`` of
  :mod:`symbolic.truth.closed_form`);
* :meth:`Truth.gradient` — ``dL/dθ`` for every parameter;
* :meth:`Truth.enclosure` — rigorous lower and upper bounds of any of them at a
  given precision, for certified verdicts.

Every answer reads from the exact point evaluation (:mod:`symbolic.truth.point`): one
forward sweep per sample and one reverse sweep per seed, cached, so a claim and all its
mistake candidates cost one sweep. Results are SymPy numbers: a ``Rational`` when the
inputs are rational and no exp/log enters (truly exact), otherwise a ``Float`` of
``DIGITS`` (60) significant digits taken from a certified ball whose radius is below
10^-65 of its value — at 320 bits first, then 1,280, 5,120 and 20,480 when cancellation
or a ball straddling a branch needs it. A ball that still contains 0 at 320 and at 1,280
bits, with radii below 10^-45 and 10^-185, is an identically-zero quantity (a shared
bias's Σ δ under softmax) and is reported as 0. Where a unit saturates (|u| = X entering
exp/tanh, so 1 − σ(u) ≈ e^−X and its square cancel ~2.9·X bits), :attr:`Truth.precisions`
adds 320 + 2.9·X bits and 4× that (at most ``MAX_BITS``), and "identically zero" needs the
ball to contain 0 at those two levels: (1 − tanh 480)² ≈ 5.7·10^-834 is a value, not 0. Node quantities refer to one sample
(``sample``, 1-based); ``L`` is the mean loss over the batch, so its derivative w.r.t.
one sample's node carries the 1/m factor.

A derivative that passes through relu exactly at its kink (u = 0) raises
:class:`KinkError` naming the node, never a one-sided value; a quantity that does not
pass through the kinked unit is computed.

The closed form (``Truth.form``, ``Truth.point``) stays available as the reference the
lambdify witness and the proofs use; it is built only when asked for.
"""
from __future__ import annotations

from fractions import Fraction
from functools import cached_property

import mpmath
import sympy as sp
from flint import arb, fmpq

from ..spec.errors import DerivcheckError, KinkError
from ..spec.names import Name, parse_name
from ..spec.network import Network
from ..spec.rules import ACTIVATIONS
from .balls import Undecided, Undefined, Unevaluable, bounds, exact, to_mpf, workprec
from .closed_form import MAX_TREE_SIZE, ClosedForm, closed_form, tree_size
from .evaluator import DIGITS, evaluate, refuse_data_variable
from .point import Point
from .program import StructuredTruth


__all__ = ["Truth", "evaluate", "DIGITS", "PRECISIONS", "MAX_BITS", "to_float"]


def to_float(value: sp.Expr) -> float:
    """A SymPy number as a Python float (for comparison with the numeric witnesses)."""
    return float(value)


PRECISIONS = (320, 1280, 5120, 20480)
MAX_BITS = 200_000  # saturated units beyond |u| ≈ 69,000 are computed at this precision at most
_RELATIVE = arb(10) ** -65  # a ball this narrow relative to its value pins DIGITS = 60 digits
_ZERO_RADIUS = (arb(10) ** -45, arb(10) ** -185)
_UNBOUNDED = (Fraction(-1, 1) * 10 ** 1000, Fraction(10 ** 1000))


class Truth:
    """Exact values and derivatives of one network at its parameters and data."""

    def __init__(self, network: Network, sample: int = 1, values: dict | None = None):
        if network.params is None:
            raise DerivcheckError("The network has no parameter values, so there is no point to evaluate at.")
        if network.x is None or network.y is None:
            raise DerivcheckError("The network has no data (x and y), so there is no point to evaluate at.")
        if not 1 <= sample <= len(network.x):
            raise DerivcheckError(f"Sample {sample} does not exist; the batch has {len(network.x)} samples.")
        self.network = network
        self.sample = sample
        self.m = len(network.x)
        # domain values (fmpq / arb) of every parameter, e.g. a certified trajectory's balls: answers are then
        # as narrow as those balls allow, whatever the working precision
        self.values = values
        self._points: dict[int, Point] = {}

    @cached_property
    def structured(self):
        """The structured program's truth (:mod:`symbolic.truth.program`) when the closed form would be
        too large (``tree_size > MAX_TREE_SIZE``); None otherwise (the lambdify witness reads it)."""
        if tree_size(self.network) <= MAX_TREE_SIZE:
            return None
        return StructuredTruth(self.network, self.sample)

    @cached_property
    def form(self) -> ClosedForm:
        return closed_form(self.network)

    def point(self, sample: int | None = None) -> dict[sp.Symbol, sp.Rational]:
        """Exact values of every parameter and of one sample's data, keyed by closed-form symbol."""
        s = (sample or self.sample) - 1
        f = self.form
        pt = {sym: sp.Rational(v.numerator, v.denominator) for sym, v in
              ((f.params[k], v) for k, v in self.network.parameter_values().items())}
        pt.update({sym: sp.Rational(v.numerator, v.denominator) for sym, v in zip(f.x, self.network.x[s])})
        pt.update({sym: sp.Rational(v.numerator, v.denominator) for sym, v in zip(f.y, self.network.y[s])})
        return pt

    def _name(self, name: Name | str) -> Name:
        return (parse_name(name) if isinstance(name, str) else name).check(self.network)

    def at(self, prec: int = PRECISIONS[0]) -> Point:
        """The point evaluation at ``prec`` bits (cached)."""
        if prec not in self._points:
            self._points[prec] = Point(self.network, prec, values=self.values)
        return self._points[prec]

    # ------------------------------------------------------------------------- answers
    def value(self, name: Name | str) -> sp.Expr:
        """The exact value of a canonical quantity (``L`` is the batch mean)."""
        n = self._name(name)
        return self._certain(lambda p: p.value(n, self.sample), str(n), None)

    def derivative(self, of: Name | str, wrt: Name | str) -> sp.Expr:
        """d(of)/d(wrt) at the point, exactly (see the module contract)."""
        top, var = self._name(of), self._name(wrt)
        refuse_data_variable(var)
        return self._certain(lambda p: p.derivative(top, var, self.sample), f"d{top}/d{var}", (top, var))

    def gradient(self) -> dict[str, sp.Expr]:
        """dL/dθ for every parameter, in canonical order: one gradient sweep at the first precision; an
        entry whose ball does not pin DIGITS digits (or that meets a kink) goes through :meth:`derivative`."""
        try:
            balls = self.at().gradient()
        except Undecided:
            balls = {}
        out = {}
        for p in self.network.parameter_names():
            v = balls.get(p)
            if isinstance(v, fmpq):
                out[p] = sp.Rational(int(v.p), int(v.q))
            elif isinstance(v, arb) and _pins_digits(v):
                out[p] = _float(v)
            else:
                out[p] = self.derivative("L", p)
        return out

    def enclosure(self, of: Name | str, wrt: Name | str | None = None,
                  prec: int = PRECISIONS[0]) -> tuple[Fraction, Fraction]:
        """Rigorous bounds (lo, hi) of a value or derivative at ``prec`` bits (lo = hi when exact)."""
        top = self._name(of)
        p = self.at(prec)
        try:
            if wrt is None:
                v = p.value(top, self.sample)
            else:
                var = self._name(wrt)
                refuse_data_variable(var)
                v = p.derivative(top, var, self.sample)
        except Undecided:
            return _UNBOUNDED
        if isinstance(v, Undefined):
            raise KinkError(self._kink_message(v, f"d{top}/d{self._name(wrt)}"))
        return bounds(v)

    # ----------------------------------------------------------------------- precision
    def _kink_message(self, v: Undefined, what: str) -> str:
        if v.reason:  # another kink than relu's (a max-pool tie): it says which, and what to do
            return f"{v.reason}, where {what} does not exist; move the point off the tie."
        return (f"{v.node} = 0 lies exactly on relu's kink, where {what} does not exist; "
                f"move the point off the kink.")

    @cached_property
    def precisions(self) -> tuple[int, ...]:
        """The working precisions to try, lowest first: ``PRECISIONS``, and where a unit saturates (|u| = X
        enters exp/tanh: 1 − σ(u) = σ(−u) ≈ e^−X, and its square e^−2X, cancel ~2.9·X bits) also
        ``SATURATED`` = 320 + 2.9·X bits and 4× that (capped at ``MAX_BITS``)."""
        sat = self.saturated_bits
        if sat is None:
            return PRECISIONS
        return tuple(sorted(set(PRECISIONS) | {sat, min(MAX_BITS, 4 * sat)}))

    @cached_property
    def saturated_bits(self) -> int | None:
        """The saturation precision of :attr:`precisions` (None when no unit saturates)."""
        return self._saturated_bits()

    def _saturated_bits(self) -> int | None:
        if self.values is not None:
            return None  # ball-valued inputs: more working precision cannot narrow them
        try:
            point = self.at(PRECISIONS[0])
            if not isinstance(point, Point):  # another program's point (a layer list): its own precision rules
                return None
            X = 0.0
            with workprec(PRECISIONS[0]):
                for xs in self.network.x:  # the net inputs alone (the loss may be what needs the precision)
                    a = [exact(v) for v in xs]
                    for aff, act in zip(point.affine, point.activation):
                        u = aff.forward(a)
                        a = act.forward(u)
                        for v in u:
                            if not isinstance(v, Undefined):
                                X = max(X, float(abs(v)) if isinstance(v, fmpq) else float(abs(v).upper()))
        except (Undecided, Unevaluable, OverflowError):
            return None
        if 2.9 * X < 200:
            return None
        return min(MAX_BITS, -(-int(320 + 2.9 * min(X, MAX_BITS)) // 64) * 64)

    def _zero_levels(self) -> dict[int, object]:
        """Precision → radius below which a ball containing 0 counts towards "identically zero" (all needed).
        Reads the cached :attr:`saturated_bits`: the saturation scan is one forward sweep over every sample
        (5,000 samples: ~0.2 s), once per Truth, not once per answer."""
        sat = self.saturated_bits
        if sat is None:
            return dict(zip(PRECISIONS[:2], _ZERO_RADIUS))
        return {sat: arb(2) ** (-sat // 2), min(MAX_BITS, 4 * sat): arb(2) ** (-2 * sat)}

    def _certain(self, compute, what: str, derivative) -> sp.Expr:
        """The value of ``compute(point)`` to DIGITS digits, raising the precision as needed."""
        zero_seen = 0
        zero_levels = self._zero_levels()
        v = None
        for prec in self.precisions:
            try:
                v = compute(self.at(prec))
            except Undecided:
                continue
            except Unevaluable as err:
                raise DerivcheckError(f"{what} is not a finite real number at this point ({err}).") from None
            if isinstance(v, Undefined):
                raise KinkError(self._kink_message(v, what))
            if isinstance(v, fmpq):
                return sp.Rational(int(v.p), int(v.q))
            if self.values is not None and prec == PRECISIONS[1] and v.is_finite() and not _pins_digits(v):
                return _certified_digits(v)  # the input balls, not the working precision, bound the answer
            if v.contains(0):
                if prec in zero_levels and v.rad() < zero_levels[prec]:
                    zero_seen += 1
                    if zero_seen == len(zero_levels):
                        return sp.Integer(0)
                continue
            if _pins_digits(v):
                return _float(v)
        if derivative is not None and any(ACTIVATIONS[act].has_kink for act in self.network.activations):
            raise KinkError(f"{what} could not be decided even with {self.precisions[-1]:,}-bit arithmetic: a relu "
                            f"input lies within 2^-{self.precisions[-1]:,} of its kink, or the value cancels; move the "
                            f"point off the kink.")
        raise DerivcheckError(f"{what} could not be computed to {DIGITS} significant digits even with "
                              f"{self.precisions[-1]:,}-bit arithmetic (it cancels, or lies on a branch point).")


def _pins_digits(v) -> bool:
    """A ball away from 0 and narrow enough (relative radius < 10^-65) to give DIGITS correct digits."""
    return not v.contains(0) and v.rad() < abs(v).lower() * _RELATIVE


def _certified_digits(v) -> sp.Expr:
    """A ball from ball-valued inputs as the digits it certifies (at most DIGITS; 0 for a narrow ball
    around 0, whose verdicts the caller certifies from the ball itself)."""
    if v.contains(0):
        return sp.Integer(0)
    digits = int(mpmath.floor(mpmath.log10(to_mpf(abs(v).lower()) / to_mpf(v.rad())))) if v.rad() else DIGITS
    with mpmath.workdps(DIGITS):
        return sp.Float(to_mpf(v), max(1, min(DIGITS, digits)))


def _float(v) -> sp.Float:
    """The ball's midpoint rounded to DIGITS significant digits."""
    with mpmath.workdps(DIGITS):
        return sp.Float(to_mpf(v), DIGITS)


