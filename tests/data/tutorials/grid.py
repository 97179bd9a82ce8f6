"""Convolution and pooling by their index definitions, for the witnesses of issue 19 (never derivcheck).

Arrays are nested lists indexed [channel][row][col] (0-based here; the derivation files name entries 1-based).
``conv2d`` is CS231n's / PyTorch's cross-correlation: out[f][i][j] = b[f] + sum_{c,u,v} w[f][c][u][v] *
xpad[c][i*stride + u][j*stride + v], with zero padding ``pad`` on every side. ``conv2d_backward`` gives
dL/dx and dL/dw from dL/dout by the same sums read backwards. ``maxpool`` / ``maxpool_backward`` route
each window's gradient to its unique maximum and raise on a tie (the truth there is undefined).
"""
from __future__ import annotations

__all__ = ["zeros", "conv2d", "conv2d_backward", "maxpool", "maxpool_backward", "reshape", "flat_entries"]


def zeros(*shape):
    if len(shape) == 1:
        return [0] * shape[0]
    return [zeros(*shape[1:]) for _ in range(shape[0])]


def reshape(flat: list, shape: tuple) -> list:
    """Row-major (C order, numpy's default) reshape of a flat list."""
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0]
    return [reshape(flat[k * step:(k + 1) * step], shape[1:]) for k in range(shape[0])]


def _padded(x, pad):
    C, H, W = len(x), len(x[0]), len(x[0][0])
    out = zeros(C, H + 2 * pad, W + 2 * pad)
    for c in range(C):
        for r in range(H):
            for s in range(W):
                out[c][r + pad][s + pad] = x[c][r][s]
    return out


def conv2d(x, w, b, stride=1, pad=0):
    xp = _padded(x, pad)
    F, C, KH, KW = len(w), len(w[0]), len(w[0][0]), len(w[0][0][0])
    OH = (len(xp[0]) - KH) // stride + 1
    OW = (len(xp[0][0]) - KW) // stride + 1
    out = zeros(F, OH, OW)
    for f in range(F):
        for i in range(OH):
            for j in range(OW):
                out[f][i][j] = b[f] + sum(w[f][c][u][v] * xp[c][i * stride + u][j * stride + v]
                                          for c in range(C) for u in range(KH) for v in range(KW))
    return out


def conv2d_backward(g, x, w, stride=1, pad=0):
    """(dL/dx, dL/dw, dL/db) for dL/dout = g."""
    xp = _padded(x, pad)
    F, C, KH, KW = len(w), len(w[0]), len(w[0][0]), len(w[0][0][0])
    dxp = zeros(C, len(xp[0]), len(xp[0][0]))
    dw = zeros(F, C, KH, KW)
    db = [sum(v for row in g[f] for v in row) for f in range(F)]
    for f in range(F):
        for i in range(len(g[f])):
            for j in range(len(g[f][0])):
                for c in range(C):
                    for u in range(KH):
                        for v in range(KW):
                            dw[f][c][u][v] += g[f][i][j] * xp[c][i * stride + u][j * stride + v]
                            dxp[c][i * stride + u][j * stride + v] += g[f][i][j] * w[f][c][u][v]
    dx = [[row[pad:len(row) - pad] for row in ch[pad:len(ch) - pad]] for ch in dxp]
    return dx, dw, db


def _windows(x, size, stride):
    for c in range(len(x)):
        for i in range((len(x[0]) - size) // stride + 1):
            for j in range((len(x[0][0]) - size) // stride + 1):
                cells = [(i * stride + u, j * stride + v) for u in range(size) for v in range(size)]
                yield c, i, j, cells


def maxpool(x, size=2, stride=2):
    OH, OW = (len(x[0]) - size) // stride + 1, (len(x[0][0]) - size) // stride + 1
    out = zeros(len(x), OH, OW)
    for c, i, j, cells in _windows(x, size, stride):
        out[c][i][j] = max(x[c][r][s] for r, s in cells)
    return out


def maxpool_backward(g, x, size=2, stride=2):
    dx = zeros(len(x), len(x[0]), len(x[0][0]))
    for c, i, j, cells in _windows(x, size, stride):
        top = max(x[c][r][s] for r, s in cells)
        winners = [(r, s) for r, s in cells if x[c][r][s] == top]
        if len(winners) != 1:
            raise ValueError(f"tied maximum in window ({c}, {i}, {j}): the gradient is undefined")
        r, s = winners[0]
        dx[c][r][s] += g[c][i][j]
    return dx


def flat_entries(outputs):
    """(label, value) of every entry of a list of [channel][row][col] outputs (one per image), numpy's order."""
    for n, out in enumerate(outputs):
        for c, channel in enumerate(out):
            for i, row in enumerate(channel):
                for j, value in enumerate(row):
                    yield f"out[{n},{c},{i},{j}]", value
