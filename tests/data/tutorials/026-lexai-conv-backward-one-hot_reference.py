"""Lex AI Labs practice problem "Conv2D backward (dx, dW)" (build-cnn-05), Example 1: one upstream gradient
routes to one patch and one kernel.

x = np.arange(16).reshape(1, 4, 4), W = [[[[1, 2], [3, 4]]]] (1 filter, 1 channel, 2x2), stride 1, no padding,
no bias; grad_out (1x3x3) is 1 at (0, 0, 0) and 0 elsewhere. Printed: dW[0, 0] = [[0, 1], [4, 5]],
dx[0, 0:2, 0:2] = [[1, 2], [3, 4]], "dx is 0 everywhere else" (the twelve other entries, claimed as 0).
In the derivation file the one-hot upstream gradient comes from a dense identity unit reading only
out[0, 0, 0] with weight 1 and loss 1/2 (u - 33)^2: out[0, 0, 0] = 0*1 + 1*2 + 4*3 + 5*4 = 34, so dL/du = 1.
Recomputed exactly; imports nothing of derivcheck. ``rows()`` lists the printed numbers in the order of
derivations/026-lexai-conv-backward-one-hot.toml.

``formulas()`` checks the page's three formulas (claims 21-23) as the page writes them — out[o,i,j] =
Σ_{c,u,v} x[c,i+u,j+v] W[o,c,u,v], dW[o,c,u,v] = Σ_{i,j} G[o,i,j] x[c,i+u,j+v], dx[c,h,w] = Σ over
o,i,j,u,v with i+u=h, j+v=w of G[o,i,j] W[o,c,u,v] — summed by the loops below with Fractions, against
grid.conv2d / grid.conv2d_backward on the example and on four more cases (two channels in and out, 3×3
kernels, a dense G; deterministic integers): "ok" when every entry of every case agrees, else "WRONG".
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fractions import Fraction  # noqa: E402
from itertools import product  # noqa: E402

from grid import conv2d, conv2d_backward, reshape, zeros  # noqa: E402
from witness import Row, mpf, table  # noqa: E402

__all__ = ["rows", "formulas", "X", "K"]

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


def _cases():
    yield [[[Fraction(k) for k in range(4 * r, 4 * r + 4)] for r in range(4)]], [[[[1, 2], [3, 4]]]], \
        [[[1, 0, 0], [0, 0, 0], [0, 0, 0]]]
    for seed, (C, O, k, H) in enumerate([(1, 1, 2, 4), (2, 2, 2, 4), (2, 3, 3, 5), (1, 2, 3, 4)]):
        num = lambda n, a: [Fraction(((i * a + seed) % 13) - 6, 3) for i in range(n)]  # noqa: E731
        x = reshape(num(C * H * H, 7), (C, H, H))
        w = reshape(num(O * C * k * k, 5), (O, C, k, k))
        g = reshape(num(O * (H - k + 1) ** 2, 11), (O, H - k + 1, H - k + 1))
        yield x, w, g


def _page(x, w, g):
    """The page's three sums, each loop as the formula is written."""
    C, H, O, k, n = len(x), len(x[0]), len(w), len(w[0][0]), len(g[0])
    out = [[[sum(x[c][i + u][j + v] * w[o][c][u][v] for c, u, v in product(range(C), range(k), range(k)))
             for j in range(n)] for i in range(n)] for o in range(O)]
    dW = [[[[sum(g[o][i][j] * x[c][i + u][j + v] for i, j in product(range(n), range(n))) for v in range(k)]
            for u in range(k)] for c in range(C)] for o in range(O)]
    dx = [[[sum(g[o][i][j] * w[o][c][u][v] for o, i, j, u, v in product(range(O), range(n), range(n), range(k),
                                                                        range(k)) if i + u == h and j + v == ww)
            for ww in range(H)] for h in range(H)] for c in range(C)]
    return out, dW, dx


def formulas() -> list[tuple[str, str]]:
    """(claim name, "ok" | "WRONG") for the page's formulas, claims 21-23 of the derivation file."""
    agree = [True, True, True]
    for x, w, g in _cases():
        out, dW, dx = _page(x, w, g)
        dx_true, dw_true, _ = conv2d_backward(g, x, w)
        for k, (mine, true) in enumerate(((out, conv2d(x, w, [0] * len(w))), (dW, dw_true), (dx, dx_true))):
            agree[k] = agree[k] and mine == true
    names = ("the page's forward out[o,i,j]", "the page's dW[o,c,u,v]", "the page's dx[c,h,w]")
    return [(n, "ok" if a else "WRONG") for n, a in zip(names, agree)]


if __name__ == "__main__":
    print(table(rows()))
