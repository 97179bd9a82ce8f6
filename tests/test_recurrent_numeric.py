"""The NumPy twin of rnn/lstm (numeric/recurrent.py) against independent references.

* PyTorch float64 (optional: skipped with the reason when it is not installed): ``torch.nn.RNN`` /
  ``torch.nn.LSTM`` for the totals, and an unrolled loop with one leaf copy of every shared array per step,
  whose autograd gradients are each step's contribution;
* central finite differences of the loss.
"""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from numeric.recurrent import GATES, bptt, forward
from torch_recurrent import torch_unrolled

HAS_TORCH = importlib.util.find_spec("torch") is not None


@st.composite
def recurrent_layers(draw):
    kind = draw(st.sampled_from(["rnn", "lstm"]))
    H, n, T, K = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(0, 2))
    m = draw(st.integers(1, 2))
    spec = {"kind": kind, "hidden": H, "steps": T, "outputs": K, "emit": draw(st.sampled_from(["all", "last"])),
            "activation": draw(st.sampled_from(["tanh", "identity", "sigmoid"]))}
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    shapes = {"Wx": (H, n), "Wh": (H, H), "b": (H,)}
    names = [(f"{a}{g}1", s) for g in GATES for a, s in shapes.items()] if kind == "lstm" else \
        [(f"{a}1", s) for a, s in shapes.items()]
    if K:
        names += [("Wy1", (K, H)), ("by1", (K,))]
    params = {k: rng.uniform(-1, 1, s) for k, s in names}
    spec["h0"] = rng.uniform(-1, 1, H)
    if kind == "lstm":
        spec["c0"] = rng.uniform(-1, 1, H)
    X = rng.uniform(-1, 1, (m, T * n))
    width = (K or H) * (T if spec["emit"] == "all" else 1)
    Y = rng.uniform(-1, 1, (m, width))
    return spec, params, X, Y


def _loss(spec, params, X, Y) -> float:
    out, _ = forward(1, spec, params, X)
    return 0.5 * ((out - Y) ** 2).sum()


def _traced(case):
    """The case and the twin's BPTT trace of ½Σ(out − Y)²."""
    spec, params, X, Y = case
    out, cache = forward(1, spec, params, X)
    return spec, params, X, Y, bptt(cache, out - Y)


@settings(max_examples=40, deadline=None)
@given(recurrent_layers())
def test_bptt_matches_central_differences(case):
    spec, params, X, Y, tr = _traced(case)
    h = 1e-6
    for name, array in params.items():
        for idx in np.ndindex(array.shape):
            up, down = {k: v.copy() for k, v in params.items()}, {k: v.copy() for k, v in params.items()}
            up[name][idx] += h
            down[name][idx] -= h
            fd = (_loss(spec, up, X, Y) - _loss(spec, down, X, Y)) / (2 * h)
            assert tr.totals[name][idx] == pytest.approx(fd, rel=1e-6, abs=1e-8), (name, idx)
    shared = "Wh1" if spec["kind"] == "rnn" else "Whf1"
    steps = sum(tr.steps[f"{shared}_t{t}"] for t in range(1, spec["steps"] + 1))
    assert np.allclose(steps, tr.totals[shared], rtol=1e-12, atol=1e-15)


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (pip install torch): the float64 reference "
                                          "is optional")
@settings(max_examples=25, deadline=None)
@given(recurrent_layers())
def test_bptt_matches_torch_unrolled(case):
    spec, params, X, Y, tr = _traced(case)
    copies, nodes = torch_unrolled(spec, params, X, Y)
    for (name, t), leaf in copies.items():
        theirs = 0 * leaf.detach().numpy() if leaf.grad is None else leaf.grad.numpy()  # unused at step t: 0
        assert np.allclose(tr.steps[f"{name}_t{t}"], theirs, rtol=1e-10, atol=1e-13), (name, t)
    for name, node in nodes.items():
        if node.grad is not None and name in tr.adjoints:
            assert np.allclose(tr.adjoints[name], node.grad.numpy(), rtol=1e-10, atol=1e-13), name


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (pip install torch): the float64 reference "
                                          "is optional")
@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_totals_match_torch_modules(kind):
    import torch
    rng = np.random.default_rng(7)
    H, n, T, m = 3, 2, 4, 2
    X, h0, c0 = rng.uniform(-1, 1, (m, T * n)), rng.uniform(-1, 1, H), rng.uniform(-1, 1, H)
    module = (torch.nn.RNN if kind == "rnn" else torch.nn.LSTM)(n, H, batch_first=True).double()
    with torch.no_grad():
        module.bias_hh_l0.zero_()
    Xt = torch.tensor(X.reshape(m, T, n))
    state = torch.tensor(np.tile(h0, (1, m, 1)))
    if kind == "lstm":
        state = (state, torch.tensor(np.tile(c0, (1, m, 1))))
    seq, _ = module(Xt, state)
    (0.5 * (seq ** 2).sum()).backward()
    Wih, Whh, bih = (getattr(module, k).detach().numpy() for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0"))
    spec = {"kind": kind, "hidden": H, "steps": T, "outputs": 0, "emit": "all", "h0": h0, "c0": c0, "activation": "tanh"}
    if kind == "rnn":
        params = {"Wx1": Wih, "Wh1": Whh, "b1": bih}
        ours = {"Wx1": "weight_ih_l0", "Wh1": "weight_hh_l0", "b1": "bias_ih_l0"}
        rows = {k: slice(0, H) for k in params}
    else:  # torch stacks the gates as i, f, g, o
        order = {"i": 0, "f": 1, "g": 2, "o": 3}
        params, ours, rows = {}, {}, {}
        for g, k in order.items():
            s = slice(k * H, (k + 1) * H)
            for ours_name, theirs, array in ((f"Wx{g}1", "weight_ih_l0", Wih), (f"Wh{g}1", "weight_hh_l0", Whh),
                                             (f"b{g}1", "bias_ih_l0", bih)):
                params[ours_name], ours[ours_name], rows[ours_name] = array[s], theirs, s
    out, cache = forward(1, spec, params, X)
    tr = bptt(cache, out)
    for name, theirs in ours.items():
        assert np.allclose(tr.totals[name], getattr(module, theirs).grad.numpy()[rows[name]], rtol=1e-10,
                           atol=1e-13), name
