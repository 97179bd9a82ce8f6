"""Where an author's printed number enters a layer list's batch evaluation: the keys of :class:`LayerPins`.

Contract
--------
:func:`output_index` is the flat output position of ``a{l}[…]`` of any kind (a plugin kind's own layout);
:func:`node_pin_key` the ``(sample, canonical name)`` key of any other node the program reads back: a dense
``u``, a normalization's ``xhat`` and statistics (batch norm's μ, σ² are the batch's: sample 0; a layer norm
of one row per sample is ``mu{l}``), a node of a kind whose op reads pins (a recurrent ``h1_t2[1]``); None for
a node it does not take (a pooling or flatten layer has no nodes but its outputs). :mod:`symbolic.claims.carry` keys
its pins with them.
"""
from __future__ import annotations

from ..spec.layered_network import LayeredNetwork
from ..spec.names import Name
from .layer_kinds import LAYER_OPS
from .normalization import stat_names

__all__ = ["node_pin_key", "output_index"]


def node_pin_key(name: Name, network: LayeredNetwork, sample: int) -> tuple | None:
    """Where the printed number of node ``name`` (not an output ``a{l}``) enters :class:`LayerPins` ``nodes`` /
    ``back_nodes``: a dense ``u``, a normalization's ``xhat`` and statistics (batch norm's are the batch's: sample
    0), a node of a kind that reads pins (a recurrent ``h1_t2[1]``); None for a node the program does not take."""
    if not name.layer or name.is_parameter:
        return None
    spec = network.specs[name.layer - 1]
    if spec.plugin is not None:
        return (sample, str(name)) if spec.kind in LAYER_OPS and LAYER_OPS[spec.kind].reads_pins else None
    if name.kind in ("mu", "var") and spec.mode == "train":  # a normalization's statistics (train mode only)
        k = name.indices[0] - 1 if name.indices else 0
        return stat_names(spec, sample, k)[0 if name.kind == "mu" else 1]
    return (sample, str(name)) if name.kind in ("u", "xhat") else None


def output_index(name: Name, network: LayeredNetwork) -> int | None:
    """The 1-based flat output index of ``name`` when it is layer l's output ``a{l}[…]`` (None otherwise)."""
    if name.kind != "a" or not name.layer:
        return None
    spec = network.specs[name.layer - 1]
    if spec.plugin is not None:
        return spec.plugin.flat(spec, name)
    return name.indices[0] if name.indices else None
