"""numeric.train's lean loop is bit for bit a sequence of numeric.engine.gd_step calls.

Expected values come from the engine itself (``gd_step`` and ``loss``, one update at a
time); the training loop must reproduce every bit of the parameters and of the loss
history, for every activation, loss, bias mode, full batch and mini-batch.
"""
from __future__ import annotations

import numpy as np
import pytest

import numeric
from numeric.engine import Architecture, gd_step, loss

ARCHS = [
    Architecture((2, 2, 2), ("sigmoid", "sigmoid"), "half_sse", ("shared", "shared")),
    Architecture((3, 4, 3), ("tanh", "softmax"), "softmax_ce", ("per-neuron", "none")),
    Architecture((3, 4, 2, 2), ("relu", "identity", "sigmoid"), "bce", ("none", "shared", "per-neuron")),
    Architecture((3, 4, 2), ("sigmoid", "tanh"), "mse", ("per-neuron", "shared")),
    Architecture((3, 4, 2), ("sigmoid", "relu"), "sse", ("per-neuron", "shared")),
    Architecture((3, 4, 3), ("sigmoid", "softmax"), "mse", ("per-neuron", "shared")),
]


def _start(arch: Architecture, seed: int):
    rng = np.random.default_rng(seed)
    p = {}
    for l in range(1, arch.depth + 1):
        p[f"W{l}"] = rng.normal(size=(arch.layers[l], arch.layers[l - 1]))
        if arch.bias[l - 1] == "per-neuron":
            p[f"b{l}"] = rng.normal(size=arch.layers[l])
        elif arch.bias[l - 1] == "shared":
            p[f"b{l}"] = np.array(rng.normal())
    X = rng.normal(size=(5, arch.layers[0]))
    Y = rng.uniform(size=(5, arch.layers[-1]))
    return p, X, Y


@pytest.mark.parametrize("update_biases", [True, False])
@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: "-".join(a.activations) + "/" + a.loss)
def test_full_batch_is_gd_step_bit_for_bit(arch, update_biases):
    p, X, Y = _start(arch, 1)
    q, history = dict(p), [float(loss(arch, p, X, Y))]
    for _ in range(30):
        q = gd_step(arch, q, X, Y, 0.05, update_biases)
        history.append(float(loss(arch, q, X, Y)))
    run = numeric.train(arch, p, X, Y, 0.05, 30, update_biases=update_biases)
    assert run.updates == 30
    for k in q:
        assert np.array_equal(run.params[k], q[k], equal_nan=True), k
    assert np.array_equal(run.history, history, equal_nan=True)


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: "-".join(a.activations) + "/" + a.loss)
def test_minibatch_is_gd_step_bit_for_bit(arch):
    p, X, Y = _start(arch, 2)
    run = numeric.train(arch, p, X, Y, 0.05, 4, batch_size=2, seed=3, record=False)
    rng, q = np.random.default_rng(3), dict(p)
    for _ in range(4):
        order = rng.permutation(5)
        for s in range(0, 5, 2):
            rows = order[s:s + 2]
            q = gd_step(arch, q, X[rows], Y[rows], 0.05)
    for k in q:
        assert np.array_equal(run.params[k], q[k], equal_nan=True), k


def test_sigmoid_fast_path_matches_rule_table_at_extremes():
    from numeric.functions import ACTIVATIONS, sigmoid

    u = np.array([[-1000.0, -40.0, -1e-300, -0.0, 0.0, 1e-300, 0.5, 40.0, 1000.0, np.inf, -np.inf]])
    assert np.array_equal(ACTIVATIONS["sigmoid"].real_value(u), sigmoid(u))
