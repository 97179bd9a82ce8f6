"""The LaTeX document of a conv/pool layer list: the backward as δ (padded) ⋆ rot180(K), with the numbers.

Lex AI Labs' conv2d backward example 1 (x = 0..15 as 4×4, K = [[1, 2], [3, 4]], one-hot upstream gradient at
output (1,1)) prints dx = [[1, 2], [3, 4]] in the top-left corner and 0 elsewhere, and dW = [[0, 1], [4, 5]]; the
document must show the rotated kernel [[4, 3], [2, 1]], δ padded by k − 1 = 1 zero, and those published numbers.
"""
from __future__ import annotations

from pathlib import Path

import subprocess
import sys

from symbolic.claims.derivation import load_derivation
from symbolic.documents.layer_document import layer_sections

ROOT = Path(__file__).resolve().parents[1]

FILE = """title = "Lex AI Labs conv2d backward, example 1"
[network]
inputs = 16
[[layer]]
kind = "conv2d"
input = [1, 4, 4]
channels = 1
kernel = 2
bias = "none"
[[layer]]
kind = "flatten"
[[layer]]
kind = "dense"
units = 1
bias = "none"
[parameters]
K1 = [[[[1, 2], [3, 4]]]]
W3 = [[1, 0, 0, 0, 0, 0, 0, 0, 0]]
[data]
x = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
y = [33]
"""


def _pm(rows) -> str:
    return r"\begin{pmatrix} " + r" \\ ".join(" & ".join(map(str, r)) for r in rows) + r" \end{pmatrix}"


def test_conv_backward_is_written_with_the_rotated_kernel(tmp_path: Path):
    path = tmp_path / "lex.toml"
    path.write_text(FILE, encoding="utf-8")
    text = "\n".join(layer_sections(load_derivation(path)))
    padded_delta = [[0] * 5, [0, 1, 0, 0, 0], [0] * 5, [0] * 5, [0] * 5]
    published_dx = [[1, 2, 0, 0], [3, 4, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert _pm(padded_delta) + r" \star " + _pm([[4, 3], [2, 1]]) + " = " + _pm(published_dx) in text
    assert _pm([[0, 1], [4, 5]]) in text  # dL/dK1 (the published dW)
    assert _pm([[34, 44, 54], [74, 84, 94], [114, 124, 134]]) in text  # u = Σ K ⊙ window, by hand: 0+2+12+20 = 34, …
    assert r"\operatorname{rot180}" in text


def test_a_tied_max_pool_gradient_is_printed_as_undefined(tmp_path: Path):
    # one 2×2 window [[4, 4], [1, 2]]: the maximum 4 twice → its gradient cells are undefined, the rest 0
    text = FILE.split("[[layer]]")[0] + """[[layer]]
kind = "maxpool"
input = [1, 2, 2]
size = 2
[[layer]]
kind = "flatten"
[[layer]]
kind = "dense"
units = 1
[parameters]
W3 = [[2]]
b3 = [0]
[data]
x = [4, 4, 1, 2]
y = [7]
""".replace("inputs = 16", "inputs = 4")
    path = tmp_path / "tie.toml"
    path.write_text(text.replace("inputs = 16", "inputs = 4"), encoding="utf-8")
    body = "\n".join(layer_sections(load_derivation(path)))
    assert _pm([[r"\text{undef.}", r"\text{undef.}"], [0, 0]]) in body


def test_derive_prints_the_conv_rules_of_a_network_with_many_flat_entries():
    # the benchmark network has 131 parameters; its widths 64-128-72-72-1 read as dense layers would be 22,665
    out = subprocess.run([sys.executable, "-m", "symbolic.cli", "derive", "benchmarks/nets/conv-1x8x8-two-3x3.toml"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert r"\operatorname{rot180}(K_{o,c})" in out.stdout and "layer 3: flatten" in out.stdout
