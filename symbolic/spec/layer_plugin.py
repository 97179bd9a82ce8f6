"""The layer-kind entry of the rule table, and the plug-in protocol of kinds with their own shapes and names.

Contract
--------
:class:`LayerKind` is one entry of :data:`symbolic.spec.layer_rules.LAYER_KINDS`: the keys its
``[[layer]]`` table takes, its parameter and node words, whether it couples the samples of a batch,
its NumPy twin and its LaTeX lines. The kinds batchnorm, layernorm and dropout are built into the
layer list's parser; a kind with its own shapes, parameters and names (rnn, lstm, conv2d, pools,
flatten) carries a :class:`KindPlugin` in ``plugin``, and the generic code of
:mod:`symbolic.spec.layers` / :mod:`symbolic.spec.layered_network` asks it, and nothing else:

* :meth:`KindPlugin.parse` — the validated settings of one table: ``(units, extra)``, ``units`` the
  width of the layer's flat output per sample, ``extra`` a frozen object of the kind's settings
  (it becomes ``LayerSpec.extra``); bad input raises one :class:`DerivcheckError` sentence;
* :meth:`KindPlugin.arrays` — the parameter arrays of the layer and their shapes, in order
  (``{"Wx1": (3, 2), "Wh1": (3, 3), "b1": (3,)}``; shape ``()`` is one scalar); their entries are
  ``Wx1[i,j]`` (1-based) and the generic code reads, validates and rewrites them;
* :meth:`KindPlugin.check_name` — the layer's node names (everything but those parameters);
* :meth:`KindPlugin.flat` — the flat output index of a multi-index output name (``a2[c,r,s]``);
* :meth:`KindPlugin.cost` — scalar operations of one forward pass for one sample (the size guard);
* :meth:`KindPlugin.numeric` — the settings for the NumPy twin, as plain floats/ints/lists;
* :meth:`KindPlugin.loss_scale` — the factor on the loss when the kind is the last layer (1 by default; a
  recurrent layer's ``loss_over_steps``).

The truth side of such a kind is a :class:`symbolic.truth.layer_op.LayerOp`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping

from numeric.layers import NumericKind

__all__ = ["LayerKind", "KindPlugin"]


class KindPlugin(ABC):
    """What the generic layer-list code asks a kind with its own shapes and names (see the module contract)."""

    wants_previous = False  # True: ``parse`` also gets ``prev=``, the previous LayerSpec (None for layer 1)

    @abstractmethod
    def parse(self, raw: Mapping[str, Any], l: int, width: int, batch: int | None, last: bool,
              where: str) -> tuple[int, Any]:
        """``(units, extra)`` of the table ``raw`` of layer ``l`` whose input has ``width`` numbers per sample."""

    @abstractmethod
    def arrays(self, spec: Any) -> dict[str, tuple[int, ...]]:
        """Parameter array name → shape, in order (``spec.inputs`` is the input width)."""

    @abstractmethod
    def check_name(self, spec: Any, name: Any, network: Any) -> Any:
        """``name`` (a node of this layer) normalized, or one :class:`DerivcheckError` sentence."""

    def flat(self, spec: Any, name: Any) -> int | None:
        """The 1-based flat output index of an output name ``a{l}[…]``; ``None`` if it is not one."""
        if name.kind == "a" and len(name.indices) == 1:
            return name.indices[0]
        return None

    def names(self, spec: Any) -> list[str]:
        """The name patterns of this layer, for messages (``h1_t{t}[i]``, ``a2[c,r,s]``)."""
        return [f"a{spec.index}[i]"]

    def cost(self, spec: Any) -> int:
        """Scalar operations of one forward pass for one sample."""
        return spec.units * max(1, spec.inputs)

    def numeric(self, spec: Any) -> dict[str, Any]:
        """Settings for the NumPy twin (plain numbers)."""
        return {}

    def loss_scale(self, spec: Any, averaged: bool) -> Fraction:
        """The factor on the loss of this last layer's outputs (``averaged``: the loss means over its entries)."""
        return Fraction(1)


@dataclass(frozen=True)
class LayerKind:
    """One layer kind of a ``[[layer]]`` list."""

    name: str
    keys: tuple[str, ...]  # the keys its table may have besides ``kind``
    parameters: tuple[str, ...]  # parameter arrays, one entry per feature (gamma, beta); a plugin says its own
    nodes: tuple[str, ...]  # node kinds it defines besides its output a{l}
    couples_batch: bool  # its output for one sample depends on the other samples
    numeric: NumericKind | None
    description: str
    latex_forward: tuple[str, ...] = field(default=())
    latex_backward: tuple[str, ...] = field(default=())
    plugin: KindPlugin | None = field(default=None, compare=False)
