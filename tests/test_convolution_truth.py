"""The exact conv/pool ops (symbolic/truth/convolution.py) at op level: published fixtures, hand rows, ties, twin.

Independent sources: CS231n's conv_forward_naive and max_pool_forward_naive fixtures (the printed
``correct_out`` of assignment 2's ConvolutionalNetworks.ipynb, 8 decimals), Lex AI Labs' conv2d backward
example 1 (printed dW and dx), hand calculations in the rows' comments, and the NumPy twin
(numeric/convolution.py) on random small layers with stride 2 and padding 1.
"""
from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
from flint import fmpq
from hypothesis import given, settings
from hypothesis import strategies as st

from numeric.convolution import conv2d, conv2d_backward, pool, pool_backward
from symbolic.spec.convolution import parse_spatial
from symbolic.spec.names import Name
from symbolic.truth.balls import Undefined
from symbolic.truth.convolution import ConvMistakes, ConvOp, PoolMistakes, PoolOp


def _conv(raw: dict, K: np.ndarray, b=None, l: int = 1):
    shape = raw["input"]
    st_ = parse_spatial("conv2d", raw, l, int(np.prod(shape)), None)
    values = {f"K{l}[{','.join(str(i + 1) for i in idx)}]": _q(K[idx]) for idx in np.ndindex(K.shape)}
    for o, v in enumerate(b if b is not None else []):
        values[f"b{l}[{o + 1}]"] = _q(v)
    return SimpleNamespace(index=l, extra=st_), values, ConvOp()


def _q(v) -> fmpq:
    f = v if isinstance(v, Fraction) else Fraction(int(v))
    return fmpq(f.numerator, f.denominator)


def _flat(X: np.ndarray) -> list:
    return [[_q(v) for v in X[n].ravel()] for n in range(X.shape[0])]


# --------------------------------------------------------------------------- published fixtures
CS231N_CONV_OUT = [-0.08759809, -0.10987781, -0.18387192, -0.2109216, 0.21027089, 0.21661097, 0.22847626, 0.23004637,
                   0.50813986, 0.54309974, 0.64082444, 0.67101435, -0.98053589, -1.03143541, -1.19128892, -1.24695841,
                   0.69108355, 0.66880383, 0.59480972, 0.56776003, 2.36270298, 2.36904306, 2.38090835, 2.38247847]


def test_cs231n_conv_forward_naive_fixture():
    # x = linspace(-0.1, 0.5, 96).reshape(2,3,4,4), w = linspace(-0.2, 0.3, 144).reshape(3,3,4,4),
    # b = linspace(-0.1, 0.2, 3), stride 2, pad 1: exact values k/95 and k/143 steps
    x = np.array([Fraction(-1, 10) + Fraction(6, 10) * Fraction(k, 95) for k in range(96)], dtype=object)
    w = np.array([Fraction(-2, 10) + Fraction(5, 10) * Fraction(k, 143) for k in range(144)], dtype=object)
    spec, values, op = _conv({"input": [3, 4, 4], "channels": 3, "kernel": 4, "stride": 2, "padding": 1},
                             w.reshape(3, 3, 4, 4), [Fraction(-1, 10), Fraction(5, 100), Fraction(2, 10)])
    out, _ = op.forward(spec, _flat(x.reshape(2, 3, 4, 4)), values)
    got = [Fraction(int(v.p), int(v.q)) for row in out for v in row]
    assert all(abs(g - Fraction(str(p))) <= Fraction(1, 2 * 10 ** 8) for g, p in zip(got, CS231N_CONV_OUT))
    assert len(got) == 24


CS231N_POOL_OUT = [-0.26315789, -0.24842105, -0.20421053, -0.18947368, -0.14526316, -0.13052632, -0.08631579,
                   -0.07157895, -0.02736842, -0.01263158, 0.03157895, 0.04631579, 0.09052632, 0.10526316, 0.14947368,
                   0.16421053, 0.20842105, 0.22315789, 0.26736842, 0.28210526, 0.32631579, 0.34105263, 0.38526316, 0.4]


def test_cs231n_max_pool_forward_naive_fixture():
    x = [Fraction(-3, 10) + Fraction(7, 10) * Fraction(k, 95) for k in range(96)]
    st_ = parse_spatial("maxpool", {"input": [3, 4, 4], "size": 2, "stride": 2}, 1, 48, None)
    out, _ = PoolOp("max").forward(SimpleNamespace(index=1, extra=st_), [[_q(v) for v in x[:48]],
                                                                          [_q(v) for v in x[48:]]], {})
    got = [Fraction(int(v.p), int(v.q)) for row in out for v in row]
    assert all(abs(g - Fraction(str(p))) <= Fraction(1, 2 * 10 ** 8) for g, p in zip(got, CS231N_POOL_OUT))


def test_lexailabs_conv2d_backward_example_1():
    # x = arange(16).reshape(1,4,4), W = [[1,2],[3,4]], stride 1, no padding, grad_out one-hot at (0,0):
    # printed dW = [[0,1],[4,5]] (the top-left 2x2 of x), dx[0:2,0:2] = [[1,2],[3,4]] and 0 elsewhere
    spec, values, op = _conv({"input": [1, 4, 4], "channels": 1, "kernel": 2, "bias": "none"},
                             np.array([[[[1, 2], [3, 4]]]]))
    _, saved = op.forward(spec, _flat(np.arange(16).reshape(1, 1, 4, 4)), values)
    g = [[fmpq(1)] + [fmpq(0)] * 8]
    g_in, grads, _ = op.backward(spec, saved, g, values)
    assert [grads[f"K1[1,1,{r},{s}]"] for r in (1, 2) for s in (1, 2)] == [0, 1, 4, 5]
    assert g_in[0] == [1, 2, 0, 0, 3, 4] + [0] * 10


# --------------------------------------------------------------------------- ties
def test_a_tied_maximum_has_a_value_but_no_gradient():
    # Cross Validated 414301's channel 2 with a tie planted: window [[2, 6], [6, 2]] has its maximum 6 twice
    st_ = parse_spatial("maxpool", {"input": [2, 2, 2], "size": 2}, 3, 8, None)
    spec, op = SimpleNamespace(index=3, extra=st_), PoolOp("max")
    out, saved = op.forward(spec, [[_q(v) for v in (1, 4, 3, 2, 2, 6, 6, 2)]], {})
    assert out == [[4, 6]]
    g_in, _, _ = op.backward(spec, saved, [[fmpq(1), fmpq(2)]], {})
    assert g_in[0][:4] == [0, 1, 0, 0]  # channel 1 routes to its one maximum (row 1, col 2)
    assert g_in[0][4] == 0 and g_in[0][7] == 0  # the non-maximal cells of the tied window: 0 either way
    assert g_in[0][5] == g_in[0][6]
    assert g_in[0][5].node == "a3[2,1,1]" and "(1,2) and (2,1) of input channel 2" in g_in[0][5].reason
    g_in, _, _ = op.backward(spec, saved, [[fmpq(1), fmpq(0)]], {})  # no gradient enters the tied window
    assert g_in[0] == [0, 1, 0, 0, 0, 0, 0, 0]


POOL_MISTAKE_ROWS = [
    # window [[1, 5], [9, 3]] (max 9 at row 2, col 1), g = 2:
    ("max", PoolMistakes(), [0, 0, 2, 0]),
    ("max", PoolMistakes(route="first"), [2, 0, 0, 0]),  # the window's top-left cell
    ("max", PoolMistakes(route="transposed"), [0, 2, 0, 0]),  # (2,1) read as (1,2)
    ("max", PoolMistakes(route="all"), [2, 2, 2, 2]),
    ("avg", PoolMistakes(), [Fraction(1, 2)] * 4),  # 2/4 to each cell
    ("avg", PoolMistakes(avg_unscaled=True), [2] * 4),
    # a window without a tie: the tie rules route as the truth does
    ("max", PoolMistakes(route="split"), [0, 0, 2, 0]),
    ("max", PoolMistakes(route="first_tied"), [0, 0, 2, 0]),
]

# window [[1, 4], [4, 2]] (4 tied at (1,2) and (2,1)), g = 2: split 2/2 = 1 to each tied cell; first of the tied
# cells (row by row: (1,2)) gets all 2; the non-maximal cells 0 either way
TIE_ROUTE_ROWS = [
    (PoolMistakes(route="split"), [0, 1, 1, 0]),
    (PoolMistakes(route="first_tied"), [0, 2, 0, 0]),
    (PoolMistakes(route="first"), [2, 0, 0, 0]),  # the window's top-left cell, which is no maximum
]


@pytest.mark.parametrize("mistakes, expected", TIE_ROUTE_ROWS)
def test_a_tie_routed_as_an_author_would(mistakes, expected):
    st_ = parse_spatial("maxpool", {"input": [1, 2, 2], "size": 2}, 1, 4, None)
    spec, op = SimpleNamespace(index=1, extra=st_), PoolOp("max")
    _, saved = op.forward(spec, [[_q(v) for v in (1, 4, 4, 2)]], {})
    g_in, _, _ = op.backward(spec, saved, [[fmpq(2)]], {}, mistakes=(mistakes,))
    assert g_in[0] == [_q(v) for v in expected]


@pytest.mark.parametrize("how, mistakes, expected", POOL_MISTAKE_ROWS)
def test_pool_backward_and_its_mistakes(how, mistakes, expected):
    st_ = parse_spatial(f"{how}pool", {"input": [1, 2, 2], "size": 2}, 1, 4, None)
    spec, op = SimpleNamespace(index=1, extra=st_), PoolOp(how)
    _, saved = op.forward(spec, [[_q(v) for v in (1, 5, 9, 3)]], {})
    g_in, _, _ = op.backward(spec, saved, [[fmpq(2)]], {}, mistakes=(mistakes,))
    assert g_in[0] == [_q(v) for v in expected]


CONV_MISTAKE_ROWS = [
    # x = 1..9 (3x3), K = [[1, 2], [3, 4]], stride 1, no padding, δ = one-hot at output (1,1):
    # right: dX[p,q] = K[p,q] at the top-left 2x2 → [1,2,0, 3,4,0, 0,0,0]; dK = the top-left 2x2 of x = [1,2,4,5]
    (ConvMistakes(), [1, 2, 0, 3, 4, 0, 0, 0, 0], [1, 2, 4, 5]),
    # kernel not rotated (flipped where it should not be): K read as [[4,3],[2,1]]
    (ConvMistakes(kernel_flipped=True), [4, 3, 0, 2, 1, 0, 0, 0, 0], [1, 2, 4, 5]),
    # dK rotated: [5,4,2,1]
    (ConvMistakes(dk_rotated=True), [1, 2, 0, 3, 4, 0, 0, 0, 0], [5, 4, 2, 1]),
    # padding one too many in the backward: output (1,1) maps to xpad rows/cols 0..1 → only K[2,2] lands on x[1,1],
    # and dK[2,2] = x[1,1] = 1, the rest see padding
    (ConvMistakes(padding_shift=1), [4, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1]),
]


@pytest.mark.parametrize("mistakes, dx, dk", CONV_MISTAKE_ROWS)
def test_conv_backward_and_its_mistakes(mistakes, dx, dk):
    spec, values, op = _conv({"input": [1, 3, 3], "channels": 1, "kernel": 2, "bias": "none"},
                             np.array([[[[1, 2], [3, 4]]]]))
    _, saved = op.forward(spec, _flat(np.arange(1, 10).reshape(1, 1, 3, 3)), values)
    g_in, grads, _ = op.backward(spec, saved, [[fmpq(1), fmpq(0), fmpq(0), fmpq(0)]], values, mistakes=(mistakes,))
    assert g_in[0] == dx
    assert [grads[f"K1[1,1,{r},{s}]"] for r in (1, 2) for s in (1, 2)] == dk


def test_stride_off_by_one_in_the_backward():
    # x = 1..16 (4x4), K = ones 2x2, stride 2: 4 outputs; δ = one-hot at output (2,2) → right dX: the 2x2 block at
    # rows/cols 3..4; with stride 1 in the backward output (2,2) maps to rows/cols 2..3
    spec, values, op = _conv({"input": [1, 4, 4], "channels": 1, "kernel": 2, "stride": 2, "bias": "none"},
                             np.ones((1, 1, 2, 2), dtype=int))
    _, saved = op.forward(spec, _flat(np.arange(1, 17).reshape(1, 1, 4, 4)), values)
    g_in, _, _ = op.backward(spec, saved, [[fmpq(0)] * 3 + [fmpq(1)]], values, mistakes=(ConvMistakes(stride_shift=-1),))
    assert g_in[0] == [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]


def test_node_values_and_adjoints_by_canonical_name():
    spec, values, op = _conv({"input": [1, 3, 3], "channels": 2, "kernel": 2, "activation": "relu"},
                             np.array([[[[1, 0], [0, -1]]], [[[1, 1], [1, 1]]]]), b=[0, -12])
    _, saved = op.forward(spec, _flat(np.arange(1, 10).reshape(1, 1, 3, 3)), values)
    # channel 1: u = x[i,j] − x[i+1,j+1] = −4 → relu 0; channel 2: 2x2 sums 12, 16, 24, 28 minus 12 → 0, 4, 12, 16
    assert op.value(spec, saved, Name("u", 1, (1, 2, 2)), 1) == -4
    assert [op.value(spec, saved, Name("a", 1, (2, i, j)), 1) for i in (1, 2) for j in (1, 2)] == [0, 4, 12, 16]
    g = [[fmpq(1)] * 8]
    _, grads, nodes = op.backward(spec, saved, g, values)
    assert nodes["u1[1,1,1]"] == [0]
    assert nodes["u1[2,1,1]"] == [Undefined("u1[2,1,1]")]  # u = 0 exactly: relu's kink
    assert grads["b1[1]"] == 0


# --------------------------------------------------------------------------- against the NumPy twin
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), cin=st.integers(1, 2), cout=st.integers(1, 3), size=st.integers(3, 6),
       k=st.integers(1, 3), stride=st.sampled_from([1, 2]), padding=st.sampled_from([0, 1]))
def test_exact_conv_equals_the_numpy_twin(seed, cin, cout, size, k, stride, padding):
    rng = np.random.default_rng(seed)
    padding = min(padding, k - 1)
    X = rng.integers(-9, 10, size=(2, cin, size, size))
    K, b = rng.integers(-9, 10, size=(cout, cin, k, k)), rng.integers(-9, 10, size=cout)
    spec, values, op = _conv({"input": [cin, size, size], "channels": cout, "kernel": k, "stride": stride,
                              "padding": padding}, K, b)
    out, saved = op.forward(spec, _flat(X), values)
    U, cache = conv2d(X.astype(float), K.astype(float), b.astype(float), (stride, stride), (padding, padding))
    assert np.array([[float(v) for v in r] for r in out]).reshape(U.shape).tolist() == U.tolist()
    G = rng.integers(-9, 10, size=U.shape)
    g_in, grads, _ = op.backward(spec, saved, _flat(G), values)
    dX, dK, db = conv2d_backward(G.astype(float), cache)
    assert np.array([[float(v) for v in r] for r in g_in]).reshape(dX.shape).tolist() == dX.tolist()
    assert [float(grads[f"K1[{','.join(str(i + 1) for i in idx)}]"]) for idx in np.ndindex(K.shape)] == dK.ravel().tolist()
    assert [float(grads[f"b1[{o + 1}]"]) for o in range(cout)] == db.tolist()


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), how=st.sampled_from(["max", "avg"]), size=st.integers(2, 6),
       window=st.integers(1, 3), stride=st.integers(1, 3))
def test_exact_pool_equals_the_numpy_twin(seed, how, size, window, stride):
    rng = np.random.default_rng(seed)
    window = min(window, size)
    X = rng.integers(-4, 5, size=(2, 2, size, size))  # small integers: ties are common
    st_ = parse_spatial(f"{how}pool", {"input": [2, size, size], "size": window, "stride": stride}, 1,
                        2 * size * size, None)
    spec, op = SimpleNamespace(index=1, extra=st_), PoolOp(how)
    out, saved = op.forward(spec, _flat(X), {})
    P, cache = pool(X.astype(float), how, (window, window), (stride, stride))
    assert np.array([[float(v) for v in r] for r in out]).reshape(P.shape).tolist() == P.tolist()
    G = rng.integers(-2, 3, size=P.shape)
    g_in, _, _ = op.backward(spec, saved, _flat(G), {})
    dX = pool_backward(G.astype(float), cache)
    mine = np.array([[np.nan if isinstance(v, Undefined) else float(v) for v in r] for r in g_in]).reshape(dX.shape)
    np.testing.assert_allclose(mine, dX, rtol=1e-12, atol=1e-12, equal_nan=True)
