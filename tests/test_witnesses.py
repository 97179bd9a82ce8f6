"""The gradient witnesses agree: exact symbolic truth, NumPy backprop, finite differences, complex step.

* A hypothesis property over random small networks (every activation, every loss
  with each output activation it allows, every bias mode, rational parameters).
* :func:`symbolic.cross_check` on seed 002 and a 3-4-2 net, and a deliberately
  corrupted witness is caught and named.
* The training loops: reproducible by seed, full batch = one gd_step, biases
  fixed when asked.
"""
from __future__ import annotations

import math
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import numeric
import symbolic.truth.crosscheck as crosscheck_module
from symbolic import ACTIVATIONS, BIAS_MODES, LOSSES, Network, Truth, cross_check

HIDDEN = tuple(name for name, rule in ACTIVATIONS.items() if not rule.output_only)
SMALL = st.integers(-20, 20).map(lambda k: Fraction(k, 20))  # k/20 in [-1, 1]
PROBABILITY = st.integers(0, 20).map(lambda k: Fraction(k, 20))  # targets of the cross-entropies


@st.composite
def networks(draw):
    """A random network with parameters and one or two samples, and the parameters to check."""
    depth = draw(st.integers(1, 3))
    layers = draw(st.lists(st.integers(1, 4), min_size=depth + 1, max_size=depth + 1))
    loss = draw(st.sampled_from(sorted(LOSSES)))
    output = draw(st.sampled_from(LOSSES[loss].needs_output or tuple(ACTIVATIONS)))
    activations = [draw(st.sampled_from(HIDDEN)) for _ in range(depth - 1)] + [output]
    assume(not (loss == "bce" and output == "softmax" and layers[-1] == 1))  # rejected by Network.build
    bias = [draw(st.sampled_from(BIAS_MODES)) for _ in range(depth)]
    params = {}
    for l in range(1, depth + 1):
        params[f"W{l}"] = [[draw(SMALL) for _ in range(layers[l - 1])] for _ in range(layers[l])]
        if bias[l - 1] == "shared":
            params[f"b{l}"] = draw(SMALL)
        elif bias[l - 1] == "per-neuron":
            params[f"b{l}"] = [draw(SMALL) for _ in range(layers[l])]
    m = draw(st.integers(1, 2))
    target = PROBABILITY if loss in ("bce", "softmax_ce") else SMALL
    x = [[draw(SMALL) for _ in range(layers[0])] for _ in range(m)]
    y = [[draw(target) for _ in range(layers[-1])] for _ in range(m)]
    net = Network.build(layers, activation=activations, loss=loss, bias=bias, params=params, x=x, y=y)
    # the exact derivative costs one sympy.diff per parameter, so check W1[1,1] (the longest backprop
    # path) and up to two more parameters chosen by hypothesis
    others = draw(st.lists(st.sampled_from(net.parameter_names()[1:] or ["W1[1,1]"]), max_size=2, unique=True))
    return net, ["W1[1,1]"] + [p for p in others if p != "W1[1,1]"]


def relative(value: float, exact: float) -> float:
    return abs(value - exact) / max(abs(exact), 1e-4)


# witness, its tolerance relative to max(|exact|, 1e-4)
TOLERANCES = {"backprop": 1e-9, "central difference": 1e-6, "complex step": 1e-9}


@settings(max_examples=40, deadline=None)
@given(networks())
def test_numeric_witnesses_match_exact_gradient(case):
    net, chosen = case
    arch, params, (X, Y) = net.architecture, net.numeric_params(), net.numeric_data()
    # stay off relu's kink (exact zeros raise KinkError; near zeros defeat finite differences)
    fwd = numeric.forward(arch, params, X)
    for l, act in enumerate(arch.activations, 1):
        if act == "relu":
            assume(np.min(np.abs(fwd.u[l])) > 1e-3)

    def f(p):
        return numeric.loss(arch, p, X, Y)

    witnesses = {
        "backprop": numeric.flatten(arch, numeric.gradient(arch, params, X, Y)),
        "central difference": numeric.flatten(arch, numeric.central_difference(f, params, h=1e-5)),
        "complex step": numeric.flatten(arch, numeric.complex_step(f, params)),
    }
    truth = Truth(net)
    for p in chosen:
        exact = float(truth.derivative("L", p))
        for witness, values in witnesses.items():
            assert relative(values[p], exact) <= TOLERANCES[witness], (witness, p, values[p], exact)


# --------------------------------------------------------------------------- cross_check
def seed002() -> Network:
    return Network.build(
        [2, 2, 2], activation="sigmoid", loss="half_sse", bias="shared",
        params={"W1": [[0.15, 0.20], [0.25, 0.30]], "b1": 0.35, "W2": [[0.40, 0.45], [0.50, 0.55]], "b2": 0.60},
        x=[0.05, 0.10], y=[0.01, 0.99])


def net_342() -> Network:
    return Network.build(
        [3, 4, 2], activation=["tanh", "sigmoid"], loss="half_sse", bias="per-neuron",
        params={"W1": [["0.1", "-0.2", "0.3"], ["0.4", "0.5", "-0.6"], ["-0.7", "0.8", "0.9"], ["0.2", "0.1", "-0.1"]],
                "b1": ["0.1", "0.2", "-0.3", "0.05"],
                "W2": [["0.3", "-0.1", "0.2", "0.6"], ["-0.5", "0.4", "0.1", "-0.2"]],
                "b2": ["-0.1", "0.25"]},
        x=[["0.5", "-1", "0.25"], ["1", "0.5", "-0.5"], ["-0.25", "0.75", "1"]],
        y=[["1", "0"], ["0", "1"], ["0.5", "0.5"]])


@pytest.mark.parametrize("build", [seed002, net_342], ids=["seed002", "3-4-2"])
def test_cross_check_agrees(build):
    net = build()
    result = cross_check(net)
    assert result.ok, result.table()
    assert [r.parameter for r in result.rows] == net.parameter_names()
    assert "all witnesses agree" in result.table()


def _transpose_W2(real):
    def fake(arch, params, X, Y):
        g = real(arch, params, X, Y)
        g["W2"] = g["W2"].T.copy()
        return g
    return fake


def _half_W1(real):  # a dropped factor on the hidden layer's gradient
    def fake(arch, params, X, Y):
        g = real(arch, params, X, Y)
        g["W1"] = g["W1"] / 2
        return g
    return fake


def _zero_biases(real):
    def fake(arch, params, X, Y):
        return {k: (np.zeros_like(v) if k.startswith("b") else v) for k, v in real(arch, params, X, Y).items()}
    return fake


def _scaled_fd(real):  # finite differences off by a relative 1e-4 everywhere
    def fake(f, params, h=1e-6):
        return {k: v * (1 + 1e-4) for k, v in real(f, params, h).items()}
    return fake


def _lambdify_w5(real):  # the compiled symbolic gradient wrong in W2[1,1] (index 5 in canonical order)
    def fake(truth):
        fn = real(truth)
        return lambda *args: [v + 1e-3 if k == 5 else v for k, v in enumerate(fn(*args))]
    return fake


ALL_SEED002 = seed002().parameter_names()

# where the corruption is injected, the corruption, the parameters that must be named
CORRUPTIONS = [
    ("numeric.gradient", _transpose_W2, ["W2[1,2]", "W2[2,1]"]),  # the diagonal survives a transpose
    ("numeric.gradient", _half_W1, ["W1[1,1]", "W1[1,2]", "W1[2,1]", "W1[2,2]"]),
    ("numeric.gradient", _zero_biases, ["b1", "b2"]),
    ("numeric.central_difference", _scaled_fd, ALL_SEED002),
    ("lambdified_gradient", _lambdify_w5, ["W2[1,1]"]),
]


@pytest.mark.parametrize("where, corrupt, named", CORRUPTIONS, ids=[c[1].__name__.strip("_") for c in CORRUPTIONS])
def test_cross_check_names_a_corrupted_witness(monkeypatch, where, corrupt, named):
    if where.startswith("numeric."):
        # replace the name only in symbolic.truth.crosscheck's namespace; the numeric package is untouched
        attr = where.split(".")[1]
        proxy = SimpleNamespace(**{k: getattr(numeric, k) for k in numeric.__all__})
        setattr(proxy, attr, corrupt(getattr(numeric, attr)))
        monkeypatch.setattr(crosscheck_module, "numeric", proxy)
    else:
        monkeypatch.setattr(crosscheck_module, where, corrupt(getattr(crosscheck_module, where)))
    result = cross_check(seed002())
    assert not result.ok
    assert result.disagreements == named
    assert f"witnesses disagree on {', '.join(named)}." in result.table()


# --------------------------------------------------------------------------- training
OR_ARCH = numeric.Architecture((2, 3, 1), ("tanh", "sigmoid"), "half_sse", ("per-neuron", "shared"))
OR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.5, 0.5]])
OR_Y = np.array([[0.0], [1.0], [1.0], [1.0], [1.0]])


def or_params() -> dict[str, np.ndarray]:
    return {"W1": np.array([[0.1, -0.2], [0.3, 0.1], [-0.1, 0.2]]), "b1": np.array([0.0, 0.1, -0.1]),
            "W2": np.array([[0.2, -0.3, 0.1]]), "b2": np.array(0.05)}


# batch size (None = full batch), epochs, updates expected = epochs · ceil(5 / batch size)
TRAIN_CASES = [(1, 200, 1000), (2, 200, 600), (5, 200, 200), (None, 200, 200)]


@pytest.mark.parametrize("batch_size, epochs, updates", TRAIN_CASES, ids=["sgd", "minibatch-2", "batch-5", "full"])
def test_train_is_reproducible_and_learns(batch_size, epochs, updates):
    start = or_params()
    runs = [numeric.train(OR_ARCH, start, OR_X, OR_Y, 0.5, epochs, batch_size=batch_size, seed=s) for s in (7, 7, 8)]
    first, again, other = runs
    for k in start:
        assert np.array_equal(first.params[k], again.params[k])  # same seed, same result, bit for bit
    assert first.history == again.history
    assert len(first.history) == epochs + 1
    assert first.updates == updates
    assert first.history[0] == pytest.approx(float(numeric.loss(OR_ARCH, start, OR_X, OR_Y)), rel=1e-15)
    assert first.history[-1] == pytest.approx(float(numeric.loss(OR_ARCH, first.params, OR_X, OR_Y)), rel=1e-15)
    assert first.history[-1] < 0.5 * first.history[0]  # it learns OR
    if batch_size is not None and batch_size < len(OR_X):  # the seed drives the shuffling
        assert not np.array_equal(first.params["W1"], other.params["W1"])
    else:  # a full batch is not shuffled, so the seed does not matter
        assert np.array_equal(first.params["W1"], other.params["W1"])
    for k, v in or_params().items():  # the caller's arrays are untouched
        assert np.array_equal(start[k], v)


def test_sgd_without_shuffle_is_one_step_per_sample_in_order():
    p = or_params()
    for _ in range(3):
        for i in range(len(OR_X)):
            p = numeric.gd_step(OR_ARCH, p, OR_X[i:i + 1], OR_Y[i:i + 1], 0.25)
    result = numeric.train(OR_ARCH, or_params(), OR_X, OR_Y, 0.25, 3, batch_size=1, shuffle=False)
    for k in p:
        assert np.array_equal(result.params[k], p[k])


def test_full_batch_epoch_is_one_gd_step():
    step = numeric.gd_step(OR_ARCH, or_params(), OR_X, OR_Y, 0.5)
    result = numeric.train(OR_ARCH, or_params(), OR_X, OR_Y, 0.5, 1)
    assert result.updates == 1
    for k in step:
        assert np.array_equal(result.params[k], step[k])
    assert result.history[1] == float(numeric.loss(OR_ARCH, step, OR_X, OR_Y))


@pytest.mark.parametrize("update_biases", [False, True])
def test_gd_step_update_biases(update_biases):
    p = or_params()
    grad = numeric.gradient(OR_ARCH, p, OR_X, OR_Y)
    new = numeric.gd_step(OR_ARCH, p, OR_X, OR_Y, 0.5, update_biases=update_biases)
    for k in p:
        if k.startswith("W") or update_biases:
            assert np.array_equal(new[k], p[k] - 0.5 * grad[k])
            assert not np.array_equal(new[k], p[k])
        else:
            assert np.array_equal(new[k], p[k])  # unchanged
            assert new[k] is not p[k]  # but a copy
    trained = numeric.train(OR_ARCH, p, OR_X, OR_Y, 0.5, 5, batch_size=2, update_biases=update_biases)
    for k in ("b1", "b2"):
        assert np.array_equal(trained.params[k], p[k]) != update_biases


def test_seed002_training_matches_exact_updates():
    # two full-batch updates of seed 002 (η = 1/2, biases fixed), exactly: θ ← θ − η ∇L with the exact
    # gradient at each step; NumPy's training loop agrees to float64 rounding
    net = seed002()
    arch, (X, Y) = net.architecture, net.numeric_data()
    result = numeric.train(arch, net.numeric_params(), X, Y, 0.5, 2, update_biases=False)
    current = net
    for _ in range(2):
        grad = Truth(current).gradient()
        current = current.with_values({p: _exact_update(current, grad, p) for p in grad})
    flat = numeric.flatten(arch, result.params)
    for p, v in current.parameter_values().items():
        assert math.isclose(flat[p], float(v), rel_tol=1e-14), p


def _exact_update(net: Network, grad: dict, p: str) -> Fraction:
    value = net.parameter_values()[p]
    if p.startswith("b"):
        return value
    # the update is irrational (the gradient involves exp); keep 40 significant digits as a Fraction
    return Fraction(str(sp.N(sp.Rational(value.numerator, value.denominator) - grad[p] / 2, 40)))
