"""derivcheck variant: fresh parameter values within the key's ranges, no ties or kinks, exact answers, a solution.

The answers of the seed-002 variant are compared with a plain-float backprop written in
tests/grading_course.py's style here (not derivcheck's), rounded to the printed digits.
"""
from __future__ import annotations

import math
import shutil
import tomllib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from symbolic.claims.check import check_file
from symbolic.claims.derivation import load_derivation
from symbolic.cli import main
from symbolic.grading.variant import draw_variant, to_toml
from symbolic.spec.errors import DerivcheckError

ROOT = Path(__file__).resolve().parents[1]
KEY = ROOT / "tests" / "data" / "grading" / "key-002.toml"
ORIGINAL = tomllib.loads(KEY.read_text(encoding="utf-8"))


def _sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _answers(doc: dict) -> dict[str, float]:
    """out_o1, E_total and w5 after one update of a 2-2-2 sigmoid net with shared biases, in floats."""
    p, (x,), (y,) = doc["parameters"], [doc["data"]["x"]], [doc["data"]["y"]]
    W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
    h = [_sig(W1[i][0] * x[0] + W1[i][1] * x[1] + b1) for i in range(2)]
    o = [_sig(W2[i][0] * h[0] + W2[i][1] * h[1] + b2) for i in range(2)]
    d2 = [(o[i] - y[i]) * o[i] * (1 - o[i]) for i in range(2)]
    eta = doc["network"]["learning_rate"]
    return {"out_o1": o[0], "E_total": sum((y[i] - o[i]) ** 2 for i in range(2)) / 2,
            "w5": W2[0][0] - eta * d2[0] * h[0]}


def test_same_seed_same_variant_and_values_within_the_ranges():
    first, again, other = draw_variant(KEY, 11), draw_variant(KEY, 11), draw_variant(KEY, 12)
    assert to_toml(first) == to_toml(again) and first["parameters"] != other["parameters"]
    for name in ("W1", "W2"):
        new, old = sum(first["parameters"][name], []), sum(ORIGINAL["parameters"][name], [])
        assert len(set(new)) == len(new), "two equal entries: an index swap would be invisible"
        for v, v0 in zip(new, old):
            assert v != 0 and abs(v - v0) <= v0 / 2 + 1e-12 and Fraction(str(v)) * 100 == round(v * 100)
    for v in first["data"]["x"]:
        assert 0.01 <= v <= 0.20
    assert first["data"]["y"] == ORIGINAL["data"]["y"]  # no range given for y: unchanged
    assert first["grading"] == ORIGINAL["grading"] and "expect" not in str(first["claims"])


def test_the_answer_key_is_exact_and_checks_ok(tmp_path):
    doc = draw_variant(KEY, 11)
    floats = _answers(doc)
    by_name = {(c["name"], c.get("after", 0)): c["value"] for c in doc["claims"]}
    for (name, after), truth in (("out_o1", 0), "out_o1"), (("E_total", 0), "E_total"), (("w5", 1), "w5"):
        printed = by_name[(name, after)]
        unit = Decimal(1).scaleb(Decimal(printed).as_tuple().exponent)
        assert abs(Decimal(printed) - Decimal(repr(floats[truth]))) <= unit / 2, (name, printed, floats[truth])
    path = tmp_path / "v.toml"
    path.write_text(to_toml(doc), encoding="utf-8")
    report = check_file(path)
    assert report.error is None and {r.verdict for r in report.results} == {"ok"}
    assert [r.line for r in report.results][:2] != [None, None]  # written as [[claims]] blocks


RELU_KEY = """title = "relu kink"
[grading.variant]
decimals = 0
W1 = [-1, 1]
b1 = [-1, 1]
[network]
layers = [1, 1, 1]
activation = ["relu", "identity"]
loss = "half_sse"
bias = "per-neuron"
[data]
x = [1]
y = [5]
[parameters]
W1 = [[1]]
b1 = [1]
W2 = [[1]]
b2 = [1]
[[claims]]
name = "a2[1]"
value = "3"
[[claims]]
name = "dL/dW1[1,1]"
value = "2"
"""


@pytest.mark.parametrize("seed", range(6))
def test_no_variant_puts_a_relu_at_its_kink(tmp_path, seed):
    key = tmp_path / "relu.toml"
    key.write_text(RELU_KEY, encoding="utf-8")
    doc = draw_variant(key, seed)
    w, b = doc["parameters"]["W1"][0][0], doc["parameters"]["b1"][0]
    assert w in (-1, 1) and b in (-1, 1) and w * 1 + b != 0  # u = w x + b = 0 is the kink: refused


def test_ranges_that_leave_no_variant_say_so(tmp_path):
    key = tmp_path / "relu.toml"
    key.write_text(RELU_KEY.replace("W1 = [-1, 1]\nb1 = [-1, 1]", "W1 = [1, 1]\nb1 = [-1, -1]"), encoding="utf-8")
    with pytest.raises(DerivcheckError, match="no variant without ties or kinks in 50 draws"):
        draw_variant(key, 0)
    key.write_text(RELU_KEY.replace("W1 = [-1, 1]", "W9 = [-1, 1]"), encoding="utf-8")
    with pytest.raises(DerivcheckError, match="'W9' is not a parameter"):
        draw_variant(key, 0)


def test_variant_command_writes_key_handout_and_solution(tmp_path, capsys):
    pdf = shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None
    assert main(["variant", str(KEY), "--seed", "3", "-o", str(tmp_path)] + (["--pdf"] if pdf else [])) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {"variant-3.toml", "variant-3-handout.toml", "variant-3-solution.tex"} <= names
    assert not pdf or "variant-3-solution.pdf" in names
    handout = load_derivation(tmp_path / "variant-3-handout.toml")
    key = load_derivation(tmp_path / "variant-3.toml")
    assert handout.claims == [] and handout.network == key.network  # the exercise, without the answers
    assert (tmp_path / "variant-3-handout.toml").read_text().count("# [[claims]]") == len(key.claims) == 31
    assert "variant 3" in (tmp_path / "variant-3-solution.tex").read_text(encoding="utf-8")
    assert main(["variant", str(KEY), "--seed", "-1", "-o", str(tmp_path)]) == 2
