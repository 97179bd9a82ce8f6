"""Exact optimizer trajectories: the rule table's update rules run on the exact point evaluation.

Contract
--------
:class:`OptimizerRun` iterates a network's optimizer (``network.optimizer``, a
:class:`symbolic.spec.optimizers.Optimizer`; None is plain SGD) from the network's parameters
with some overridden (``start``), each gradient the exact point evaluation's
(:meth:`symbolic.truth.point.Point.gradient`, the penalty's 2c·θ included), each update the
rule's ``update`` run over the domain of :mod:`symbolic.truth.balls`: values stay exact
rationals while the arithmetic is rational (SGD and momentum on identity networks, Adam's
√ of a perfect square), and are certified balls where √, exp or log enter; an fmpq whose
height passes ``MAX_HEIGHT`` × precision bits becomes a ball (rationals double their digits
at each update). ``at(n)`` is the :class:`Update` after ``n`` updates (n = 0: the start and the
initial state): parameters, state, derived values (m̂, v̂) and the step Δθ, cached.

Update variants of the optimizer (:attr:`Optimizer.variant`: ε inside √, bias correction
missing or 1 − β, t off by one, state reset every step), a decoupled penalty
(``Regularization.decoupled``: θ ← θ − ηλθ instead of the penalty's gradient) and the
:class:`~symbolic.truth.ops.Mistakes` the point evaluation applies (a scaled loss, f' at the
net input, the update's sign, biases updated or not) are all read here, so the mistake table
replays them with this same interpreter. ``sequential`` updates are not defined for an
optimizer with state and are refused.

A gradient through relu's kink raises :class:`~symbolic.spec.errors.KinkError` for the update
that needs it; a ball that cannot decide a branch raises :class:`~symbolic.truth.balls.Undecided`
(the caller, :class:`symbolic.truth.trajectory.Trajectory`, reruns at a higher precision).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping

from flint import arb, fmpq
from flint.utils.flint_exceptions import DomainError

from ..spec.errors import DerivcheckError, KinkError
from ..spec.network import Network
from ..spec.optimizers import PLAIN_SGD, Optimizer
from .balls import Undefined, exact, workprec
from .point import DEFAULT_PREC, NO_MISTAKES, Mistakes, Point

__all__ = ["OptimizerRun", "Update", "BallDomain", "trained", "MAX_HEIGHT", "pinned"]

MAX_HEIGHT = 8  # an fmpq taller than this many times the working precision (in bits) becomes a ball
_HALF_UNIT = arb("0.5 +/- 0.5")  # the ball [0, 1]


def trained(network: Network) -> bool:
    """The network's updates are more than plain θ ← θ − η g of the data loss (an optimizer or a penalty)."""
    opt, reg = getattr(network, "optimizer", None), getattr(network, "regularization", None)  # a [[layer]] list: none
    return (opt is not None and (not opt.plain or bool(opt.state))) or (reg is not None and bool(reg.l2))


class BallDomain:
    """√ over the exact domain: exact for the square of a rational, a certified ball otherwise."""

    @staticmethod
    def sqrt(x):
        if type(x) is fmpq:
            if x >= 0:
                try:
                    return x.sqrt()
                except DomainError:  # not the square of a rational
                    return arb(x).sqrt()
            x = arb(x)
        if x.lower() < 0:  # a ball of a square reaching below 0: its root lies in [0, √upper]
            return arb(x.upper()).sqrt() * _HALF_UNIT
        return x.sqrt()


def pinned(v, bits: int) -> bool:
    """An exact value, or a ball whose radius is below 2^-bits of its magnitude (or of 1, near 0)."""
    if type(v) is fmpq:
        return True
    scale = max(abs(v.mid()), arb(2) ** -40)
    return v.rad() <= scale * arb(2) ** -bits


@dataclass
class Update:
    """The result of one update (or, for n = 0, the start)."""

    params: dict  # canonical name -> value after the update
    state: dict  # state name -> {parameter: value}
    derived: dict = field(default_factory=dict)  # m_hat, v_hat -> {parameter: value}
    step: dict = field(default_factory=dict)  # parameter -> Δθ of this update
    t: int = 0
    grad: dict = field(default_factory=dict)  # parameter -> the gradient this update used (penalty included)


class OptimizerRun:
    """One exact trajectory of the network's optimizer (see the module contract)."""

    def __init__(self, network: Network, start: Mapping[str, Fraction], mistakes: Mistakes = NO_MISTAKES,
                 prec: int = DEFAULT_PREC):
        if mistakes.sequential:
            raise DerivcheckError("a sequential (layer-by-layer) update is not defined for an optimizer with state")
        if network.learning_rate is None:
            raise DerivcheckError("updates need a learning_rate in [network]")
        self.network, self.m, self.prec = network, mistakes, prec
        self.optimizer: Optimizer = network.optimizer or PLAIN_SGD
        values = network.parameter_values()
        values.update(start)
        update_biases = network.update_biases if mistakes.update_biases is None else mistakes.update_biases
        self.moving = [k for k in values if k.startswith("W") or update_biases]
        opt = self.optimizer
        with workprec(prec):
            self.h = {k: exact(v) for k, v in opt.h.items()}
            self.h["lr"] = exact(network.learning_rate)
            params = {k: exact(v) for k, v in values.items()}
            state = {s: {k: exact(opt.initial(s, k)) for k in values} for s in opt.rule.state}
        self.updates = [Update(params, state, t=opt.t0)]
        reg = network.regularization
        self.decay = exact(reg.l2) if reg is not None and reg.decoupled and reg.l2 else None

    def at(self, n: int) -> Update:
        while len(self.updates) <= n:
            with workprec(self.prec):
                self.updates.append(self._next(self.updates[-1], len(self.updates)))
        return self.updates[n]

    def _gradient(self, values: dict, n: int) -> dict:
        grads = Point(self.network, self.prec, values=values, mistakes=self.m).gradient()
        for k in self.moving:
            if type(grads[k]) is Undefined:
                raise KinkError(f"after {n - 1} update(s), {grads[k].node} = 0 lies exactly on relu's kink, where the "
                                f"gradient does not exist, so update {n} is undefined; move the starting point off "
                                f"the kink")
        if self.m.sign != 1:
            grads = {k: -g for k, g in grads.items()}
        return grads

    def _next(self, last: Update, n: int) -> Update:
        opt, rule, variant = self.optimizer, self.optimizer.rule, self.optimizer.v
        state = {s: dict(values) for s, values in last.state.items()}
        t = last.t + 1
        if variant.get("reset_every_step"):
            state = {s: {k: exact(0) for k in values} for s, values in state.items()}
            t = 1
        t_used = t + variant.get("t_offset", 0)
        at = dict(last.params)
        if rule.lookahead is not None:
            at.update({k: rule.lookahead(last.params[k], {s: state[s][k] for s in state}, self.h, opt.convention)
                       for k in self.moving})
        grads = self._gradient(at, n)
        reg = self.network.regularization
        params, derived, step = dict(last.params), {}, {}
        for k in self.moving:
            local = {s: state[s][k] for s in state}
            decays = reg.applies(k) if reg is not None else k.startswith("W")
            new, extra = rule.update(BallDomain, last.params[k], grads[k], local, t_used, self.h, opt.convention,
                                     variant, decays)
            if self.decay is not None and reg.applies(k):
                new = new - self.h["lr"] * self.decay * last.params[k]
            for s, v in local.items():
                state[s][k] = self._tame(v)
            for name, v in extra.items():
                derived.setdefault(name, {})[k] = v
            params[k] = self._tame(new)
            step[k] = params[k] - last.params[k]
        return Update(params, state, derived, step, t, grads)

    def _tame(self, v):
        if type(v) is fmpq and v.height_bits() > MAX_HEIGHT * self.prec:
            return arb(v)
        return v
