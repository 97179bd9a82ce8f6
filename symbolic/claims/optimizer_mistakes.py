"""Mistake-table entries of optimizers and the L2 penalty: each a transformation of the file's training spec.

Contract
--------
``OPTIMIZER_MISTAKES`` extends :data:`symbolic.claims.mistakes.MISTAKES` (same
:class:`~symbolic.claims.mistakes.Mistake` shape). Each entry's prediction is the claim's exact
value for the network with its optimizer or regularization *transformed* — the other momentum
convention, ε inside the square root, Adam's bias correction missing or written 1 − β, the step
count t off by one, the state reset before every update or carried over from the file's
unchanged run into a restarted one (a ``with`` claim), the ½ of the L2 penalty missing or
doubled, the decay applied to biases or not, L2 in the loss read as decoupled decay or the
reverse — evaluated by the same interpreters as the truth (a second
:class:`~symbolic.claims.check.ClaimContext` over the transformed network, cached on the first).
Two entries read the claim's own number: a ``penalty`` printed as the norm ‖θ‖ instead of Σθ²,
and a ``step`` printed as the amount subtracted (−Δθ).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Callable

import sympy as sp
from flint import arb

from ..spec.network import Network
from ..spec.optimizers import PLAIN_SGD, STEP, Optimizer, Regularization
from ..truth.balls import exact, to_fraction, to_mpf, workprec

__all__ = ["OPTIMIZER_MISTAKES", "TrainingMistake"]


@dataclass(frozen=True)
class TrainingMistake:
    """One entry, shaped as :class:`symbolic.claims.mistakes.Mistake` (which imports this table)."""

    key: str
    description: str
    applies: Callable
    predict: Callable


_mistake = TrainingMistake


def _optimizer(ctx) -> Optimizer:
    return getattr(ctx.network, "optimizer", None) or PLAIN_SGD  # a [[layer]] list has none


def _reg(ctx) -> Regularization | None:
    reg = getattr(ctx.network, "regularization", None)
    return reg if reg is not None and reg.l2 else None


def _as_if(ctx, network: Network):
    """The claim context of the same file with a transformed network (cached on ``ctx``)."""
    clones = ctx.__dict__.setdefault("_training_variants", {})
    key = (network.optimizer, network.regularization, network.update_biases)
    if key not in clones:
        clones[key] = type(ctx)(replace(ctx.d, network=network))
    return clones[key]


def _training_claim(ctx, c) -> bool:
    """A claim after updates, or of optimizer state."""
    return c.after > 0 and c.kind in ("value", "derivative")


def _predict_with(transform: Callable) -> Callable:
    def predict(ctx, c):
        network = transform(ctx, c)
        if network is None:
            return []
        return [(_as_if(ctx, network).exact(c), "")]
    return predict


def _with_optimizer(make: Callable[[Optimizer], Optimizer | None]) -> Callable:
    def transform(ctx, c):
        new = make(_optimizer(ctx))
        return None if new is None else replace(ctx.network, optimizer=new)
    return transform


def _with_reg(make: Callable[[Regularization], Regularization]) -> Callable:
    def transform(ctx, c):
        return replace(ctx.network, regularization=make(_reg(ctx)))
    return transform


def _other_convention(opt: Optimizer) -> Optimizer:
    return replace(opt, convention="sutskever" if opt.convention == "pytorch" else "pytorch")


def _has(ctx, what: str) -> bool:
    rule = _optimizer(ctx).rule
    return what in rule.variants or what in rule.state


def _decoupled_swap(ctx, c):
    """L2 in the loss read as decoupled decay θ ← θ − ηλθ, or AdamW's decoupled decay taken into the gradient."""
    opt, reg = _optimizer(ctx), _reg(ctx)
    if "weight_decay" in opt.h:
        adam = replace(opt, name="adam", hyper=tuple((k, v) for k, v in opt.hyper if k != "weight_decay"))
        biases = reg.include_biases if reg is not None else False
        return replace(ctx.network, optimizer=adam, regularization=Regularization(opt.h["weight_decay"], "half", biases))
    if reg is None or reg.convention != "half":
        return None
    return replace(ctx.network, regularization=replace(reg, decoupled=True))


def _decay_biases_flipped(ctx, c):
    reg = _reg(ctx)
    return replace(ctx.network, regularization=replace(reg or Regularization(), include_biases=not (reg and reg.include_biases)))


def _carried_state(ctx, c):
    """A restarted run (``with``) that kept the state (and step count) of the file's unchanged run."""
    runs = sorted({k.after for k in ctx.d.claims if not k.with_values and k.after > 0 and not k.error})
    traj = ctx.trajectory.trained
    if traj is None:
        return
    opt = _optimizer(ctx)
    for k in runs:
        if k > 2_000:
            continue
        update = traj.optimized({}, k)
        state = tuple(sorted((s, p, to_fraction(v)) for s, values in update.state.items() for p, v in values.items()))
        network = replace(ctx.network, optimizer=replace(opt, state=state, t0=opt.t0 + k))
        yield _as_if(ctx, network).exact(c), f" (the state after {k} update(s) of the unchanged run was kept)"


def _penalty_as_norm(ctx, c):
    """``penalty`` printed as c·‖θ‖ (the norm) instead of c·Σθ² (its square)."""
    reg = _reg(ctx)
    values = ctx.parameters_after(c.with_values, c.after) if c.after else {**ctx.network.parameter_values(), **c.with_values}
    with workprec(320):
        total = sum((exact(v) ** 2 for k, v in values.items() if reg.applies(k)), exact(0))
        norm = arb(total).sqrt() * exact(reg.coefficient)
    yield sp.Float(to_mpf(norm), 30), ""


def _is(kind: str) -> Callable:
    return lambda ctx, c: c.kind == "value" and c.quantity.kind == kind


def _half_scaled(factor: Fraction) -> Callable:
    return _predict_with(_with_reg(lambda reg: replace(reg, l2=reg.l2 * factor)))


def _penalized_claim(ctx, c) -> bool:
    return _reg(ctx) is not None and (c.after > 0 or (c.quantity is not None and c.quantity.kind in ("L", "penalty")) or
                                      (c.kind == "derivative" and c.quantity.kind == "L" and c.wrt.is_parameter))


def _step_sign(ctx, c):
    yield -ctx.exact(c), ""


OPTIMIZER_MISTAKES = [
    _mistake("momentum_convention",
             "the other momentum convention was used (pytorch: v ← μ v + g, θ ← θ − η v; sutskever: v ← μ v − η g, "
             "θ ← θ + v)",
             lambda ctx, c: bool(_optimizer(ctx).rule.conventions) and _training_claim(ctx, c),
             _predict_with(_with_optimizer(_other_convention))),
    _mistake("eps_inside_root", "ε was put inside the square root (√(v + ε) instead of √v + ε)",
             lambda ctx, c: _has(ctx, "eps_inside") and _training_claim(ctx, c),
             _predict_with(_with_optimizer(lambda o: o.with_variant(eps_inside=True)))),
    _mistake("bias_correction_missing", "Adam's bias correction was left out (m and v used for m̂ and v̂)",
             lambda ctx, c: _has(ctx, "bias_correction") and _training_claim(ctx, c),
             _predict_with(_with_optimizer(lambda o: o.with_variant(bias_correction="none")))),
    _mistake("bias_correction_exponent", "Adam's bias correction was written 1 − β instead of 1 − βᵗ",
             lambda ctx, c: _has(ctx, "bias_correction") and c.after + _optimizer(ctx).t0 >= 2 and _training_claim(ctx, c),
             _predict_with(_with_optimizer(lambda o: o.with_variant(bias_correction="exponent1")))),
    _mistake("t_one_ahead", "the step count t is one ahead (the first update used t = 2)",
             lambda ctx, c: _has(ctx, "t_offset") and _training_claim(ctx, c),
             _predict_with(_with_optimizer(lambda o: o.with_variant(t_offset=1)))),
    _mistake("t_one_behind", "the step count t is one behind (the bias correction used t − 1)",
             lambda ctx, c: _has(ctx, "t_offset") and c.after + _optimizer(ctx).t0 >= 2 and _training_claim(ctx, c),
             _predict_with(_with_optimizer(lambda o: o.with_variant(t_offset=-1)))),
    _mistake("state_reset_every_step", "the optimizer's state was reset to zero before every update",
             lambda ctx, c: bool(_optimizer(ctx).rule.state) and (c.after >= 2 or bool(_optimizer(ctx).state))
             and _training_claim(ctx, c),
             _predict_with(_with_optimizer(lambda o: o.with_variant(reset_every_step=True)))),
    _mistake("state_not_reset", "the optimizer's state was not reset for the restarted run",
             lambda ctx, c: bool(_optimizer(ctx).rule.state) and bool(c.with_values) and _training_claim(ctx, c),
             _carried_state),
    _mistake("l2_half_missing", "the ½ of the L2 penalty (λ/2)Σθ² was dropped (λΣθ², gradient 2λθ)",
             lambda ctx, c: _penalized_claim(ctx, c) and _reg(ctx).convention == "half", _half_scaled(Fraction(2))),
    _mistake("l2_half_doubled", "the ½ of the L2 penalty was applied twice ((λ/4)Σθ², gradient λθ/2)",
             lambda ctx, c: _penalized_claim(ctx, c) and _reg(ctx).convention == "half", _half_scaled(Fraction(1, 2))),
    _mistake("l2_half_added", "a ½ was put on the L2 penalty λΣθ² ((λ/2)Σθ², gradient λθ instead of 2λθ)",
             lambda ctx, c: _penalized_claim(ctx, c) and _reg(ctx).convention == "full", _half_scaled(Fraction(1, 2))),
    _mistake("penalty_norm", "the penalty was computed from the norm ‖θ‖ instead of its square Σθ²",
             lambda ctx, c: _reg(ctx) is not None and _is("penalty")(ctx, c), _penalty_as_norm),
    _mistake("decay_biases_flipped", "the biases were regularized (decayed) or not, against the file's include_biases",
             lambda ctx, c: ctx.has_bias and (_penalized_claim(ctx, c) or "weight_decay" in _optimizer(ctx).h and c.after > 0),
             _predict_with(_decay_biases_flipped)),
    _mistake("l2_vs_decoupled", "L2 in the loss and decoupled weight decay (AdamW's θ ← θ − ηλθ) were confused",
             lambda ctx, c: c.after > 0 and _optimizer(ctx).name != "sgd" and
             (_reg(ctx) is not None or "weight_decay" in _optimizer(ctx).h), _predict_with(_decoupled_swap)),
    _mistake("step_sign", "the step was printed as the amount subtracted (η·update) rather than the change Δθ",
             lambda ctx, c: c.kind == "value" and c.quantity.is_state and c.quantity.kind == STEP, _step_sign),
]
