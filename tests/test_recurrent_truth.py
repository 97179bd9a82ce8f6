"""Exact truth of rnn / lstm layers (symbolic/truth/recurrent.py) against hand calculation, the NumPy twin
(numeric/recurrent.py, a separately written BPTT loop) and central finite differences.

The hand-computed network: a linear rnn (activation identity), H = 1, n = 1, T = 2, no output projection,
Wx = 2, Wh = ½, b = 0, h0 = 1, x = (1, 3), y = (0, 0), half_sse:
  u1 = 2·1 + ½·1 = 5/2 = h1;   u2 = 2·3 + ½·5/2 = 29/4 = h2;   L = ½(25/4 + 841/16) = 941/32
  dL/dh2 = h2 − 0 = 29/4 = dL/du2;   dL/dh1 = (h1 − 0) + Wh·dL/du2 = 5/2 + 29/8 = 49/8 = dL/du1
  dL/dh0 = Wh·49/8 = 49/16
  step contributions: Wh_t1 = du1·h0 = 49/8, Wh_t2 = du2·h1 = 145/8 (total 97/4);
                      Wx_t1 = du1·x1 = 49/8, Wx_t2 = du2·x2 = 87/4 (total 223/8);  b: 49/8 + 29/4 = 107/8
  dL/dx_t1[1] = Wx·du1 = 49/4,  dL/dx_t2[1] = Wx·du2 = 29/2;  dh2/dh1 = Wh = 1/2;  dh2/dWx = x2 + Wh·x1 = 7/2
  step losses: L_t1 = ½h1² = 25/8;  dL_t2/dWh = h2·(h1 + Wh·h0) = 29/4·3 = 87/4 (through h1 too)
"""
from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import importlib.util

from numeric.functions import LOSSES as NUMERIC_LOSSES
from numeric.layers import gradient as numeric_gradient, loss as numeric_loss
from numeric.recurrent import bptt, forward as numeric_forward, step_losses
from symbolic.spec.layers import build_layered
from symbolic.truth.balls import to_fraction
from symbolic.truth.layered import BatchPoint
from torch_recurrent import torch_unrolled

HAS_TORCH = importlib.util.find_spec("torch") is not None

LINEAR = ({"inputs": 2, "loss": "half_sse"},
          [{"kind": "rnn", "hidden": 1, "steps": 2, "activation": "identity", "h0": [1]}],
          {"Wx1": [[2]], "Wh1": [[0.5]], "b1": [0]}, {"x": [[1, 3]], "y": [[0, 0]]})

HAND = [
    ("value", "h1_t1[1]", None, F(5, 2)),
    ("value", "u1_t2[1]", None, F(29, 4)),
    ("value", "a1[2]", None, F(29, 4)),
    ("value", "h1_t0[1]", None, F(1)),
    ("value", "L", None, F(941, 32)),
    ("value", "Wh1_t2[1,1]", None, F(1, 2)),
    ("value", "x_t2[1]", None, F(3)),
    ("value", "L_t1", None, F(25, 8)),
    ("derivative", "L_t2", "Wh1[1,1]", F(87, 4)),
    ("derivative", "L", "h1_t2[1]", F(29, 4)),
    ("derivative", "L", "h1_t1[1]", F(49, 8)),
    ("derivative", "L", "u1_t1[1]", F(49, 8)),
    ("derivative", "L", "h1_t0[1]", F(49, 16)),
    ("derivative", "L", "Wh1_t1[1,1]", F(49, 8)),
    ("derivative", "L", "Wh1_t2[1,1]", F(145, 8)),
    ("derivative", "L", "Wh1[1,1]", F(97, 4)),
    ("derivative", "L", "Wx1_t2[1,1]", F(87, 4)),
    ("derivative", "L", "Wx1[1,1]", F(223, 8)),
    ("derivative", "L", "b1[1]", F(107, 8)),
    ("derivative", "L", "b1_t1[1]", F(49, 8)),
    ("derivative", "L", "x_t1[1]", F(49, 4)),
    ("derivative", "L", "x[2]", F(29, 2)),
    ("derivative", "h1_t2[1]", "h1_t1[1]", F(1, 2)),
    ("derivative", "h1_t2[1]", "Wx1[1,1]", F(7, 2)),
    ("derivative", "h1_t2[1]", "Wx1_t1[1,1]", F(1, 2)),
    ("derivative", "u1_t2[1]", "u1_t2[1]", F(1)),
    ("derivative", "h1_t1[1]", "h1_t2[1]", F(0)),
]


@pytest.mark.parametrize("what,of,wrt,expected", HAND)
def test_hand_computed_linear_rnn(what, of, wrt, expected):
    point = BatchPoint(build_layered(*LINEAR))
    got = point.value(of) if what == "value" else point.derivative(of, wrt)
    assert to_fraction(got) == expected


# ----------------------------------------------------------------------------- random small recurrent nets
TENTHS = st.integers(-12, 12).map(lambda k: F(k, 10))


@st.composite
def recurrent_nets(draw, loss_options: bool = False):
    """Random small rnn/lstm layer lists; ``loss_options``: also loss_steps (a random set of steps), loss_over_steps
    and mse (docs/recurrent.md's loss table)."""
    kind = draw(st.sampled_from(["rnn", "lstm"]))
    H, n, T = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    K, emit = draw(st.integers(0, 2)), draw(st.sampled_from(["all", "last"] + (["steps"] if loss_options else [])))
    m = draw(st.integers(1, 2))
    bias = draw(st.sampled_from(["per-neuron", "none"]))
    layer = {"kind": kind, "hidden": H, "steps": T, "outputs": K, "emit": emit, "bias": bias,
             "h0": [draw(TENTHS) for _ in range(H)]}
    emitted = list(range(1, T + 1)) if emit == "all" else [T]
    if emit == "steps":
        del layer["emit"]
        emitted = sorted(draw(st.sets(st.integers(1, T), min_size=1)))
        layer["loss_steps"] = emitted
    over = draw(st.sampled_from([None, "sum", "mean"])) if loss_options else None
    if over:
        layer["loss_over_steps"] = over
    if kind == "rnn":
        layer["activation"] = draw(st.sampled_from(["tanh", "identity", "sigmoid"]))
    else:
        layer["c0"] = [draw(TENTHS) for _ in range(H)]
    gates = [""] if kind == "rnn" else ["g", "i", "f", "o"]
    shapes = {f"{a}{g}1": s for g in gates for a, s in (("Wx", (H, n)), ("Wh", (H, H)), ("b", (H,)))
              if a != "b" or bias != "none"}
    if K:
        shapes.update({"Wy1": (K, H), **({"by1": (K,)} if bias != "none" else {})})
    params = {}
    for name, shape in shapes.items():
        flat = [draw(TENTHS) for _ in range(int(np.prod(shape)))]
        params[name] = [flat[r * shape[1]:(r + 1) * shape[1]] for r in range(shape[0])] if len(shape) == 2 else flat
    width = (K or H) * len(emitted)
    out = draw(st.sampled_from(["identity", "sigmoid"] + (["softmax"] if K >= 2 else []))) if K else "identity"
    loss = {"identity": "half_sse", "sigmoid": "bce", "softmax": "softmax_ce"}[out]
    if loss == "half_sse" and loss_options:
        loss = draw(st.sampled_from(["half_sse", "mse"]))
    if K:
        layer["output_activation"] = out
    target = TENTHS if out == "identity" else st.integers(0, 10).map(lambda k: F(k, 10))
    data = {"x": [[draw(TENTHS) for _ in range(T * n)] for _ in range(m)],
            "y": [[draw(target) for _ in range(width)] for _ in range(m)]}
    return build_layered({"inputs": T * n, "loss": loss}, [layer], params, data)


def numeric_loss_gradient(loss: str, out, Y, layer: dict | None = None):
    """dℓ/d(output) of the twin's loss (per sample, before the batch mean); per step with loss_over_steps."""
    per_step = step_losses(layer, NUMERIC_LOSSES[loss], out, Y) if layer is not None else None
    return per_step[1] if per_step is not None else NUMERIC_LOSSES[loss].gradient(out, Y)


def _f(v) -> float:
    return float(to_fraction(v))


@settings(max_examples=30, deadline=None)
@given(recurrent_nets(loss_options=True))
def test_exact_matches_numeric_twin_and_finite_differences(net):
    point = BatchPoint(net, prec=200)
    layers, P = net.numeric_layers(), net.numeric_params()
    X, Y = np.array(net.x, dtype=float), np.array(net.y, dtype=float)
    grads, _ = numeric_gradient(layers, net.loss, P, X, Y)
    exact = point.gradient()
    h = 1e-6
    for name in net.parameter_names():
        array, idx = name.split("[")[0], tuple(int(i) - 1 for i in name[:-1].split("[")[1].split(","))
        assert _f(exact[name]) == pytest.approx(grads[array][idx], rel=1e-9, abs=1e-12), name
        up, down = {k: v.copy() for k, v in P.items()}, {k: v.copy() for k, v in P.items()}
        up[array][idx] += h
        down[array][idx] -= h
        fd = (numeric_loss(layers, net.loss, up, X, Y) - numeric_loss(layers, net.loss, down, X, Y)) / (2 * h)
        assert _f(exact[name]) == pytest.approx(fd, rel=1e-5, abs=1e-8), name
    # per-step contributions and node adjoints against the twin's BPTT loop (dL/d output = (a − y)/m)
    out, cache = numeric_forward(1, layers[0], P, X)
    trace = bptt(cache, numeric_loss_gradient(net.loss, out, Y, layers[0]) / len(X))
    for key, value in trace.steps.items():
        if key.split("_t")[0] not in P:
            continue  # a bias of a layer with bias = "none"
        for idx in np.ndindex(value.shape):
            name = f"{key}[{','.join(str(i + 1) for i in idx)}]"
            assert _f(point.derivative("L", name)) == pytest.approx(value[idx], rel=1e-9, abs=1e-12), name
    for key, value in trace.adjoints.items():
        for s in range(len(X)):
            for i in range(value.shape[1]):
                name = f"{key}[{i + 1}]"
                got = point.derivative("L", name, sample=s + 1)
                assert _f(got) == pytest.approx(value[s, i], rel=1e-9, abs=1e-12), (name, s)


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (pip install torch): the float64 reference "
                                          "is optional")
@settings(max_examples=20, deadline=None)
@given(recurrent_nets())
def test_exact_step_contributions_match_torch_float64(net):
    """Each step's contribution dL/dWh1_t{t}[i,j] against torch autograd of an unrolled graph with a leaf per step."""
    point = BatchPoint(net, prec=200)
    X, Y = np.array(net.x, dtype=float), np.array(net.y, dtype=float)
    copies, _ = torch_unrolled(net.numeric_layers()[0]["settings"], net.numeric_params(), X, Y, net.loss)
    for (array, t), leaf in copies.items():
        theirs = np.zeros(leaf.shape) if leaf.grad is None else leaf.grad.numpy() / len(X)  # L is the batch mean
        for idx in np.ndindex(theirs.shape):
            name = f"{array}_t{t}[{','.join(str(i + 1) for i in idx)}]"
            assert _f(point.derivative("L", name)) == pytest.approx(theirs[idx], rel=1e-9, abs=1e-12), name


def test_a_dense_layer_after_the_last_step():
    """rnn (emit last) → dense softmax with softmax_ce: the exact gradient of every parameter against the twin."""
    net = build_layered({"inputs": 3, "loss": "softmax_ce"},
                        [{"kind": "rnn", "hidden": 2, "steps": 3, "emit": "last"},
                         {"kind": "dense", "units": 2, "activation": "softmax"}],
                        {"Wx1": [[0.5], [-0.3]], "Wh1": [[0.1, 0.4], [-0.2, 0.3]], "b1": [0, 0.1],
                         "W2": [[1, -1], [0.5, 0.2]], "b2": [0, 0]}, {"x": [[1, -1, 0.5]], "y": [[1, 0]]})
    assert net.specs[0].units == 2  # h_3 only
    exact = BatchPoint(net).gradient()
    grads, _ = numeric_gradient(net.numeric_layers(), net.loss, net.numeric_params(), np.array([[1, -1, 0.5]]),
                                np.array([[1.0, 0.0]]))
    for name, value in exact.items():
        array, idx = name.split("[")[0], tuple(int(i) - 1 for i in name[:-1].split("[")[1].split(","))
        assert _f(value) == pytest.approx(grads[array][idx], rel=1e-12, abs=1e-15), name
