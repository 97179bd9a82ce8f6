"""Trajectories of an optimizer or a penalty: exact/certified for short runs, float64 beyond, saying which.

Contract
--------
:class:`TrainedTrajectory` serves :class:`symbolic.truth.trajectory.Trajectory` for a network
whose updates are more than plain θ ← θ − η g (:func:`symbolic.truth.optimize.trained`):

* :meth:`~TrainedTrajectory.optimized` — the :class:`~symbolic.truth.optimize.Update` after ``n``
  updates (n ≤ ``EXACT_UPDATES``) with a mistake applied or not: exact rationals where the
  arithmetic is rational, else certified balls, the precision raised (320, 1,280, 5,120, 20,480
  bits) until every parameter and state ball is narrower than 2^-``PINNED_BITS`` of its
  magnitude (60 digits and more) — or one sentence when even 20,480 bits cannot;
* :meth:`~TrainedTrajectory.after` — the parameters as Fractions (a ball's midpoint; its radius
  is below 10^-66 of it): from :meth:`~TrainedTrajectory.optimized` where that run stays exact
  rationals (or the ball update cannot run), else from :meth:`~TrainedTrajectory.balls`, the
  generated update run over balls (:mod:`symbolic.truth.ball_update`), certified the same way —
  beyond ``EXACT_UPDATES`` always, up to ``BALL_WORK`` parameters × samples × updates; beyond that,
  one sentence (float64 is never a verdict);
* :meth:`~TrainedTrajectory.state_value` — an optimizer-state claim (``m(W1[1,1])``,
  ``velocity(b2)``, ``m_hat(…)``, ``step(…)``) as a SymPy number;
* :meth:`~TrainedTrajectory.float_after` — float64 parameters and state after ``n`` updates (for
  mistake replays beyond 2,000 updates, a screen, and for ``derivcheck train``'s speed): the
  generated plain-float update of :mod:`symbolic.truth.compiled_update` (``trained=True``) for
  small networks, :func:`numeric.optimizers.optimize` otherwise (and for Sutskever's Nesterov);
* :meth:`~TrainedTrajectory.describe` — "exact through 3 adam update(s)", "certified balls
  through …", "certified ball trajectory of 10,000 adam updates, …".
"""
from __future__ import annotations

from fractions import Fraction
from typing import Callable, Mapping

import mpmath
import numpy as np
import sympy as sp
from flint import arb, fmpq

import numeric
from numeric.optimizers import Settings, optimize
from ..spec.errors import DerivcheckError
from ..spec.names import Name
from ..spec.network import Network
from ..spec.optimizers import PLAIN_SGD, STEP
from .ball_update import compile_ball_update
from .balls import Undecided, exact, to_fraction, to_mpf, workprec
from .compiled_update import MAX_PARAMETERS, CompiledUpdate, FloatTrouble, compile_update, state_scales
from .optimize import OptimizerRun, Update, pinned, trained
from .ops import NO_MISTAKES, Mistakes

__all__ = ["TrainedTrajectory", "as_sympy", "resume", "trained", "EXACT_UPDATES", "PINNED_BITS", "PLAIN_WORK", "BALL_WORK"]

EXACT_UPDATES = 2_000
PINNED_BITS = 220  # 2^-220 ≈ 10^-66: a ball this narrow pins 60 digits and the verdicts taken from them
PRECISIONS = (320, 1280, 5120, 20480)
BALL_PRECISIONS = (256, 1280, 5120)  # the generated ball update's; 256 bits pin 2^-220 through thousands of updates
PLAIN_WORK = 500  # parameters x samples up to which the generated plain-float update runs
BALL_WORK = 2_500_000  # parameters x samples x updates of a certified trajectory beyond EXACT_UPDATES
DIGITS = 60

Start = Mapping[str, Fraction]


def _key(start: Start) -> tuple:
    return tuple(sorted(start.items()))


def as_sympy(v) -> sp.Expr:
    """An fmpq, a float or a ball's midpoint (60 digits) as a SymPy number."""
    if type(v) is fmpq:
        return sp.Rational(int(v.p), int(v.q))
    if isinstance(v, float):
        f = Fraction(v)
        return sp.Rational(f.numerator, f.denominator)
    with mpmath.workdps(DIGITS):
        return sp.Float(to_mpf(v), DIGITS)


def resume(snapshots: dict, n: int, first: Callable[[], object], advance: Callable[[object, int, int], object]):
    """The snapshot after ``n`` steps of a run: from the latest cached one at or before ``n`` (or ``first()``),
    ``advance(last, done, steps)`` to ``n − 1`` and then one more, both cached, so that n − 1, n and n + 1
    updates cost one run."""
    if n not in snapshots:
        done = max((k for k in snapshots if k <= n), default=None)
        last = first() if done is None else snapshots[done]
        done = done or 0
        if n - done > 1:
            last = snapshots[n - 1] = advance(last, done, n - done - 1)
            done = n - 1
        snapshots[n] = advance(last, done, n - done) if n > done else last
    return snapshots[n]


class TrainedTrajectory:
    """An optimizer's trajectories of one network (see the module contract)."""

    def __init__(self, network: Network, float_data: Callable[[], tuple]):
        self.network = network
        self.optimizer = network.optimizer or PLAIN_SGD
        self._float_data = float_data
        self._runs: dict = {}
        self._floats: dict = {}
        self._compiled: dict = {}
        self._balls: dict = {}
        self._rational: dict = {}
        self._ball_code = None

    # --------------------------------------------------------------------------- exact
    def optimized(self, start: Start, n: int, mistakes: Mistakes = NO_MISTAKES) -> Update:
        key = (_key(start), mistakes)
        for prec in PRECISIONS:
            run = self._runs.get(key)
            if run is None or run.prec < prec:
                run = self._runs[key] = OptimizerRun(self.network, start, mistakes, prec)
            try:
                update = run.at(n)
            except Undecided:
                continue
            values = [*update.params.values(), *(v for d in update.state.values() for v in d.values())]
            if all(pinned(v, PINNED_BITS) for v in values):
                return update
        raise DerivcheckError(f"the {self.optimizer.name} trajectory of {n:,} update(s) could not be certified to "
                              f"{DIGITS} digits even with {PRECISIONS[-1]:,}-bit balls")

    def after(self, start: Start, n: int) -> dict[str, Fraction]:
        if not self._by_point(start, n):
            try:
                return {k: to_fraction(v) for k, v in self.balls(start, n)[0].items()}
            except DerivcheckError:  # a ball the generated code cannot narrow (√ of a square near 0)
                if n > EXACT_UPDATES:
                    raise
                self._rational[_key(start)] = True  # the point-evaluation run decides this start from now on
        return {k: to_fraction(v) for k, v in self.optimized(start, n).params.items()}

    def _ball_ok(self, n: int) -> bool:
        net, opt = self.network, self.optimizer
        P, m = len(net.parameter_names()), len(net.x)
        return P * m * n <= BALL_WORK and P <= MAX_PARAMETERS and not (
            opt.rule.lookahead is not None and opt.convention == "sutskever")

    def _by_point(self, start: Start, n: int) -> bool:
        """Up to ``EXACT_UPDATES``, the point-evaluation run (:class:`OptimizerRun`) where it keeps the values
        exact rationals (a rule without √ whose first update stays rational) or the generated ball update cannot
        run; else the generated update over balls, several times faster per update (benchmarks/optimizers.py)."""
        if n > EXACT_UPDATES:
            return False
        if not self._ball_ok(n):
            return True
        if not self.optimizer.rule.rational:  # √ enters: balls either way, the generated update is the fast one
            return self._rational.get(_key(start), False)
        key = _key(start)
        if key not in self._rational:
            self._rational[key] = all(type(v) is fmpq for v in self.optimized(start, 1).params.values())
        return self._rational[key]

    def balls(self, start: Start, n: int) -> tuple[dict, dict]:
        """The generated update over balls (:mod:`symbolic.truth.ball_update`), certified like the point-evaluation
        runs; parameters and state ``(state, parameter)``, cached."""
        key = (_key(start), n)
        if key in self._balls:
            return self._balls[key]
        net, opt = self.network, self.optimizer
        P, m = len(net.parameter_names()), len(net.x)
        if not self._ball_ok(n):
            raise DerivcheckError(f"{n:,} {opt.name} updates of this network ({P:,} parameters x {m:,} sample(s)) are "
                                  f"beyond what a certified trajectory runs ({BALL_WORK:,} steps; Sutskever's Nesterov up "
                                  f"to {EXACT_UPDATES:,} updates), and float64 is a screen, not a verdict")
        if self._ball_code is None:
            self._ball_code = compile_ball_update(net, trained=True)
        code = self._ball_code
        values = net.parameter_values()
        values.update(start)
        keys = [(s, k) for s in opt.rule.state for k in code.parameters]
        scales = state_scales(opt)  # the generated code keeps Adam's m as m/(1 − β1), …
        state0 = [opt.initial(s, k) / scales.get(s, 1) for s, k in keys]
        for prec in BALL_PRECISIONS:
            with workprec(prec):
                data = [tuple(arb(exact(v)) for v in (*xs, *ys)) for xs, ys in zip(net.x, net.y)]
                out = code.function(n, arb(exact(net.learning_rate)), data, opt.t0,
                                    *[arb(exact(values[k])) for k in code.parameters], *[arb(exact(v)) for v in state0])
                P = len(code.parameters)
                out = [*out[:P], *(v * exact(scales[s]) if s in scales else v for (s, _), v in zip(keys, out[P:]))]
            out = [v if isinstance(v, arb) else arb(v) for v in out]
            if all(v.is_finite() and pinned(v, PINNED_BITS) for v in out):
                self._balls[key] = dict(zip(code.parameters, out[:P])), dict(zip(keys, out[P:]))
                return self._balls[key]
        raise DerivcheckError(f"the {opt.name} trajectory of {n:,} updates could not be certified to {DIGITS} digits "
                              f"even with {BALL_PRECISIONS[-1]:,}-bit balls")

    def describe(self, start: Start, n: int) -> str:
        name = self.optimizer.name
        if not self._by_point(start, n):
            return f"certified ball trajectory of {n:,} {name} updates, then exact at their midpoints"
        update = self.optimized(start, n)
        exact = all(type(v) is fmpq for v in update.params.values())
        return (f"exact through {n:,} {name} update(s)" if exact else
                f"certified balls through {n:,} {name} update(s), then exact at their midpoints")

    def state_value(self, start: Start, n: int, name: Name, mistakes: Mistakes = NO_MISTAKES) -> sp.Expr:
        """The claim ``name`` (a state word of a parameter) after ``n`` updates."""
        word, parameter = name.kind, str(name.parameter)
        per_update = word == STEP or word in self.optimizer.rule.derived
        if per_update and n == 0:
            raise DerivcheckError(f"{name} belongs to an update; claim it with after = 1 or more")
        if n > EXACT_UPDATES:
            return as_sympy(self._ball_state(start, n, word, parameter, mistakes))
        update = self.optimized(start, n, mistakes)
        if word == STEP:
            return as_sympy(update.step.get(parameter, fmpq(0)))
        if per_update:
            if parameter not in update.derived.get(word, {}):
                raise DerivcheckError(f"{parameter} is not updated (update_biases = false), so it has no {word}")
            return as_sympy(update.derived[word][parameter])
        return as_sympy(update.state[word][parameter])

    # --------------------------------------------------------------------------- float64
    def float_after(self, start: Start, n: int, mistakes: Mistakes = NO_MISTAKES) -> tuple[dict, dict]:
        """Float64 parameters and state ``(state, parameter) -> value`` after ``n`` updates."""
        if mistakes.loss_scale != 1 or mistakes.sign != 1 or mistakes.fprime != "true" or mistakes.sequential:
            raise DerivcheckError("this mistake is not replayed on a float64 optimizer trajectory")
        def first() -> tuple[dict, dict]:
            values = self.network.parameter_values()
            values.update(start)
            opt = self.optimizer
            state = {(s, k): float(opt.initial(s, k)) for s in opt.rule.state for k in values}
            return {k: float(v) for k, v in values.items()}, state

        runs = self._floats.setdefault((_key(start), mistakes), {})
        return resume(runs, n, first, lambda last, done, steps: self._float_steps(last, done, steps, mistakes))

    def _ball_state(self, start: Start, n: int, word: str, parameter: str, mistakes: Mistakes):
        if mistakes != NO_MISTAKES:
            raise DerivcheckError("mistakes are not replayed on certified trajectories beyond 2,000 updates")
        params, state = self.balls(start, n)
        if word == STEP:
            before = self.balls(start, n - 1)[0] if n - 1 > EXACT_UPDATES else self.optimized(start, n - 1).params
            return params[parameter] - before[parameter]
        with workprec(PRECISIONS[2]):
            for derived, (moment, beta) in {"m_hat": ("m", "beta1"), "v_hat": ("v", "beta2")}.items():
                if word == derived:
                    return state[(moment, parameter)] / (1 - exact(self.optimizer.h[beta]) ** (self.optimizer.t0 + n))
        return state[(word, parameter)]

    def _float_steps(self, last: tuple, done: int, steps: int, mistakes: Mistakes) -> tuple[dict, dict]:
        net, opt = self.network, self.optimizer
        params, state = last
        ub = net.update_biases if mistakes.update_biases is None else mistakes.update_biases
        t0 = opt.t0 + done
        n_params, m = len(params), len(net.x)
        if n_params * m <= PLAIN_WORK and not (opt.rule.lookahead is not None and opt.convention == "sutskever"):
            if ub not in self._compiled:
                self._compiled[ub] = compile_update(net, ub, trained=True)
            code: CompiledUpdate = self._compiled[ub]
            try:
                return code.run_trained(params, state, t0, steps, float(net.learning_rate), self._float_data())
            except FloatTrouble:
                pass
        if opt.variant or (net.regularization is not None and net.regularization.decoupled):
            raise DerivcheckError("this update variant is replayed on float64 trajectories of small networks only")
        arch = net.architecture
        X, Y = net.numeric_data()
        reg = net.regularization
        settings = Settings(opt.name, float(net.learning_rate), {k: float(v) for k, v in opt.h.items()},
                            opt.convention, float(reg.l2) if reg is not None else 0.0,
                            reg.convention if reg is not None else "half",
                            reg.include_biases if reg is not None else False, ub)
        arrays = numeric.unflatten(arch, params)
        st = {s: numeric.unflatten(arch, {k: state[(s, k)] for k in params}) for s in opt.rule.state}
        run = optimize(arch, arrays, X, Y, settings, steps, st, t0)
        flat_state = {(s, k): v for s in opt.rule.state for k, v in numeric.flatten(arch, run.state[s]).items()}
        return numeric.flatten(arch, run.params), flat_state
