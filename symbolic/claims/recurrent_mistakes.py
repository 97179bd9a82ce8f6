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
"""
from __future__ import annotations

from typing import Callable

from ..spec.layered_network import LayeredNetwork
from ..spec.recurrent import RecurrentMistakes
from ..truth.layered import LayerMistakes
from .derivation import Claim
from .layer_mistakes import LayerMistake, replayed_layer_value

__all__ = ["RECURRENT_MISTAKES"]

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
]
