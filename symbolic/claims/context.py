"""The claim context: everything the checker and the mistake table need about one derivation.

Contract
--------
:class:`ClaimContext` wraps one loaded :class:`~symbolic.claims.derivation.Derivation`
and answers, for a claim, its exact value (:meth:`ClaimContext.exact`), its certified
verdict (:meth:`ClaimContext.certify`), the parameter values at its point (``with``
changes, ``after`` updates: :class:`symbolic.truth.trajectory.Trajectory`) and, for the
mistake table, the same quantity under a program transformation
(:meth:`ClaimContext.replay_value`, :class:`symbolic.truth.replay.Replay`). Exact
values come from :class:`symbolic.truth.exact.Truth`, one per point, cached.
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Callable

import mpmath
import sympy as sp
from flint import arb

from .costs import TRUTH_CACHE
from .derivation import Claim, Derivation
from ..truth.trajectory import REPLAY_UPDATES, Trajectory, ball_values, point_key, to_fraction, undecided_sentence
from ..spec.errors import DerivcheckError
from ..truth.evaluator import DIGITS
from ..truth.exact import PRECISIONS, Truth
from ..truth.layered import NO_LAYER_MISTAKES, BatchPoint, truth_for
from .layer_mistakes import replayed_layer_value
from ..truth.layered_update import LayeredTrajectory
from ..spec.layers import LayeredNetwork
from ..spec.network import Network
from ..spec.names import Name, parse_name
from ..truth.replay import Mistakes, Replay
from .verdict import ROUNDING_UNITS, format_exact, judge, judge_bounds, printed_unit
from ..truth.balls import EXTREME_BITS, Undecided, Undefined, Unevaluable, exact, magnitude_bits, workprec
from ..truth.balls import to_fraction as ball_fraction, to_mpf
from ..truth.pins import Pins
from ..truth.point import Point

__all__ = ["ClaimContext", "Skip", "fraction_value", "domain_fraction", "TRANSFORM_PREC", "MISTAKE_REPLAY_UPDATES",
           "REPLAY_BOUND_WORDS"]

TRANSFORM_PREC = 320  # bits of the transformed programs' balls (far below any printed unit)
MISTAKE_REPLAY_UPDATES = 20  # f′ and sequential-update mistakes are replayed (60 digits) up to here
# how the Skip of a mistake beyond that bound ends (symbolic.claims.mistakes.undiagnosed finds it in the notes)
REPLAY_BOUND_WORDS = f"replayed up to {MISTAKE_REPLAY_UPDATES:,} updates"


class Skip(Exception):
    """A mistake that cannot be replayed here."""


class ClaimContext:
    """Everything the claim checker and the mistake table need about one derivation."""

    # a mistake that cannot be replayed here (too many updates, a kink, a non-finite value) is skipped,
    # never allowed to cost the claim its verdict
    skippable = (Skip, DerivcheckError, ArithmeticError)

    def __init__(self, derivation: Derivation):
        self.d = derivation
        self.network: Network = derivation.network
        self.notes: list[str] = []
        self._truths: dict = {}
        self._replay: Replay | None = None
        self.trajectory = LayeredTrajectory(self.network) if isinstance(self.network, LayeredNetwork) else \
            Trajectory(self.network, replay=lambda: self.replay)

    # ---------------------------------------------------------------- helpers
    def note(self, text: str) -> None:
        self.notes.append(text)

    @property
    def has_bias(self) -> bool:
        return any(b != "none" for b in self.network.bias)

    @property
    def replay(self) -> Replay:
        if self._replay is None:
            if not isinstance(self.network, Network):  # a [[layer]] list: its mistakes are in layer_mistakes
                raise Skip("dense-network replays do not apply to a [[layer]] list")
            self._replay = Replay(self.network)
        return self._replay

    def display(self, canonical: str) -> str:
        return self.d.display_name(canonical)

    def _truth(self, values: dict[str, Fraction], sample: int) -> Truth:
        key = (point_key(values), sample)
        if key not in self._truths:
            balls = ball_values(values)  # a certified trajectory's balls (issue 21)
            net = self.network.with_values(values) if values and balls is None else self.network
            self._truths[key] = truth_for(net, sample, values=balls)
            if len(self._truths) > TRUTH_CACHE:  # issue 21: memory bounded (200 `with` variants of a large net)
                self._truths.pop(next(iter(self._truths)))
        return self._truths[key]

    # ----------------------------------------------------------- trajectories
    def parameters_after(self, with_values: dict[str, Fraction], n: int) -> dict[str, Fraction]:
        """Exact-as-possible parameter values after ``n`` true gradient-descent updates (see Trajectory)."""
        return self.trajectory.after(with_values, n)

    def _check_poison(self, key, parameter: str | None) -> None:
        """Raise if the claim needs a parameter whose trajectory crossed a kink (see Trajectory.check_poison)."""
        self.trajectory.check_poison(dict(key[0]), key[1], parameter)

    def precision_for(self, c: Claim) -> str:
        return self.trajectory.describe(c.with_values, c.after)

    # ----------------------------------------------------------------- truth
    def _evaluate(self, c: Claim, values: dict[str, Fraction], quantity: Name, wrt: Name | None):
        truth = self._truth(values, c.sample)
        if wrt is None:
            return truth.value(quantity)
        return truth.derivative(quantity, wrt)

    def _values(self, with_values: dict[str, Fraction], after: int, parameter: str | None = None) -> dict:
        """Parameter values at a claim's point: the file's, with ``with`` changes, after ``after`` updates.

        ``parameter`` names the one parameter a claim reads (None: the claim depends on all of them),
        so a kink that makes only other parameters' updates undefined does not refuse it.
        """
        if not after:
            return {**self.network.parameter_values(), **with_values} if with_values else {}
        values = self.parameters_after(with_values, after)
        self._check_poison((tuple(sorted(with_values.items())), after), parameter)
        return values

    @staticmethod
    def _read_parameter(c: Claim, quantity: Name | None = None) -> str | None:
        q = quantity or c.quantity
        return str(q) if c.kind == "value" and q.is_parameter else None

    def exact(self, c: Claim):
        if c.quantity is not None and c.quantity.is_state:  # optimizer state: read off the trajectory
            return self.trajectory.state_value(c.with_values, c.after, c.quantity)
        values = self._values(c.with_values, c.after, self._read_parameter(c))
        return self._evaluate(c, values, c.quantity, c.wrt)

    def exact_for(self, c: Claim, other: str):
        """The claim's quantity with ``other`` in place of its parameter entry."""
        name = parse_name(other)
        values = self._values(c.with_values, c.after, self._read_parameter(c, name))
        if c.kind == "derivative":
            return self._evaluate(c, values, c.quantity, name)
        return self._evaluate(c, values, name, None)

    def certify(self, c: Claim, exact) -> tuple[str, str]:
        """(verdict, precision note) from the certified ball of the claim's value: the verdict every point
        of the ball gets, at the first precision of ``PRECISIONS`` whose ball lies inside one verdict region.
        A value still on a boundary at the last precision is judged from its 60 digits, and the note says so."""
        if c.quantity.is_state:  # state: a 60-digit value of a pinned ball
            return judge(c.value, exact).verdict, ""
        truth = self._truth(self._values(c.with_values, c.after, self._read_parameter(c)), c.sample)
        if isinstance(exact, sp.Rational) and truth.values is None:  # exact at an exact point
            return judge(c.value, exact).verdict, ""
        # at a ball trajectory's parameters a Rational may stand for a ball around 0 (Truth's certified digits):
        # the verdict comes from the ball itself (a converged loss of 2e-189 inside [±7e-183] is not 0)
        while True:
            for bits in truth.precisions:  # issue 21: saturated units add precisions
                lo, hi = truth.enclosure(c.quantity, c.wrt, bits)
                judgement = judge_bounds(c.value, lo, hi)
                if judgement is not None:
                    return judgement.verdict, "" if bits == PRECISIONS[0] else f", certified at {bits:,} bits"
            if truth.values is None:
                break
            # a ball trajectory's value too wide for the claim: the run again at twice its bits (up to the top),
            # then never judged beyond its digits
            refine = getattr(self.trajectory, "refine", None)  # a layer list's trajectory has none
            if refine is None or not refine(c.with_values, c.after):
                raise DerivcheckError(undecided_sentence(c.value, lo, hi, c.after))
            truth = self._truth(self._values(c.with_values, c.after, self._read_parameter(c)), c.sample)
        return judge(c.value, exact).verdict, (f", within 2^-{truth.precisions[-1]:,} of a verdict boundary: judged "
                                               f"from {DIGITS} digits")

    def near_claim(self, c: Claim, others: list[str]) -> list[str]:
        """The ``others`` whose derivative (as :meth:`exact_for` reads it) a float screen of the point
        evaluation puts within ROUNDING_UNITS + 1 units of the claimed number, in their order; only those
        can reproduce it, so only those are computed exactly (a 128×128 weight has 16,383 siblings)."""
        if c.kind != "derivative":
            return others
        point = self._truth(self._values(c.with_values, c.after), c.sample).at()
        claimed, band = float(Decimal(c.value)), float((ROUNDING_UNITS + 1) * printed_unit(c.value))
        kept = []
        for other in others:
            try:
                v = point.derivative(c.quantity, parse_name(other), c.sample)
                near = type(v) is Undefined or abs(float(v) - claimed) <= band * (1 + 1e-9)
            except (Undecided, Unevaluable, DerivcheckError, OverflowError):
                near = True  # let the exact evaluation say what it is
            if near:
                kept.append(other)
        return kept

    def exact_with(self, c: Claim, with_values: dict[str, Fraction]):
        values = self._values(with_values, c.after, self._read_parameter(c)) or self.network.parameter_values()
        return self._evaluate(c, values, c.quantity, c.wrt)

    def domain(self, c: Claim, after: int | None = None) -> dict:
        """Every parameter at the claim's point (``with`` changes, ``after`` updates — the claim's own by
        default) as domain values of the point evaluation (fmpq, or the trajectory's certified balls)."""
        n = c.after if after is None else after
        values = self._values(c.with_values, n) if n else {}
        values = {**self.network.parameter_values(), **c.with_values, **(values or {})}
        return {k: v if isinstance(v, arb) else exact(Fraction(v)) for k, v in values.items()}

    def transformed(self, c: Claim, pins: Pins | None = None, overrides: dict | None = None,
                    backward: Callable[[dict, dict], dict] | None = None) -> Fraction | None:
        """The claim's number in its program transformed: the author's numbers ``pins`` put in, parameters
        ``overrides`` (exact Fractions), and ``backward(values, gradient)`` giving the weights the backward
        pass multiplies by. None where it is undefined (a kink) or cannot be evaluated. A ``[[layer]]`` list runs
        its batch evaluation (:class:`~symbolic.truth.layered.BatchPoint`) with ``pins`` a
        :class:`~symbolic.truth.pins.LayerPins`; ``backward`` does not apply to it (None)."""
        layered = isinstance(self.network, LayeredNetwork)
        if layered and backward is not None:
            return None
        try:
            with workprec(TRANSFORM_PREC):
                values = self.domain(c)
                values.update({k: exact(v) for k, v in (overrides or {}).items()})
                back = None
                if backward is not None:
                    back = backward(values, Point(self.network, TRANSFORM_PREC, values=values).gradient())
                if layered:
                    point = BatchPoint(self.network, TRANSFORM_PREC, values=values, pins=pins)
                else:
                    point = Point(self.network, TRANSFORM_PREC, values=values, pins=pins, backward_values=back)
                v = point.value(c.quantity, c.sample) if c.kind == "value" else \
                    point.derivative(c.quantity, c.wrt, c.sample)
        except (Undecided, Unevaluable, DerivcheckError, ArithmeticError, ValueError):
            return None
        return domain_fraction(v)

    def node_value(self, name: str, c: Claim):
        """A node's exact value at the claim's point (its 'with' changes and updates applied)."""
        return self._truth(self._values(c.with_values, c.after), c.sample).value(name)

    def node_derivative(self, of: str, wrt: str, c: Claim):
        """d(of)/d(wrt), exactly, at the claim's point."""
        return self._truth(self._values(c.with_values, c.after), c.sample).derivative(of, wrt)

    # ------------------------------------------------------- for the mistakes
    def sibling_entries(self, target: Name) -> list[str]:
        if target is None or target.kind not in ("W", "b") or not target.indices:
            return []
        prefix = f"{target.kind}{target.layer}"
        own = str(target)
        names = [p for p in self.network.parameter_names() if p.startswith(prefix + "[") and p != own]
        if target.kind == "W":
            transposed = f"{prefix}[{target.indices[1]},{target.indices[0]}]"
            names.sort(key=lambda p: p != transposed)
        return names

    def has_siblings(self, c: Claim) -> bool:
        target = c.wrt if c.kind == "derivative" else c.quantity
        return bool(self.sibling_entries(target)) and (c.kind == "derivative" or c.after > 0)

    def moved_changes(self, c: Claim):
        for key, value in c.with_values.items():
            for other in self.sibling_entries(parse_name(key)):
                if other in c.with_values:
                    continue
                moved = {k: v for k, v in c.with_values.items() if k != key}
                moved[other] = value
                shown = format_exact(sp.Rational(value.numerator, value.denominator)).split(" = ")[-1]
                yield moved, f" ({self.display(key)} = {shown} seems to have been applied to {self.display(other)})"

    def replay_value(self, c: Claim, m: Mistakes, after: int | None = None):
        """The claim's number when the author makes mistake ``m`` (None if it does not apply).

        After updates, a mistake that scales the learning rate (or flips the biases' setting) on a plain
        gradient-descent network is screened with its float64 run and, only where that lands within reach
        of the claimed number, confirmed on its certified ball run (issue 21: linear, and cheap where it
        does not match). f′ and sequential-update mistakes are replayed at 60 digits up to
        ``MISTAKE_REPLAY_UPDATES`` updates and not tried beyond (the note says so)."""
        n = c.after if after is None else after
        if isinstance(self.network, LayeredNetwork):  # issue 18: a layer list's own trajectory, without a mistake
            if m != Mistakes():
                raise Skip("dense-network replays do not apply to a [[layer]] list")
            return replayed_layer_value(self, c, NO_LAYER_MISTAKES, n)
        start = dict(c.with_values)
        if c.quantity is not None and c.quantity.is_state:  # optimizer state (issue 17): the trajectory replays it
            return self._state_replay(c, m, n)
        replay = self.replay
        lr_only = m.fprime == "true" and not m.sequential
        if n and lr_only and self.trajectory.trained is None:
            screen = self.replayed_quantity(c, self.trajectory.float_after(start, n, m), m)
            if screen is None or not _within_reach(c.value, screen):
                return screen
            balls = self.trajectory.mistaken_after(start, n, m)
            if balls is None and n <= REPLAY_UPDATES:
                raise Skip(f"its {n:,}-update ball run cannot be certified (a relu kink or an overflow)")
            if balls is not None:
                with mpmath.workdps(DIGITS):
                    p = {k: v if isinstance(v, Fraction) else to_mpf(v) for k, v in balls.items()}
                return self.replayed_quantity(c, p, m)
        if not lr_only and n > MISTAKE_REPLAY_UPDATES:
            raise Skip(f"f′ and sequential-update mistakes are {REPLAY_BOUND_WORDS}")
        if n > REPLAY_UPDATES:
            p = self._numpy_after(start, n, m)
        else:
            p = replay.train(replay.initial(start), n, self.network.learning_rate, m)
        return self.replayed_quantity(c, p, m)

    def replayed_quantity(self, c: Claim, p: dict, m: Mistakes):
        """The claim's quantity at parameters ``p`` (mpf or Fractions) in the program with mistake ``m``."""
        q = c.quantity
        if c.kind == "derivative":
            if q.kind != "L" or q.indices or not c.wrt.is_parameter:
                return None
            return fraction_value(self.replay.gradient(p, m)[str(c.wrt)])
        if q.is_parameter:
            return fraction_value(p[str(q)])
        if q.kind == "L":
            if q.indices:
                return fraction_value(self.replay.loss_terms(p, c.sample, m)[q.indices[0] - 1])
            return fraction_value(self.replay.loss(p, m))
        if q.kind in ("u", "a"):
            u, a = self.replay.forward(p, c.sample)
            return fraction_value((u if q.kind == "u" else a)[q.layer][q.indices[0] - 1])
        return None

    def _state_replay(self, c: Claim, m: Mistakes, n: int):
        """An optimizer-state claim (``m(W1[1,1])``, ``step(…)``) after ``n`` updates with mistake ``m``, from the
        exact optimizer run (:meth:`TrainedTrajectory.state_value`); None where that run does not replay it."""
        trained = getattr(self.trajectory, "trained", None)  # a layer list's trajectory replays its own
        if trained is None or n < 0:
            return None
        try:
            value = trained.state_value(dict(c.with_values), n, c.quantity, m)
            return value if isinstance(value, sp.Rational) else sp.Rational(value)  # a 60-digit Float: exactly
        except DerivcheckError:  # beyond the exact runs, a step of update 0, a parameter that does not move
            return None

    def _numpy_after(self, start: dict, n: int, m: Mistakes) -> dict:
        """Float64 parameters after ``n`` updates (with mistake ``m``), resuming cached runs (Trajectory.float_after)."""
        return self.trajectory.float_after(start, n, m)


def _within_reach(claimed: str, screen) -> bool:
    """A float64 screen's number close enough to the claimed one that the certified run must decide: within
    the rounding band plus a relative 10^-6 (far beyond float64's drift over thousands of updates)."""
    value = Fraction(Decimal(claimed))
    band = ROUNDING_UNITS * printed_unit(claimed)
    return abs(to_fraction(screen) - value) <= band + abs(value) / 10**6


def domain_fraction(v) -> Fraction | None:
    """A point-evaluation value as a Fraction to compare with a printed number: None where undefined or beyond
    2^EXTREME_BITS (no printed claim reaches it; 2^huge is never built), 0 below 2^-EXTREME_BITS."""
    if type(v) is Undefined:
        return None
    if type(v) is arb and not v.contains(0) and abs(magnitude_bits(v)) > EXTREME_BITS:
        return None if magnitude_bits(v) > 0 else Fraction(0)
    return ball_fraction(v)


def fraction_value(v) -> sp.Rational:
    f = to_fraction(v)
    return sp.Rational(f.numerator, f.denominator)
