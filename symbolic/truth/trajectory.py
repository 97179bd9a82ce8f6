"""Trajectories: a network's parameters after N gradient-descent updates, exact/60-digit or float64, saying which.

Contract
--------
:class:`Trajectory` runs full-batch gradient descent θ ← θ − η · mean_s ∂L_s/∂θ from a
:class:`~symbolic.spec.network.Network`'s parameters with some of them overridden
(``start``, canonical name → exact number); biases move only when the network's
``update_biases`` says so.

* :meth:`Trajectory.after` — the parameters after ``n`` true updates: ``n`` = 0 is the start
  itself (Fractions). Otherwise, where the cost allows (``MAX_PARAMETERS`` parameters and
  parameters × samples × updates ≤ ``BALL_WORK``; beyond ``EXACT_UPDATES``, ``LONG_BALL_WORK``), a **certified
  ball trajectory** (:mod:`symbolic.truth.ball_update`: the generated update over ``arb`` balls at 256 bits, then
  1,024 and 4,096 while a parameter's ball is wider than 10^-70 of its value): every entry is
  a Fraction where the updates left it exactly unchanged (ties stay ties) and an ``arb`` ball
  elsewhere, which :class:`~symbolic.truth.exact.Truth` evaluates rigorously (``values=``).
  A relu network takes the ball path too (a relu input whose ball meets 0 makes the run
  non-finite, so a finite run decided every kink); up to ``EXACT_UPDATES`` updates, a kink at the
  start or a run the balls cannot decide takes the ``DIGITS``-digit path (each step's forward pass
  checked for exact kinks; parameters a step leaves unchanged stay exact). A run beyond the cost bound
  with more than ``EXACT_UPDATES`` updates is refused with a sentence naming the size and
  the limit (a float64 trajectory would be judged beyond the digits it can certify).
  :meth:`Trajectory.precision` says which; results are cached per (start, n); :meth:`refine` re-runs one at
  twice its bits. :meth:`mistaken_after` is the same ball run with a learning-rate mistake.
* relu kinks: along a 60-digit trajectory every step's forward pass is checked; a relu input
  exactly 0 (|u| < 10^(10−DIGITS)) at step 0 poisons the parameters feeding that unit
  (their first update is undefined), at any later step — or from step 1 on once anything is
  poisoned — every parameter. A float64 trajectory is checked at its start only.
  :meth:`Trajectory.check_poison` raises :class:`KinkError` for a claim that needs a poisoned
  parameter (after one update only the poisoned ones, after more every parameter).
* :meth:`Trajectory.float_after` — float64 parameters after ``n`` updates with the
  replayable mistakes of a :class:`~symbolic.truth.replay.Mistakes` (``loss_scale`` and
  ``sign`` scale the learning rate, ``update_biases`` overrides the setting), as mpf. The
  engines are generated from the structured program (:class:`~symbolic.truth.program.Structured`)
  and chosen by measured cost: up to ``PLAIN_WORK`` parameters × samples plain Python floats
  (:mod:`symbolic.truth.compiled_update`; 10,000 updates of a 2-2-2 net in ~0.01 s, NumPy ~0.5 s) —
  except a run too short for that code to pay off (``compiled_update.plain_pays_off``), run by ``numeric.train``;
  up to ``STRUCTURED_PARAMETERS`` the generated NumPy gradient (:mod:`symbolic.truth.compiled`);
  beyond, ``numeric.train``. A plain-float run that raises (exp overflow) is run by NumPy. All agree
  with ``numeric.train`` to rounding (tests/test_trajectory.py). Each run keeps its last two
  snapshots (N − 1, N, N + 1 cost one run); :meth:`Trajectory.float_engine` names the engine used.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Callable, Mapping

import mpmath
import numpy as np
import sympy as sp

from flint import arb, fmpq

import numeric
from ..spec.errors import DerivcheckError, KinkError
from ..spec.names import parse_name
from ..spec.network import Network
from ..spec.rules import ACTIVATIONS
from .ball_update import BALL_PRECISIONS, POINT_STEPS, BallUpdate, PointUpdate, compile_ball_update
from .compiled import CompiledGradient, compile_gradient
from .compiled_update import MAX_PARAMETERS, CompiledUpdate, FloatTrouble, compile_update, plain_pays_off
from .balls import exact
from .trajectory_values import ball_values, point_key, to_fraction, undecided_sentence
from .program import Structured
from .replay import DIGITS, NO_MISTAKES, Mistakes, Replay
from .trained import TrainedTrajectory, as_sympy, resume, trained

__all__ = ["Trajectory", "EXACT_UPDATES", "REPLAY_UPDATES", "PLAIN", "GENERATED_NUMPY", "NUMPY", "PLAIN_WORK",
           "STRUCTURED_PARAMETERS", "to_fraction", "BALL_WORK", "LONG_BALL_WORK", "BALL_PRECISIONS", "ball_values", "point_key",
           "undecided_sentence"]

EXACT_UPDATES = 2_000  # up to here trajectories are iterated at DIGITS digits
REPLAY_UPDATES = 2_000  # up to here mistakes are replayed at DIGITS digits (symbolic.truth.replay)
# float engines, cheapest first; the bounds are measured (parameters x samples: plain Python floats
# cost ~0.13 us each per update, one NumPy update ~50-70 us whatever the size up to a few thousand)
PLAIN = "generated plain-float update"
GENERATED_NUMPY = "generated NumPy gradient"
NUMPY = "numeric.train"
PLAIN_WORK = 500  # parameters x samples
STRUCTURED_PARAMETERS = 2_000

# parameters x samples x updates of a ball run (~1.3 us each at 256 bits): ~3 s; beyond EXACT_UPDATES ~0.3 s
BALL_WORK, LONG_BALL_WORK = 2_500_000, 250_000  # (refused beyond; docs/exactness.md)

Start = Mapping[str, Fraction]


def _key(start: Start) -> tuple:
    return tuple(sorted(start.items()))


class Trajectory:
    """Gradient-descent trajectories of one network (see the module contract); ``replay`` supplies the
    shared :class:`Replay` (its 60-digit forward pass finds kinks), by default made when first needed."""

    def __init__(self, network: Network, replay: Callable[[], Replay] | None = None):
        self.network = network
        self._replay_of = replay
        self._replay: Replay | None = None
        self._exact: dict = {}
        self._poison: dict = {}
        self._snapshots: dict = {}
        self._engines: dict = {}
        self._plain: dict[bool, CompiledUpdate] = {}
        self._balls: dict[bool, BallUpdate] = {}
        self._bits: dict[int, int] = {}
        self._numpy_code: CompiledGradient | None = None
        self._program: Structured | None = None
        self._data: tuple | None = None
        self.trained = TrainedTrajectory(network, self._float_data) if trained(network) else None

    @property
    def replay(self) -> Replay:
        if self._replay is None:
            self._replay = self._replay_of() if self._replay_of is not None else Replay(self.network)
        return self._replay

    # ------------------------------------------------------------------- exact
    def precision(self, n: int) -> str:
        """How a value after ``n`` updates was computed."""
        if n in self._bits:
            return f"certified ball arithmetic through {n:,} update(s) at {self._bits[n]:,} bits"
        if n:
            return f"{DIGITS} digits through {n:,} update(s)"
        return "exact"

    def _ball_cost(self, n: int) -> int:
        return len(self.network.parameter_names()) * len(self.network.x) * n

    def _by_balls(self, n: int) -> bool:
        bound = BALL_WORK if n <= EXACT_UPDATES else LONG_BALL_WORK
        return len(self.network.parameter_names()) <= MAX_PARAMETERS and self._ball_cost(n) <= bound

    def _kinked(self) -> bool:
        return any(ACTIVATIONS[a].has_kink for a in self.network.activations)

    def after(self, start: Start, n: int) -> dict[str, Fraction]:
        """Exact-as-possible parameter values after ``n`` true gradient-descent updates."""
        key = (_key(start), n)
        if key in self._exact:
            return self._exact[key]
        values = self.network.parameter_values()
        values.update(start)
        if n == 0:
            result = values
        elif self.trained is not None:  # an optimizer or a penalty: symbolic.truth.trained
            result = self.trained.after(start, n)
        elif self._by_balls(n) and not (n <= EXACT_UPDATES and self._kinked() and self._kink_at_start(key, start)):
            if n > EXACT_UPDATES:
                self._record_kinks(key, self.replay.initial(dict(start)), 0)
                self.check_poison(start, n, None)
            try:
                result = self._ball_after(values, n)
            except KinkError:  # a relu input too near its kink for the balls: the 60-digit run decides it
                if n > EXACT_UPDATES:
                    raise
                self._poison.pop(key, None)
                result = self._mp_after(key, values, n)
        elif n <= EXACT_UPDATES:
            result = self._mp_after(key, values, n)
        else:
            P, m = len(self.network.parameter_names()), len(self.network.x)
            raise DerivcheckError(
                f"{n:,} updates of this network ({P:,} parameters x {m:,} sample(s) x {n:,} updates = "
                f"{self._ball_cost(n):,} steps) are over the {LONG_BALL_WORK:,}-step bound of a certified trajectory "
                f"beyond {EXACT_UPDATES:,} updates"
                + (f" (and over {MAX_PARAMETERS:,} parameters)" if P > MAX_PARAMETERS else "; a float64 run cannot "
                   "certify the claim's digits, so it is not judged (claim fewer updates)"))
        self._exact[key] = result
        return result

    def _ball_after(self, values: dict[str, Fraction], n: int) -> dict:
        """n updates in certified ball arithmetic (see the module contract): Fractions where unchanged."""
        found = self._ball_code(self.network.update_biases, n).certified(values, n, self.network.learning_rate)
        if found is not None:
            run, self._bits[n] = found
        else:
            kinked = self._kinked()
            why = ("a relu input comes so close to its kink during the updates" if kinked else
                   "a value overflows or a division by zero occurs during the updates")
            raise (KinkError if kinked else DerivcheckError)(
                f"after {n:,} update(s) the parameters cannot be certified: {why} that even "
                f"{BALL_PRECISIONS[-1]:,}-bit ball arithmetic cannot decide it")
        return {k: Fraction(int(v.p), int(v.q)) if isinstance(v, fmpq) else v for k, v in run.items()}

    def refine(self, start: Start, n: int) -> bool:
        """Re-run the certified run of ``n`` updates at twice its bits (at most the top), for a quantity that
        cancels below what its balls resolve (a converged loss); False where there is no such run to refine, or
        where it would cost more than BALL_WORK steps at 256 bits (steps x bits, a run's cost grows slower)."""
        key, bits, top = (_key(start), n), self._bits.get(n), BALL_PRECISIONS[-1]
        if key not in self._exact or bits is None or bits >= top or self.trained is not None or \
                self._ball_cost(n) * min(top, 2 * bits) > BALL_WORK * BALL_PRECISIONS[0]:
            return False
        run = self._ball_code(self.network.update_biases, n).run({**self.network.parameter_values(), **start}, n,
                                                                 self.network.learning_rate, min(top, 2 * bits))
        if run is not None:
            self._exact[key], self._bits[n] = {k: Fraction(int(v.p), int(v.q)) if isinstance(v, fmpq) else v
                                               for k, v in run.items()}, min(top, 2 * bits)
        return run is not None

    def _ball_code(self, update_biases: bool, n: int = 0) -> BallUpdate | PointUpdate:
        if update_biases not in self._balls and 0 < n * len(self.network.x) <= POINT_STEPS:  # cheaper than code
            return PointUpdate(self.network, update_biases)
        if update_biases not in self._balls:
            self._balls[update_biases] = compile_ball_update(self.network, update_biases, self._structured())
        return self._balls[update_biases]

    def _kink_at_start(self, key: tuple, start: Start) -> bool:
        """A relu input exactly on its kink at the starting point (the 60-digit run then says which parameters
        that poisons; balls would only say "undecided")."""
        self._record_kinks(key, self.replay.initial(dict(start)), 0)
        return bool(self._poison.get(key))

    def mistaken_after(self, start: Start, n: int, m: Mistakes) -> dict | None:
        """Certified parameters after ``n`` updates with a mistake that scales the learning rate (``loss_scale``,
        ``sign``) or overrides ``update_biases``, to 20 digits (a prediction, compared with printed digits); None
        otherwise, over the bound, or if the balls fail."""
        if self.trained is not None or m.fprime != "true" or m.sequential or not self._by_balls(n):
            return None
        code = self._ball_code(self.network.update_biases if m.update_biases is None else m.update_biases, n)
        lr = Fraction(self.network.learning_rate) * Fraction(m.loss_scale) * m.sign
        found = code.certified({**self.network.parameter_values(), **start}, n, lr, relative=arb(10) ** -20)
        if found is None:
            return None
        return {k: Fraction(int(v.p), int(v.q)) if isinstance(v, fmpq) else v for k, v in found[0].items()}

    def _mp_after(self, key: tuple, values: dict[str, Fraction], n: int) -> dict[str, Fraction]:
        """n true updates at DIGITS digits: each gradient is the exact point evaluation's (Replay without a
        mistake, balls at 256 bits rounded to DIGITS digits per step)."""
        with mpmath.workdps(DIGITS):
            p = {k: mpmath.mpf(v.numerator) / v.denominator for k, v in values.items()}
            for step in range(n):
                self._record_kinks(key, p, step)
                p = self.replay.step(p, self.network.learning_rate)
                if self._poison.get(key) and not all(mpmath.isfinite(v) for v in p.values()):
                    # an update through a kink is undefined (nan); check_poison refuses every claim that
                    # reads such a parameter, so the rest of the trajectory is not computed
                    return {k: to_fraction(v) if mpmath.isfinite(v) else Fraction(0) for k, v in p.items()}
            # a parameter the updates left exactly where it started (never moved, or every gradient an exact 0)
            # keeps its exact value: a tie stays a tie
            start = {k: mpmath.mpf(v.numerator) / v.denominator for k, v in values.items()}
            return {k: values[k] if v == start[k] else to_fraction(v) for k, v in p.items()}

    def state_value(self, start: Start, n: int, name) -> sp.Expr:
        """An optimizer-state claim (``step(W1[1,1])`` of plain gradient descent: θ_n − θ_(n−1))."""
        if self.trained is not None:
            return self.trained.state_value(start, n, name)
        if n == 0:
            raise DerivcheckError(f"{name} belongs to an update; claim it with after = 1 or more")
        k = str(name.parameter)
        now, before = (v if isinstance(v, arb) else exact(v) for v in (self.after(start, n)[k],
                                                                        self.after(start, n - 1)[k]))
        return as_sympy(now - before)

    def describe(self, start: Start, n: int) -> str:
        """:meth:`precision`, or for an optimizer's trajectory how its values were computed."""
        return self.precision(n) if self.trained is None or not n else self.trained.describe(start, n)

    # ------------------------------------------------------------------- kinks
    def _record_kinks(self, key: tuple, params: dict, step: int) -> None:
        """Mark the parameters whose update at ``step`` would need relu's derivative exactly at its kink.

        At a kink (a relu input exactly 0) the gradient of every parameter feeding that unit
        does not exist; those parameters are poisoned, and from the next step on everything is
        (every gradient then depends on them). :meth:`check_poison` refuses claims that use them.
        """
        relu_layers = [l for l, act in enumerate(self.network.activations, 1) if ACTIVATIONS[act].has_kink]
        if not relu_layers:
            return
        poison = self._poison.setdefault(key, {})
        if step > 0 and poison:
            for k in params:
                poison.setdefault(k, next(iter(poison.values())))
            return
        tiny = mpmath.mpf(10) ** (10 - DIGITS)
        update_biases = self.network.update_biases
        for s in range(1, len(self.network.x) + 1):
            u, _ = self.replay.forward(params, s)
            for l in relu_layers:
                for i, v in enumerate(u[l], 1):
                    if abs(v) >= tiny:
                        continue
                    why = (f"after {step} update(s), u{l}[{i}] = 0 lies exactly on relu's kink, where the gradient "
                           f"does not exist, so that update is undefined; move the starting point off the kink")
                    for k in params:
                        name = parse_name(k)
                        if name.kind == "b" and not update_biases:
                            continue
                        feeds = name.layer < l or (name.layer == l and (not name.indices or name.indices[0] == i))
                        if feeds or step > 0:
                            poison.setdefault(k, why)

    def check_poison(self, start: Start, n: int, parameter: str | None) -> None:
        """Raise if a claim after ``n`` updates needs a parameter whose trajectory crossed a kink.

        ``parameter`` is the one parameter the claim reads (None: it depends on all of them).
        """
        poison = self._poison.get((_key(start), n))
        if not poison:
            return
        if parameter is not None and n == 1:
            if parameter in poison:
                raise KinkError(poison[parameter])
            return
        raise KinkError(next(iter(poison.values())))

    # ------------------------------------------------------------------- float
    def float_engine(self, start: Start, mistakes: Mistakes = NO_MISTAKES) -> str | None:
        """The engine of a float run from ``start`` (PLAIN, GENERATED_NUMPY or NUMPY; None before any run).

        NumPy's name wins once it ran any part of the run.
        """
        return self._engines.get((_key(start), mistakes))

    def float_after(self, start: Start, n: int, mistakes: Mistakes = NO_MISTAKES) -> dict[str, mpmath.mpf]:
        """Float64 parameters after ``n`` updates (with ``mistakes``), resuming cached runs."""
        if self.trained is not None:
            with mpmath.workdps(DIGITS):
                return {k: mpmath.mpf(v) for k, v in self.trained.float_after(start, n, mistakes)[0].items()}
        run = (_key(start), mistakes)
        params = resume(self._snapshots.setdefault(run, {}), n,
                        lambda: {k: float(v) for k, v in {**self.network.parameter_values(), **start}.items()},
                        lambda last, done, steps: self._float_steps(run, last, steps, mistakes))
        with mpmath.workdps(DIGITS):
            return {k: mpmath.mpf(v) for k, v in params.items()}

    def _float_kind(self) -> str:
        """The engine for this network's float runs: by measured cost (see the module contract)."""
        n, m = len(self.network.parameter_names()), len(self.network.x)
        if n * m <= PLAIN_WORK:
            return PLAIN
        return GENERATED_NUMPY if n <= STRUCTURED_PARAMETERS else NUMPY

    def _structured(self) -> Structured:
        if self._program is None:
            self._program = Structured(self.network)
        return self._program

    def _float_steps(self, run: tuple, params: dict[str, float], steps: int, m: Mistakes) -> dict[str, float]:
        net = self.network
        update_biases = net.update_biases if m.update_biases is None else m.update_biases
        lr = float(net.learning_rate) * float(m.loss_scale) * m.sign
        kind = self._float_kind()
        if kind == PLAIN and update_biases not in self._plain and steps < plain_pays_off(len(params), len(net.x)):
            kind = NUMPY  # a short run: generating the plain-float code would cost more than NumPy's steps
        if kind == PLAIN:
            if update_biases not in self._plain:
                self._plain[update_biases] = compile_update(net, update_biases, self._structured())
            try:
                out = self._plain[update_biases].run(params, steps, lr, self._float_data())
                self._engines.setdefault(run, PLAIN)
                return out
            except FloatTrouble:  # Python floats raised where NumPy gives inf/nan: NumPy runs it
                kind = GENERATED_NUMPY if len(params) <= STRUCTURED_PARAMETERS else NUMPY
        self._engines[run] = kind
        arch = net.architecture
        X, Y = net.numeric_data()
        arrays = numeric.unflatten(arch, params)
        if kind == NUMPY:
            with np.errstate(all="ignore"):  # a diverging screen is inf/nan (it matches nothing), not stderr
                arrays = numeric.train(arch, arrays, X, Y, lr, steps, update_biases=update_biases, record=False).params
            return numeric.flatten(arch, arrays)
        if self._numpy_code is None:
            self._numpy_code = compile_gradient(net, self._structured())
        code = self._numpy_code
        current = [arrays[k] for k in code.arguments]
        moves = [k.startswith("W") or update_biases for k in code.arguments]
        for _ in range(steps):
            grads = code.batched(*current, X, Y)
            for value, grad, move in zip(current, grads, moves):
                if move:
                    value -= lr * grad
        return numeric.flatten(arch, dict(zip(code.arguments, current)))

    def _float_data(self) -> tuple:
        if self._data is None:
            self._data = tuple(tuple(float(v) for v in (*xs, *ys)) for xs, ys in zip(self.network.x, self.network.y))
        return self._data
