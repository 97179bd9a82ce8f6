"""The LaTeX document of a recurrent layer writes BPTT step by step with the numbers.

The numbers are compared with the NumPy twin's textbook BPTT loop (numeric/recurrent.py, an independent
derivation) printed to the document's 9 digits: the 3-step tanh rnn of the transcriber's example 020
(x = 1, 2, 3; Wx = 0.5, Wh = 0.1, Wy = 1; no biases; a loss at every step), a 2-step lstm, and an rnn
with a softmax cross-entropy at every step.
When latexmk/pdflatex are installed the documents compile without an overfull line.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from numeric.functions import LOSSES
from numeric.recurrent import bptt, forward
from symbolic.claims.derivation import load_derivation
from symbolic.documents.latex import render_document
from symbolic.documents.pdf import compile_pdf

RNN = ('title = "tiny rnn"\nsource = "test"\n[network]\ninputs = 3\nloss = "half_sse"\n[[layer]]\nkind = "rnn"\n'
       'hidden = 1\nsteps = 3\noutputs = 1\nbias = "none"\n[parameters]\nWx1 = [[0.5]]\nWh1 = [[0.1]]\nWy1 = [[1.0]]\n'
       '[data]\nx = [[1, 2, 3]]\ny = [[0.5, 1.0, 1.5]]\n')
SOFTMAX = ('title = "softmax per step"\nsource = "test"\n[network]\ninputs = 3\nloss = "softmax_ce"\n[[layer]]\n'
           'kind = "rnn"\nhidden = 2\nsteps = 3\noutputs = 2\noutput_activation = "softmax"\n[parameters]\n'
           'Wx1 = [[0.5], [-0.3]]\nWh1 = [[0.1, 0.4], [-0.2, 0.3]]\nb1 = [0, 0.1]\nWy1 = [[1, -1], [0.5, 0.2]]\n'
           'by1 = [0, 0.1]\n[data]\nx = [[1, -1, 0.5]]\ny = [[1, 0, 0, 1, 1, 0]]\n')
LSTM = ('title = "lstm"\nsource = "test"\n[network]\ninputs = 4\nloss = "half_sse"\n[[layer]]\nkind = "lstm"\n'
        'hidden = 1\nsteps = 2\n[parameters]\nWxg1 = [[0.45, 0.25]]\nWhg1 = [[0.15]]\nbg1 = [0.2]\n'
        'Wxi1 = [[0.95, 0.8]]\nWhi1 = [[0.8]]\nbi1 = [0.65]\nWxf1 = [[0.7, 0.45]]\nWhf1 = [[0.1]]\nbf1 = [0.15]\n'
        'Wxo1 = [[0.6, 0.4]]\nWho1 = [[0.25]]\nbo1 = [0.1]\n[data]\nx = [[1, 2, 0.5, 3]]\ny = [[0.5, 1.25]]\n')



def _wide_rnn(hidden: int = 4, steps: int = 6) -> str:
    """An rnn whose sums have many long terms (benchmarks/recurrent.py's numbers (37i mod 21 − 10)/40): ∂L/∂h sums
    `hidden` products, ∂L/∂W_y sums `steps` contributions of 9-digit numbers; both must wrap within the page."""
    counter = iter(range(10 ** 6))
    num = lambda: ((next(counter) * 37) % 21 - 10) / 40  # noqa: E731
    mat = lambda r, c: [[num() for _ in range(c)] for _ in range(r)]  # noqa: E731
    return (f'title = "wide rnn"\nsource = "test"\n[network]\ninputs = {2 * steps}\nloss = "half_sse"\n[[layer]]\n'
            f'kind = "rnn"\nhidden = {hidden}\nsteps = {steps}\noutputs = 2\n[parameters]\nWx1 = {mat(hidden, 2)}\n'
            f'Wh1 = {mat(hidden, hidden)}\nb1 = {mat(1, hidden)[0]}\nWy1 = {mat(2, hidden)}\nby1 = {mat(1, 2)[0]}\n'
            f'[data]\nx = {mat(1, 2 * steps)}\ny = {mat(1, 2 * steps)}\n')


WIDE = _wide_rnn()


def _twin(derivation):
    net = derivation.network
    out, cache = forward(1, net.numeric_layers()[0], net.numeric_params(), np.array(net.x, dtype=float))
    return bptt(cache, LOSSES[net.loss].gradient(out, np.array(net.y, dtype=float)))


CASES = [  # (file, lines the document must hold, each with {name} filled from the twin)
    (RNN, ["\\frac{{\\partial L}}{{\\partial h_{{2,1}}}} &= 1 \\cdot ({yhat1_t2}) + 0.1 \\cdot ({u1_t3}) = {h1_t2} \\\\",
           "\\frac{{\\partial L}}{{\\partial W_{{h,11}}}}\\Big|_{{t=3}} &= ({u1_t3}) \\cdot",
           "\\frac{{\\partial L}}{{\\partial W_{{h,11}}}} &= 0 + ({Wh1_t2}) + ({Wh1_t3}) = {Wh1} \\\\"]),
    (LSTM, ["\\frac{{\\partial L}}{{\\partial c_{{1,1}}}} &=", "= {c1_t1} \\\\",
            "\\frac{{\\partial L}}{{\\partial u_{{o,1,1}}}} &= {o1_t1} \\cdot",
            "\\frac{{\\partial L}}{{\\partial W_{{hg,11}}}}\\Big|_{{t=2}} &= ({ug1_t2}) \\cdot",
            "\\frac{{\\partial L}}{{\\partial W_{{xo,12}}}} &= {Wxo1_t1_12} + ({Wxo1_t2_12}) = {Wxo1_12} \\\\"]),
    (SOFTMAX, ["\\frac{{\\partial L}}{{\\partial \\hat{{y}}_{{3,1}}}} &= {yhat1_t3_11}, \\quad "
               "\\frac{{\\partial L}}{{\\partial z_{{3,1}}}} = {z1_t3_11} \\\\",
               "\\frac{{\\partial L}}{{\\partial W_{{y,21}}}}\\Big|_{{t=2}} &= ({z1_t2_12}) \\cdot"]),
]


def _numbers(trace) -> dict[str, str]:
    """Every adjoint, step contribution and total of the twin, 9 digits: "h1_t2" (first entry), "Wxo1_t2_12" (entry)."""
    out = {}
    for table in (trace.adjoints, trace.steps, trace.totals):
        for key, value in table.items():
            value = np.asarray(value)
            out[key] = f"{float(value.ravel()[0]):.9g}"
            for idx in np.ndindex(value.shape):
                out[f"{key}_{''.join(str(i + 1) for i in idx)}"] = f"{float(value[idx]):.9g}"
    return out


@pytest.mark.parametrize("text, expected", CASES, ids=["rnn", "lstm", "softmax"])
def test_document_writes_bptt_step_by_step_with_the_twins_numbers(tmp_path: Path, text, expected):
    path = tmp_path / "r.toml"
    path.write_text(text, encoding="utf-8")
    derivation = load_derivation(path)
    doc = render_document(derivation, digits=9)
    numbers = _numbers(_twin(derivation))
    for line in expected:
        want = line.format(**numbers)
        assert want in doc, want
    assert "backpropagation through time, from step" in doc
    assert doc.rstrip().endswith("\\end{document}")


@pytest.mark.skipif(shutil.which("latexmk") is None or shutil.which("pdflatex") is None,
                    reason="latexmk/pdflatex are not installed (Debian: latexmk, texlive-latex-extra)")
@pytest.mark.parametrize("text", [RNN, LSTM, SOFTMAX, WIDE], ids=["rnn", "lstm", "softmax", "wide-rnn"])
def test_document_compiles_without_overfull_lines(tmp_path: Path, text):
    path = tmp_path / "r.toml"
    path.write_text(text, encoding="utf-8")
    tex = tmp_path / "r.tex"
    tex.write_text(render_document(load_derivation(path), digits=9), encoding="utf-8")
    compile_pdf(tex, tmp_path)
    log = (tmp_path / "r.log").read_text(encoding="utf-8", errors="replace") if (tmp_path / "r.log").exists() else ""
    assert "Overfull \\hbox" not in log
