"""The registry of plugin layer ops: :data:`LAYER_OPS` with every plugin kind's op registered.

Contract
--------
:mod:`symbolic.truth.layer_op` defines the :class:`LayerOp` protocol and the (empty) ``LAYER_OPS``
dict; it cannot import the ops themselves, which subclass :class:`LayerOp` (an import cycle). This
module imports each kind's ops and adds them to that same dict (one import line and one update per
kind module); the batch evaluation (:mod:`symbolic.truth.layered`) imports ``LAYER_OPS`` from here,
so every registered kind is interpreted.
"""
from __future__ import annotations

from .layer_op import LAYER_OPS
from .recurrent import RECURRENT_OPS

__all__ = ["LAYER_OPS"]

LAYER_OPS.update(RECURRENT_OPS)  # rnn, lstm (symbolic.truth.recurrent)
