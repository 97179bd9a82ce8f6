"""The mistakes of normalization and dropout backward passes, as program transformations.

Contract
--------
``LAYER_MISTAKES`` is a list of entries with the shape of :class:`symbolic.claims.mistakes.Mistake`
(``key``, ``description``, ``applies(ctx, claim)``, ``predict(ctx, claim)`` yielding
``(value, detail)``); :mod:`symbolic.claims.mistakes` appends them to its table. Each replays the
claim on the layer list's program with one rule of :mod:`symbolic.spec.layer_rules` changed
(:class:`symbolic.truth.layered.LayerMistakes`), evaluated exactly like the truth:

* batch/layer norm backward without the ∂σ²/∂x term, without the ∂μ/∂x term, ε dropped in the
  backward, the variance divided by N − 1 (forward and backward), or by N − 1 in the forward and
  N in the backward (darknet's ``variance_cpu`` / ``normalize_delta_cpu``), or started from ∂L/∂a
  without γ (Knet.jl #288);
* dropout backward without the mask, without the 1/(1 − p) scale, or with it applied twice.

A claim after updates replays the transformed program in every update (the author's backward is the
one their gradient descent used): :class:`symbolic.truth.layered_update.LayeredTrajectory` with the
mistake, one per claim context and mistake. :func:`replayed_layer_value` with no mistake and another
number of updates is also what the general table's "one update too many / too few" replays for a
layer list (:meth:`symbolic.claims.context.ClaimContext.replay_value`).

Dropping the ∂σ²/∂μ path (darknet's ``mean_delta``) is *not* an entry: that path is
∂L/∂σ² · (−2/N) Σ(x − μ), and Σ(x − μ) = 0 exactly, so the transformed program gives the true
numbers (tests/test_layer_mistakes.py proves it at the example's point); MXNet's "spurious"
``gmean += tmp`` is the same term, kept — also exact.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable
from weakref import WeakKeyDictionary

from ..spec.layer_rules import DropoutMistakes, NormMistakes
from ..spec.layered_network import LayeredNetwork
from ..truth.layered import NO_LAYER_MISTAKES, LayerMistakes, LayeredTruth
from ..truth.layered_update import LayeredTrajectory
from ..truth.trajectory import ball_values
from .derivation import Claim

__all__ = ["LayerMistake", "LAYER_MISTAKES", "replayed_layer_value"]


@dataclass(frozen=True)
class LayerMistake:
    key: str
    description: str
    applies: Callable[[object, Claim], bool]
    predict: Callable[[object, Claim], Iterable[tuple[object, str]]]


def replayed_layer_value(ctx, c: Claim, mistakes: LayerMistakes, after: int | None = None):
    """The claim's quantity on the transformed program: at the file's point with the claim's 'with' changes, after
    the claim's updates (``after``: that many instead) — each update's gradient the transformed program's too."""
    n, net, q = c.after if after is None else after, ctx.network, c.quantity
    if n:
        trajectory = _trajectories(ctx).setdefault(mistakes, LayeredTrajectory(net, mistakes))
        if q.is_state:
            return trajectory.state_value(c.with_values, n, q)
        values = trajectory.after(c.with_values, n)
        balls = ball_values(values)
        truth = LayeredTruth(net if balls is not None else net.with_values(values), c.sample, mistakes, balls)
    elif q.is_state:
        return None
    else:
        truth = LayeredTruth(net.with_values(c.with_values) if c.with_values else net, c.sample, mistakes)
    return truth.derivative(q, c.wrt) if c.kind == "derivative" else truth.value(q)


_RUNS: WeakKeyDictionary = WeakKeyDictionary()  # claim context -> {LayerMistakes: its trajectory}


def _trajectories(ctx) -> dict:
    if ctx not in _RUNS:
        _RUNS[ctx] = {NO_LAYER_MISTAKES: ctx.trajectory}
    return _RUNS[ctx]


def _has(*kinds: str) -> Callable[[object, Claim], bool]:
    def applies(ctx, c: Claim) -> bool:  # a backward pass: derivatives, and every value after updates
        net = ctx.network
        return isinstance(net, LayeredNetwork) and (c.kind == "derivative" or c.after > 0) and \
            any(s.kind in kinds for s in net.specs)
    return applies


def _forward_too(*kinds: str) -> Callable[[object, Claim], bool]:
    def applies(ctx, c: Claim) -> bool:
        net = ctx.network
        return isinstance(net, LayeredNetwork) and any(s.kind in kinds and s.mode == "train" for s in net.specs)
    return applies


def _replay(mistakes: LayerMistakes) -> Callable:
    def predict(ctx, c: Claim):
        value = replayed_layer_value(ctx, c, mistakes)
        return [] if value is None else [(value, "")]
    return predict


_NORM = ("batchnorm", "layernorm")

LAYER_MISTAKES: list[LayerMistake] = [
    LayerMistake("norm_no_var_path",
                 "the normalization backward lacks the path through the variance (∂L/∂σ² · 2(x − μ)/N dropped "
                 "from ∂L/∂x)", _has(*_NORM), _replay(LayerMistakes(norm=NormMistakes(var_path=False)))),
    LayerMistake("norm_no_mu_term",
                 "the normalization backward lacks the path through the mean (the ∂L/∂μ · ∂μ/∂x = ∂L/∂μ / N term "
                 "dropped from ∂L/∂x)", _has(*_NORM), _replay(LayerMistakes(norm=NormMistakes(mu_term=False)))),
    LayerMistake("norm_eps_dropped",
                 "ε was dropped in the normalization backward (1/√σ² where 1/√(σ² + ε) belongs)", _has(*_NORM),
                 _replay(LayerMistakes(norm=NormMistakes(backward_eps=False)))),
    LayerMistake("norm_unbiased",
                 "the variance was divided by N − 1 (the unbiased estimate) where the normalization divides by N",
                 _forward_too(*_NORM), _replay(LayerMistakes(norm=NormMistakes(unbiased=True)))),
    LayerMistake("norm_darknet",
                 "the variance was divided by N − 1 in the forward pass but the backward was written for N "
                 "(darknet's batch norm)", _forward_too(*_NORM),
                 _replay(LayerMistakes(norm=NormMistakes(unbiased=True, backward_n=True)))),
    LayerMistake("norm_unscaled",
                 "the normalization backward starts from ∂L/∂a instead of γ·∂L/∂a (γ left out of ∂L/∂x, Knet.jl's "
                 "batch norm)", _has(*_NORM), _replay(LayerMistakes(norm=NormMistakes(gamma_scaled=False)))),
    LayerMistake("dropout_no_mask", "the dropout mask was not applied in the backward pass", _has("dropout"),
                 _replay(LayerMistakes(dropout=DropoutMistakes(mask=False)))),
    LayerMistake("dropout_no_scale", "the dropout scale 1/(1 − p) is missing in the backward pass", _has("dropout"),
                 _replay(LayerMistakes(dropout=DropoutMistakes(scale_power=0)))),
    LayerMistake("dropout_scale_twice", "the dropout scale 1/(1 − p) was applied twice in the backward pass",
                 _has("dropout"), _replay(LayerMistakes(dropout=DropoutMistakes(scale_power=2)))),
]
