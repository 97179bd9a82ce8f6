"""numeric/convolution.py, the NumPy twin of conv2d and pooling: hand-computed rows, finite differences, PyTorch.

Expected values are worked out by hand in each row's comment (x = 1..9 row by row is a 3×3 image
[[1,2,3],[4,5,6],[7,8,9]]); the random tests compare the backward against central differences of the
twin's own forward (an independent derivative), and against PyTorch float64 when it is installed.
"""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from numeric.convolution import conv2d, conv2d_backward, out_size, pool, pool_backward
from numeric.finite import central_difference

X9 = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
HAS_TORCH = importlib.util.find_spec("torch") is not None

CONV_ROWS = [
    # K = [[1,0],[0,-1]]: U[i,j] = x[i,j] − x[i+1,j+1] = −4 everywhere; with G = 1 everywhere dX[p,q] = Σ K[p−i, q−j]
    # over the four outputs (+1 where a window's top-left sits, −1 where its bottom-right sits); dK[r,s] is the sum
    # of the 2×2 block starting at (r,s): 1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28; db = 4 outputs.
    ("2x2 diagonal, stride 1", [[1, 0], [0, -1]], (1, 1), (0, 0),
     [[-4, -4], [-4, -4]], [[1, 1, 0], [1, 0, -1], [0, -1, -1]], [[12, 16], [24, 28]]),
    # a 3×3 box of ones, stride 2, padding 1: windows centred on the four corners; each sums the 2×2 block of x at
    # that corner (12, 16, 24, 28); dX counts the windows covering a cell (corners 1, edges 2, centre 4);
    ("3x3 box, stride 2, padding 1", [[1, 1, 1], [1, 1, 1], [1, 1, 1]], (2, 2), (1, 1),
     [[12, 16], [24, 28]], [[1, 2, 1], [2, 4, 2], [1, 2, 1]],
     # dK[r,s] = Σ_{i,j∈{0,1}} xpad[2i + r, 2j + s]; xpad row/col 0 and 4 are zeros, xpad[p,q] = x[p−1,q−1]:
     # (0,0): xpad[0,0]+xpad[0,2]+xpad[2,0]+xpad[2,2] = 0+0+0+5 = 5;  (0,1): xpad[0,1],[0,3],[2,1],[2,3] = 4+6 = 10
     # (0,2): [0,2],[0,4],[2,2],[2,4] = 5;  (1,0): [1,0],[1,2],[3,0],[3,2] = 2+8 = 10;
     # (1,1): [1,1],[1,3],[3,1],[3,3] = 1+3+7+9 = 20;  (1,2): [1,2],[1,4],[3,2],[3,4] = 2+8 = 10;
     # (2,0): [2,0],[2,2],[4,0],[4,2] = 5;  (2,1): [2,1],[2,3] = 4+6 = 10;  (2,2): [2,2] = 5
     [[5, 10, 5], [10, 20, 10], [5, 10, 5]]),
]


@pytest.mark.parametrize("label, kernel, stride, padding, u, dx, dk", CONV_ROWS, ids=[r[0] for r in CONV_ROWS])
def test_conv2d_hand_rows(label, kernel, stride, padding, u, dx, dk):
    K = np.array(kernel, dtype=float)[None, None]
    U, cache = conv2d(X9, K, np.zeros(1), stride, padding)
    assert U[0, 0].tolist() == u
    dX, dK, db = conv2d_backward(np.ones_like(U), cache)
    assert dX[0, 0].tolist() == dx and dK[0, 0].tolist() == dk and db.tolist() == [4.0]


POOL_ROWS = [
    # 2 channels of 4×4, 2×2 windows at stride 2. Channel 1 has one maximum per window: 6 (top-left window
    # [[1,3],[5,6]]), 8, 14, 16 — the gradient g of each output goes to that cell only. Channel 2's top-left
    # window [[4,4],[1,2]] is tied at 4: its cells' gradients are undefined (NaN), the other windows route.
    ("max", [[[1, 3, 2, 8], [5, 6, 7, 1], [9, 14, 15, 16], [13, 10, 11, 12]],
             [[4, 4, 0, 1], [1, 2, 3, 2], [0, 0, 5, 0], [0, 1, 0, 6]]],
     [[[6, 8], [14, 16]], [[4, 3], [1, 6]]],
     [[[0, 0, 0, 2], [0, 1, 0, 0], [0, 3, 0, 4], [0, 0, 0, 0]],
      [["nan", "nan", 0, 0], [0, 0, 2, 0], [0, 0, 0, 0], [0, 3, 0, 4]]]),
    # average: each output is the window mean, each cell of a window gets g/4
    ("avg", [[[1, 3, 2, 8], [5, 7, 6, 0], [0, 0, 4, 4], [0, 4, 4, 0]]],
     [[[4, 4], [1, 3]]],
     [[[0.25, 0.25, 0.5, 0.5], [0.25, 0.25, 0.5, 0.5], [0.75, 0.75, 1, 1], [0.75, 0.75, 1, 1]]]),
]


@pytest.mark.parametrize("how, image, out, dx", POOL_ROWS, ids=[r[0] for r in POOL_ROWS])
def test_pool_hand_rows(how, image, out, dx):
    X = np.array(image, dtype=float)[None]
    P, cache = pool(X, how, (2, 2), (2, 2))
    assert P[0].tolist() == out
    G = np.arange(1.0, 1.0 + P[0].size).reshape(P.shape)  # g = 1, 2, 3, 4 per channel row by row
    G = G - (np.arange(P.shape[1]) * 4)[None, :, None, None]
    want = np.array([[[float(v) for v in row] for row in ch] for ch in dx])
    np.testing.assert_array_equal(pool_backward(G, cache)[0], want)


def test_a_tie_with_zero_incoming_gradient_is_zero_not_undefined():
    X = np.array([[[[2.0, 2.0], [0.0, 1.0]]]])
    _, cache = pool(X, "max", (2, 2), (2, 2))
    assert pool_backward(np.zeros((1, 1, 1, 1)), cache).tolist() == [[[[0.0, 0.0], [0.0, 0.0]]]]


@pytest.mark.parametrize("n, k, stride, pad, expected", [(8, 3, 1, 0, 6), (8, 3, 1, 1, 8), (8, 3, 2, 1, 4),
                                                         (7, 2, 2, 0, 3), (5, 5, 1, 0, 1)])
def test_out_size_is_pytorch_floor_rule(n, k, stride, pad, expected):
    assert out_size(n, k, stride, pad) == expected


def _net_loss(stride, padding, X, pooling):
    def loss(p):
        U, _ = conv2d(X, p["K"], p["b"], stride, padding)
        A = np.tanh(U)
        if pooling:
            A, _ = pool(A, pooling, (2, 2), (2, 2)) if min(A.shape[2:]) >= 2 else (A, None)
        return 0.5 * float(np.sum(A * A * np.arange(1, A.size + 1).reshape(A.shape)))
    return loss


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), cin=st.integers(1, 2), cout=st.integers(1, 2), size=st.integers(3, 6),
       k=st.integers(1, 3), stride=st.sampled_from([1, 2]), padding=st.sampled_from([0, 1]),
       pooling=st.sampled_from([None, "avg", "max"]))
def test_backward_matches_finite_differences(seed, cin, cout, size, k, stride, padding, pooling):
    assume(not (pooling == "max" and k <= padding))  # a 1×1 kernel's padded border is b everywhere: a real tie
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2, cin, size, size))
    params = {"K": rng.normal(size=(cout, cin, k, k)), "b": rng.normal(size=cout)}
    f = _net_loss((stride, stride), (padding, padding), X, pooling)
    U, cache = conv2d(X, params["K"], params["b"], (stride, stride), (padding, padding))
    A = np.tanh(U)
    if pooling and min(A.shape[2:]) >= 2:
        P, pc = pool(A, pooling, (2, 2), (2, 2))
        G = pool_backward(P * np.arange(1, P.size + 1).reshape(P.shape), pc)
    else:
        G = A * np.arange(1, A.size + 1).reshape(A.shape)
    _, dK, db = conv2d_backward(G * (1 - A * A), cache)
    fd = central_difference(f, params, 1e-6)
    np.testing.assert_allclose(dK, fd["K"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(db, fd["b"], rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (optional: pip install torch)")
@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (1, 1), (2, 0)])
def test_conv_and_pool_match_pytorch_float64(stride, padding):
    import torch
    rng = np.random.default_rng(7)
    X, K, b = rng.normal(size=(2, 2, 7, 7)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    tX, tK, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (X, K, b))
    tU = torch.nn.functional.conv2d(tX, tK, tb, stride=stride, padding=padding)
    tP = torch.nn.functional.max_pool2d(torch.tanh(tU), 2, 2)
    W = rng.normal(size=tuple(tP.shape))
    (tP * torch.tensor(W)).sum().backward()
    U, cache = conv2d(X, K, b, (stride, stride), (padding, padding))
    np.testing.assert_allclose(U, tU.detach().numpy(), rtol=1e-12, atol=1e-12)
    A = np.tanh(U)
    P, pc = pool(A, "max", (2, 2), (2, 2))
    dX, dK, db = conv2d_backward(pool_backward(W, pc) * (1 - A * A), cache)
    for mine, theirs in ((dX, tX), (dK, tK), (db, tb)):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
