"""Reading documents: the arithmetic grammar, equation places in Markdown / LaTeX / notebooks, and chains.

Expected values are hand arithmetic written in the tables (exact fractions) or the seed's
published figures; places are counted by hand in the short texts below.
"""
from __future__ import annotations

from fractions import Fraction

import nbformat
import pytest
from flint import fmpq

from symbolic.claims.sources.chains import read_chains
from symbolic.claims.sources.equations import Equation
from symbolic.claims.sources.latex import read_latex
from symbolic.claims.sources.markdown import read_markdown
from symbolic.claims.sources.notebook import read_notebook
from symbolic.claims.sources.values import judge_arithmetic
from symbolic.formulas.arithmetic import evaluate, parse_arithmetic
from symbolic.spec.errors import DerivcheckError

# (LaTeX, exact value by hand)
EXACT = [
    (r"0.15 * 0.05 + 0.2 * 0.1 + 0.35 * 1", Fraction(3775, 10000)),       # 0.0075 + 0.02 + 0.35
    (r"2.2 \times 0.7 + 1.8 \cdot 0.8", Fraction(298, 100)),               # 1.54 + 1.44
    (r"\frac{1}{2}(0.01 - 0.75)^2", Fraction(1, 2) * Fraction(74, 100) ** 2),
    (r"0.5 * (0.01 - 0.75136507)^2", Fraction(1, 2) * Fraction(74136507, 10 ** 8) ** 2),
    (r"2(3 + 4)", Fraction(14)),                                           # implicit product
    (r"2^{3} - 3^2", Fraction(-1)),
    (r"-3^2", Fraction(-9)),                                               # the power binds tighter
    (r"\frac12 + \dfrac{1}{4}", Fraction(3, 4)),
    (r"2 * \frac{1}{2}(0.01 - 0.75)^{2-1} + 0", Fraction(-74, 100)),
    (r"\left( 1 - 0.25 \right) / 3", Fraction(1, 4)),
    (r"e^{0}", Fraction(1)),
    (r"\sigma(0)", Fraction(1, 2)),
    (r"\frac{1}{1 + e^{-0}}", Fraction(1, 2)),
    (r"0.1 * -1", Fraction(-1, 10)),
]


@pytest.mark.parametrize("latex, value", EXACT, ids=[t[0] for t in EXACT])
def test_arithmetic_is_exact(latex, value):
    got = evaluate(parse_arithmetic(latex))
    assert isinstance(got, fmpq) and Fraction(int(got.p), int(got.q)) == value


# (printed number, arithmetic, verdict): the seeds' own published lines, and slips
JUDGED = [
    ("0.593269992", r"\frac{1}{1 + e^{-0.3775}}", "ok"),            # seed 002, line 47
    ("0.75136507", r"\frac{1}{1 + e^{-1.105905967}}", "ok"),        # seed 002, line 57
    ("0.274811083", r"0.5 * (0.01 - 0.75136507)^2", "rounding"),   # = 0.27481108350..., 0.5 units off
    ("0.3775", r"0.15 * 0.05 + 0.2 * 0.1 + 0.35 * 1", "ok"),
    ("0.43", r"(0.1 * 0.802184) + (0.2 * 0.80998)", "WRONG"),       # = 0.2422144 (ninjakx/Neural_network_solver)
    ("0.2454", r"0.4256 \times 0.5744", "WRONG"),                   # = 0.24446464
    ("-0.5", r"0.5", "WRONG"),                                      # never the opposite sign
]


@pytest.mark.parametrize("printed, latex, verdict", JUDGED, ids=[f"{t[0]}={t[1]}" for t in JUDGED])
def test_printed_number_judged_at_its_precision(printed, latex, verdict):
    assert judge_arithmetic(printed, parse_arithmetic(latex))[0] == verdict


NAMES = [
    (r"net_{h_1}", "Ref"), (r"\text{out}_{o1}", "Ref"), (r"a''_1", "Ref"), (r"z1", "Ref"), (r"E_y1", "Ref"),
    (r"z^{(2)}", "Ref"), (r"\hat{y}", "Ref"), (r"O(e)", "Apply"), (r"\frac{\partial E_{total}}{\partial w_1}", "Deriv"),
    (r"\frac{\Delta E_{total}}{\Delta out_{o1}}", "Deriv"), (r"\sum \frac{1}{2}(t - o)^2", "Op"),
]


@pytest.mark.parametrize("latex, kind", NAMES, ids=[t[0] for t in NAMES])
def test_tutorial_names(latex, kind):
    assert type(parse_arithmetic(latex)).__name__ == kind


REFUSED = ["__import__('os').system('x')", r"\input{/etc/passwd}", r"x \odot y", "(" * 150 + "1" + ")" * 150,
           "1" * 6000, r"\begin{bmatrix} 1 \end{bmatrix}", "1 +", ""]


@pytest.mark.parametrize("latex", REFUSED, ids=range(len(REFUSED)))
def test_not_arithmetic_is_one_sentence(latex):
    with pytest.raises(DerivcheckError):
        parse_arithmetic(latex)


MARKDOWN = """# Title

Inline \\(a = 1 + 2 = 3\\) and $b = 4$.

$$
c = 5
$$

```python
d = 6  # code is not math
```

<p>e<sub>1</sub>=0.5，f=2</p>
"""
# (text, line, column, display, origin), counted by hand in MARKDOWN above
# ("Inline " is 7 characters and \( 2 more: a is column 10; <p>e<sub>1</sub>=0.5， puts f at column 22)
MARKDOWN_PLACES = [("a = 1 + 2 = 3", 3, 10, False, "math"), ("b = 4", 3, 31, False, "math"),
                   ("c = 5", 6, 1, True, "math"), ("e_{1}=0.5", 13, 4, False, "prose"), ("f=2", 13, 22, False, "prose")]


def test_markdown_places(tmp_path):
    source = read_markdown(tmp_path / "a.md", MARKDOWN)
    got = [(e.text, e.line, e.column, e.display, e.origin) for e in source.equations]
    assert got == MARKDOWN_PLACES


LATEX = r"""% toml derivcheck
% [network]
% layers = [1, 1]
\documentclass{article}
\begin{document}
\input{secret}
Then $z = 0.9$ and
\begin{align*}
w &\leftarrow 0.8 \\
b &= 1
\end{align*}
\end{document}
"""


def test_latex_places_and_network_block(tmp_path):
    source = read_latex(tmp_path / "h.tex", LATEX)
    assert [(e.text, e.line, e.column) for e in source.equations] == [
        ("z = 0.9", 7, 7), ("w &\\leftarrow 0.8 \\\\\nb &= 1", 8, 1)]
    assert source.network == "[network]\nlayers = [1, 1]\n" and source.network_line == 2
    assert source.problems == [f"{tmp_path / 'h.tex'}:6: \\input is not followed; check the included file on its own."]


def test_notebook_cells_keep_numbers(tmp_path):
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("intro"),
                                           nbformat.v4.new_code_cell("x = 1"),
                                           nbformat.v4.new_markdown_cell("one\n\n$$y = 2$$")])
    source = read_notebook(tmp_path / "n.ipynb", nbformat.writes(book))
    assert [(e.text, e.cell, e.line, e.column) for e in source.equations] == [("y = 2", 3, 3, 3)]


BROKEN_NOTEBOOKS = ["{not json", '{"cells": 5, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "[]", '"text"']


@pytest.mark.parametrize("text", BROKEN_NOTEBOOKS, ids=range(len(BROKEN_NOTEBOOKS)))
def test_broken_notebook_is_one_sentence(tmp_path, text):
    with pytest.raises(DerivcheckError, match="n.ipynb"):
        read_notebook(tmp_path / "n.ipynb", text)


# (equation, the kinds of each chain's sides)
CHAINS = [
    (r"net_{h_1} = 0.15 * 0.05 + 0.35 * 1 = 0.3775", [["name", "numeric", "number"]]),
    (r"w_{11} = 0.5, w_{12} = 0.6", [["name", "number"], ["name", "number"]]),
    (r"\begin{aligned} L &= a + b \\ &= 0.5 \end{aligned}", [["name", "symbolic", "number"]]),
    (r"z1 = 1 \\ h1 = 2", [["name", "number"], ["name", "number"]]),
    (r"A = \begin{bmatrix} 1 \\ 2 \end{bmatrix}", [["name", "unreadable"]]),
    (r"\sigma(0.6) \approx 0.6457", [["numeric", "number"]]),
    (r"x \leq 1", [["unreadable"]]),
]


@pytest.mark.parametrize("text, kinds", CHAINS, ids=[t[0] for t in CHAINS])
def test_chains(text, kinds):
    assert [[p.kind for p in c.parts] for c in read_chains(Equation(text, 1, 1))] == kinds


# ------------------------------------------------------------------------------ fuzzing
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from symbolic.claims.sources.document import check_document  # noqa: E402

_TOKENS = ["a'_1", "w_{11}", "x", "=", "=", "+", "-", "*", r"\times", r"\frac{", "}{", "}", "(", ")", "{", "}",
           "^", "2", "0.5", "1.8", "2.98", "3", "e^{-", r"\sigma(", r"\sum", r"\\", "&", ",", r"\approx",
           r"\leftarrow", r"\partial", r"\begin{aligned}", r"\end{aligned}", "\\", "$", " ", "\u4e2d", "<b>", "</b>"]
_BLOCK = ("\n```toml derivcheck\n[network]\nlayers = [3, 2, 1]\nactivation = \"identity\"\nbias = \"none\"\n"
          "[data]\nx = [1, 2, 3]\ny = [3.2]\n[parameters]\nW1 = [[0.5, 0.4, 0.3], [0.6, 0.3, 0.2]]\nW2 = [[0.7, 0.8]]\n"
          "[aliases]\n\"a'_1\" = \"a1[1]\"\nw11 = \"W1[1,1]\"\n```\n")


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow,
                                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(_TOKENS), max_size=25).map("".join), max_size=6),
       st.sampled_from(["$$", "$", "\n\\[\n"]))
def test_fuzz_documents_never_crash(tmp_path, pieces, delimiter):
    closing = {"$$": "$$", "$": "$", "\n\\[\n": "\n\\]\n"}[delimiter]
    doc = tmp_path / "fuzz.md"
    doc.write_text("\n\n".join(f"text {delimiter}{p}{closing} more" for p in pieces) + _BLOCK, encoding="utf-8")
    report = check_document(doc)  # returns a report; any exception fails the test
    assert report.error is None
    assert all(f.line and f.line >= 1 and f.verdict in ("ok", "rounding", "WRONG", "error", "skipped", "shape error")
               for f in report.results)
