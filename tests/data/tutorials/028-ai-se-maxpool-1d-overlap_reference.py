"""Artificial Intelligence Stack Exchange 17107, "How can we compute the gradient of max pooling with
overlapping regions?", the accepted answer's two examples: a 1-d max pool m_0 = max(a_0, a_1, a_2),
m_1 = max(a_2, a_3, a_4) (window 3, stride 2, overlapping at a_2) with gradient (0.7, 0.9):

* a = [3, 0, 1, 2, 0] -> grad_a = [0.7, 0, 0, 0.9, 0];
* a = [3, 0, 4, 2, 0] -> grad_a = [0, 0, 1.6, 0, 0] (a_2 is the maximum of both windows: 0.7 + 0.9).

In the derivation file the two inputs are a batch of two samples (a 1x1x5 image each, pool window [1, 3],
stride [1, 2]); the upstream (0.7, 0.9) comes from a dense identity unit u = 0.7 m_0 + 0.9 m_1 (no bias) with
loss 1/2 (u - y)^2 averaged over the batch of 2 and y = u - 2 per sample (y = 1.9 and 4.4), so that
dL/du = (u - y)/2 = 1 for each sample. Recomputed exactly; imports nothing of derivcheck. ``rows()`` lists the
printed numbers in the order of derivations/028-ai-se-maxpool-1d-overlap.toml (sample 1's five, then
sample 2's).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from witness import Row, mpf, table  # noqa: E402

__all__ = ["rows"]

INPUTS = ([3, 0, 1, 2, 0], [3, 0, 4, 2, 0])
G = (mpf("0.7"), mpf("0.9"))
PRINTED = (("0.7", "0", "0", "0.9", "0"), ("0", "0", "1.6", "0", "0"))
WINDOWS = ((0, 1, 2), (2, 3, 4))


def rows() -> list[Row]:
    out = []
    for s, (a, printed) in enumerate(zip(INPUTS, PRINTED), start=1):
        grad = [mpf(0)] * 5
        for window, g in zip(WINDOWS, G):
            top = max(a[k] for k in window)
            winners = [k for k in window if a[k] == top]
            assert len(winners) == 1, "a tied maximum: the gradient would be undefined"
            grad[winners[0]] += g
        for k in range(5):
            out.append(Row(len(out) + 1, f"grad_a[{k}] (example {s})", printed[k], grad[k]))
    return out


if __name__ == "__main__":
    print(table(rows()))
