"""Step-by-step derivation documents: rendering, exact numbers, escaping, and real LaTeX compiles.

The compile tests run ``latexmk``/``pdflatex`` and ``pdftotext`` for real (``.ci/run``
installs them from Debian packages); they skip only when those programs are not installed.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

import numeric
from symbolic import Network, Truth
from symbolic.cli import main
from symbolic.claims.derivation import load_derivation
from symbolic.documents.formula_listing import derive_formulas
from symbolic.documents.latex import render_document
from symbolic.documents.pdf import compile_pdf
from symbolic.spec.errors import DerivcheckError
from symbolic.formulas.printers import format_number

ROOT = Path(__file__).resolve().parents[1]
DERIVATIONS = sorted((ROOT / "derivations").glob("*.toml"))
SEED002 = ROOT / "derivations" / "002-mazur-2-2-2-step-by-step.toml"

_MISSING = [p for p in ("latexmk", "pdflatex", "pdftotext") if shutil.which(p) is None]
needs_latex = pytest.mark.skipif(
    bool(_MISSING), reason=f"{', '.join(_MISSING)} not installed (Debian: latexmk texlive-latex-base "
                           f"texlive-latex-recommended texlive-latex-extra texlive-pictures poppler-utils)")


def pdf_text(pdf: Path) -> str:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.replace("\u2212", "-")  # TeX's minus sign


def overfull(log: Path) -> list[float]:
    return [float(m) for m in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log.read_text())]


@cache
def three_layer() -> Network:
    """2-3-3-2, sigmoid → tanh → softmax with softmax cross-entropy, per-neuron biases."""
    return Network.build(
        [2, 3, 3, 2], ["sigmoid", "tanh", "softmax"], "softmax_ce", "per-neuron", learning_rate=0.1,
        params={"W1": [[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]], "b1": [0.1, 0.2, 0.3],
                "W2": [[0.1, 0.2, 0.3], [0.3, -0.4, 0.1], [0.5, 0.6, 0.2]], "b2": [0.1, 0.2, 0.3],
                "W3": [[0.1, 0.2, 0.3], [0.3, -0.4, 0.1]], "b3": [0.1, -0.2]},
        x=[0.5, -0.3], y=[0, 1])


def assert_gradient_printed(tex: str, network: Network) -> None:
    """Every entry of the exact gradient (closed form, sympy.diff) appears with the document's precision."""
    for name, value in Truth(network).gradient().items():
        assert f"= {format_number(value)}" in tex, f"dL/d{name} = {format_number(value)} is missing"


@cache
def numpy_gradient(network: Network) -> dict[str, float]:
    """The independent NumPy backprop witness (float64)."""
    X, Y = network.numeric_data()
    arch = network.architecture
    return numeric.flatten(arch, numeric.gradient(arch, network.numeric_params(), X, Y))


def assert_numpy_gradient_printed(tex: str, network: Network) -> None:
    """Every gradient entry of the NumPy witness appears (rounded to 9 digits either side of float64 error)."""
    for name, value in numpy_gradient(network).items():
        shown = {format_number(value * (1 + e)) for e in (-1e-13, 0, 1e-13)} if value else {"0"}
        assert any(f"= {s}" in tex for s in shown), f"dL/d{name} ≈ {value!r} is missing"


# ------------------------------------------------------------------ rendering
@pytest.mark.parametrize("path", DERIVATIONS, ids=lambda p: p.stem)
def test_every_derivation_renders(path):
    tex = render_document(load_derivation(path), check_claims=False)
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    for section in ("Forward pass", "Loss", "Backward pass: the chain rule", "Matrix form"):
        assert f"\\section*{{{section}" in tex
    assert "\\begin{tikzpicture}" in tex


def test_seed002_document_content():
    tex = render_document(load_derivation(SEED002), check_claims=False)
    # forward pass: formula → numbers → value, in the file's own names
    assert r"net_{h1} &= w_{1} \cdot i_{1} + w_{2} \cdot i_{2} + b^{(1)}" in tex
    assert r"&= 0.15 \cdot 0.05 + 0.2 \cdot 0.1 + 0.35" in tex
    assert "&= 0.3775" in tex
    assert r"out_{h1} &= \frac{1}{1 + e^{- net_{h1}}}" in tex and "&= 0.593269992" in tex
    # loss terms
    assert r"E_{o1} &= \frac{\left(y_{1} - out_{o1}\right)^{2}}{2}" in tex and "&= 0.274811083" in tex
    assert "&= 0.298371109" in tex
    # the chain rule for w5, factor by factor
    assert r"\frac{\partial E_{total}}{\partial out_{o1}} &= out_{o1} - y_{1}" in tex
    assert r"&= 0.74136507 \cdot 0.186815602 \cdot 0.593269992" in tex
    assert "&= 0.0821670406" in tex
    # the shared bias: one sum over the layer's neurons
    assert r"\frac{\partial E_{total}}{\partial b^{(2)}} &=" in tex
    # matrix form and the update (biases fixed, as in the source)
    assert r"\nabla_{W^{(2)}} L = \begin{bmatrix} 0.0821670406 & 0.0826676278" in tex
    assert r"{w_{5}}^{+} &= w_{5} - \eta \cdot \frac{\partial E_{total}}{\partial w_{5}}" in tex
    assert r"&= 0.4 - 0.5 \cdot 0.0821670406" in tex and "&= 0.35891648" in tex
    assert "biases are not updated" in tex and "{b^{(1)}}^{+}" not in tex
    assert "L = 0.291027774" in tex  # the true loss after one update (the article prints 0.291027924)
    assert_gradient_printed(tex, load_derivation(SEED002).network)


def test_three_layer_softmax_numbers_match_backprop():
    tex = render_document(three_layer())
    assert_numpy_gradient_printed(tex, three_layer())
    assert r"\delta^{(3)} &= a^{(3)} - y" in tex  # symbolic matrix form (symbolic.formulas.derive)


def test_batch_gradient_is_the_mean():
    net = Network.build([2, 2, 1], "sigmoid", "half_sse", "shared", learning_rate=0.5,
                        params={"W1": [[0.1, 0.2], [0.3, 0.4]], "b1": 0.1, "W2": [[0.5, -0.6]], "b2": 0.2},
                        x=[[0.5, 0.1], [-0.2, 0.3]], y=[[1], [0]])
    tex = render_document(net)
    assert "(sample 2)" in tex and "Gradient of the batch loss" in tex
    assert_numpy_gradient_printed(tex, net)


def test_symbolic_document_and_derive_formulas():
    net = Network.build([2, 3, 2], ["relu", "softmax"], "softmax_ce", "none")
    tex = render_document(net)
    assert r"a^{(1)}_{1} &= \max\left(0, u^{(1)}_{1}\right)" in tex
    assert "Update" not in tex and "bmatrix" not in tex
    text = derive_formulas(net)
    assert "u1[1] = W1[1,1]*x[1] + W1[1,2]*x[2]" in text and "dL/dW2[2,3] = dL/du2[2] * a1[3]" in text
    latex = derive_formulas(net, latex=True)
    assert r"\frac{\partial L}{\partial u^{(2)}_{1}}" in latex and "\\documentclass" not in latex


def test_relu_kink_is_reported():
    net = Network.build([1, 1, 1], "relu", "half_sse", "none", params={"W1": [[0]], "W2": [[1]]}, x=[1], y=[1])
    with pytest.raises(DerivcheckError, match="kink"):
        render_document(net)


def test_render_document_rejects_other_input():
    with pytest.raises(DerivcheckError):
        render_document("derivations/002.toml")


# ------------------------------------------------------------------ user text
HOSTILE = r'''title = "Pwn \\input{/etc/passwd} \\immediate\\write18{touch PWNED} \\def\\x{1} 100% #1 $x$ a_b ^~"
source = "\\write18{touch PWNED2}"
unchecked = "notes \\input{/etc/passwd} \\catcode`\\@=0 @input{/etc/passwd}"

[network]
layers = [1, 1]
activation = "sigmoid"
loss = "half_sse"
bias = "none"

[data]
x = [0.5]
y = [1]

[parameters]
W1 = [[0.25]]

[aliases]
"\\input{/etc/passwd}" = "W1[1,1]"
"w_{\\write18{touch PWNED3}}" = "a1[1]"
"%\\def" = "x[1]"
'''


def _hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.toml"
    path.write_text(HOSTILE, encoding="utf-8")
    return path


def test_user_text_is_escaped(tmp_path):
    tex = render_document(load_derivation(_hostile(tmp_path)))
    for command in (r"\input{", r"\write18", r"\immediate", r"\def\x", r"\catcode"):
        assert command not in tex
    assert r"\textbackslash{}input\{/etc/passwd\}" in tex


@needs_latex
def test_user_text_compiles_without_running_it(tmp_path):
    tex_path = tmp_path / "hostile.tex"
    tex_path.write_text(render_document(load_derivation(_hostile(tmp_path))), encoding="utf-8")
    text = pdf_text(compile_pdf(tex_path, tmp_path / "out"))
    assert "input{/etc/passwd}" in text.replace("\\", "").replace(" ", "")
    assert "root:" not in text
    assert not list(tmp_path.rglob("PWNED*"))


# ------------------------------------------------------------------ compiling
@needs_latex
@pytest.mark.parametrize("path", DERIVATIONS, ids=lambda p: p.stem)
def test_every_derivation_compiles(path, tmp_path):
    out = tmp_path / f"{path.stem}.tex"
    assert main(["latex", str(path), "-o", str(out), "--pdf"]) == 0
    pdf = tmp_path / f"{path.stem}.pdf"
    text = pdf_text(pdf)
    assert "Forward pass" in text and "Claims checked" in text
    widths = overfull(tmp_path / f"{path.stem}.log")
    assert len(widths) <= 2 and all(w < 10 for w in widths), f"overfull boxes: {widths}"
    if path == SEED002:
        for number in ("0.3775", "0.593269992", "0.0821670406", "0.74136507", "0.186815602", "0.35891648",
                       "0.000438567734", "0.298371109"):
            assert number in text, number
        assert "WRONG" in text and "transcription typo" in text


@needs_latex
def test_three_layer_softmax_compiles(tmp_path):
    tex_path = tmp_path / "three.tex"
    tex_path.write_text(render_document(three_layer()), encoding="utf-8")
    pdf = compile_pdf(tex_path, tmp_path)
    text = pdf_text(pdf)
    dW3 = numpy_gradient(three_layer())["W3[2,3]"]
    assert format_number(dW3) in text
    assert overfull(tmp_path / "three.log") == []


@needs_latex
def test_compile_error_names_the_line(tmp_path):
    bad = tmp_path / "bad.tex"
    bad.write_text("\\documentclass{article}\n\\begin{document}\n\\undefinedcommand\n\\end{document}\n")
    with pytest.raises(DerivcheckError, match=r"Undefined control sequence at line 3"):
        compile_pdf(bad, tmp_path)


def test_missing_latexmk_is_one_sentence(tmp_path, monkeypatch):
    tex = tmp_path / "x.tex"
    tex.write_text("x")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(DerivcheckError, match="latexmk"):
        compile_pdf(tex, tmp_path)


# ------------------------------------------------------------------ command line
def test_cli_latex_and_derive(tmp_path, capsys):
    out = tmp_path / "seed.tex"
    assert main(["latex", str(SEED002), "-o", str(out), "--no-claims", "--digits", "6"]) == 0
    assert "&= 0.59327" in out.read_text()
    assert main(["latex", str(SEED002), "-o", str(tmp_path / "seed.pdf")]) == 2
    assert main(["latex", str(SEED002), "-o", str(tmp_path / "missing" / "x.tex")]) == 2
    assert main(["latex", str(tmp_path / "nope.toml"), "-o", str(out)]) == 2
    (tmp_path / "dir.tex").mkdir()
    assert main(["latex", str(SEED002), "-o", str(tmp_path / "dir.tex"), "--no-claims"]) == 2
    capsys.readouterr()
    assert main(["derive", "--layers", "2,3,2", "--activation", "tanh,sigmoid", "--latex"]) == 0
    assert r"\tanh{\left(u^{(1)}_{1} \right)}" in capsys.readouterr().out
    assert main(["derive", "--layers", "2,3,2"]) == 0
    assert "a1[1] = 1/(1 + exp(-u1[1]))" in capsys.readouterr().out
    assert main(["derive", "--layers", "2,x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("derivcheck: ") and err.count("\n") == 1
