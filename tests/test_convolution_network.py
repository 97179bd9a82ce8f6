"""Conv/pool/flatten layers inside a [[layer]] list: exact truth vs the NumPy twin vs finite differences, names, refusals.

The exact batch evaluation (BatchPoint over the layer-op protocol) is compared with numeric/layers.py's twin
(numeric/convolution.py: an independent backward) and with central differences of the twin's forward, on
random small conv nets with stride 2 and padding 1 (hypothesis); PyTorch float64 joins when installed.
Every refusal's sentence is asserted.
"""
from __future__ import annotations

import importlib.util
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from numeric.finite import central_difference
from numeric.layers import gradient as numeric_gradient
from numeric.layers import loss as numeric_loss
from symbolic.spec.errors import DerivcheckError
from symbolic.spec.layers import build_layered
from symbolic.spec.names import parse_name
from symbolic.truth.balls import Undefined, to_fraction, workprec
from symbolic.truth.layered import BatchPoint

HAS_TORCH = importlib.util.find_spec("torch") is not None


def _random_net(rng, cin, size, cout, k, stride, padding, pool, activation, batch):
    layers = [{"kind": "conv2d", "input": [cin, size, size], "channels": cout, "kernel": k, "stride": stride,
               "padding": padding, "activation": activation}]
    out = (size + 2 * padding - k) // stride + 1
    if pool and out >= 2:
        layers.append({"kind": pool, "size": 2})
        out //= 2
    layers += [{"kind": "flatten"}, {"kind": "dense", "units": 2, "activation": "sigmoid"}]
    dec = lambda *shape: (rng.integers(-99, 100, size=shape) / 100).tolist()  # noqa: E731 — 2-decimal numbers
    params = {"K1": dec(cout, cin, k, k), "b1": dec(cout), f"W{len(layers)}": dec(2, cout * out * out),
              f"b{len(layers)}": dec(2)}
    data = {"x": dec(batch, cin * size * size), "y": dec(batch, 2)}
    return build_layered({"inputs": cin * size * size, "loss": "half_sse"}, layers, params, data)


def _float(v) -> float:
    return float(to_fraction(v))


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), cin=st.integers(1, 2), size=st.integers(3, 5), cout=st.integers(1, 2),
       k=st.integers(2, 3), stride=st.sampled_from([1, 2]), padding=st.sampled_from([0, 1]),
       pool=st.sampled_from([None, "maxpool", "avgpool"]), activation=st.sampled_from(["identity", "relu", "tanh"]),
       batch=st.integers(1, 2))
def test_exact_equals_twin_and_finite_differences(seed, cin, size, cout, k, stride, padding, pool, activation, batch):
    net = _random_net(np.random.default_rng(seed), cin, size, cout, k, stride, padding, pool, activation, batch)
    point = BatchPoint(net)
    with workprec(point.prec):
        exact = point.gradient()
    assume(not any(isinstance(v, Undefined) for v in exact.values()))  # a relu kink or a pool tie: no derivative
    layers, X, Y = net.numeric_layers(), np.array(net.x, dtype=float), np.array(net.y, dtype=float)
    params = net.numeric_params()
    twin, _ = numeric_gradient(layers, net.loss, params, X, Y)
    fd = central_difference(lambda p: numeric_loss(layers, net.loss, p, X, Y), params, 1e-6)
    for entry, value in exact.items():
        array, idx = entry.split("[")[0], tuple(int(i) - 1 for i in entry[:-1].split("[")[1].split(","))
        assert _float(value) == pytest.approx(twin[array][idx], rel=1e-9, abs=1e-12), entry
        assert _float(value) == pytest.approx(fd[array][idx], rel=1e-4, abs=1e-6), entry


def _pool_net():
    # Cross Validated 414301: channel 1 = [[1, 4], [3, 2]], channel 2 = [[2, 6], [7, 2]] → max 4 and 7; a dense
    # 1-unit layer W = [1, 2] and y = 17 give u = 4 + 14 = 18, dL/du = 1, dL/d(pooled) = (1, 2)
    return build_layered({"inputs": 8}, [{"kind": "maxpool", "input": [2, 2, 2], "size": 2}, {"kind": "flatten"},
                                         {"kind": "dense", "units": 1, "bias": "none"}],
                         {"W3": [[1, 2]]}, {"x": [[1, 4, 3, 2, 2, 6, 7, 2]], "y": [[17]]})


@pytest.mark.parametrize("of, wrt, expected", [
    ("a1[1,1,1]", None, 4), ("a1[2]", None, 7), ("a2[2]", None, 7), ("L", None, Fraction(1, 2)),
    ("L", "x[2]", 1), ("L", "x[7]", 2), ("L", "x[1]", 0), ("L", "x[8]", 0),  # the tie 2 = 2 of channel 2 is no max
    ("L", "a1[2,1,1]", 2), ("L", "W3[1,2]", 7), ("a1[2,1,1]", "x[7]", 1), ("a1[2,1,1]", "x[6]", 0),
])
def test_the_cross_validated_max_pool_routing(of, wrt, expected):
    point = BatchPoint(_pool_net())
    got = point.value(of) if wrt is None else point.derivative(of, wrt)
    assert to_fraction(got) == expected


REFUSALS = [
    ({"kind": "conv2d", "channels": 1, "kernel": 2}, "reads an image, but the layer before gives 16 flat numbers"),
    ({"kind": "conv2d", "input": [1, 4, 3], "channels": 1, "kernel": 2}, "must multiply to 16"),
    ({"kind": "conv2d", "input": [1, 4, 4], "kernel": 2}, "has no channels"),
    ({"kind": "conv2d", "input": [1, 4, 4], "channels": 1}, "has no kernel"),
    ({"kind": "conv2d", "input": [1, 4, 4], "channels": 1, "kernel": 5}, "the window has 5 rows, more than the 4"),
    ({"kind": "conv2d", "input": [1, 4, 4], "channels": 1, "kernel": 2, "padding": 2}, "padding [2, 2] is not smaller"),
    ({"kind": "conv2d", "input": [1, 4, 4], "channels": 1, "kernel": 2, "activation": "softmax"}, "entrywise"),
    ({"kind": "conv2d", "input": [1, 4, 4], "channels": 1, "kernel": 2, "bias": "shared"}, "use \"per-channel\""),
    ({"kind": "conv2d", "input": [1, 4, 4], "channels": 1, "kernel": [2, 2, 2]}, "give one number or [rows, cols]"),
    ({"kind": "conv2d", "input": [1, 4, 4], "channels": 1, "kernel": 2, "stride": 0}, "stride is 0"),
    ({"kind": "conv2d", "input": [1, 4, 4], "channels": 1, "kernel": 2, "kernal": 2}, "did you mean 'kernel'"),
    ({"kind": "maxpool", "input": [1, 4, 4]}, "has no size"),
    ({"kind": "avgpool", "input": [1, 4, 4], "size": [2, 2], "stride": [1]}, "give one number or [rows, cols]"),
]


@pytest.mark.parametrize("layer, message", REFUSALS)
def test_each_bad_layer_table_gets_one_sentence(layer, message):
    with pytest.raises(DerivcheckError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build_layered({"inputs": 16}, [layer, {"kind": "flatten"}], None, None)


def test_large_images_are_refused_before_anything_is_built_with_the_size_named():
    with pytest.raises(DerivcheckError, match=r"a 3×128×128 image \(49,152 numbers\) is over the exact-mode limit"):
        build_layered({"inputs": 49152}, [{"kind": "conv2d", "input": [3, 128, 128], "channels": 8, "kernel": 3}])
    # 4×64×64 outputs, each a sum over 2 channels × 5 × 5 = 50 products: 16,384 · 50 = 819,200
    with pytest.raises(DerivcheckError, match=r"needs 819,200 multiply-adds per sample .* over the exact-mode limit"):
        build_layered({"inputs": 8192}, [{"kind": "conv2d", "input": [2, 64, 64], "channels": 4, "kernel": 5,
                                          "padding": 2}])


def test_the_shape_of_the_layer_before_is_known_and_checked():
    net = build_layered({"inputs": 36}, [{"kind": "conv2d", "input": [1, 6, 6], "channels": 2, "kernel": 3},
                                         {"kind": "maxpool", "size": 2}, {"kind": "conv2d", "channels": 1, "kernel": 2},
                                         {"kind": "flatten"}])
    assert net.layers == (36, 32, 8, 1, 1)  # 2×4×4, 2×2×2, 1×1×1
    with pytest.raises(DerivcheckError, match=r"input = \[1, 4, 8\] disagrees with the 2×4×4 image"):
        build_layered({"inputs": 36}, [{"kind": "conv2d", "input": [1, 6, 6], "channels": 2, "kernel": 3},
                                       {"kind": "maxpool", "input": [1, 4, 8], "size": 2}])


NAMES = [
    ("a1[2,1,1]", "a1[2,1,1]"), ("a1[5]", "a1[1,2,1]"), ("a1[17]", "a1[2,1,1]"), ("u1[1,4,4]", "u1[1,4,4]"), ("K1[2,1,3,3]", "K1[2,1,3,3]"),
    ("b1[2]", "b1[2]"), ("a2[1,2,2]", "a2[1,2,2]"), ("a3[8]", "a3[8]"), ("x[36]", "x[36]"),
]


@pytest.mark.parametrize("text, canonical", NAMES)
def test_names_are_checked_and_flat_entries_shown_by_position(text, canonical):
    net = build_layered({"inputs": 36}, [{"kind": "conv2d", "input": [1, 6, 6], "channels": 2, "kernel": 3},
                                         {"kind": "maxpool", "size": 2}, {"kind": "flatten"}])
    # a1 is 2×4×4: flat entry k is (c − 1)·16 + (r − 1)·4 + s, so 5 = 0·16 + 1·4 + 1 is (1, 2, 1), 17 is (2, 1, 1)
    assert str(parse_name(text).check(net)) == canonical


BAD_NAMES = [
    ("a1[3,1,1]", "needs [channel, row, col] within the 2×4×4 output of layer 1"),
    ("u2[1,1,1]", "does not exist: layer 2 is a maxpool layer"),
    ("K1[1,1,4,1]", "needs 4 indices within 2 × 1 × 3 × 3"),
    ("K2[1,1,1,1]", "does not exist: layer 2 is a maxpool layer"),
    ("a3[9]", "needs one index from 1 to 8"),
    ("W1[1,1]", "does not exist: layer 1 is a conv2d layer"),
]


@pytest.mark.parametrize("text, message", BAD_NAMES)
def test_bad_names_get_one_sentence(text, message):
    net = build_layered({"inputs": 36}, [{"kind": "conv2d", "input": [1, 6, 6], "channels": 2, "kernel": 3},
                                         {"kind": "maxpool", "size": 2}, {"kind": "flatten"}])
    with pytest.raises(DerivcheckError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_name(text).check(net)


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (optional: pip install torch)")
def test_exact_gradients_match_pytorch_float64():
    import torch
    net = _random_net(np.random.default_rng(3), 2, 5, 2, 3, 2, 1, "maxpool", "tanh", 2)
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in net.numeric_params().items()}
    X = torch.tensor(np.array(net.x, dtype=float)).reshape(2, 2, 5, 5)
    h = torch.tanh(torch.nn.functional.conv2d(X, P["K1"], P["b1"], stride=2, padding=1))
    h = torch.nn.functional.max_pool2d(h, 2).reshape(2, -1)
    out = torch.sigmoid(h @ P["W4"].T + P["b4"])
    (0.5 * ((out - torch.tensor(net.y, dtype=torch.float64)) ** 2).sum(dim=1).mean()).backward()
    point = BatchPoint(net)
    for entry, value in point.gradient().items():
        array, idx = entry.split("[")[0], tuple(int(i) - 1 for i in entry[:-1].split("[")[1].split(","))
        assert _float(value) == pytest.approx(P[array].grad.numpy()[idx], rel=1e-10, abs=1e-13)


def test_a_tie_of_equal_balls_is_a_tie():
    # tanh(0.5·0 + 0.25) in all four cells of the top-left window (an all-zero patch): the same certified ball four
    # times, which no precision can order — a tie: the value is tanh(0.25), the gradient through it is undefined, and a
    # derivative through the other window (x[16] = 8 is that window's maximum) is computed
    net = build_layered({"inputs": 16}, [
        {"kind": "conv2d", "input": [1, 4, 4], "channels": 1, "kernel": 1, "activation": "tanh"},
        {"kind": "maxpool", "size": 2}, {"kind": "flatten"}, {"kind": "dense", "units": 1}],
        {"K1": [[[[0.5]]]], "b1": [0.25], "W4": [[1, 1, 1, 1]], "b4": [0]},
        {"x": [[0] * 8 + [1, 2, 3, 4, 5, 6, 7, 8]], "y": [[1]]})
    point = BatchPoint(net)
    assert _float(point.value("a2[1,1,1]")) == pytest.approx(np.tanh(0.25), rel=1e-15)
    tie = point.derivative("L", "b1[1]")
    assert isinstance(tie, Undefined) and "a2[1,1,1] is a tied maximum" in tie.reason and "the same ball" in tie.reason
    twin, adj = numeric_gradient(net.numeric_layers(), net.loss, net.numeric_params(), np.array(net.x, float),
                                 np.array(net.y, float))
    assert _float(point.derivative("L", "x[16]")) == pytest.approx(adj[0][0][15], rel=1e-12)
