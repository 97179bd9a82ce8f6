"""The author's own numbers put in place of the program's: the interpreter of a carried chain.

Contract
--------
A hand derivation is a chain: each step reuses the author's earlier printed numbers,
right or wrong. :class:`Pins` holds such numbers, keyed by where they enter the
program, and :class:`symbolic.truth.point.Point` (given ``pins=``) uses them in place of
its own values while it sweeps, so every quantity downstream is what the author would
get from them:

* ``forward[(sample, kind, layer, i)]`` — a node value: ``kind`` ``"u"`` (net input),
  ``"a"`` (activation) or ``"L"`` (loss term, layer 0), 1-based ``i``;
* ``local[(sample, layer, i)]`` — the local derivative da{l}[i]/du{l}[i] of an
  elementwise layer; when only a{l}[i] is pinned and the rule writes f' through its output
  (sigmoid's a(1−a): the rule table's ``prime_of_output``), f' is taken from the pinned
  output, as the author would;
* ``backward[(sample, kind, layer, i)]`` — d(L of that sample)/d(node) in the reverse sweep
  seeded at the sample's loss (a claim of the batch-mean dL/d(node) times the batch size).

Pinned values are exact rationals (``flint.fmpq``): the printed digits, taken exactly.

:class:`LayerPins` is the same for the batch evaluation of a ``[[layer]]`` list
(:class:`symbolic.truth.layered.BatchPoint`, given ``pins=``), keyed by where a number enters
that program:

* ``outputs[(sample, layer, k)]`` — layer l's flat output k (``a{l}[…]`` of every kind);
* ``nodes[(sample, name)]`` — any other node by its canonical name: a dense layer's ``u{l}[i]``, a
  normalization's ``xhat{l}[i]``, ``mu{l}…``/``var{l}…`` (a batch-norm statistic with sample 0: it
  belongs to the batch), a recurrent layer's ``h{l}_t{t}[i]``, ``u{l}_t{t}[i]``, ``c…``, gates, ``z…``,
  ``yhat…`` (:class:`symbolic.truth.recurrent.RecurrentOp` reads them while it unrolls, so every
  later step is the author's);
* ``local[(sample, layer, i)]`` — a dense layer's da{l}[i]/du{l}[i] (f' through a pinned output
  as above);
* ``back_outputs`` / ``back_nodes`` — the same keys for d L / d(node) in the reverse sweep seeded
  at L (the batch mean: a claim's number as printed), including ``mu``/``var`` (∂L/∂μ, ∂L/∂σ²)
  and the recurrent nodes' adjoints.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Pins", "LayerPins"]


@dataclass
class Pins:
    forward: dict[tuple[int, str, int, int], object] = field(default_factory=dict)
    local: dict[tuple[int, int, int], object] = field(default_factory=dict)
    backward: dict[tuple[int, str, int, int], object] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.forward or self.local or self.backward)

    def node(self, sample: int, kind: str, layer: int, values: list) -> list:
        """``values`` of one layer's nodes with the pinned entries replaced."""
        return _replace(values, lambda i: self.forward.get((sample, kind, layer, i)))

    def gradient(self, sample: int, kind: str, layer: int, values: list) -> list:
        """d(loss)/d(node) of one layer in the reverse sweep with the pinned entries replaced."""
        return _replace(values, lambda i: self.backward.get((sample, kind, layer, i)))

    def has_backward(self, sample: int, kind: str, layer: int) -> bool:
        return any(k[:3] == (sample, kind, layer) for k in self.backward)

    def slope(self, sample: int, layer: int, df: list, a: list, through_output: Callable | None) -> list:
        """f'(u{l}) per unit: pinned, else from a pinned output when the rule has f' through its output."""
        def pinned(i: int):
            if (sample, layer, i) in self.local:
                return self.local[(sample, layer, i)]
            if through_output is not None and (sample, "a", layer, i) in self.forward:
                return through_output(a[i - 1])
            return None
        return _replace(df, pinned)


@dataclass
class LayerPins:
    outputs: dict[tuple[int, int, int], object] = field(default_factory=dict)
    nodes: dict[tuple[int, str], object] = field(default_factory=dict)
    local: dict[tuple[int, int, int], object] = field(default_factory=dict)
    back_outputs: dict[tuple[int, int, int], object] = field(default_factory=dict)
    back_nodes: dict[tuple[int, str], object] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.outputs or self.nodes or self.local or self.back_outputs or self.back_nodes)

    @property
    def backward(self) -> bool:
        return bool(self.back_outputs or self.back_nodes)

    def output_rows(self, layer: int, rows: list, back: bool = False) -> list:
        """Layer ``layer``'s flat outputs (or their adjoints) of every sample with the pinned entries replaced."""
        table = self.back_outputs if back else self.outputs
        if not any(k[1] == layer for k in table):
            return rows
        return [_replace(row, lambda k, s=s: table.get((s, layer, k))) for s, row in enumerate(rows, 1)]

    def named_rows(self, word: str, layer: int, rows: list, back: bool = False) -> list:
        """``rows[s][i-1]`` of the nodes ``{word}{layer}[i]`` of every sample with the pinned entries replaced."""
        table = self.back_nodes if back else self.nodes
        if not table:
            return rows
        return [_replace(row, lambda i, s=s: table.get((s, f"{word}{layer}[{i}]"))) for s, row in enumerate(rows, 1)]

    def node(self, sample: int, name: str, value, back: bool = False):
        """One node's value (or adjoint): pinned, else ``value``."""
        return (self.back_nodes if back else self.nodes).get((sample, name), value)

    def has_back_outputs(self, layer: int) -> bool:
        return any(k[1] == layer for k in self.back_outputs)

    def slopes(self, layer: int, df: list, a: list, through_output: Callable | None) -> list:
        """f'(u{l}) of every sample: pinned, else from a pinned output when the rule has f' through its output."""
        out = []
        for s, (row, arow) in enumerate(zip(df, a), 1):
            def pinned(i: int, s=s, arow=arow):
                if (s, layer, i) in self.local:
                    return self.local[(s, layer, i)]
                if through_output is not None and (s, layer, i) in self.outputs:
                    return through_output(arow[i - 1])
                return None
            out.append(row if row is None else _replace(row, pinned))
        return out


def _replace(values: list, pinned: Callable[[int], object]) -> list:
    out = list(values)
    for i in range(1, len(out) + 1):
        v = pinned(i)
        if v is not None:
            out[i - 1] = v
    return out
