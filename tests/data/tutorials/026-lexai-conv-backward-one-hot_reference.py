"""Lex AI Labs practice problem "Conv2D backward (dx, dW)" (build-cnn-05), Example 1: one upstream gradient
routes to one patch and one kernel.

x = np.arange(16).reshape(1, 4, 4), W = [[[[1, 2], [3, 4]]]] (1 filter, 1 channel, 2x2), stride 1, no padding,
no bias; grad_out (1x3x3) is 1 at (0, 0, 0) and 0 elsewhere. Printed: dW[0, 0] = [[0, 1], [4, 5]],
dx[0, 0:2, 0:2] = [[1, 2], [3, 4]], "dx is 0 everywhere else" (the twelve other entries, claimed as 0).
In the derivation file the one-hot upstream gradient comes from a dense identity unit reading only
out[0, 0, 0] with weight 1 and loss 1/2 (u - 33)^2: out[0, 0, 0] = 0*1 + 1*2 + 4*3 + 5*4 = 34, so dL/du = 1.
Recomputed exactly; imports nothing of derivcheck. ``rows()`` lists the printed numbers in the order of
derivations/026-lexai-conv-backward-one-hot.toml.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grid import conv2d, conv2d_backward, reshape, zeros  # noqa: E402
from witness import Row, mpf, table  # noqa: E402

__all__ = ["rows", "X", "K"]

X = reshape([mpf(k) for k in range(16)], (1, 4, 4))
K = [[[[mpf(1), mpf(2)], [mpf(3), mpf(4)]]]]


def rows() -> list[Row]:
    g = zeros(1, 3, 3)
    g[0][0][0] = mpf(1)
    assert conv2d(X, K, [mpf(0)])[0][0][0] == 34
    dx, dw, _ = conv2d_backward(g, X, K)
    out = []
    for u in range(2):
        for v in range(2):
            out.append(Row(len(out) + 1, f"dW[0,0,{u},{v}]", ("0", "1", "4", "5")[2 * u + v], dw[0][0][u][v]))
    for r in range(2):
        for s in range(2):
            out.append(Row(len(out) + 1, f"dx[0,{r},{s}]", ("1", "2", "3", "4")[2 * r + s], dx[0][r][s]))
    for r in range(4):
        for s in range(4):
            if r >= 2 or s >= 2:
                out.append(Row(len(out) + 1, f"dx[0,{r},{s}] (0 everywhere else)", "0", dx[0][r][s]))
    return out


if __name__ == "__main__":
    print(table(rows()))
