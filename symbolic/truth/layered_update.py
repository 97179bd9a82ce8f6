"""Updates of a ``[[layer]]`` list: the exact trajectory of gradient descent, each gradient the whole batch's.

Contract
--------
:class:`LayeredRun` is :class:`symbolic.truth.optimize.OptimizerRun` (issue 17's iteration of the rule
table's update, plain gradient descent θ ← θ − η·g when the network has no optimizer) with two things
of a layer list: each gradient g is the batch gradient of :class:`symbolic.truth.layered.BatchPoint`
at the current parameters (batch norm couples the samples; the loss is the batch mean), under the
run's :class:`~symbolic.truth.layered.LayerMistakes` (a wrong backward used in every update), and the
parameters that move are :func:`moving_parameters` (W and γ always, b and β when ``update_biases``).
Values stay exact rationals while the arithmetic is rational (dropout and identity layers, a
batch-norm variance whose √ is rational) and are certified ``arb`` balls elsewhere.

:class:`LayeredTrajectory` is what :class:`symbolic.claims.context.ClaimContext` asks for "after N"
claims of a layer list (the interface of :class:`symbolic.truth.trajectory.Trajectory`):

* :meth:`~LayeredTrajectory.run` — the :class:`~symbolic.truth.optimize.Update` after ``n`` updates, the
  precision raised (``PRECISIONS``) until every parameter and state ball is narrower than
  2^-``PINNED_BITS`` of its magnitude, or one sentence; beyond ``LAYERED_WORK`` parameters × samples ×
  updates one sentence (float64 is a screen, never a verdict);
* :meth:`~LayeredTrajectory.after` — the parameters: Fractions where exact, the certified balls elsewhere
  (:class:`symbolic.truth.layered.LayeredTruth` evaluates claims at them rigorously);
* :meth:`~LayeredTrajectory.describe`, :meth:`~LayeredTrajectory.state_value` (``step(θ)``, an optimizer's
  state words), :meth:`~LayeredTrajectory.check_poison` (nothing: a kink raises in :meth:`run`),
  :meth:`~LayeredTrajectory.float_after` (refused: no float replays of a layer list).

A gradient through relu's kink raises :class:`~symbolic.spec.errors.KinkError` naming the update; a
normalization whose input becomes constant with ε = 0 during the updates is its sentence with the update.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Mapping

import sympy as sp
from flint import fmpq

from ..spec.errors import DerivcheckError, KinkError
from ..spec.layered_network import LayeredNetwork
from ..spec.names import Name
from ..spec.optimizers import PLAIN_SGD, STEP
from .balls import Undecided, Undefined
from .layered import NO_LAYER_MISTAKES, BatchPoint, LayerMistakes
from .optimize import OptimizerRun, Update, pinned
from .point import NO_MISTAKES
from .trained import as_sympy

__all__ = ["LayeredRun", "LayeredTrajectory", "moving_parameters", "LAYERED_WORK", "PRECISIONS", "PINNED_BITS"]

PRECISIONS = (320, 1280, 5120, 20480)
PINNED_BITS = 220  # 2^-220 ≈ 10^-66 of a value: 60 digits and the verdicts taken from them
# parameters x samples x updates of one exact run; measured ~0.1-0.4 ms each at 320 bits (derivation 011:
# 23 parameters x 4 samples: 100 updates in 4 s on the loaded machine), so the bound is ~5-20 s of CPU
LAYERED_WORK = 50_000

Start = Mapping[str, Fraction]


def moving_parameters(network: LayeredNetwork, update_biases: bool) -> list[str]:
    """The parameters an update moves: every W and γ entry, and b and β entries when ``update_biases``."""
    return [k for k in network.parameter_names() if update_biases or not k.startswith(("b", "beta"))]


class LayeredRun(OptimizerRun):
    """One exact trajectory of a layer list (see the module contract)."""

    def __init__(self, network: LayeredNetwork, start: Start, layer_mistakes: LayerMistakes = NO_LAYER_MISTAKES,
                 prec: int = PRECISIONS[0]):
        super().__init__(network, start, NO_MISTAKES, prec)
        self.layer_mistakes = layer_mistakes
        self.moving = moving_parameters(network, network.update_biases)

    def _gradient(self, values: dict, n: int) -> dict:
        try:
            grads = BatchPoint(self.network, self.prec, values=values, mistakes=self.layer_mistakes).gradient()
        except DerivcheckError as err:
            raise type(err)(f"after {n - 1:,} update(s): {err}") from None
        for k in self.moving:
            if type(grads[k]) is Undefined:
                raise KinkError(f"after {n - 1:,} update(s), {grads[k].node} = 0 lies exactly on relu's kink, where "
                                f"the gradient does not exist, so update {n:,} is undefined; move the starting point "
                                f"off the kink")
        return grads


def _key(start: Start) -> tuple:
    return tuple(sorted(start.items()))


class LayeredTrajectory:
    """Gradient-descent trajectories of one layer list (see the module contract)."""

    def __init__(self, network: LayeredNetwork, layer_mistakes: LayerMistakes = NO_LAYER_MISTAKES):
        self.network, self.layer_mistakes = network, layer_mistakes
        self.optimizer = network.optimizer or PLAIN_SGD
        self._runs: dict[tuple, LayeredRun] = {}
        self._after: dict[tuple, dict] = {}

    def _cost(self, n: int) -> int:
        return len(self.network.parameter_names()) * len(self.network.x) * n

    def run(self, start: Start, n: int) -> Update:
        """The update after ``n`` updates, certified to 2^-PINNED_BITS (see the module contract)."""
        if self._cost(n) > LAYERED_WORK:
            P, m = len(self.network.parameter_names()), len(self.network.x)
            raise DerivcheckError(
                f"{n:,} updates of this layer list ({P:,} parameters x {m:,} sample(s) x {n:,} updates = "
                f"{self._cost(n):,} steps) are over the {LAYERED_WORK:,}-step bound of an exact batch trajectory; "
                f"a float64 run cannot certify the claim's digits, so it is not judged (claim fewer updates)")
        key = _key(start)
        for prec in PRECISIONS:
            run = self._runs.get(key)
            if run is None or run.prec < prec:
                run = self._runs[key] = LayeredRun(self.network, start, self.layer_mistakes, prec)
            try:
                update = run.at(n)
            except Undecided:
                continue
            values = [*update.params.values(), *(v for d in update.state.values() for v in d.values())]
            if all(pinned(v, PINNED_BITS) and (type(v) is fmpq or v.is_finite()) for v in values):
                return update
        raise DerivcheckError(f"after {n:,} update(s) the parameters cannot be certified: even {PRECISIONS[-1]:,}-bit "
                              f"balls cannot decide a branch (a relu input at its kink, a variance at 0) or pin "
                              f"60 digits")

    def after(self, start: Start, n: int) -> dict:
        """The parameters after ``n`` updates: Fractions where exact, certified arb balls elsewhere (cached, so a
        ball keeps its identity: :func:`symbolic.truth.trajectory.point_key`)."""
        key = (_key(start), n)
        if key not in self._after:
            if n == 0:
                values = self.network.parameter_values()
                values.update(start)
                self._after[key] = values
            else:
                self._after[key] = {k: Fraction(int(v.p), int(v.q)) if type(v) is fmpq else v
                                    for k, v in self.run(start, n).params.items()}
        return self._after[key]

    def describe(self, start: Start, n: int) -> str:
        if not n:
            return "exact"
        exact = all(type(v) is fmpq for v in self.run(start, n).params.values())
        name = "gradient-descent" if self.optimizer is PLAIN_SGD else self.optimizer.name
        return (f"exact through {n:,} {name} update(s) of the batch" if exact else
                f"certified balls through {n:,} {name} update(s) of the batch")

    def check_poison(self, start: Start, n: int, parameter: str | None) -> None:
        """Nothing to check: a kink on the way raises in :meth:`run`."""

    def state_value(self, start: Start, n: int, name: Name) -> sp.Expr:
        """``step(θ)`` (the change of update n) or an optimizer's state word of a parameter after ``n`` updates."""
        word, parameter = name.kind, str(name.parameter)
        per_update = word == STEP or word in self.optimizer.rule.derived
        if per_update and n == 0:
            raise DerivcheckError(f"{name} belongs to an update; claim it with after = 1 or more")
        update = self.run(start, n)
        table = update.step if word == STEP else update.derived.get(word, {}) if per_update else \
            update.state.get(word, {})
        if parameter not in table:
            if word == STEP and parameter in update.params:
                return sp.Integer(0)  # a parameter that does not move (update_biases = false)
            raise DerivcheckError(f"{parameter} is not updated (update_biases = false), so it has no {word}")
        return as_sympy(table[parameter])

    def float_after(self, start: Start, n: int, mistakes=None) -> dict:
        raise DerivcheckError("float64 mistake replays are not run on a [[layer]] list's trajectory")

