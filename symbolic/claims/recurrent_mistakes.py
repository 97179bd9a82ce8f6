"""The mistakes of backpropagation through time, as program transformations of the unrolled rnn/lstm.

Contract
--------
``RECURRENT_MISTAKES`` is a list of entries with the shape of :class:`symbolic.claims.mistakes.Mistake`
(``key``, ``description``, ``applies(ctx, claim)``, ``predict(ctx, claim)`` yielding ``(value, detail)``);
:mod:`symbolic.claims.mistakes` appends them to its table. Each replays the claim on the layer list's
program with one rule of the reverse sweep of :mod:`symbolic.truth.recurrent` changed
(:class:`symbolic.spec.recurrent.RecurrentMistakes` passed as a plugin transformation), evaluated exactly
like the truth:

* only the last step's contribution — a shared array's gradient taken as step T's term alone;
* not summed over the steps — ``dW = …`` where ``dW += …`` belongs in a backward loop from T down to 1,
  which leaves step 1's contribution; or the contributions averaged instead of summed;
* the recurrent path through h_{t−1} forgotten — δh_t without the term from step t+1 (∂h_t/∂W taken as
  local, the open d2l question), and for an lstm the cell path f_{t+1} δc_{t+1} forgotten.

The weight-gradient entries apply to claims of dL/d(shared array entry); the path entries to any
derivative of a network with a recurrent layer.

``bptt_compound`` is several mistakes at once (derivations/021, a notebook's BPTT written as numpy products
of vectors): for dL/d(an entry of an rnn's Wx, Wh or b) at the file's point it replays every combination
of the parts in :data:`COMPOUND_PARTS` — the output gradient's sign flipped, the Jacobian ∂h_t/∂h_{t−1}
multiplied entrywise, the array followed only through its first use, ∂h_t/∂A as a dot product — smallest
combination first (the sign alone is the general table's entry), and names the first that reproduces the
claimed digits, when the printed number carries enough digits to single one of them out
(:func:`symbolic.claims.printed.singled_out`, the chance rule).
"""
from __future__ import annotations

from itertools import combinations
from typing import Callable

from ..spec.layered_network import LayeredNetwork
from ..spec.recurrent import RecurrentMistakes
from ..truth.layered import LayerMistakes
from .derivation import Claim
from .layer_mistakes import LayerMistake, replayed_layer_value
from .printed import singled_out
from .verdict import Verdict, judge

__all__ = ["RECURRENT_MISTAKES", "COMPOUND_PARTS"]

_KINDS = ("rnn", "lstm")


def _recurrent_layers(ctx, c: Claim, kinds: tuple[str, ...] = _KINDS) -> list:
    net = ctx.network
    if not isinstance(net, LayeredNetwork) or c.kind != "derivative":
        return []
    return [s for s in net.specs if s.kind in kinds]


def _shared_total(ctx, c: Claim) -> bool:
    """dL/d(an entry of a shared array of a recurrent layer with more than one step), the total (no step)."""
    wrt = c.wrt
    if wrt is None or not wrt.is_parameter or wrt.step is not None or wrt.layer is None:
        return False
    return any(s.index == wrt.layer and s.extra.steps > 1 for s in _recurrent_layers(ctx, c))


def _multi_step(*kinds: str) -> Callable:
    def applies(ctx, c: Claim) -> bool:
        return any(s.extra.steps > 1 for s in _recurrent_layers(ctx, c, kinds))
    return applies


def _replay(mistakes: RecurrentMistakes) -> Callable:
    def predict(ctx, c: Claim):
        return [(replayed_layer_value(ctx, c, LayerMistakes(kinds=(mistakes,))), "")]
    return predict


# (the RecurrentMistakes field it changes, its value, how the diagnosis says it)
COMPOUND_PARTS: tuple[tuple[str, object, str], ...] = (
    ("output_sign", -1, "dL/dŷ with the wrong sign (y − ŷ for ŷ − y)"),
    ("entrywise_jacobian", True, "∂h_t/∂h_{t−1} multiplied entrywise as the row vector f′(u_t)ᵀWh where the matrix "
                                 "diag(f′(u_t))·Wh belongs"),
    ("weight_steps", "first_use", "the shared weight followed only through the first step it enters (Wx through "
                                  "h_1; Wh through h_2 when h0 = 0), not summed over its steps"),
    ("dot_inputs", True, "∂h_t/∂Wh taken as the number f′(u_t)·h_{t−1}, so dL/dWh is a vector subtracted from every "
                         "row of Wh"),
)


def _compound_applies(ctx, c: Claim) -> bool:
    """dL/d(an entry of an rnn's Wx, Wh or b), the total, at the file's point (no updates)."""
    if c.after or not _shared_total(ctx, c):
        return False
    spec = next(s for s in _recurrent_layers(ctx, c) if s.index == c.wrt.layer)
    return spec.kind == "rnn" and c.wrt.kind in ("Wx", "Wh", "b")


def _compound(ctx, c: Claim):
    """The smallest combination of :data:`COMPOUND_PARTS` whose replay reproduces the claim (chance rule applied)."""
    subsets = [combo for size in range(1, len(COMPOUND_PARTS) + 1) for combo in combinations(COMPOUND_PARTS, size)
               if combo != COMPOUND_PARTS[:1]]  # the sign alone is the general table's "sign"
    if not singled_out(c.value, len(subsets)):
        return
    for combo in subsets:
        mistakes = RecurrentMistakes(**{field: value for field, value, _ in combo})
        value = replayed_layer_value(ctx, c, LayerMistakes(kinds=(mistakes,)))
        if value is not None and judge(c.value, value).verdict in (Verdict.OK, Verdict.ROUNDING):
            yield value, ": " + "; ".join(f"({k}) {words}" for k, (_, _, words) in enumerate(combo, 1))
            return


RECURRENT_MISTAKES: list[LayerMistake] = [
    LayerMistake("bptt_last_step_only",
                 "only the last step's contribution to the shared weight's gradient was kept (BPTT sums the "
                 "contributions of every step)", _shared_total, _replay(RecurrentMistakes(weight_steps="last"))),
    LayerMistake("bptt_not_summed",
                 "the shared weight's gradient was not summed over the steps: it was overwritten at each step of "
                 "the backward loop (dW = … for dW += …), leaving step 1's contribution",
                 _shared_total, _replay(RecurrentMistakes(weight_steps="first"))),
    LayerMistake("bptt_mean_over_steps",
                 "the shared weight's gradient was averaged over the steps instead of summed",
                 _shared_total, _replay(RecurrentMistakes(weight_steps="mean"))),
    LayerMistake("bptt_no_recurrent_path",
                 "the recurrent path through h_{t−1} was forgotten: ∂h_t/∂W taken as local, so δh_t lacks the "
                 "term from step t+1 (Whᵀ δu_{t+1})", _multi_step(*_KINDS),
                 _replay(RecurrentMistakes(h_path=False))),
    LayerMistake("bptt_no_cell_path",
                 "the LSTM's cell path was forgotten: δc_t lacks f_{t+1} δc_{t+1} from step t+1",
                 _multi_step("lstm"), _replay(RecurrentMistakes(c_path=False))),
    LayerMistake("bptt_compound",
                 "BPTT written with these mistakes together (each replayed as a transformation of the reverse sweep)",
                 _compound_applies, _compound),
]
