"""The LaTeX document of a conv/pool layer list: the backward as δ (padded) ⋆ rot180(K), with the numbers.

Lex AI Labs' conv2d backward example 1 (x = 0..15 as 4×4, K = [[1, 2], [3, 4]], one-hot upstream gradient at
output (1,1)) prints dx = [[1, 2], [3, 4]] in the top-left corner and 0 elsewhere, and dW = [[0, 1], [4, 5]]; the
document must show the rotated kernel [[4, 3], [2, 1]], δ padded by k − 1 = 1 zero, and those published numbers.

When latexmk, pdflatex and pdftotext are installed, documents with large tensors are compiled for real: CS231n's
max-pool and conv forward fixtures (024, 025: every output the notebook prints, 8 decimals, is the document's
9-digit number rounded), conv nets on a 2×8×8 and a 1×18×18 image (every u and ∂L/∂x of the NumPy twin,
numeric/convolution.py, is printed; wide and tall matrices come as labelled tiles) and a seven-box
conv/pool/dense list (its weight gradients from numeric/layers.py) — no overfull line in the log and no word of
the PDF (pdftotext -bbox) past the text block's right edge.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import numpy as np
import pytest

from numeric.convolution import conv2d, conv2d_backward
from numeric.layers import gradient as numeric_gradient

from symbolic.claims.derivation import load_derivation
from symbolic.documents.latex import render_document
from symbolic.documents.layer_document import layer_sections
from symbolic.documents.pdf import compile_pdf

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
    """A matrix as the document sets it: a parenthesized array of len(rows[0]) centred columns."""
    body = r" \\ ".join(" & ".join(map(str, r)) for r in rows)
    return r"\left(\begin{array}{@{}*{" + str(len(rows[0])) + r"}{c}@{}} " + body + r" \end{array}\right)"


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


# ------------------------------------------------------------------ compiling large tensors (issue 19 leftover)
# The documents of CS231n's fixtures (48-number images, 2 samples) and of conv nets with large inputs must compile
# with no line running past the text block: matrices wrap between formulas, a wide or tall one is split into tiles.
_MISSING = [p for p in ("latexmk", "pdflatex", "pdftotext") if shutil.which(p) is None]
needs_latex = pytest.mark.skipif(bool(_MISSING), reason=f"{', '.join(_MISSING)} not installed (Debian: latexmk "
                                 f"texlive-latex-base texlive-latex-recommended texlive-latex-extra poppler-utils)")
A4_WIDTH, MARGIN = 595.276, 56.693  # points: a4 paper, geometry's margin=2cm
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def _compile(tmp_path: Path, path: Path) -> tuple[list[str], list[float]]:
    """The PDF's number tokens and the right edge of every word (pdftotext -bbox); no overfull line in the log."""
    tex = tmp_path / f"{path.stem}.tex"
    tex.write_text(render_document(load_derivation(path), digits=9), encoding="utf-8")
    pdf = compile_pdf(tex, tmp_path)
    log = (tmp_path / f"{path.stem}.log").read_text(encoding="utf-8", errors="replace")
    assert "Overfull \\hbox" not in log, re.findall(r"Overfull \\hbox.*", log)
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words = re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', html)
    tokens = [t for _, w in words for t in NUMBER.findall(w.replace("\u2212", "-"))]
    return tokens, [float(x) for x, _ in words]


def _assert_within_page(right_edges: list[float]) -> None:
    widest = max(right_edges)
    assert widest <= A4_WIDTH - MARGIN + 1.0, f"a word ends at {widest:.1f} pt, past the text block's right edge"


def _published(path: Path) -> list[str]:
    """The fixture's published numbers (CS231n's correct_out, 8 decimals), as transcribed in its claims."""
    return [c.value for c in load_derivation(path).claims]


@needs_latex
@pytest.mark.parametrize("stem", ["024-cs231n-maxpool-forward-fixture", "025-cs231n-conv-forward-fixture"])
def test_cs231n_fixture_documents_compile_with_every_number(tmp_path: Path, stem: str):
    path = ROOT / "derivations" / f"{stem}.toml"
    tokens, edges = _compile(tmp_path, path)
    _assert_within_page(edges)
    # each printed output (8 decimals in the notebook) is the 9-significant-digit number of the document, rounded
    shown = {Decimal(t) for t in tokens}
    for value in _published(path):
        places = Decimal(value).as_tuple().exponent
        assert any(v.quantize(Decimal(1).scaleb(places), ROUND_HALF_EVEN) == Decimal(value) for v in shown
                   if abs(v - Decimal(value)) < Decimal("1e-7")), value


def _large_net(channels: int, size: int, stride: int) -> tuple[str, np.ndarray, np.ndarray]:
    """A conv2d of 2 kernels 3×3 (padding 1, identity, no bias) on a channels×size×size image, loss ½Σu² (y = 0).

    x_k = (k mod 13 − 6)/7 and K[o,c,r,s] = ((9(2o + c) + 3r + s) mod 5 − 2)/3 give sevenths and thirds, so most
    numbers print with all 9 digits. Returns the file and the NumPy twin's u and ∂L/∂x (numeric/convolution.py:
    with L = ½Σu², δ = u, and ∂L/∂x is the twin's own backward of δ).
    """
    x = np.array([(k % 13 - 6) / 7 for k in range(channels * size * size)])
    K = np.array([[[[((9 * (2 * o + c) + 3 * r + s) % 5 - 2) / 3 for s in range(3)] for r in range(3)]
                   for c in range(channels)] for o in range(2)])
    U, cache = conv2d(x.reshape(1, channels, size, size), K, None, (stride, stride), (1, 1))
    dX, _, _ = conv2d_backward(U, cache)
    text = (f'title = "a {channels}x{size}x{size} image"\nsource = "test"\n[network]\ninputs = {x.size}\n'
            f'loss = "half_sse"\n[[layer]]\nkind = "conv2d"\ninput = [{channels}, {size}, {size}]\nchannels = 2\n'
            f'kernel = 3\nstride = {stride}\npadding = 1\nbias = "none"\n[parameters]\n'
            f'K1 = {K.tolist()}\n[data]\nx = {x.tolist()}\ny = {[0.0] * U.size}\n')
    return text, U.ravel(), dX.ravel()


def _printed(value: float) -> set[str]:
    """The 9-significant-digit text of a float64 value, either side of its rounding error (of 3.55724973e-05 the
    mantissa: the document writes 3.55724973 · 10^−5)."""
    return {f"{value * (1 + e):.9g}".split("e")[0] for e in (-1e-13, 0.0, 1e-13)}


@needs_latex
@pytest.mark.parametrize("channels, size, stride", [(2, 8, 1), (1, 18, 2)], ids=["2x8x8", "1x18x18-stride-2"])
def test_large_conv_document_wraps_every_tensor(tmp_path: Path, channels: int, size: int, stride: int):
    text, u, dx = _large_net(channels, size, stride)
    path = tmp_path / "large.toml"
    path.write_text(text, encoding="utf-8")
    tex = render_document(load_derivation(path), digits=9)
    assert r"\text{cols 1--" in tex  # 9-digit rows of 8+ numbers are split into column tiles
    if size > 16:
        assert r"\text{rows 1--16" in tex  # and more than 16 rows into row tiles
    tokens, edges = _compile(tmp_path, path)
    _assert_within_page(edges)
    shown = set(tokens)
    missing = [v for v in [*u, *dx] if not _printed(float(v)) & shown]
    assert not missing, f"{len(missing)} of u and dL/dx are not in the PDF, e.g. {missing[:3]}"


def _deep_net() -> str:
    """conv2d(tanh) → maxpool → conv2d(relu, padding 1) → flatten (32) → dense(sigmoid, 3) → dense(2), a batch of 2:
    a chain of seven boxes, and a dense layer after the flatten whose backward has 3 × 33 display lines."""
    rng = np.random.default_rng(3)
    dec = lambda *shape: (rng.integers(-99, 100, size=shape) / 100).tolist()  # noqa: E731
    layers = [("conv2d", 'input = [2, 6, 6]\nchannels = 3\nkernel = 3\npadding = 1\nactivation = "tanh"'),
              ("maxpool", "size = 2"), ("conv2d", 'channels = 2\nkernel = 2\npadding = 1\nactivation = "relu"'),
              ("flatten", ""), ("dense", 'units = 3\nactivation = "sigmoid"'), ("dense", "units = 2")]
    body = "".join(f'[[layer]]\nkind = "{kind}"\n{rest}\n' for kind, rest in layers)
    return (f'title = "deep"\nsource = "test"\n[network]\ninputs = 72\nloss = "half_sse"\n{body}[parameters]\n'
            f"K1 = {dec(3, 2, 3, 3)}\nb1 = {dec(3)}\nK3 = {dec(2, 3, 2, 2)}\nb3 = {dec(2)}\nW5 = {dec(3, 32)}\n"
            f"b5 = {dec(3)}\nW6 = {dec(2, 3)}\nb6 = {dec(2)}\n[data]\nx = {dec(2, 72)}\ny = {dec(2, 2)}\n")


@needs_latex
def test_a_deep_layer_list_fits_its_pages(tmp_path: Path):
    path = tmp_path / "deep.toml"
    path.write_text(_deep_net(), encoding="utf-8")
    net = load_derivation(path).network
    tokens, edges = _compile(tmp_path, path)  # no overfull line: the chain of boxes shrinks to the line
    _assert_within_page(edges)
    log = (tmp_path / "deep.log").read_text(encoding="utf-8", errors="replace")
    assert "Overfull \\vbox" not in log  # the long align* of the dense layer breaks across pages
    twin, _ = numeric_gradient(net.numeric_layers(), net.loss, net.numeric_params(), np.array(net.x, float),
                               np.array(net.y, float))
    shown = set(tokens)
    missing = [(name, value) for name in ("W5", "W6", "K1") for value in np.ravel(twin[name])
               if not _printed(float(value)) & shown and abs(value) > 1e-300]
    assert not missing, f"{len(missing)} weight gradients of the NumPy twin are not in the PDF, e.g. {missing[:3]}"
