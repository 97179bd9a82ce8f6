"""The registry of plugin layer ops with every kind in it: :data:`LAYER_OPS` of :mod:`symbolic.truth.layer_op`.

Contract
--------
:mod:`symbolic.truth.layer_op` defines the protocol and the (empty) registry; the kinds' op modules
subclass :class:`~symbolic.truth.layer_op.LayerOp`, so they cannot be imported from there without a
cycle. This module imports each kind's ops and adds them (one import and one ``update`` line per
module); the batch evaluation (:mod:`symbolic.truth.layered`) takes ``LAYER_OPS`` from here.
"""
from __future__ import annotations

from .convolution import CONV_OPS
from .layer_op import LAYER_OPS
from .recurrent import RECURRENT_OPS

__all__ = ["LAYER_OPS"]

LAYER_OPS.update(CONV_OPS)  # conv2d, maxpool, avgpool, flatten (symbolic.truth.convolution)
LAYER_OPS.update(RECURRENT_OPS)  # rnn, lstm (symbolic.truth.recurrent)
