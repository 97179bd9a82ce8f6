"""The layer-list examples (derivations/011–013): numbers cross-checked, planted errors diagnosed.

* Every parameter partial and every layer output's adjoint of the exact truth equals PyTorch's
  float64 autograd (BatchNorm1d in training mode, LayerNorm, a dropout mask as a fixed tensor) to
  1e-12 — torch is an optional test dependency (``pip install torch``); without it that test is
  skipped with the reason — and the NumPy twin's to 1e-12 (always).
* Batch-norm statistics of 011 by hand (exact fractions written out below).
* Each planted claim is WRONG with its mistake named; darknet's and MXNet's variants are ok.
"""
from __future__ import annotations

import importlib.util
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest

from numeric import layers as twin
from symbolic.claims.check import check_file
from symbolic.claims.derivation import load_derivation
from symbolic.truth.layered import LayeredTruth

ROOT = Path(__file__).resolve().parents[1]
FILES = ["011-batchnorm-dense-bn-dense-batch-4.toml", "012-layernorm-dense-ln-dense.toml",
         "013-dropout-given-mask.toml"]
HAS_TORCH = importlib.util.find_spec("torch") is not None


def _exact(name: str):
    net = load_derivation(ROOT / "derivations" / name).network
    grads = {k: float(v) for k, v in LayeredTruth(net).gradient().items()}
    adjoints = {(l, s, i): float(LayeredTruth(net, s).derivative("L", f"a{l}[{i}]"))
                for l in range(1, net.depth) for s in range(1, len(net.x) + 1) for i in range(1, net.layers[l] + 1)}
    return net, grads, adjoints


def _torch_reference(net):
    import torch
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in net.numeric_params().items()}
    h = torch.tensor(np.array(net.x, dtype=float), dtype=torch.float64)
    Y = torch.tensor(np.array(net.y, dtype=float), dtype=torch.float64)
    outputs = []
    for spec in net.specs:
        l = spec.index
        if spec.kind == "dense":
            h = h @ P[f"W{l}"].T + (P[f"b{l}"] if spec.bias != "none" else 0)
            h = {"identity": lambda t: t, "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}[
                spec.activation](h)
        elif spec.kind == "batchnorm":
            h = torch.nn.functional.batch_norm(h, None, None, P[f"gamma{l}"], P[f"beta{l}"], training=True,
                                               eps=float(spec.eps))
        elif spec.kind == "layernorm":
            h = torch.nn.functional.layer_norm(h, (spec.units,), P[f"gamma{l}"], P[f"beta{l}"], eps=float(spec.eps))
        else:
            h = h * torch.tensor(spec.mask, dtype=torch.float64) / (1 - float(spec.p))
        h.retain_grad()
        outputs.append(h)
    assert net.loss == "half_sse"
    loss = (0.5 * ((Y - h) ** 2).sum(dim=1)).mean()
    loss.backward()
    grads = {}
    for k, t in P.items():
        for idx in np.ndindex(tuple(t.shape)):
            grads[k + "[" + ",".join(str(i + 1) for i in idx) + "]"] = float(t.grad[idx])
    adjoints = {(l, s + 1, i + 1): float(outputs[l - 1].grad[s, i]) for l in range(1, net.depth)
                for s in range(len(net.x)) for i in range(net.layers[l])}
    return grads, adjoints


def _numpy_reference(net):
    grads, adj = twin.gradient(net.numeric_layers(), net.loss, net.numeric_params(), np.array(net.x, dtype=float),
                               np.array(net.y, dtype=float))
    flat = {}
    for k, v in grads.items():
        for idx in np.ndindex(v.shape):
            flat[k + "[" + ",".join(str(i + 1) for i in idx) + "]"] = float(v[idx])
    adjoints = {(l, s + 1, i + 1): float(adj[l][s][i]) for l in range(1, net.depth)
                for s in range(len(net.x)) for i in range(net.layers[l])}
    return flat, adjoints


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("reference", ["numpy", "torch"])
def test_exact_partials_match_the_reference(name: str, reference: str):
    if reference == "torch" and not HAS_TORCH:
        pytest.skip("PyTorch is not installed (optional: pip install torch) — the NumPy twin still checks")
    net, grads, adjoints = _exact(name)
    ref_grads, ref_adjoints = (_torch_reference if reference == "torch" else _numpy_reference)(net)
    assert set(ref_grads) == set(grads)
    for k, v in ref_grads.items():
        assert abs(grads[k] - v) <= 1e-12 * (1 + abs(v)), (k, grads[k], v)
    for k, v in ref_adjoints.items():
        assert abs(adjoints[k] - v) <= 1e-12 * (1 + abs(v)), (k, adjoints[k], v)


def test_batchnorm_statistics_of_011_by_hand():
    """u1[1] = relu(0.5 x1 − 0.3 x2 + 0.15) over the 4 samples: 0.05, 0.7, 0 (relu of −0.75), 0.85."""
    u = [F(5, 100), F(7, 10), F(0), F(85, 100)]
    mu = sum(u) / 4
    var = sum((v - mu) ** 2 for v in u) / 4
    assert (mu, var) == (F(2, 5), F(23, 160))
    truth = LayeredTruth(load_derivation(ROOT / "derivations" / FILES[0]).network)
    assert truth.value("mu2[1]") == mu and truth.value("var2[1]") == var
    # x̂ of sample 1 = (0.05 − 0.4)/√(23/160 + 1e-5): checked to 1e-15 against the float formula
    assert abs(float(truth.value("xhat2[1]")) - (-0.35 / (23 / 160 + 1e-5) ** 0.5)) < 1e-15


EXPECTED = {  # file -> claim number -> (verdict, piece of the diagnosis)
    FILES[0]: {11: ("ok", ""), 12: ("ok", ""), 13: ("WRONG", "path through the mean"),
               14: ("WRONG", "path through the variance"), 15: ("WRONG", "darknet's batch norm"),
               16: ("WRONG", "ε was dropped"), 17: ("WRONG", "divided by N − 1 (the unbiased estimate)"),
               24: ("WRONG", "one update too few"), 25: ("WRONG", "Knet.jl's batch norm")},
    FILES[1]: {11: ("WRONG", "path through the mean"), 12: ("WRONG", "path through the variance")},
    FILES[2]: {7: ("WRONG", "mask was not applied"), 8: ("WRONG", "1/(1 − p) is missing"),
               9: ("WRONG", "applied twice")},
}


@pytest.mark.parametrize("name", FILES)
def test_planted_errors_are_found_and_diagnosed(name: str):
    report = check_file(ROOT / "derivations" / name)
    assert report.error is None
    for r in report.results:
        verdict, diagnosis = EXPECTED[name].get(r.index, ("ok", ""))
        assert r.verdict == verdict, r
        assert diagnosis in r.diagnosis and (diagnosis or not r.diagnosis), r
