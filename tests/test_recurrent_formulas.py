r"""BPTT formula claims about an rnn layer, in the tutorials' notation, proved or refuted.

The network: a tanh rnn of hidden size 2 over 3 steps with a linear output (ŷ_t = W_hy h_t + b_y) and
the loss L = Σ_t ½‖ŷ_t − y_t‖² of one sample. The textbook recurrences (CS231n assignment 3,
Karpathy's min-char-rnn, d2l §9.7 with an activation) are, with δ_t = ∂L/∂u_t, u_t = W_xh x_t +
W_hh h_{t−1} + b:
  ∂L/∂h_t = W_hyᵀ(ŷ_t − y_t) + W_hhᵀ δ_{t+1},  δ_t = ∂L/∂h_t ⊙ (1 − h_t²)  (δ_{T+1} = 0),
  ∂L/∂W_hh = Σ_t δ_t h_{t−1}ᵀ,  ∂L/∂W_xh = Σ_t δ_t x_tᵀ,  ∂L/∂b = Σ_t δ_t,  ∂L/∂W_hy = Σ_t (ŷ_t − y_t) h_tᵀ.
Independent check of every row: the forward pass written below in NumPy, differentiated by the
complex step (∂L/∂θ = Im L(θ + i·10⁻³⁰)/10⁻³⁰, exact to rounding; a node u_t or h_t is perturbed inside
the loop), and each formula written out in NumPy as the author wrote it. ``ok`` rows agree there,
``WRONG`` rows differ, and derivcheck's counterexample prints both values.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from symbolic.claims.derivation import load_derivation
from symbolic.formulas.claim_formula import verify_claim_formula
from symbolic.formulas.recurrent_verify import _concrete
from symbolic.spec.errors import DerivcheckError
from symbolic.truth.balls import exact, to_mpf, workprec
from symbolic.truth.layered import LayeredTruth

pytestmark = pytest.mark.skipif(
    "rnn" not in __import__("symbolic.spec.layer_rules", fromlist=["LAYER_KINDS"]).LAYER_KINDS,
    reason="the rnn layer kind (issue 19) is not on this branch")

NET = """title = "rnn formulas"
source = "test"
[network]
inputs = 6
loss = "half_sse"
[[layer]]
kind = "rnn"
hidden = 2
steps = 3
outputs = 1
h0 = [0.1, -0.2]
[parameters]
Wx1 = [[0.5, -0.3], [0.2, 0.8]]
Wh1 = [[0.1, 0.4], [-0.6, 0.3]]
b1 = [0.05, -0.1]
Wy1 = [[0.7, -0.5]]
by1 = [0.2]
[data]
x = [[1.0, 0.5, -1.0, 2.0, 0.0, 1.5]]
y = [[0.3, -0.4, 0.8]]
[[claims]]
name = "L"
value = "1"
"""
P = dict(Wx=np.array([[0.5, -0.3], [0.2, 0.8]]), Wh=np.array([[0.1, 0.4], [-0.6, 0.3]]), b=np.array([0.05, -0.1]),
         Wy=np.array([[0.7, -0.5]]), by=np.array([0.2]))
X = np.array([[1.0, 0.5], [-1.0, 2.0], [0.0, 1.5]])
Y = np.array([[0.3], [-0.4], [0.8]])
H0 = np.array([0.1, -0.2])
STEP = 1e-30


def _forward(p, bump=None):
    """Nodes and L; ``bump`` = (node, t, i): add i·STEP to that node (complex step through the rest)."""
    h, hs, us, yh, L = H0.astype(complex), [H0.astype(complex)], [None], [None], 0
    for t in range(1, 4):
        u = p["Wx"] @ X[t - 1] + p["Wh"] @ h + p["b"]
        if bump and bump[:2] == ("u", t):
            u = u + 1j * STEP * np.eye(2)[bump[2]]
        h = np.tanh(u)
        if bump and bump[:2] == ("h", t):
            h = h + 1j * STEP * np.eye(2)[bump[2]]
        y = p["Wy"] @ h + p["by"]
        L = L + 0.5 * ((y - Y[t - 1]) ** 2).sum()
        hs.append(h), us.append(u), yh.append(y)
    return dict(h=[v.real for v in hs], u=us, yhat=[None] + [v.real for v in yh[1:]], L=L)


def _grad(name):
    out = np.zeros(P[name].shape)
    for idx in np.ndindex(P[name].shape):
        q = {k: v.astype(complex) for k, v in P.items()}
        q[name][idx] += 1j * STEP
        out[idx] = _forward(q)["L"].imag / STEP
    return out


def _node(node, t):
    return np.array([_forward(P, (node, t, i))["L"].imag / STEP for i in range(2)])


F = _forward(P)
DELTA = {t: _node("u", t) for t in (1, 2, 3)} | {4: np.zeros(2)}
E = {t: F["yhat"][t] - Y[t - 1] for t in (1, 2, 3)}
T = np.transpose


def _delta_rule(t, wh=lambda: T(P["Wh"]), out=True, h=lambda t: F["h"][t]):
    return (wh() @ DELTA[t + 1] + (T(P["Wy"]) @ E[t] if out else 0)) * (1 - h(t) ** 2)


STEPS = "t"
ROWS = [
    ("δ_t, CS231n", r"\delta_t = (W_{hh}^T \delta_{t+1} + W_{hy}^T (\hat{y}_t - y_t)) \odot (1 - h_t^2)", "ok",
     lambda t: _delta_rule(t), lambda t: DELTA[t], None),
    ("∂L/∂h_t", r"\frac{\partial L}{\partial h_t} = W_{hh}^T \delta_{t+1} + W_{hy}^T (\hat{y}_t - y_t)", "ok",
     lambda t: T(P["Wh"]) @ DELTA[t + 1] + T(P["Wy"]) @ E[t], lambda t: _node("h", t), None),
    ("∂L/∂W_hh", r"\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^{T} \delta_t h_{t-1}^T", "ok",
     lambda: sum(np.outer(DELTA[t], F["h"][t - 1]) for t in (1, 2, 3)), lambda: _grad("Wh"), None),
    ("∂L/∂W_xh", r"\frac{\partial L}{\partial W_{xh}} = \sum_{t=1}^{T} \delta_t x_t^T", "ok",
     lambda: sum(np.outer(DELTA[t], X[t - 1]) for t in (1, 2, 3)), lambda: _grad("Wx"), None),
    ("∂L/∂b", r"\frac{\partial L}{\partial b} = \sum_t \delta_t", "ok",
     lambda: sum(DELTA[t] for t in (1, 2, 3)), lambda: _grad("b"), None),
    ("∂L/∂W_hy", r"dW_{hy} = \sum_{t=1}^{T} (\hat{y}_t - y_t) h_t^T", "ok",
     lambda: sum(np.outer(E[t], F["h"][t]) for t in (1, 2, 3)), lambda: _grad("Wy"), None),
    ("recurrent path forgotten", r"\delta_t = (W_{hy}^T (\hat{y}_t - y_t)) \odot (1 - h_t^2)", "WRONG",
     lambda t: (T(P["Wy"]) @ E[t]) * (1 - F["h"][t] ** 2), lambda t: DELTA[t], None),
    ("W_hh not transposed", r"\delta_t = (W_{hh} \delta_{t+1} + W_{hy}^T (\hat{y}_t - y_t)) \odot (1 - h_t^2)",
     "WRONG", lambda t: _delta_rule(t, wh=lambda: P["Wh"]), lambda t: DELTA[t], "W_{hh}^T replaces W_{hh}"),
    ("f' at the previous step", r"\delta_t = (W_{hh}^T \delta_{t+1} + W_{hy}^T (\hat{y}_t - y_t)) \odot (1 - h_{t-1}^2)",
     "WRONG", lambda t: _delta_rule(t, h=lambda t: F["h"][t - 1]), lambda t: DELTA[t], "h_{t} replaces h_{t-1}"),
    ("h_t for h_{t−1} in ∂L/∂W_hh", r"\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^{T} \delta_t h_t^T", "WRONG",
     lambda: sum(np.outer(DELTA[t], F["h"][t]) for t in (1, 2, 3)), lambda: _grad("Wh"), "h_{t-1} replaces h_t"),
    ("only the last step", r"\frac{\partial L}{\partial W_{hh}} = \delta_T h_{T-1}^T", "WRONG",
     lambda: np.outer(DELTA[3], F["h"][2]), lambda: _grad("Wh"), None),
]


def _net(tmp_path: Path):
    path = tmp_path / "rnn.toml"
    path.write_text(NET, encoding="utf-8")
    return load_derivation(path).network


@pytest.mark.parametrize("latex, verdict, claim, truth, repair", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_bptt_formula(tmp_path, latex, verdict, claim, truth, repair):
    result = verify_claim_formula(_net(tmp_path), latex)
    assert result.verdict == verdict, result.message
    per_step = claim.__code__.co_argcount == 1
    cases = [(claim(t), truth(t)) for t in (1, 2, 3)] if per_step else [(claim(), truth())]
    agree = all(np.allclose(c, v, rtol=1e-12, atol=1e-14) for c, v in cases)
    if verdict == "ok":
        assert agree and "Proved for all values" in result.message
        return
    assert not agree
    t = result.bindings.get("t", 1)
    c, v = cases[t - 1] if per_step else cases[0]
    i, j = result.entry
    where = (i - 1,) if np.ndim(v) == 1 else (i - 1, j - 1)
    assert float(result.claimed) == pytest.approx(c[where], rel=1e-10)
    assert float(result.true) == pytest.approx(v[where], rel=1e-10)
    assert (repair is None) == (not result.repairs), result.message
    if repair:
        assert any(repair in r.edit for r in result.repairs), result.message


REFUSALS = [
    (r"\delta_t = q", "the symbol q has no meaning in a formula about rnn layer 1"),
    (r"\frac{\partial h_t}{\partial W_{hh}} = 1", "Only derivatives of the loss are read here"),
]


@pytest.mark.parametrize("latex, expected", REFUSALS)
def test_bptt_refusal(tmp_path, latex, expected):
    with pytest.raises(DerivcheckError) as err:
        verify_claim_formula(_net(tmp_path), latex)
    assert expected.lower() in str(err.value).lower()


def test_bptt_shape_errors(tmp_path):
    net = _net(tmp_path)
    result = verify_claim_formula(net, r"\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^{T} \delta_t h_{t-1}")
    assert result.verdict == "shape error" and "(⊙ or a transpose missing?)" in result.message
    assert "h_{t-1}^T replaces h_{t-1}" in result.message
    result = verify_claim_formula(net, r"\frac{\partial L}{\partial W_{hh}} = \delta_t h_{t-1}^T")
    assert result.verdict == "shape error" and "The step t is free on the right-hand side only" in result.message


def _model_at_the_files_point(net):
    """The formula model of sample 1 at the file's parameters, data and initial state (exact balls)."""
    return _concrete(net, 1, {k: exact(v) for k, v in net.parameter_values().items()},
                     [exact(v) for v in net.x[0]], [exact(v) for v in net.y[0]],
                     [exact(v) for v in net.specs[0].extra.state("h", 1)])


def test_model_equals_the_program(tmp_path):
    """The formula's truth side at the file's point is the layer list's exact truth (the rnn's BPTT)."""
    net = _net(tmp_path)
    truth = LayeredTruth(net)
    with workprec(320):
        model = _model_at_the_files_point(net)
        for (i, j) in np.ndindex(2, 2):
            assert float(to_mpf(model.derivative("Wh")[i][j])) == pytest.approx(
                float(truth.derivative("L", f"Wh1[{i + 1},{j + 1}]")), rel=1e-14)
        for t in (1, 2, 3):
            for i in (0, 1):
                assert float(to_mpf(model.derivative("u", t)[i][0])) == pytest.approx(
                    float(truth.derivative("L", f"u1_t{t}[{i + 1}]")), rel=1e-14)


LOSS_VARIANTS = [  # (id, the layer's added keys, loss, targets): the model carries loss_steps and loss_over_steps
    ("steps-1-3-mean", 'loss_steps = [1, 3]\nloss_over_steps = "mean"', "half_sse", "[[0.3, 0.8]]"),
    ("mse-sum", 'loss_over_steps = "sum"', "mse", "[[0.3, -0.4, 0.8]]"),
    ("step-2", "loss_steps = [2]", "sse", "[[-0.4]]"),
]


@pytest.mark.parametrize("keys, loss, y", [v[1:] for v in LOSS_VARIANTS], ids=[v[0] for v in LOSS_VARIANTS])
def test_model_equals_the_program_with_loss_options(tmp_path, keys, loss, y):
    text = NET.replace("outputs = 1\n", f"outputs = 1\n{keys}\n").replace('loss = "half_sse"', f'loss = "{loss}"') \
        .replace("y = [[0.3, -0.4, 0.8]]", f"y = {y}")
    path = tmp_path / "variant.toml"
    path.write_text(text, encoding="utf-8")
    net = load_derivation(path).network
    truth = LayeredTruth(net)
    with workprec(320):
        model = _model_at_the_files_point(net)
        for (i, j) in np.ndindex(2, 2):
            assert float(to_mpf(model.derivative("Wh")[i][j])) == pytest.approx(
                float(truth.derivative("L", f"Wh1[{i + 1},{j + 1}]")), rel=1e-14)
        for t in (1, 2, 3):
            assert float(to_mpf(model.derivative("h", t)[0][0])) == pytest.approx(
                float(truth.derivative("L", f"h1_t{t}[1]")), rel=1e-14, abs=1e-300)
