"""Layer norm of a rank-3 input ([batch, rows, H], ``normalized = H``): each row of a sample normalized on its own.

* The statistics of one row by hand (exact Fractions below).
* Every parameter partial and every layer output's adjoint of the exact truth equals the NumPy twin
  (which reshapes to (m, rows, H)) and PyTorch float64's ``layer_norm(x.view(m, rows, H), (H,))`` to
  1e-12 — torch optional (skipped with the reason) — for H = 2, 3 and 6 (6: the whole sample, the same
  numbers as no ``normalized`` key); three updates of plain gradient descent agree with the twin too.
* Names: ``mu2[t]`` / ``var2[t]`` (one per row), ``gamma2[k]`` with k ≤ H; the messages are in
  tests/test_layers.py.
"""
from __future__ import annotations

import importlib.util
import re
from fractions import Fraction as F

import numpy as np
import pytest

from numeric import layers as twin
from numeric.layered_train import train as twin_train
from symbolic.spec.errors import DerivcheckError
from symbolic.spec.layers import build_layered
from symbolic.truth.balls import to_fraction
from symbolic.truth.layered import LayeredTruth
from symbolic.truth.layered_update import LayeredTrajectory

HAS_TORCH = importlib.util.find_spec("torch") is not None
X = [[1, 2, -1, F(1, 2), 0, 3], [2, -1, 1, 1, F(-3, 2), F(1, 4)]]  # 2 samples of 6 inputs
Y = [[1], [0]]
W1 = [[F(i - j, 4) + (1 if i == j else 0) for j in range(6)] for i in range(6)]  # dense 6 → 6, identity


def _network(H: int | None):
    table = {"kind": "layernorm", "eps": F(1, 10)} | ({"normalized": H} if H else {})
    h = H or 6
    params = {"W1": W1, "b1": [0, F(1, 2), 0, 0, -1, 0], "gamma2": [1 + F(k, 3) for k in range(h)],
              "beta2": [F(k, 5) - F(1, 2) for k in range(h)], "W3": [[1, -1, F(1, 2), 2, 0, -F(1, 3)]], "b3": [0]}
    return build_layered({"inputs": 6, "learning_rate": F(1, 10)},
                         [{"kind": "dense", "units": 6}, table, {"kind": "dense", "units": 1}], params,
                         {"x": X, "y": Y})


def test_row_statistics_by_hand():
    """H = 3: sample 1's u1 = W1 x + b1; its row 2 = u1[4..6]; μ and σ² of that row written out."""
    u = [sum(W1[i][j] * X[0][j] for j in range(6)) + b for i, b in enumerate([0, F(1, 2), 0, 0, -1, 0])]
    row = u[3:]
    mu = sum(row) / 3
    var = sum((v - mu) ** 2 for v in row) / 3
    truth = LayeredTruth(_network(3))
    assert truth.value("mu2[2]") == mu and truth.value("var2[2]") == var
    assert mu != sum(u) / 6  # the row's mean, not the sample's


def _torch(net, H: int):
    import torch
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in net.numeric_params().items()}
    x = torch.tensor(np.array(net.x, dtype=float), dtype=torch.float64)
    u = x @ P["W1"].T + P["b1"]
    u.retain_grad()
    a = torch.nn.functional.layer_norm(u.view(len(net.x), 6 // H, H), (H,), P["gamma2"], P["beta2"], eps=0.1)
    a = a.reshape(len(net.x), 6)
    a.retain_grad()
    out = a @ P["W3"].T + P["b3"]
    y = torch.tensor(np.array(net.y, dtype=float), dtype=torch.float64)
    (0.5 * ((y - out) ** 2).sum(dim=1)).mean().backward()
    grads = {k: t.grad.numpy() for k, t in P.items()}
    return grads, [None, u.grad.numpy(), a.grad.numpy()]


@pytest.mark.parametrize("H", [2, 3, 6])
@pytest.mark.parametrize("reference", ["numpy", "torch"])
def test_rank3_layernorm_matches_the_reference(H: int, reference: str):
    if reference == "torch" and not HAS_TORCH:
        pytest.skip("PyTorch is not installed (optional: pip install torch) — the NumPy twin still checks")
    net = _network(H)
    grads, adjoints = _torch(net, H) if reference == "torch" else twin.gradient(
        net.numeric_layers(), net.loss, net.numeric_params(), np.array(net.x, dtype=float), np.array(net.y, dtype=float))
    exact = {k: float(v) for k, v in LayeredTruth(net).gradient().items()}
    for array, value in grads.items():
        for idx in np.ndindex(np.shape(value)):
            k = f"{array}[{','.join(str(i + 1) for i in idx)}]"
            assert abs(exact[k] - value[idx]) <= 1e-12 * (1 + abs(value[idx])), (k, exact[k], value[idx])
    for l in (1, 2):
        for s in (1, 2):
            for i in range(1, 7):
                v = float(LayeredTruth(net, s).at().derivative("L", f"a{l}[{i}]", s))
                assert abs(v - adjoints[l][s - 1][i - 1]) <= 1e-12 * (1 + abs(v)), (l, s, i)


def test_the_whole_sample_is_the_plain_layernorm():
    with_key, without = LayeredTruth(_network(6)).gradient(), LayeredTruth(_network(None)).gradient()
    assert with_key == without


@pytest.mark.parametrize("H", [2, 3])
def test_rank3_layernorm_updates_match_the_twin(H: int):
    net = _network(H)
    exact = LayeredTrajectory(net).after({}, 3)
    run = twin_train(net.numeric_layers(), net.loss, net.numeric_params(), np.array(net.x, dtype=float),
                     np.array(net.y, dtype=float), 0.1, 3)
    for array, value in run.params.items():
        for idx in np.ndindex(value.shape):
            k = f"{array}[{','.join(str(i + 1) for i in idx)}]"
            e = float(to_fraction(exact[k]) if not isinstance(exact[k], F) else exact[k])
            assert abs(e - value[idx]) <= 1e-12 * (1 + abs(value[idx])), (k, e, value[idx])


NAMES = [  # (H, name, piece of the sentence or None when valid)
    (3, "mu2[2]", None), (3, "var2[1]", None), (3, "gamma2[3]", None), (2, "xhat2[6]", None),
    (3, "mu2", "needs the row: layer 2 normalizes each of the 2 rows of 3 features"),
    (3, "mu2[3]", "write mu2[1] to mu2[2]"), (3, "gamma2[4]", "needs one index from 1 to 3"),
    (6, "mu2[1]", "has an index, but layer 2 (layernorm) has one mu per sample"),
]


@pytest.mark.parametrize("H, name, sentence", NAMES)
def test_rank3_layernorm_names(H: int, name: str, sentence: str | None):
    truth = LayeredTruth(_network(H))
    if sentence is None:
        truth.value(name)
        return
    with pytest.raises(DerivcheckError, match=re.escape(sentence)):
        truth.value(name)


def test_the_latex_document_writes_each_row(tmp_path):
    """Sample 2's input (2, −1, 1, 1) → u1 = (2, 1.5, 1.75, 2) with the W1, b1 below; its row 2 is (1.75, 2): μ = 1.875."""
    import subprocess
    import sys
    path = tmp_path / "r3.toml"
    path.write_text('title = "t"\n[network]\ninputs = 4\n[[layer]]\nkind = "dense"\nunits = 4\n[[layer]]\n'
                    'kind = "layernorm"\neps = 0.1\nnormalized = 2\n[[layer]]\nkind = "dense"\nunits = 1\n[parameters]\n'
                    'W1 = [[1, 0, 0.5, 0], [0, 1, 0, -1], [0.5, 0.25, 1, 0], [0, 0, 1, 2]]\nb1 = [0, 0.5, 0, -1]\n'
                    'gamma2 = [1, 2]\nbeta2 = [0, 0.5]\nW3 = [[1, -1, 0.5, 2]]\nb3 = [0]\n[data]\n'
                    'x = [[1, 2, -1, 0.5], [2, -1, 1, 1]]\ny = [[1], [0]]\n', encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "symbolic.cli", "latex", str(path), "-o", str(tmp_path / "r3.tex")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    text = (tmp_path / "r3.tex").read_text(encoding="utf-8")
    assert "\\paragraph{Sample 2, row 2, over its features}\n\\begin{align*}\n\\mu &= \\tfrac{1}{2}(1.75 + 2) = 1.875" \
        in text
    assert text.count("over its features}") == 4 and text.count("step by step}") == 4  # 2 samples x 2 rows
