"""The exact forward and reverse rules of layer kinds with their own shapes (the truth side of a KindPlugin).

Contract
--------
A kind whose spec carries a :class:`symbolic.spec.layer_plugin.KindPlugin` is interpreted by the
batch evaluation (:class:`symbolic.truth.layered.BatchPoint`) through one :class:`LayerOp` in
:data:`LAYER_OPS` (kind name → op; one import and one entry per kind). Numbers are those of
:mod:`symbolic.truth.balls` (exact ``fmpq`` where the arithmetic is rational, certified ``arb``
balls elsewhere, ``Undefined`` through a kink or a tied maximum); the calls run inside the
point's working precision.

* :meth:`LayerOp.forward` — the layer's flat outputs of every sample from its inputs, and the
  op's own saved state (intermediate nodes) for the reverse rule and for node values;
* :meth:`LayerOp.backward` — from ``g_out[s][k]`` (d top / d output k of sample s): the input
  adjoints, the parameter gradients summed over the batch (canonical entry → value) and the
  adjoints of the op's own nodes (``str(name)`` → one value per sample). ``seed`` is
  ``(node, sample)`` when the reverse sweep starts at one of the op's own nodes (``g_out`` is then
  all zero): the op seeds it inside and returns the adjoints of what is before that node;
* :meth:`LayerOp.value` — the value of one of the op's nodes for a sample.

An op whose ``reads_pins`` is true also takes ``pins=`` (a :class:`symbolic.truth.pins.LayerPins`: the
author's printed numbers of its own nodes, by canonical name) in ``forward`` — it uses them in place of
its own values while it computes, so every later node is the author's — and in ``backward`` (their
d L/d(node), given only in the sweep seeded at L). The others' nodes are their outputs ``a{l}[…]``, which
the batch evaluation pins itself.

``mistakes`` is the tuple of program transformations the diagnosis asks for (each op picks the
objects of its own type and ignores the others); ``()`` is the correct program.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

__all__ = ["LayerOp", "LAYER_OPS"]


class LayerOp(ABC):
    """The exact rules of one plugin layer kind (see the module contract)."""

    reads_pins: bool = False  # forward/backward take pins= (the author's numbers of the op's own nodes)

    @abstractmethod
    def forward(self, spec: Any, prev: list[list], values: dict, mistakes: tuple = ()) -> tuple[list[list], Any]:
        """``(outputs[s][k], saved)`` from the inputs ``prev[s][k]`` and the parameter entries ``values``."""

    @abstractmethod
    def backward(self, spec: Any, saved: Any, g_out: list[list], values: dict, seed: tuple[Any, int] | None = None,
                 mistakes: tuple = ()) -> tuple[list[list], dict[str, Any], dict[str, list]]:
        """``(g_in[s][k], parameter gradients, node adjoints)`` (see the module contract)."""

    @abstractmethod
    def value(self, spec: Any, saved: Any, name: Any, sample: int) -> Any:
        """The value of the op's node ``name`` for ``sample`` (1-based)."""


# kind name -> its op; one import line and one entry per kind
LAYER_OPS: dict[str, LayerOp] = {}
