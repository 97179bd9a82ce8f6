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

import sympy as sp

from ..spec.rules import ACTIVATIONS, LOSSES
from ..truth.balls import exact
from ..truth.pins import Pins
from ..truth.replay import Mistakes
from .costs import MAX_DIAGNOSED_POINT_WORK, MAX_DIAGNOSED_SAMPLES, MAX_DIAGNOSED_UPDATE_WORK
from .context import MISTAKE_REPLAY_UPDATES, REPLAY_BOUND_WORDS
from .derivation import Claim
from .printed import singled_out
from .convolution_mistakes import CONV_MISTAKES
from .layer_mistakes import LAYER_MISTAKES
from .optimizer_mistakes import OPTIMIZER_MISTAKES
from .recurrent_mistakes import RECURRENT_MISTAKES
from .verdict import Verdict, judge

__all__ = ["Mistake", "MISTAKES", "diagnose", "singled_out", "scaled_loss", "undiagnosed"]


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


def scaled_loss(scale) -> Callable:
    """The number with every loss term times ``scale`` (exact: a Fraction, an int or a dyadic float)."""
    s = Fraction(scale)
    factor = sp.Rational(s.numerator, s.denominator)

    def predict(ctx, c: Claim):
        if c.after > 0 or (c.kind == "derivative" and c.wrt.is_parameter):
            return _replayed(Mistakes(loss_scale=s))(ctx, c)
        if c.kind == "derivative" and c.quantity.kind == "L":  # dL/d(node): L scales linearly
            return [(ctx.exact(c) * factor, "")]
        if c.kind == "value" and c.quantity.kind == "L":
            return [(ctx.exact(c) * factor, "")]
        return []
    return predict


def _other_updates(delta: int) -> Callable:
    def predict(ctx, c: Claim):
        n = c.after + delta
        return [] if n < 0 else [(ctx.replay_value(c, Mistakes(), after=n), "")]
    return predict


def _one_match(ctx, c: Claim, found: list[tuple[object, str]], searched: int):
    """The single candidate that reproduces the claim, if the chance rule lets it be named."""
    matches = [(v, d) for v, d in found if v is not None and
               judge(c.value, v).verdict in (Verdict.OK, Verdict.ROUNDING)]
    if len(matches) == 1 and singled_out(c.value, searched):
        yield matches[0]


def _swapped_entry(ctx, c: Claim):
    """The same quantity for another entry of the same weight matrix (transposed one first)."""
    target = c.wrt if c.kind == "derivative" else c.quantity
    siblings = ctx.sibling_entries(target)
    found = [(ctx.exact_for(c, other), f" (the number belongs to {ctx.display(other)}, not "
                                       f"{ctx.display(str(target))})") for other in ctx.near_claim(c, siblings)]
    yield from _one_match(ctx, c, found, len(siblings))


def _moved_change(ctx, c: Claim):
    """A changed parameter value put on another parameter of the same array."""
    moves = list(ctx.moved_changes(c))
    found = [(ctx.exact_with(c, moved), detail) for moved, detail in moves]
    yield from _one_match(ctx, c, found, len(moves))


def _net_input_local(ctx, c: Claim):
    """da/du written as u(1−u) for a sigmoid node (the local factor itself: f' through a, evaluated at u)."""
    if c.kind == "derivative" and c.quantity.kind == "a" and c.wrt.kind == "u" and \
            c.quantity.layer == c.wrt.layer and \
            ACTIVATIONS[ctx.network.activations[c.wrt.layer - 1]].prime_of_output is not None:
        u = ctx.node_value(str(c.wrt), c)
        yield ACTIVATIONS[ctx.network.activations[c.wrt.layer - 1]].prime_of_output(u), ""
    else:
        yield from _replayed(Mistakes(fprime="net_input"))(ctx, c)


def _rounded_digits(text: str, exact) -> tuple[int, tuple[int, ...]]:
    """(sign, digits) of ``exact`` rounded to the printed unit of ``text`` (scientific notation alike)."""
    exponent = Decimal(text).as_tuple().exponent
    value = Decimal(str(exact.evalf(40) if hasattr(exact, "evalf") else exact))
    t = value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_EVEN).as_tuple()
    return t.sign, tuple(t.digits)


def _shown_like(text: str, sign: int, digits: tuple[int, ...]) -> str:
    """Those digits written the way the author wrote ``text`` (fixed point or with its exponent)."""
    exponent = Decimal(text).as_tuple().exponent
    number = Decimal((sign, digits, exponent))
    if "e" in text.lower():
        mantissa = text.lower().split("e")[0]
        places = len(mantissa.split(".")[1]) if "." in mantissa else 0
        return f"{number:.{places}e}"
    return format(number, "f")


TYPO_MIN_DIGITS = 3  # significant digits a printed number needs before a one-digit difference is called a typo


def _typo(ctx, c: Claim):
    """The printed digits differ from the correct rounding by one swapped pair or one wrong digit."""
    printed = Decimal(c.value).as_tuple()
    if len("".join(map(str, printed.digits)).lstrip("0")) < TYPO_MIN_DIGITS:
        return  # in "0.5" any wrong number is "one digit mistyped": no evidence of a typo
    sign, right = _rounded_digits(c.value, ctx.exact(c))
    claimed = tuple(printed.digits)
    width = max(len(right), len(claimed))
    right, claimed = (0,) * (width - len(right)) + right, (0,) * (width - len(claimed)) + claimed
    if sign != printed.sign or right == claimed:
        return
    diff = [k for k in range(width) if right[k] != claimed[k]]
    swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and right[diff[0]] == claimed[diff[1]] \
        and right[diff[1]] == claimed[diff[0]]
    if swapped or len(diff) == 1:
        kind = "two adjacent digits swapped" if swapped else "one digit mistyped"
        # the mistake maps the correct digits to exactly the printed ones
        shown = _shown_like(c.value, sign, right)
        yield Fraction(Decimal(c.value)), f": correctly rounded it reads {shown} ({kind})"


def _negated(ctx, c: Claim):
    """The number with its sign flipped (−x where x belongs)."""
    yield -ctx.exact(c), ""


def _unchanged(ctx, c: Claim):
    """An updated parameter given as its value before the update(s)."""
    start = {**ctx.network.parameter_values(), **c.with_values}[str(c.quantity)]
    yield Fraction(start), ""


def _is_updated_parameter(ctx, c: Claim) -> bool:
    return c.kind == "value" and c.after > 0 and c.quantity.is_parameter


def _below_top(ctx, c: Claim) -> bool:
    """dL/d(something) below the output layer, at the file's point: where δ is sent back through W."""
    return c.after == 0 and c.kind == "derivative" and c.quantity.kind == "L" and not c.quantity.indices and \
        (c.wrt.layer or 0) < ctx.network.depth


def _delta_from_gradients(ctx, c: Claim):
    """The hidden δ sent back through the upper layers' weight *gradients* ∂L/∂W instead of the weights W."""
    below = c.wrt.layer or 0

    def backward(values: dict, gradient: dict) -> dict:
        return {**values, **{k: v for k, v in gradient.items() if k.startswith("W") and _layer(k) > below}}
    value = ctx.transformed(c, backward=backward)
    if value is not None:
        yield value, ""


def _layer(entry: str) -> int:
    return int(entry[1:].split("[")[0])


def _fraction(v) -> Fraction:
    """An exact value (SymPy Rational, or a 60-digit Float) as a Fraction; beyond 10^±300 an ArithmeticError
    (the diagnosis skips the entry: no 10^(10^15) is ever built)."""
    if hasattr(v, "q"):
        return Fraction(int(v.p), int(v.q))
    if v != 0 and not sp.Float("1e-300") < abs(v) < sp.Float("1e300"):
        raise ArithmeticError("a value beyond 10^±300 is not compared digit by digit")
    return Fraction(Decimal(str(v)))


def _vector_output(ctx, c: Claim) -> bool:
    """The output is a vector rule (softmax) and the claim reads it: its value, the loss, or a gradient."""
    if ACTIVATIONS[ctx.network.activations[-1]].elementwise or c.after or c.kind not in ("value", "derivative"):
        return False
    q = c.quantity
    return q.kind == "L" or (q.kind == "a" and q.layer == ctx.network.depth)


def _normalized_without_exp(ctx, c: Claim):
    """The vector output (softmax) computed as u_k / Σ_j u_j: normalized without its exponentials."""
    L = ctx.network.depth
    u = [_fraction(ctx.node_value(f"u{L}[{k}]", c)) for k in range(1, ctx.network.layers[L] + 1)]
    if sum(u) == 0:
        return
    value = ctx.transformed(c, pins=Pins(forward={(c.sample, "a", L, k): exact(uk / sum(u))
                                                  for k, uk in enumerate(u, 1)}))
    if value is not None:
        yield value, ""


def _input_for_weight(ctx, c: Claim) -> bool:
    """∂u{l}[i]/∂W{l}[i,j] or ∂L/∂W{l}[i,j] at the file's point."""
    if c.after or c.kind != "derivative" or c.wrt.kind != "W":
        return False
    q = c.quantity
    return (q.kind == "u" and q.layer == c.wrt.layer and q.indices == c.wrt.indices[:1]) or \
        (q.kind == "L" and not q.indices)


def _weight_for_input(ctx, c: Claim):
    """∂u/∂w answered with w instead of the input it multiplies (δ·w for ∂L/∂w)."""
    l, (i, _) = c.wrt.layer, c.wrt.indices
    w = Fraction({**ctx.network.parameter_values(), **c.with_values}[str(c.wrt)])
    if c.quantity.kind == "u":
        yield w, ""
    else:
        yield ctx.node_derivative("L", f"u{l}[{i}]", c) * sp.Rational(w.numerator, w.denominator), ""


def _worded(predict: Callable, words: Callable) -> Callable:
    """``predict`` with its detail worded for the network's own rules."""
    def worded(ctx, c: Claim):
        for value, detail in predict(ctx, c):
            yield value, detail + words(ctx, c)
    return worded


def _source_node_words(ctx, c: Claim) -> str:
    text = ACTIVATIONS[ctx.network.activations[-1]].prime_of_output_text
    hidden = ACTIVATIONS[ctx.network.activations[-2]].prime_of_output_text
    if text and hidden:
        return f" ({hidden.format(v='h')} where {text.format(v='O')} belongs)"
    return " (f′ of the hidden unit's net input where the output unit's f′ belongs)"


def _net_input_words(ctx, c: Claim) -> str:
    layer = c.wrt.layer if c.kind == "derivative" and c.wrt.kind == "u" else ctx.network.depth
    rule = ACTIVATIONS[ctx.network.activations[layer - 1]]
    if not rule.prime_of_output_text:
        return ""
    return f": {rule.name}'s f′ as {rule.prime_of_output_text.format(v='u')} instead of " \
           f"{rule.prime_of_output_text.format(v='a')}"


def _has_prime_of_output(ctx, c: Claim) -> bool:
    """Some layer's f' is written through its output (sigmoid's a(1−a)): the rule table's ``prime_of_output``."""
    return any(ACTIVATIONS[act].prime_of_output is not None for act in ctx.network.activations) and (
        _param_gradient_or_update(ctx, c) or (c.kind == "derivative" and c.wrt.kind == "u"))


MISTAKES: list[Mistake] = [
    Mistake("half_dropped", "the ½ of the half squared error was dropped (derivative of (y−a)² taken as (a−y))",
            lambda ctx, c: LOSSES[ctx.network.loss].half and _involves_loss(ctx, c), scaled_loss(2)),
    Mistake("half_doubled", "the ½ of the half squared error was applied twice",
            lambda ctx, c: LOSSES[ctx.network.loss].half and _involves_loss(ctx, c), scaled_loss(0.5)),
    Mistake("fprime_source_node",
            "the output unit's activation derivative was evaluated at the hidden unit",
            lambda ctx, c: ctx.network.depth >= 2 and _param_gradient_or_update(ctx, c),
            _worded(_replayed(Mistakes(fprime="source_node")), _source_node_words)),
    Mistake("fprime_net_input",
            "the activation's derivative was computed from the net input instead of from the output",
            _has_prime_of_output, _worded(_net_input_local, _net_input_words)),
    Mistake("sign", "the sign is flipped (the number is minus the truth)",
            lambda ctx, c: c.kind in ("value", "derivative") and not _is_updated_parameter(ctx, c), _negated),
    Mistake("unchanged", "the value was never updated (it is the value before the update)",
            _is_updated_parameter, _unchanged),
    Mistake("delta_from_gradients",
            "the hidden-layer δ was sent back through the weight gradients ∂L/∂W instead of the weights W",
            _below_top, _delta_from_gradients),
    Mistake("softmax_without_exp", "softmax was computed as u/Σu instead of e^u/Σe^u",
            _vector_output, _normalized_without_exp),
    Mistake("weight_for_input", "the weight was used where the input it multiplies belongs (∂u/∂w = x, not w)",
            _input_for_weight, _weight_for_input),
    Mistake("batch_sum", "the batch loss was summed instead of averaged over the samples",
            lambda ctx, c: len(ctx.network.x) > 1 and _involves_loss(ctx, c),
            lambda ctx, c: scaled_loss(len(ctx.network.x))(ctx, c)),
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
    *RECURRENT_MISTAKES,  # backpropagation through time (symbolic/claims/recurrent_mistakes.py)
    *CONV_MISTAKES,  # conv and pool backward (symbolic.claims.convolution_mistakes)
    *OPTIMIZER_MISTAKES,  # optimizers and the L2 penalty (symbolic/claims/optimizer_mistakes.py)
    # last, and only when nothing above explains the number (see diagnose)
    Mistake("typo", "a transcription typo", lambda ctx, c: c.kind in ("value", "derivative"), _typo),
]


def diagnose(ctx, claim: Claim, mistakes: list[Mistake] | None = None,
             accept: tuple[str, ...] = (Verdict.OK, Verdict.ROUNDING)) -> str:
    """Descriptions of the mistakes that reproduce the claimed digits (their verdict against the prediction in
    ``accept``), joined by '; ' ('' if none)."""
    samples = len(getattr(ctx.network, "x", None) or ())
    if samples > MAX_DIAGNOSED_SAMPLES:  # issue 21: each entry re-evaluates the whole batch
        ctx.note(f"not diagnosed: the mistake search is not run beyond {MAX_DIAGNOSED_SAMPLES} samples "
                 f"(this file has {samples:,})")
        return ""
    after = getattr(claim, "after", 0) or 0
    if hasattr(ctx.network, "parameter_names"):
        parameters, batch = len(ctx.network.parameter_names()), max(samples, 1)
        if parameters * batch > MAX_DIAGNOSED_POINT_WORK:  # issue 21: each entry is one more exact batch gradient
            ctx.note(f"not diagnosed: {parameters:,} parameters x {batch:,} sample(s) is {parameters * batch:,}, "
                     f"over the {MAX_DIAGNOSED_POINT_WORK:,} the mistake search evaluates")
            return ""
        work = parameters * batch * after
        if work > MAX_DIAGNOSED_UPDATE_WORK:  # issue 21: each entry is its own run of `after` updates
            ctx.note(f"not diagnosed: {after:,} updates of {parameters:,} parameters x {batch:,} sample(s) is "
                     f"{work:,} steps per mistake tried, over the {MAX_DIAGNOSED_UPDATE_WORK:,} the mistake table "
                     f"replays")
            return ""
    found = []
    for mistake in MISTAKES if mistakes is None else mistakes:
        if mistake.key == "typo" and found:
            continue  # a typo is the explanation of last resort
        try:
            if not mistake.applies(ctx, claim):
                continue
            for value, detail in mistake.predict(ctx, claim):
                if value is not None and judge(claim.value, value).verdict in accept:
                    found.append(mistake.description + detail)
                    break
        except ctx.skippable as err:  # a mistake that cannot be replayed here (e.g. too many updates)
            ctx.note(f"{mistake.key} not tried: {err}")
    return "; ".join(found)


def undiagnosed(notes: list[str]) -> str:
    """The one sentence the report shows for a WRONG claim that got no diagnosis because the mistake search
    was cut short, from the notes :func:`diagnose` recorded for that claim ("" when it ran in full):
    over ``MAX_DIAGNOSED_SAMPLES`` samples no mistake was tried; beyond the replay bound the f′ and
    sequential-update mistakes were not (the other mistakes were tried and none reproduced the number)."""
    for note in notes:
        if note.startswith("not diagnosed: "):
            return note
    beyond = [note.split(" ", 1)[0] for note in notes if note.endswith(REPLAY_BOUND_WORDS)]
    if beyond:
        return (f"not diagnosed for the f′ and sequential-update mistakes: the mistake search replays them up to "
                f"{MISTAKE_REPLAY_UPDATES:,} updates only")
    return ""
