"""The mistakes of convolution and pooling backward passes, as program transformations.

Contract
--------
``CONV_MISTAKES`` is a list of :class:`symbolic.claims.layer_mistakes.LayerMistake` entries, appended to
the table of :mod:`symbolic.claims.mistakes`. Each replays a WRONG derivative claim on the layer list's
program with one rule of :mod:`symbolic.truth.convolution` changed (a :class:`ConvMistakes` or
:class:`PoolMistakes` in :class:`symbolic.truth.layered.LayerMistakes` ``kinds``), evaluated exactly like
the truth, and applies only where the claim's variable lies at or before such a layer:

* kernel not rotated (or rotated twice): ∂L/∂(input) correlates δ with K where the 180°-rotated kernel
  belongs — dX by correlation where the convolution belongs;
* ∂L/∂K rotated (computed by convolution where the correlation belongs);
* the backward's stride or zero padding off by one (δ mapped to the wrong input cells);
* max-pool gradient to the wrong cell: the window's first cell, the transposed cell, every cell;
  avg-pool gradient not divided by the window size.

A gradient through a tied maximum has no truth to be wrong against: such a claim is an error saying the
derivative does not exist there. ``TIE_MISTAKES`` (asked by :mod:`symbolic.claims.check` for such a claim)
name what the author did instead when their number is reproduced: the gradient split equally between the
tied cells, or routed to the first of them (as an argmax picks one) — the same replay, with the tie's rule
changed (:class:`PoolMistakes` ``route="split"`` / ``"first_tied"``); windows without a tie are routed as in
the truth.
"""
from __future__ import annotations

from typing import Callable

from ..spec.errors import DerivcheckError
from ..spec.layered_network import LayeredNetwork
from ..truth.convolution import ConvMistakes, PoolMistakes
from ..truth.layered import LayerMistakes
from .derivation import Claim
from .layer_mistakes import LayerMistake, replayed_layer_value

__all__ = ["CONV_MISTAKES", "TIE_MISTAKES"]


def _layer_of(name) -> int:
    """The layer a claim's variable belongs to (0: the input x)."""
    return 0 if name.kind == "x" or name.layer is None else name.layer


def _before(kind: str, test: Callable = lambda st: True, own: bool = True) -> Callable[[object, Claim], bool]:
    """The claim is a derivative whose variable is upstream of a ``kind`` layer whose settings pass ``test``
    (``own``: the layer's own parameters count as upstream too; else only what is strictly before it)."""
    def applies(ctx, c: Claim) -> bool:
        net = ctx.network
        if not isinstance(net, LayeredNetwork) or c.kind != "derivative" or c.wrt is None:
            return False
        at = _layer_of(c.wrt)
        return any(s.kind == kind and test(s.extra) and (at < s.index or (own and at == s.index and c.wrt.is_parameter))
                   for s in net.specs)
    return applies


def _kernel_only(ctx, c: Claim) -> bool:
    return _before("conv2d")(ctx, c) and c.wrt.kind == "K"


def _replay(*kinds) -> Callable:
    def predict(ctx, c: Claim):
        return [(replayed_layer_value(ctx, c, LayerMistakes(kinds=kinds)), "")]
    return predict


def _conv(**change) -> Callable:
    return _replay(ConvMistakes(**change))


def _pool(**change) -> Callable:
    return _replay(PoolMistakes(**change))


def _tie(route: str) -> Callable:
    """The claim's number with a tie's gradient routed by ``route``; nothing where that is undefined too."""
    def predict(ctx, c: Claim):
        try:
            value = replayed_layer_value(ctx, c, LayerMistakes(kinds=(PoolMistakes(route=route),)))
        except DerivcheckError:  # another kink (relu at 0) on the way: this is not the explanation
            return []
        return [] if value is None else [(value, "")]
    return predict


TIE_MISTAKES: list[LayerMistake] = [
    LayerMistake("maxpool_tie_split", "the gradient was split between the tied maxima (each of the window's cells "
                 "holding its maximum got an equal share)", _before("maxpool", own=False), _tie("split")),
    LayerMistake("maxpool_tie_first", "the gradient was routed to the first of the tied cells (as an argmax picks "
                 "one of the window's equal maxima)", _before("maxpool", own=False), _tie("first_tied")),
]

CONV_MISTAKES: list[LayerMistake] = [
    LayerMistake("conv_kernel_not_rotated",
                 "the kernel was not rotated (or was rotated twice) in the conv backward: ∂L/∂x correlates δ with K "
                 "where the kernel rotated by 180° belongs", _before("conv2d", own=False), _conv(kernel_flipped=True)),
    LayerMistake("conv_dk_rotated",
                 "∂L/∂K was rotated by 180° (computed by convolution where the correlation of the input with δ "
                 "belongs)", _kernel_only, _conv(dk_rotated=True)),
    LayerMistake("conv_stride_plus_one", "the conv backward used stride S + 1 (δ mapped to the wrong input cells)",
                 _before("conv2d"), _conv(stride_shift=1)),
    LayerMistake("conv_stride_minus_one", "the conv backward used stride S − 1 (δ mapped to the wrong input cells)",
                 _before("conv2d", lambda st: min(st.stride) > 1), _conv(stride_shift=-1)),
    LayerMistake("conv_padding_plus_one", "the conv backward used padding P + 1 (δ shifted by one cell)",
                 _before("conv2d"), _conv(padding_shift=1)),
    LayerMistake("conv_padding_minus_one", "the conv backward used padding P − 1 (δ shifted by one cell)",
                 _before("conv2d", lambda st: min(st.padding) > 0), _conv(padding_shift=-1)),
    LayerMistake("maxpool_first_cell", "the max-pool gradient was routed to the first (top-left) cell of each window "
                 "instead of the cell holding the maximum", _before("maxpool", own=False), _pool(route="first")),
    LayerMistake("maxpool_transposed_cell", "the max-pool gradient was routed to the transposed cell of the window "
                 "(row and column of the maximum swapped)", _before("maxpool", lambda st: st.size[0] == st.size[1],
                                                                  own=False), _pool(route="transposed")),
    LayerMistake("maxpool_every_cell", "the max-pool gradient was sent to every cell of the window instead of the "
                 "one holding the maximum", _before("maxpool", own=False), _pool(route="all")),
    LayerMistake("avgpool_not_divided", "the average-pool gradient was not divided by the window size",
                 _before("avgpool", own=False), _pool(avg_unscaled=True)),
]
