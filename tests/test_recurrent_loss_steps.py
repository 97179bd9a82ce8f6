"""``loss_steps`` and ``loss_over_steps`` of a recurrent last layer: the exact truth and the NumPy twin against
numbers computed here, and their bad-input sentences.

The network (identity rnn, so every number is rational): H = 2, n = 1, T = 3, h0 = 0,
Wx = (1/2, 1)ᵀ, Wh = [[1/2, 0], [1/4, 1]], b = (1/2, 0), x = (1, 2, −1), and K outputs per step ŷ_t = Wy h_t + by.
The expected loss is written from the documented meaning (docs/recurrent.md), independently of the code:
with S the steps with a loss (``loss_steps``, else every step or step T) and ℓ_t the loss of step t's K outputs
— half_sse ½Σ_k(ŷ − y)², sse Σ_k(ŷ − y)², mse (1/K)Σ_k(ŷ − y)² —

    loss_over_steps = "sum":  L = Σ_{t∈S} ℓ_t          "mean":  L = (1/|S|) Σ_{t∈S} ℓ_t
    key absent: the loss's own reduction over all |S|·K entries — "sum" for half_sse/sse, "mean" for mse.

The gradients come from the same few lines run with dual numbers over Fractions (forward mode, one seed per
parameter entry), which shares nothing with the exact side's reverse sweep.
"""
from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

from numeric.layers import gradient as numeric_gradient, loss as numeric_loss
from symbolic.claims.check import check_file
from symbolic.claims.derivation import load_derivation
from symbolic.documents.layer_document import layer_sections
from symbolic.spec.names import parse_name
from symbolic.truth.layered import LayeredTruth

X = [F(1), F(2), F(-1)]
WX = [[F(1, 2)], [F(1)]]
WH = [[F(1, 2), F(0)], [F(1, 4), F(1)]]
B = [F(1, 2), F(0)]
WY = {1: [[F(1), F(-1)]], 2: [[F(1), F(-1)], [F(2), F(1, 2)]]}
BY = {1: [F(1, 4)], 2: [F(1, 4), F(-1, 2)]}
TARGETS = [F(3, 10), F(-2), F(5, 4), F(3, 8), F(1), F(-1, 8)]  # the first |S|·K of these are y


class Dual:
    """a + b·ε over Fractions: the value and its derivative along one seed."""

    def __init__(self, a, b=F(0)):
        self.a, self.b = F(a), F(b)

    def __add__(self, o):
        o = o if isinstance(o, Dual) else Dual(o)
        return Dual(self.a + o.a, self.b + o.b)

    __radd__ = __add__

    def __sub__(self, o):
        o = o if isinstance(o, Dual) else Dual(o)
        return Dual(self.a - o.a, self.b - o.b)

    def __mul__(self, o):
        o = o if isinstance(o, Dual) else Dual(o)
        return Dual(self.a * o.a, self.a * o.b + self.b * o.a)

    __rmul__ = __mul__


def _loss(loss: str, K: int, steps: list[int], over: str | None, seed: str | None = None) -> Dual:
    """L of the network above, by the definition in the module docstring; ``seed`` an entry like "Wh1[1,2]"."""
    def p(array: str, value, *idx) -> Dual:
        return Dual(value, F(1) if seed == f"{array}1[{','.join(map(str, idx))}]" else F(0))

    wx = [[p("Wx", WX[i][0], i + 1, 1)] for i in range(2)]
    wh = [[p("Wh", WH[i][j], i + 1, j + 1) for j in range(2)] for i in range(2)]
    b = [p("b", B[i], i + 1) for i in range(2)]
    wy = [[p("Wy", WY[K][k][j], k + 1, j + 1) for j in range(2)] for k in range(K)]
    by = [p("by", BY[K][k], k + 1) for k in range(K)]
    h, per_step = [Dual(0), Dual(0)], {}
    y = iter(TARGETS)
    for t in range(1, 4):
        h = [wx[i][0] * X[t - 1] + wh[i][0] * h[0] + wh[i][1] * h[1] + b[i] for i in range(2)]  # identity
        if t in steps:
            yhat = [wy[k][0] * h[0] + wy[k][1] * h[1] + by[k] for k in range(K)]
            errors = []
            for k in range(K):
                e = yhat[k] - next(y)
                errors.append(e * e)
            total = errors[0] if K == 1 else errors[0] + errors[1]
            per_step[t] = {"half_sse": total * F(1, 2), "sse": total, "mse": total * F(1, K)}[loss]
    natural = "mean" if loss == "mse" else "sum"
    summed = sum(per_step.values(), Dual(0))
    return summed * (F(1, len(steps)) if (over or natural) == "mean" else F(1))


def _file(loss: str, K: int, layer_keys: str, steps: list[int]) -> str:
    def rows(m):
        return "[" + ", ".join("[" + ", ".join(str(float(v)) for v in r) + "]" for r in m) + "]"
    y = ", ".join(str(float(v)) for v in TARGETS[:len(steps) * K])
    return (f'title = "t"\nsource = "test"\n[network]\ninputs = 3\nloss = "{loss}"\n[[layer]]\nkind = "rnn"\n'
            f'hidden = 2\nsteps = 3\nactivation = "identity"\noutputs = {K}\n{layer_keys}\n[parameters]\n'
            f'Wx1 = {rows(WX)}\nWh1 = {rows(WH)}\nb1 = [{float(B[0])}, {float(B[1])}]\nWy1 = {rows(WY[K])}\n'
            f'by1 = [{", ".join(str(float(v)) for v in BY[K])}]\n[data]\nx = [[1, 2, -1]]\ny = [[{y}]]\n')


CASES = [  # (id, loss, K, the layer's keys, the steps with a loss, loss_over_steps)
    ("half_sse-all-default", "half_sse", 1, "", [1, 2, 3], None),
    ("half_sse-all-mean", "half_sse", 1, 'loss_over_steps = "mean"', [1, 2, 3], "mean"),
    ("half_sse-all-sum", "half_sse", 1, 'loss_over_steps = "sum"', [1, 2, 3], "sum"),
    ("half_sse-steps-1-3", "half_sse", 1, "loss_steps = [1, 3]", [1, 3], None),
    ("half_sse-steps-1-3-mean", "half_sse", 1, 'loss_steps = [1, 3]\nloss_over_steps = "mean"', [1, 3], "mean"),
    ("sse-step-2", "sse", 1, "loss_steps = [2]", [2], None),
    ("sse-last-mean", "sse", 1, 'emit = "last"\nloss_over_steps = "mean"', [3], "mean"),
    ("mse-all-default", "mse", 1, "", [1, 2, 3], None),
    ("mse-all-sum", "mse", 1, 'loss_over_steps = "sum"', [1, 2, 3], "sum"),
    ("mse-steps-2-3-sum", "mse", 1, 'loss_steps = [2, 3]\nloss_over_steps = "sum"', [2, 3], "sum"),
    ("mse-K2-steps-1-3-mean", "mse", 2, 'loss_steps = [1, 3]\nloss_over_steps = "mean"', [1, 3], "mean"),
    ("mse-K2-steps-1-3-sum", "mse", 2, 'loss_steps = [1, 3]\nloss_over_steps = "sum"', [1, 3], "sum"),
    ("half_sse-K2-steps-2-3-mean", "half_sse", 2, 'loss_steps = [2, 3]\nloss_over_steps = "mean"', [2, 3], "mean"),
]
ENTRIES = ["Wx1[2,1]", "Wh1[1,2]", "Wh1[2,1]", "b1[1]", "Wy1[1,2]", "by1[1]"]


@pytest.mark.parametrize("loss, K, keys, steps, over", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_loss_and_gradients_exact_and_numeric(tmp_path: Path, loss, K, keys, steps, over):
    path = tmp_path / "net.toml"
    path.write_text(_file(loss, K, keys, steps), encoding="utf-8")
    net = load_derivation(path).network
    truth = LayeredTruth(net)
    expected_L = _loss(loss, K, steps, over).a
    assert F(str(truth.value(parse_name("L")))) == expected_L
    grads = {e: _loss(loss, K, steps, over, seed=e).b for e in ENTRIES}
    for entry, want in grads.items():
        assert F(str(truth.derivative("L", entry))) == want, entry
    # the NumPy twin, which takes the loss step by step (numeric.recurrent.step_losses)
    layers, params = net.numeric_layers(), net.numeric_params()
    X, Y = np.array([[1.0, 2.0, -1.0]]), np.array([[float(v) for v in TARGETS[:len(steps) * K]]])
    assert float(numeric_loss(layers, loss, params, X, Y)) == pytest.approx(float(expected_L), rel=1e-12)
    g, _ = numeric_gradient(layers, loss, params, X, Y)
    for entry, want in grads.items():
        array, idx = entry.split("[")
        index = tuple(int(i) - 1 for i in idx.rstrip("]").split(","))
        assert float(np.asarray(g[array])[index]) == pytest.approx(float(want), rel=1e-12, abs=1e-14), entry


def test_claims_on_the_steps_with_a_loss(tmp_path: Path):
    """a1_t3[1] is the output of step 3 (the second step with a loss), y_t3[1] its target, L_t3 its term."""
    body = _file("half_sse", 1, "loss_steps = [1, 3]", [1, 3])
    # h1 = (1/2 + 1/2, 1) = (1, 1); h2 = (1 + 1/2 + 1/2, 2 + 1/4 + 1) = (2, 13/4);
    # h3 = (−1/2 + 1 + 1/2, −1 + 1/2 + 13/4) = (1, 11/4); ŷ3 = 1 − 11/4 + 1/4 = −3/2; y_3 = −2 (the second target)
    # L_t3 = ½(−3/2 + 2)² = 1/8
    claims = [("a1_t3[1]", "-1.5"), ("yhat1_t3[1]", "-1.5"), ("y_t3[1]", "-2"), ("L_t3", "0.125")]
    text = body + "".join(f'\n[[claims]]\nname = "{n}"\nvalue = "{v}"\n' for n, v in claims)
    path = tmp_path / "claims.toml"
    path.write_text(text, encoding="utf-8")
    report = check_file(path)
    assert report.error is None, report.error
    assert [r.verdict for r in report.results] == ["ok"] * 4, report.results


BAD = [  # (id, the layer's keys (or a whole replacement), a claim, words the one sentence must contain)
    ("over-unknown", 'loss_over_steps = "means"', None, ["loss_over_steps 'means'", "did you mean 'mean'", '"sum"']),
    ("over-not-a-string", "loss_over_steps = 2", None, ["loss_over_steps 2", '"sum"', '"mean"']),
    ("steps-out-of-range", "loss_steps = [1, 4]", None, ["step 4", "out of range", "steps 1 to 3"]),
    ("steps-zero", "loss_steps = [0, 2]", None, ["step 0", "out of range", "steps 1 to 3"]),
    ("steps-not-a-list", "loss_steps = 3", None, ["loss_steps is 3", "list of whole step numbers from 1 to 3"]),
    ("steps-empty", "loss_steps = []", None, ["loss_steps is []", "from 1 to 3"]),
    ("steps-not-increasing", "loss_steps = [3, 1]", None, ["increasing order", "[1, 3]"]),
    ("steps-repeated", "loss_steps = [2, 2]", None, ["each step once", "[2]"]),
    ("steps-and-emit", 'loss_steps = [3]\nemit = "last"', None, ["both emit and loss_steps", "give one"]),
    ("output-of-a-step-without-loss", "loss_steps = [1, 3]", "a1_t2[1]", ["steps 1, 3", "a1_t3[1]"]),
    ("target-of-a-step-without-loss", "loss_steps = [1, 3]", "y_t2[1]", ["step 2", "has no loss",
                                                                            "loss_steps = [1, 3]"]),
    ("loss-of-a-step-without-loss", "loss_steps = [1, 3]", "L_t2", ["step 2", "steps 1, 3 with a loss"]),
]


@pytest.mark.parametrize("keys, claim, words", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_input_is_one_sentence(tmp_path: Path, keys, claim, words):
    steps = [1, 3] if "[1, 3]" in keys else [1, 2, 3]
    text = _file("half_sse", 1, keys, steps)
    if claim:
        text += f'\n[[claims]]\nname = "{claim}"\nvalue = "1"\n'
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    report = check_file(path)
    message = report.error or " ".join(r.message for r in report.results)
    assert message and "Traceback" not in message, report
    for w in words:
        assert w in message, (w, message)


def test_only_a_last_layer_takes_them(tmp_path: Path):
    for key in ("loss_steps = [3]", 'loss_over_steps = "mean"'):
        text = _file("half_sse", 1, key, [3]).replace(
            "[parameters]", '[[layer]]\nkind = "dense"\nunits = 1\n[parameters]\nW2 = [[1.0]]\nb2 = [0.0]\n', 1)
        path = tmp_path / "stacked.toml"
        path.write_text(text, encoding="utf-8")
        report = check_file(path)
        assert report.error and "a layer follows it" in report.error, report.error


# An lstm (H = n = 1, T = 3) with a softmax over K = 2 outputs per step and softmax_ce, the loss only at steps 1 and
# 3, averaged over them: L = ½ (CE_1 + CE_3), CE_t = −Σ_k y_t[k] log softmax(z_t)[k]. The expected L is that
# definition in mpmath (50 digits) over PyTorch's gate equations; each gradient is mpmath's numerical derivative of it.
LSTM_PARAMS = {"Wxg1": [[0.5]], "Whg1": [[-0.25]], "bg1": [0.125], "Wxi1": [[0.75]], "Whi1": [[0.5]], "bi1": [-0.5],
               "Wxf1": [[-0.5]], "Whf1": [[1.0]], "bf1": [0.25], "Wxo1": [[1.0]], "Who1": [[-0.75]], "bo1": [0.0],
               "Wy1": [[1.5], [-1.0]], "by1": [0.25, -0.125]}
LSTM_X, LSTM_Y = [0.5, -1.0, 2.0], [1.0, 0.0, 0.0, 1.0]  # targets: step 1 class 1, step 3 class 2


def _lstm_loss(p: dict):
    sig = lambda u: 1 / (1 + mp.exp(-u))  # noqa: E731
    h = c = mp.mpf(0)
    ce = []
    for t, x in enumerate(LSTM_X, 1):
        pre = {g: p[f"Wx{g}1"][0][0] * x + p[f"Wh{g}1"][0][0] * h + p[f"b{g}1"][0] for g in "gifo"}
        g, i, f, o = mp.tanh(pre["g"]), sig(pre["i"]), sig(pre["f"]), sig(pre["o"])
        c = f * c + i * g
        h = o * mp.tanh(c)
        z = [p["Wy1"][k][0] * h + p["by1"][k] for k in range(2)]
        if t in (1, 3):
            y = LSTM_Y[0:2] if t == 1 else LSTM_Y[2:4]
            log_sum = mp.log(mp.exp(z[0]) + mp.exp(z[1]))
            ce.append(-sum(yk * (zk - log_sum) for yk, zk in zip(y, z)))
    return sum(ce) / 2


def test_lstm_softmax_ce_at_some_steps_averaged(tmp_path: Path):
    lines = "".join(f"{k} = {v}\n" for k, v in LSTM_PARAMS.items())
    text = (f'title = "t"\nsource = "test"\n[network]\ninputs = 3\nloss = "softmax_ce"\n[[layer]]\nkind = "lstm"\n'
            f'hidden = 1\nsteps = 3\noutputs = 2\noutput_activation = "softmax"\nloss_steps = [1, 3]\n'
            f'loss_over_steps = "mean"\n[parameters]\n{lines}[data]\nx = [{LSTM_X}]\ny = [{LSTM_Y}]\n')
    path = tmp_path / "lstm.toml"
    path.write_text(text, encoding="utf-8")
    net = load_derivation(path).network
    truth = LayeredTruth(net)
    with mp.workdps(50):
        P = {k: [[mp.mpf(v) for v in r] for r in rows] if isinstance(rows[0], list) else [mp.mpf(v) for v in rows]
             for k, rows in LSTM_PARAMS.items()}
        want = _lstm_loss(P)
        got = mp.mpf(str(truth.value(parse_name("L"))))
        assert abs(got - want) < mp.mpf("1e-40"), (got, want)
        assert float(numeric_loss(net.numeric_layers(), "softmax_ce", net.numeric_params(), np.array([LSTM_X]),
                                  np.array([LSTM_Y]))) == pytest.approx(float(want), rel=1e-12)
        g, _ = numeric_gradient(net.numeric_layers(), "softmax_ce", net.numeric_params(), np.array([LSTM_X]),
                                np.array([LSTM_Y]))
        for array, entry, idx in [("Whf1", "Whf1[1,1]", (0, 0)), ("Wxi1", "Wxi1[1,1]", (0, 0)),
                                  ("by1", "by1[2]", (1,)), ("Wy1", "Wy1[1,1]", (0, 0)), ("bg1", "bg1[1]", (0,))]:
            def moved(v, array=array, idx=idx):
                Q = {k: [list(r) for r in rows] if isinstance(rows[0], list) else list(rows) for k, rows in P.items()}
                if len(idx) == 2:
                    Q[array][idx[0]][idx[1]] = v
                else:
                    Q[array][idx[0]] = v
                return _lstm_loss(Q)
            start = P[array][idx[0]][idx[1]] if len(idx) == 2 else P[array][idx[0]]
            d = mp.diff(moved, start)
            exact = mp.mpf(str(truth.derivative("L", entry)))
            assert abs(exact - d) <= mp.mpf("1e-30") * max(abs(d), 1), (entry, exact, d)
            assert float(np.asarray(g[array])[idx]) == pytest.approx(float(d), rel=1e-10, abs=1e-14), entry


def test_the_document_says_the_steps_and_the_factor(tmp_path: Path):
    """The LaTeX document names the steps with a loss and loss_over_steps' factor (two steps, "mean": 1/2)."""
    path = tmp_path / "doc.toml"
    path.write_text(_file("half_sse", 1, 'loss_steps = [1, 3]\nloss_over_steps = "mean"', [1, 3]), encoding="utf-8")
    text = "\n".join(layer_sections(load_derivation(path), 6))
    assert "times $1/2$ (loss\\_over\\_steps)" in text
    assert "steps 1, 3's" in text
