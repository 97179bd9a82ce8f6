"""Cross Validated, "How to handle maxpool layer backpropagation with recurring max values in same position":
a 2x2 max pool with stride 1 over a 3x3 layer, so windows overlap and one cell (the 5) is the maximum of two.

a = [[3, 4, 2], [1, 5, 0], [8, 6, 4]] -> pool [[5, 5], [8, 6]]; deltas [[-1.4, 0.8], [0.2, 0.3]] -> the question's
"final delta" [[0, 0, 0], [0, -0.6, 0], [0.2, 0.3, 0]] (the two deltas of the 5 summed, -1.4 + 0.8 = -0.6). No
window has a tied maximum. In the derivation file the deltas come from a dense identity unit u = -1.4 p11 +
0.8 p12 + 0.2 p21 + 0.3 p22 (no bias) with loss 1/2 (u - y)^2, y = -0.6: u = 0.4, dL/du = 1.
Recomputed exactly; imports nothing of derivcheck. ``rows()`` lists the printed numbers in the order of
derivations/027-cv-maxpool-overlap-stride-1.toml (the pool row by row, then the 3x3 delta row by row).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grid import maxpool, maxpool_backward  # noqa: E402
from witness import Row, mpf, table  # noqa: E402

__all__ = ["rows"]

A = [[[mpf(v) for v in row] for row in ((3, 4, 2), (1, 5, 0), (8, 6, 4))]]
G = [[[mpf("-1.4"), mpf("0.8")], [mpf("0.2"), mpf("0.3")]]]
POOL = (("5", "5"), ("8", "6"))
DELTA = (("0", "0", "0"), ("0", "-0.6", "0"), ("0.2", "0.3", "0"))


def rows() -> list[Row]:
    p = maxpool(A, size=2, stride=1)
    dx = maxpool_backward(G, A, size=2, stride=1)
    out = []
    for i in range(2):
        for j in range(2):
            out.append(Row(len(out) + 1, f"maxpool[{i + 1},{j + 1}]", POOL[i][j], p[0][i][j]))
    for r in range(3):
        for s in range(3):
            out.append(Row(len(out) + 1, f"final delta[{r + 1},{s + 1}]", DELTA[r][s], dx[0][r][s]))
    return out


if __name__ == "__main__":
    print(table(rows()))
