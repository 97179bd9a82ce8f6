"""How a file's names and printed numbers are read (issue 14): synonyms, "did you mean", printed digits, JSON.

Every expected sentence is written out here; the network is 2-2-1 identity (tests/small_nets.py) whose
values are worked by hand there: u1 = (0.1, 0.8), o = −0.21, L = 0.13005.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from small_nets import DATA, NETWORK
from symbolic.claims.check import check_file
from symbolic.cli import main


def _file(tmp_path: Path, network: str, claims: str = "") -> Path:
    path = tmp_path / "names.toml"
    path.write_text(network + DATA + claims, encoding="utf-8")
    return path


SOFTMAX = NETWORK.replace('layers = [2, 2, 1]', 'layers = [2, 2, 2]').replace(
    'activation = "identity"', 'activation = ["identity", "softmax"]')
SOFTMAX_DATA_FIX = ("W2 = [[0.6, -0.4]]", "W2 = [[0.6, -0.4], [0.1, 0.2]]"), ("b2 = [0.05]", "b2 = [0.05, 0]"), \
    ("y = [0.3]", "y = [0.3, 0.7]")

# (id, [network] replacement (old, new), the note or the error sentence expected)
NAME_CASES = [
    ("ReLU", ('activation = "identity"', 'activation = "ReLU"'), "note", "activation 'ReLU' read as 'relu'"),
    ("logistic", ('activation = "identity"', 'activation = "logistic"'), "note",
     "activation 'logistic' read as 'sigmoid'"),
    ("MSE", ('loss = "half_sse"', 'loss = "MSE"'), "note", "loss 'MSE' read as 'mse'"),
    ("MSELoss", ('loss = "half_sse"', 'loss = "MSELoss"'), "note", "loss 'MSELoss' read as 'mse'"),
    ("sigmod", ('activation = "identity"', 'activation = "sigmod"'), "error",
     "Activation 'sigmod' of layer 1 is unknown; did you mean 'sigmoid'"),
    ("cross_entropy-after-identity", ('loss = "half_sse"', 'loss = "cross_entropy"'), "error",
     "names a different loss for each output activation ('bce' after sigmoid, 'softmax_ce' after softmax)"),
]


@pytest.mark.parametrize("change, kind, sentence", [c[1:] for c in NAME_CASES], ids=[c[0] for c in NAME_CASES])
def test_names_of_activations_and_losses(tmp_path: Path, change, kind, sentence):
    report = check_file(_file(tmp_path, NETWORK.replace(*change)))
    if kind == "note":
        assert report.error is None, report.error
        assert sentence in report.notes, report.notes
    else:
        assert report.error is not None and sentence in report.error, report.error


@pytest.mark.parametrize("loss, canonical", [("cross_entropy", "softmax_ce"), ("categorical_crossentropy", "softmax_ce"),
                                             ("softmax_cross_entropy", "softmax_ce")])
def test_cross_entropy_after_softmax(tmp_path: Path, loss, canonical):
    data = DATA
    for old, new in SOFTMAX_DATA_FIX:
        data = data.replace(old, new)
    path = tmp_path / "ce.toml"
    path.write_text(SOFTMAX.replace('loss = "half_sse"', f'loss = "{loss}"') + data, encoding="utf-8")
    report = check_file(path)
    assert report.error is None, report.error
    assert any(f"read as '{canonical}'" in n for n in report.notes), report.notes


def test_an_alias_typo_gets_did_you_mean_from_this_file(tmp_path: Path):
    path = _file(tmp_path, NETWORK, '\n[aliases]\nw31 = "W1[2,1]"\n\n[[claims]]\nname = "dL/dw13"\nvalue = "0.5"\n')
    (result,) = check_file(path).results
    assert result.verdict == "error"
    assert "'w13' is neither an alias in [aliases] nor a canonical name; did you mean 'w31'? " \
           "canonical names here are like W1[1,1], a1[1], u2[1], L." in result.message, result.message
    assert ".)." not in result.message and "((" not in result.message


# a TOML number keeps its printed digits (L = 0.13005 by hand): the trailing zero decides the unit
DIGIT_CASES = [
    ("0.1301", "ok"),        # |0.1301 − 0.13005| = 0.00005 = ½ unit of 1e-4
    ("0.13010", "WRONG"),    # the same number with a trailing zero: 5 units of 1e-5
    ("1.3010e-1", "WRONG"),  # scientific notation keeps its digits too
]


@pytest.mark.parametrize("printed, verdict", DIGIT_CASES)
def test_a_toml_number_keeps_its_printed_digits(tmp_path: Path, printed, verdict):
    path = _file(tmp_path, NETWORK, f'\n[[claims]]\nname = "L"\nvalue = {printed}\n')
    (result,) = check_file(path).results
    assert (result.claimed, result.verdict) == (printed, verdict), result


def test_json_records(tmp_path: Path, capsys):
    path = _file(tmp_path, NETWORK, '\n[[claims]]\nname = "dL/dW2[1,1]"\nvalue = "-0.051"\n'
                                    '\n[[claims]]\nname = "L"\nvalue = "0.5"\n')
    assert main(["check", "--json", str(path)]) == 1
    doc = json.loads(capsys.readouterr().out)
    first, second = doc["files"][0]["claims"]
    # dL/dW2[1,1] = (o − y)·u1[1] = (−0.21 − 0.3)·0.1 = −0.051 exactly
    assert (first["canonical"], first["exact"], first["verdict"], first["carried_from"]) == \
        ("dL/dW2[1,1]", "-51/1000 = -0.051", "ok", [])
    assert second["verdict"] == "WRONG" and isinstance(second["exact"], str)
    counts = doc["files"][0]["counts"]
    assert (counts["ok"], counts["WRONG"], counts["rounding"], counts["carried"], counts["error"]) == (1, 1, 0, 0, 0)
    assert doc["summary"]["counts"]["WRONG"] == 1


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("derivcheck ")


# a batch of two (1-1 identity, ½(y−a)², W = 2, b = 0, x = (1, 3), y = (0, 0)) by hand: u = (2, 6),
# L_1 = ½·2² = 2, L_2 = ½·6² = 18, L = mean = 10; dL_s/dW = u_s·x_s = (2, 18), dL/dW = mean = 10;
# the per-sample δ of sample 2 is dL_2/du = 6, the batch-mean form dL/du (of sample 2) = 6/2 = 3.
BATCH = """
[network]
layers = [1, 1]
activation = "identity"
loss = "half_sse"

[parameters]
W1 = [[2]]
b1 = [0]

[data]
x = [[1], [3]]
y = [[0], [0]]
"""

BATCH_CASES = [
    ("L", "10.0", "", "ok"),
    ("L", "18.0", "sample = 2\nper_sample = true", "ok"),
    ("dL/dW1[1,1]", "10.0", "", "ok"),
    ("dL/dW1[1,1]", "18.0", "sample = 2\nper_sample = true", "ok"),
    ("dL/dW1[1,1]", "2.0", "sample = 1\nper_sample = true", "ok"),
    ("dL/du1[1]", "3.0", "sample = 2", "ok"),
    ("dL/du1[1]", "6.0", "sample = 2\nper_sample = true", "ok"),
    ("dL/dW1[1,1]", "20.0", "", "WRONG"),  # the per-sample gradients summed: 2 + 18 (batch_sum)
]


@pytest.mark.parametrize("name, value, keys, verdict", BATCH_CASES, ids=[f"{c[0]}-{c[2][:8]}-{c[1]}" for c in BATCH_CASES])
def test_per_sample_and_mean_forms(tmp_path: Path, name, value, keys, verdict):
    path = tmp_path / "batch.toml"
    path.write_text(BATCH + f'\n[[claims]]\nname = "{name}"\nvalue = "{value}"\n{keys}\n', encoding="utf-8")
    (result,) = check_file(path).results
    assert result.verdict == verdict, result
    if verdict == "WRONG":
        assert "summed instead of averaged" in result.diagnosis, result.diagnosis


def test_per_sample_needs_a_sample(tmp_path: Path):
    path = tmp_path / "batch.toml"
    path.write_text(BATCH + '\n[[claims]]\nname = "L"\nvalue = "18"\nper_sample = true\n', encoding="utf-8")
    (result,) = check_file(path).results
    assert result.verdict == "error" and "per_sample = true, which needs a sample = N" in result.message, result


def test_a_layer_list_suggests_only_names_it_has(tmp_path: Path):
    # dense 1→2 then a layer norm: layer 2 has a2[i] (and xhat2[i]) but no u2[i]; "u2[1]" must not be suggested
    path = tmp_path / "ln.toml"
    path.write_text('[network]\ninputs = 1\nloss = "half_sse"\n\n[[layer]]\nkind = "dense"\nunits = 2\n\n'
                    '[[layer]]\nkind = "layernorm"\n\n[parameters]\nW1 = [[1], [2]]\nb1 = [0, 1]\n'
                    'gamma2 = [1, 1]\nbeta2 = [0, 0]\n\n[data]\nx = [[1]]\ny = [[0, 1]]\n\n'
                    '[[claims]]\nname = "dL/dq2"\nvalue = "0.5"\n', encoding="utf-8")
    (result,) = check_file(path).results
    assert result.verdict == "error" and "canonical names here are like W1[1,1], a1[1], a2[1], L." in result.message, \
        result.message
