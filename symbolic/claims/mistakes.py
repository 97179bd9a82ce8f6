"""The library of common backprop mistakes, one small entry each, used to diagnose WRONG numbers.

Contract
--------
``MISTAKES`` is a table of :class:`Mistake` entries. Each has a ``key``, a
sentence ``describing`` it, ``applies(ctx, claim)`` and
``predict(ctx, claim)`` yielding ``(value, detail)`` pairs: the number the
claim would have if the author had made that mistake. :func:`diagnose`
returns the description of every mistake whose prediction the claimed digits
match (verdict ok or rounding against the prediction), or ``""``.

The predictions run through :class:`symbolic.truth.replay.Replay` (60-digit
backprop with mistakes switched on) or :class:`symbolic.truth.exact.Truth`; the
context object (``symbolic.claims.context.ClaimContext``) supplies them.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Callable, Iterable

from ..spec.rules import ACTIVATIONS, LOSSES
from ..truth.replay import Mistakes
from .derivation import Claim
from .layer_mistakes import LAYER_MISTAKES
from .optimizer_mistakes import OPTIMIZER_MISTAKES
from .verdict import Verdict, judge, printed_unit

__all__ = ["Mistake", "MISTAKES", "diagnose"]


@dataclass(frozen=True)
class Mistake:
    key: str
    description: str
    applies: Callable[["object", Claim], bool]
    predict: Callable[["object", Claim], Iterable[tuple[object, str]]]


def _involves_loss(ctx, c: Claim) -> bool:
    return c.after > 0 or (c.quantity is not None and c.quantity.kind == "L")


def _param_gradient_or_update(ctx, c: Claim) -> bool:
    """A derivative of L w.r.t. a parameter, or anything after updates."""
    return c.after > 0 or (c.kind == "derivative" and c.quantity.kind == "L" and c.wrt.is_parameter)


def _replayed(m: Mistakes) -> Callable:
    def predict(ctx, c: Claim):
        value = ctx.replay_value(c, m)
        return [] if value is None else [(value, "")]
    return predict


def _scaled_loss(scale) -> Callable:
    def predict(ctx, c: Claim):
        if c.after > 0 or (c.kind == "derivative" and c.wrt.is_parameter):
            return _replayed(Mistakes(loss_scale=scale))(ctx, c)
        if c.kind == "derivative" and c.quantity.kind == "L":  # dL/d(node): L scales linearly
            return [(ctx.exact(c) * scale, "")]
        if c.kind == "value" and c.quantity.kind == "L":
            return [(ctx.exact(c) * scale, "")]
        return []
    return predict


def _other_updates(delta: int) -> Callable:
    def predict(ctx, c: Claim):
        n = c.after + delta
        return [] if n < 0 else [(ctx.replay_value(c, Mistakes(), after=n), "")]
    return predict


def _swapped_entry(ctx, c: Claim):
    """The same quantity for another entry of the same weight matrix (transposed one first)."""
    target = c.wrt if c.kind == "derivative" else c.quantity
    for other in ctx.near_claim(c, ctx.sibling_entries(target)):
        value = ctx.exact_for(c, other)
        if value is not None:
            yield value, f" (the number belongs to {ctx.display(other)}, not {ctx.display(str(target))})"


def _moved_change(ctx, c: Claim):
    """A changed parameter value put on another parameter of the same array."""
    for moved, detail in ctx.moved_changes(c):
        value = ctx.exact_with(c, moved)
        if value is not None:
            yield value, detail


def _net_input_local(ctx, c: Claim):
    """da/du written as u(1−u) for a sigmoid node (the local factor itself: f' through a, evaluated at u)."""
    if c.kind == "derivative" and c.quantity.kind == "a" and c.wrt.kind == "u" and \
            c.quantity.layer == c.wrt.layer and \
            ACTIVATIONS[ctx.network.activations[c.wrt.layer - 1]].prime_of_output is not None:
        u = ctx.node_value(str(c.wrt), c)
        yield ACTIVATIONS[ctx.network.activations[c.wrt.layer - 1]].prime_of_output(u), ""
    else:
        yield from _replayed(Mistakes(fprime="net_input"))(ctx, c)


def _rounded_like(text: str, exact) -> str:
    """``exact`` rounded to the same number of decimals as the printed ``text``."""
    unit = printed_unit(text)
    quantum = Decimal(unit.numerator) / Decimal(unit.denominator)
    value = Decimal(str(exact.evalf(40) if hasattr(exact, "evalf") else exact))
    return str(value.quantize(quantum, rounding=ROUND_HALF_EVEN))


TYPO_MIN_DIGITS = 3  # significant digits a printed number needs before a one-digit difference is called a typo


def _typo(ctx, c: Claim):
    """The printed digits differ from the correct rounding by one swapped pair or one wrong digit."""
    digits = "".join(map(str, Decimal(c.value).as_tuple().digits)).lstrip("0")
    if len(digits) < TYPO_MIN_DIGITS:  # in "0.5" any wrong number is "one digit mistyped": no evidence of a typo
        return
    truth = ctx.exact(c)
    right, claimed = _rounded_like(c.value, truth), c.value.lstrip("+")
    if len(right) != len(claimed) or right == claimed:
        return
    diff = [k for k in range(len(right)) if right[k] != claimed[k]]
    swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and right[diff[0]] == claimed[diff[1]] \
        and right[diff[1]] == claimed[diff[0]]
    if swapped or len(diff) == 1:
        kind = "two adjacent digits swapped" if swapped else "one digit mistyped"
        # the mistake maps the correct digits to exactly the printed ones
        yield Fraction(Decimal(claimed)), f": correctly rounded it reads {right} ({kind})"


def _has_prime_of_output(ctx, c: Claim) -> bool:
    """Some layer's f' is written through its output (sigmoid's a(1−a)): the rule table's ``prime_of_output``."""
    return any(ACTIVATIONS[act].prime_of_output is not None for act in ctx.network.activations) and (
        _param_gradient_or_update(ctx, c) or (c.kind == "derivative" and c.wrt.kind == "u"))


MISTAKES: list[Mistake] = [
    Mistake("half_dropped", "the ½ of the half squared error was dropped (derivative of (y−a)² taken as (a−y))",
            lambda ctx, c: LOSSES[ctx.network.loss].half and _involves_loss(ctx, c), _scaled_loss(2)),
    Mistake("half_doubled", "the ½ of the half squared error was applied twice",
            lambda ctx, c: LOSSES[ctx.network.loss].half and _involves_loss(ctx, c), _scaled_loss(0.5)),
    Mistake("fprime_source_node",
            "the output unit's activation derivative was evaluated at the hidden unit (h(1−h) where O(1−O) belongs)",
            lambda ctx, c: ctx.network.depth >= 2 and _param_gradient_or_update(ctx, c),
            _replayed(Mistakes(fprime="source_node"))),
    Mistake("fprime_net_input",
            "sigmoid's derivative was computed from the net input, u(1−u), instead of from the output, a(1−a)",
            _has_prime_of_output, _net_input_local),
    Mistake("typo", "a transcription typo", lambda ctx, c: c.kind in ("value", "derivative"), _typo),
    Mistake("index_swap", "a weight index is wrong",
            lambda ctx, c: ctx.has_siblings(c), _swapped_entry),
    Mistake("moved_change", "a changed value was put on the wrong weight",
            lambda ctx, c: bool(c.with_values), _moved_change),
    Mistake("biases_flipped_on", "the biases were updated although the example keeps them fixed",
            lambda ctx, c: c.after > 0 and ctx.has_bias and not ctx.network.update_biases,
            _replayed(Mistakes(update_biases=True))),
    Mistake("biases_flipped_off", "the biases were left fixed although they should be updated",
            lambda ctx, c: c.after > 0 and ctx.has_bias and ctx.network.update_biases,
            _replayed(Mistakes(update_biases=False))),
    Mistake("one_update_more", "one update too many", lambda ctx, c: c.after > 0, _other_updates(+1)),
    Mistake("one_update_fewer", "one update too few", lambda ctx, c: c.after > 0, _other_updates(-1)),
    Mistake("sign_flipped", "the update's sign is flipped (θ + η∇L instead of θ − η∇L)",
            lambda ctx, c: c.after > 0, _replayed(Mistakes(sign=-1))),
    Mistake("sequential_update",
            "weights already updated in this step were used in the same backward pass (the output weights were "
            "updated before the hidden-layer gradients were computed)",
            lambda ctx, c: c.after > 0 and ctx.network.depth >= 2, _replayed(Mistakes(sequential=True))),
    *LAYER_MISTAKES,  # batch/layer norm and dropout backward (symbolic.claims.layer_mistakes)
    *OPTIMIZER_MISTAKES,  # optimizers and the L2 penalty (symbolic/claims/optimizer_mistakes.py)
]


def diagnose(ctx, claim: Claim, mistakes: list[Mistake] | None = None) -> str:
    """Descriptions of the mistakes that reproduce the claimed digits, joined by '; ' ('' if none)."""
    found = []
    for mistake in MISTAKES if mistakes is None else mistakes:
        try:
            if not mistake.applies(ctx, claim):
                continue
            for value, detail in mistake.predict(ctx, claim):
                if value is not None and judge(claim.value, value).verdict in (Verdict.OK, Verdict.ROUNDING):
                    found.append(mistake.description + detail)
                    break
        except ctx.skippable as err:  # a mistake that cannot be replayed here (e.g. too many updates)
            ctx.note(f"{mistake.key} not tried: {err}")
    return "; ".join(found)
