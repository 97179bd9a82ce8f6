"""Targets the output cannot reach: one file-level note, never a verdict (symbolic.claims.targets).

Every expected note below is written by hand from the ranges of the functions, which are stated here
independently of the rule table:

* identity takes every real value; sigmoid 1/(1 + e^−u) lies in (0, 1) since e^−u ∈ (0, ∞); tanh u =
  (e^u − e^−u)/(e^u + e^−u) lies in (−1, 1); relu max(0, u) in [0, ∞) and takes 0 (closed end);
  softmax e^{u_k}/Σ e^{u_j} of K ≥ 2 outputs lies in (0, 1) and its outputs sum to 1;
* the lstm's h = o·tanh(c) with o = σ(·) ∈ (0, 1) and tanh(c) ∈ (−1, 1): |h| < 1, and h comes
  arbitrarily close to ±1 (o → 1, c → ±∞), so h lies in (−1, 1);
* a max or a mean of numbers in an interval lies in that interval.

A target outside the closed interval of its range cannot be reached (the squared error is 0 only at
a = y); a target on an open end (sigmoid's 1) is approached as the weights grow (the loss's infimum is
still 0) and is not noted.
Aidan Gomez's 2-step LSTM (derivations/029) has the label 1.25 at step 2: outside (−1, 1).
"""
from __future__ import annotations

import json
from fractions import Fraction as F
from pathlib import Path

import pytest

from symbolic.claims.check import check_file
from symbolic.claims.derivation import load_derivation
from symbolic.claims.targets import unreachable_note
from symbolic.report_text import print_report
from symbolic.spec.rules import ACTIVATIONS, OutputRange

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
GOMEZ = ROOT / "derivations" / "029-kherud-lstm-two-steps.toml"
CONSEQUENCE = ", so the loss cannot reach 0 at this target and gradient descent cannot converge to it"
CONSEQUENCES = ", so the loss cannot reach 0 at these targets and gradient descent cannot converge to them"


# ------------------------------------------------------------------ the ranges in the rule table
# (activation, range as the module docstring states it)
RANGES = [
    ("identity", "(−∞, ∞)"),
    ("sigmoid", "(0, 1)"),
    ("tanh", "(−1, 1)"),
    ("relu", "[0, ∞)"),
    ("softmax", "(0, 1)"),
]


def test_every_activation_has_its_range_in_the_table():
    assert sorted(ACTIVATIONS) == sorted(name for name, _ in RANGES)


@pytest.mark.parametrize("name, shown", RANGES)
def test_rule_table_range(name, shown):
    rng = ACTIVATIONS[name].output_range
    assert str(rng) == shown
    assert rng.total == (F(1) if name == "softmax" else None)  # softmax's outputs sum to 1


# (range, value, contained) — open ends exclude themselves, closed ends include themselves
CONTAINS = [
    (OutputRange(F(0), F(1)), F(0), False),
    (OutputRange(F(0), F(1)), F(1), False),
    (OutputRange(F(0), F(1)), F(1, 2), True),
    (OutputRange(F(0), F(1)), F(-1, 10), False),
    (OutputRange(F(0), None, low_closed=True), F(0), True),
    (OutputRange(F(0), None, low_closed=True), F(10 ** 9), True),
    (OutputRange(F(0), None, low_closed=True), F(-1, 10 ** 9), False),
    (OutputRange(), F(-10 ** 9), True),
]


@pytest.mark.parametrize("rng, value, inside", CONTAINS)
def test_contains(rng, value, inside):
    assert rng.contains(value) is inside


# (x range, y range, range of x·y by hand)
PRODUCTS = [
    (OutputRange(F(0), F(1)), OutputRange(F(-1), F(1)), "(−1, 1)"),         # o·tanh(c)
    (OutputRange(F(0), F(1)), OutputRange(F(0), F(1)), "(0, 1)"),           # σ·σ
    (OutputRange(F(0), F(1), True, True), OutputRange(F(2), F(3), True, False), "[0, 3)"),  # 0·2 taken, 1·3 not
    (OutputRange(F(0), F(1)), OutputRange(F(0), F(1), True, False), "[0, 1)"),  # x·0 = 0 for x inside
    (OutputRange(F(-2), F(-1), True, True), OutputRange(F(-3), F(1), False, True), "[−2, 6)"),
    # corners −2·−3 = 6 (−3 open: not taken), −2·1 = −2 (both closed: taken), −1·−3 = 3, −1·1 = −1
]


@pytest.mark.parametrize("x, y, shown", PRODUCTS)
def test_product_range(x, y, shown):
    assert str(x.times(y)) == shown


# ------------------------------------------------------------------ derivation files, row by row
def dense(activation: str, y, loss: str = "half_sse", layers=(1, 1), x=None) -> str:
    n0, n1 = layers
    w = [[0.5] * n0 for _ in range(n1)]
    return (f'[network]\nlayers = {list(layers)}\nactivation = "{activation}"\nloss = "{loss}"\nbias = "none"\n'
            f'[parameters]\nW1 = {w}\n[data]\nx = {x if x is not None else [1] * n0}\ny = {y}\n')


def layered(layers: str, params: str, x, y, inputs: int, loss: str = "half_sse") -> str:
    return (f'[network]\ninputs = {inputs}\nloss = "{loss}"\n{layers}\n[parameters]\n{params}\n'
            f'[data]\nx = {x}\ny = {y}\n')


DENSE_2 = '[[layer]]\nkind = "dense"\nunits = 1\nactivation = "tanh"\nbias = "none"\n'
RNN = '[[layer]]\nkind = "rnn"\nhidden = 1\nsteps = 2\nbias = "none"\n'
RNN_PARAMS = "Wx1 = [[0.5]]\nWh1 = [[0.1]]"
LSTM_PARAMS = "\n".join(f"Wx{g}1 = [[0.5]]\nWh{g}1 = [[0.1]]" for g in "gifo")

# (id, file text, the note by hand with {path}, or None)
ROWS = [
    # dense [network] files
    ("sigmoid-open-end-1", dense("sigmoid", [1]), None),  # approached as u → ∞: not noted
    ("sigmoid-open-end-0", dense("sigmoid", [0]), None),
    ("sigmoid-inside", dense("sigmoid", [0.25]), None),
    ("sigmoid-outside", dense("sigmoid", [1.5]),
     "{path}: y[1] = 1.5 cannot be reached: a1 = σ(u1) lies in (0, 1)" + CONSEQUENCE),
    ("sigmoid-fraction", dense("sigmoid", '["4/3"]'),
     "{path}: y[1] = 4/3 cannot be reached: a1 = σ(u1) lies in (0, 1)" + CONSEQUENCE),
    ("tanh-open-end", dense("tanh", [-1]), None),
    ("tanh-inside", dense("tanh", [0.999]), None),
    ("tanh-just-outside", dense("tanh", '["1.0000000000000000001"]'),  # a float would round it to 1
     "{path}: y[1] = 1.0000000000000000001 cannot be reached: a1 = tanh(u1) lies in (−1, 1)" + CONSEQUENCE),
    ("relu-closed-end", dense("relu", [0]), None),
    ("relu-inside", dense("relu", [7]), None),
    ("relu-outside", dense("relu", [-0.5]),
     "{path}: y[1] = -0.5 cannot be reached: a1 = relu(u1) lies in [0, ∞)" + CONSEQUENCE),
    ("identity", dense("identity", [-1000]), None),
    ("softmax-inside", dense("softmax", [0.25, 0.75], layers=(1, 2)), None),
    ("softmax-one-hot-squared-error", dense("softmax", [1, 0], layers=(1, 2)), None),  # ends, sum 1
    ("softmax-entries-outside", dense("softmax", [1.5, -0.5], layers=(1, 2)),
     "{path}: y[1] = 1.5 and y[2] = -0.5 cannot be reached: a1 = softmax(u1) lies in (0, 1)" + CONSEQUENCES),
    ("softmax-sum", dense("softmax", [0.5, 0.7], layers=(1, 2)),
     "{path}: y[1] + y[2] = 1.2 cannot be reached: the outputs of a1 = softmax(u1) sum to 1" + CONSEQUENCE),
    ("softmax-ce-one-hot", dense("softmax", [1, 0], loss="softmax_ce", layers=(1, 2)), None),
    ("bce-binary", dense("sigmoid", [1], loss="bce"), None),
    ("bce-outside", dense("sigmoid", [1.25], loss="bce"),
     "{path}: y[1] = 1.25 cannot be reached: a1 = σ(u1) lies in (0, 1), so the output never equals this "
     "target and gradient descent cannot converge to it"),
    ("samples", dense("sigmoid", [[0.5], [2]], x=[[1], [2]]),
     "{path}: y[1] = 2 (sample 2) cannot be reached: a1 = σ(u1) lies in (0, 1)" + CONSEQUENCE),
    ("many", dense("tanh", [2, 2, 2, 2, 2, 2], layers=(1, 6)),
     "{path}: y[1] = 2, y[2] = 2, y[3] = 2, y[4] = 2 and 2 more cannot be reached: a1 = tanh(u1) lies in "
     "(−1, 1)" + CONSEQUENCES),
    # [[layer]] lists
    ("layers-dense-last", layered(DENSE_2 + DENSE_2.replace("tanh", "sigmoid"), "W1 = [[0.5]]\nW2 = [[0.5]]",
                                  [1], [-0.25], 1),
     "{path}: y[1] = -0.25 cannot be reached: a2 = σ(u2) lies in (0, 1)" + CONSEQUENCE),
    ("layers-dense-inside", layered(DENSE_2 + DENSE_2, "W1 = [[0.5]]\nW2 = [[0.5]]", [1], [0.5], 1), None),
    ("layers-batchnorm-last", layered(DENSE_2.replace("units = 1", "units = 2") + '[[layer]]\nkind = "batchnorm"\n',
                                      "W1 = [[0.5], [0.25]]\ngamma2 = [1, 1]\nbeta2 = [0, 0]",
                                      [[1], [2]], [[5, 5], [-5, -5]], 1), None),  # γ x̂ + β: any value
    ("layers-flatten", layered(DENSE_2.replace("units = 1", "units = 2") + '[[layer]]\nkind = "flatten"\n',
                               "W1 = [[0.5], [0.25]]", [1], [0.5, -3], 1),
     "{path}: y[2] = -3 cannot be reached: a2, the flattened a1 = tanh(u1) lies in (−1, 1)" + CONSEQUENCE),
    ("layers-conv-maxpool",
     layered('[[layer]]\nkind = "conv2d"\ninput = [1, 2, 2]\nchannels = 1\nkernel = 1\nbias = "none"\n'
             'activation = "relu"\n[[layer]]\nkind = "maxpool"\nsize = 2\nstride = 2\n',
             "K1 = [[[[1.0]]]]", [1, 2, 3, 4], [-1], 4),
     "{path}: y[1] = -1 cannot be reached: a2, a max pool of a1 = relu(u1) lies in [0, ∞)" + CONSEQUENCE),
    ("rnn-h-tanh", layered(RNN, RNN_PARAMS, [1, 2], [0.5, -1.5], 2),
     "{path}: y[2] = -1.5 (step 2) cannot be reached: h = tanh(u) lies in (−1, 1)" + CONSEQUENCE),
    ("rnn-h-tanh-open-end", layered(RNN, RNN_PARAMS, [1, 2], [0.5, -1], 2), None),
    ("rnn-h-relu-closed-end", layered(RNN + 'activation = "relu"\n', RNN_PARAMS, [1, 2], [0, 0.3], 2), None),
    ("rnn-identity-output", layered(RNN + "outputs = 1\n", RNN_PARAMS + "\nWy1 = [[1.0]]", [1, 2], [5, -5], 2),
     None),
    ("rnn-sigmoid-output-last",
     layered(RNN + 'outputs = 1\noutput_activation = "sigmoid"\nemit = "last"\n', RNN_PARAMS + "\nWy1 = [[1.0]]",
             [1, 2], [2], 2),
     "{path}: y[1] = 2 (step 2) cannot be reached: ŷ = σ(z) lies in (0, 1)" + CONSEQUENCE),
    ("rnn-softmax-output-sum",
     layered(RNN + 'outputs = 2\noutput_activation = "softmax"\n', RNN_PARAMS + "\nWy1 = [[1.0], [-1.0]]",
             [1, 2], [0.5, 0.5, 0.3, 0.3], 2),
     "{path}: y[3] + y[4] = 0.6 (step 2) cannot be reached: the outputs of ŷ = softmax(z) sum to 1" + CONSEQUENCE),
    ("lstm-gomez-labels", layered(RNN.replace("rnn", "lstm"), LSTM_PARAMS, [1, 2], [0.5, 1.25], 2),
     "{path}: y[2] = 1.25 (step 2) cannot be reached: h = o·tanh(c) lies in (−1, 1)" + CONSEQUENCE),
    ("lstm-inside", layered(RNN.replace("rnn", "lstm"), LSTM_PARAMS, [1, 2], [0.5, -0.99], 2), None),
    ("lstm-loss-steps", layered(RNN.replace("rnn", "lstm").replace("steps = 2", "steps = 3") + "loss_steps = [2]\n",
                                LSTM_PARAMS, [1, 2, 3], [-1.125], 3),
     "{path}: y[1] = -1.125 (step 2) cannot be reached: h = o·tanh(c) lies in (−1, 1)" + CONSEQUENCE),
    ("lstm-samples", layered(RNN.replace("rnn", "lstm"), LSTM_PARAMS, [[1, 2], [3, 4]], [[0, 0], [0, 3]], 2),
     "{path}: y[2] = 3 (sample 2, step 2) cannot be reached: h = o·tanh(c) lies in (−1, 1)" + CONSEQUENCE),
]


@pytest.mark.parametrize("text, expected", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_note(tmp_path: Path, text: str, expected: str | None):
    path = tmp_path / "targets.toml"
    path.write_text(text + '\n[[claims]]\nname = "x[1]"\nvalue = "1"\n', encoding="utf-8")
    d = load_derivation(path)
    assert unreachable_note(str(d.path), d.network) == (None if expected is None else expected.format(path=path))


# ------------------------------------------------------------------ the note reaches every face
def test_gomez_file_says_it_once_in_text_json_and_verdicts_are_unchanged(capsys):
    report = check_file(GOMEZ)
    sentence = (f"{GOMEZ}: y[2] = 1.25 (step 2) cannot be reached: h = o·tanh(c) lies in (−1, 1)" + CONSEQUENCE)
    assert report.notes.count(sentence) == 1, report.notes
    assert json.loads(json.dumps(report.to_json()))["notes"] == report.notes
    assert all(r.as_expected for r in report.results), [r for r in report.results if not r.as_expected]
    assert [r.name for r in report.results if r.verdict == "WRONG"] == ["dL_t2/dout_1"]  # the one printed slip
    print_report(report)
    assert f"   note: {sentence}.\n" in capsys.readouterr().out
    assert "1.25" not in load_derivation(GOMEZ).unchecked  # the tool says it now, not the file's prose


def test_pytest_plugin_prints_the_note_once(pytester: pytest.Pytester):
    (pytester.path / "derivations").mkdir()
    text = dense("tanh", [2]) + ('\n[[claims]]\nname = "a1[1]"\nvalue = "0.46211715726"\n'  # tanh(1/2)
                                 '\n[[claims]]\nname = "x[1]"\nvalue = "1"\n')
    (pytester.path / "derivations" / "t.toml").write_text(text, encoding="utf-8")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=2)
    note = ("derivcheck: note: derivations/t.toml: y[1] = 2 cannot be reached: a1 = tanh(u1) lies in (−1, 1)"
            + CONSEQUENCE + ".")
    assert result.outlines.count(note) == 1, result.outlines
