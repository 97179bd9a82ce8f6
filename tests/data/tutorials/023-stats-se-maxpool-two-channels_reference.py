"""Cross Validated question 414301, "2D max pool gradient propagation" (and its accepted answer): a 2x2 max
pool over a 2x2 input with d = 2 channels, upstream gradient g = [1, 2].

The question writes the input position-major, [[ [1, 2], [4, 6] ], [ [3, 7], [2, 2] ]] (each cell holds
[channel 1, channel 2]), so channel 1 is [[1, 4], [3, 2]] and channel 2 is [[2, 6], [7, 2]]; the pooled
output is [4, 7] and the gradient [[ [0, 0], [1, 0] ], [ [0, 2], [0, 0] ]] ("Your understanding is correct").
In the derivation file the upstream g comes from a dense identity unit u = 1*p1 + 2*p2 with loss
1/2 (u - 17)^2: u = 18, so dL/du = 1 and dL/dp = (1, 2) exactly. Recomputed exactly; imports nothing of
derivcheck. ``rows()`` lists the printed numbers in the order of
derivations/023-stats-se-maxpool-two-channels.toml (the gradient in the question's order: row, column,
channel).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grid import maxpool, maxpool_backward  # noqa: E402
from witness import Row, mpf, table  # noqa: E402

__all__ = ["rows"]

CELLS = [[[1, 2], [4, 6]], [[3, 7], [2, 2]]]          # [row][col][channel], as the question writes it
X = [[[mpf(CELLS[r][s][c]) for s in range(2)] for r in range(2)] for c in range(2)]  # [channel][row][col]
G = [[[mpf(1)]], [[mpf(2)]]]
PRINTED = [[["0", "0"], ["1", "0"]], [["0", "2"], ["0", "0"]]]   # [row][col][channel]


def rows() -> list[Row]:
    p = maxpool(X)
    dx = maxpool_backward(G, X)
    out = [Row(1, "pooled, channel 1", "4", p[0][0][0]), Row(2, "pooled, channel 2", "7", p[1][0][0])]
    n = 2
    for r in range(2):
        for s in range(2):
            for c in range(2):
                n += 1
                out.append(Row(n, f"gradient at ({r + 1}, {s + 1}), channel {c + 1}", PRINTED[r][s][c],
                               dx[c][r][s]))
    return out


if __name__ == "__main__":
    print(table(rows()))
