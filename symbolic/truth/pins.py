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
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Pins"]


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


def _replace(values: list, pinned: Callable[[int], object]) -> list:
    out = list(values)
    for i in range(1, len(out) + 1):
        v = pinned(i)
        if v is not None:
            out[i - 1] = v
    return out
