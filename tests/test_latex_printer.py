"""The LaTeX printer, table-driven: expression → expected LaTeX, one table per node type."""
from __future__ import annotations

import re
from fractions import Fraction

import pytest
import sympy as sp

from symbolic.spec.errors import DerivcheckError
from symbolic.formulas.printers import (
    DerivLatexPrinter, Num, alias_latex, escape_text, format_number, matrix_latex, name_latex,
)
from symbolic.spec.names import parse_name, symbol_for


def S(name: str) -> sp.Symbol:
    return symbol_for(parse_name(name))


SEED_ALIASES = {"W2[1,1]": "w5", "u1[1]": "net_h1", "a2[1]": "out_o1", "x[1]": "i1", "L": "E_total",
                "L[1]": "E_o1"}
CANONICAL = DerivLatexPrinter()
ALIASED = DerivLatexPrinter(SEED_ALIASES)


# ------------------------------------------------------------------ symbols
@pytest.mark.parametrize("name, expected", [
    ("W2[1,1]", "W^{(2)}_{11}"),
    ("W1[2,3]", "W^{(1)}_{23}"),
    ("W3[12,4]", "W^{(3)}_{12,4}"),
    ("b1", "b^{(1)}"),
    ("b2[3]", "b^{(2)}_{3}"),
    ("u1[2]", "u^{(1)}_{2}"),
    ("a2[1]", "a^{(2)}_{1}"),
    ("x[1]", "x_{1}"),
    ("y[2]", "y_{2}"),
    ("L", "L"),
    ("L[1]", "L_{1}"),
])
def test_canonical_symbols(name, expected):
    assert CANONICAL.doprint(S(name)) == expected


@pytest.mark.parametrize("name, expected", [
    ("W2[1,1]", "w_{5}"),
    ("u1[1]", "net_{h1}"),
    ("a2[1]", "out_{o1}"),
    ("x[1]", "i_{1}"),
    ("L", "E_{total}"),
    ("L[1]", "E_{o1}"),
    ("W2[1,2]", "W^{(2)}_{12}"),  # no alias: canonical notation
])
def test_alias_symbols(name, expected):
    assert ALIASED.doprint(S(name)) == expected


def test_foreign_symbols_fall_back_to_sympy():
    assert CANONICAL.doprint(sp.Symbol("t")) == "t"
    assert CANONICAL.doprint(sp.Symbol("eta")) == r"\eta"


@pytest.mark.parametrize("alias, expected", [
    ("w5", "w_{5}"),
    ("net_h1", "net_{h1}"),
    ("out_o1", "out_{o1}"),
    ("E_total", "E_{total}"),
    ("a''_1", "a''_{1}"),
    ("w'11", "w'_{11}"),
    ("delta_2", r"\delta_{2}"),
    ("h", "h"),
    ("Wec", "Wec"),
    ("w_{ij}^{(2)}", "w_{ij}^{(2)}"),
    ("w^{(2)}_{ij}", "w^{(2)}_{ij}"),
    (r"\input{/etc/passwd}", r"\text{\textbackslash{}input\{/etc/passwd\}}"),
    (r"w_{\write18{ls}}", r"\text{w\_\{\textbackslash{}write18\{ls\}\}}"),
    ("a_b_c", r"\text{a\_b\_c}"),
    ("x^{1}^{2}", r"\text{x\textasciicircum{}\{1\}\textasciicircum{}\{2\}}"),
    ("p%q", r"\text{p\%q}"),
])
def test_alias_latex(alias, expected):
    assert alias_latex(alias) == expected


def test_name_latex_uses_alias_table():
    assert name_latex("W2[1,1]", SEED_ALIASES) == "w_{5}"
    assert name_latex("W2[1,2]", SEED_ALIASES) == "W^{(2)}_{12}"


# ------------------------------------------------------------------ numbers
@pytest.mark.parametrize("value, expected", [
    (sp.Rational(151, 400), "0.3775"),
    (sp.Rational(3, 20), "0.15"),
    (Fraction(1, 3), "0.333333333"),
    (sp.Float("0.59326999210718715", 60), "0.593269992"),
    (sp.Float("0.0821670405642308", 60), "0.0821670406"),
    (sp.Float("-0.0190491182582781", 60), "-0.0190491183"),
    (sp.Float("0.000438567734474347", 60), "0.000438567734"),
    (sp.Float("3.51018778297882e-5", 60), r"3.51018778 \cdot 10^{-5}"),
    (sp.Float("123456789012", 60), r"1.23456789 \cdot 10^{11}"),
    (sp.Integer(0), "0"),
    (sp.Integer(2), "2"),
    (0.5, "0.5"),
    (sp.Rational(1, 2), "0.5"),
])
def test_format_number(value, expected):
    assert format_number(value) == expected


def test_format_number_digits_and_plain_text():
    assert format_number(sp.Rational(1, 3), digits=4) == "0.3333"
    assert format_number(sp.Float("3.51018778297882e-5", 60), latex=False) == "3.51018778e-5"
    with pytest.raises(DerivcheckError):
        format_number(float("nan"))


# ------------------------------------------------------------------ expressions
def _m(*f):
    return sp.Mul(*f, evaluate=False)


def _a(*t):
    return sp.Add(*t, evaluate=False)


@pytest.mark.parametrize("expr, expected", [
    # Add (order kept as written)
    (_a(_m(S("W2[1,1]"), S("a1[1]")), _m(S("W2[1,2]"), S("a1[2]")), S("b2")),
     r"w_{5} \cdot a^{(1)}_{1} + W^{(2)}_{12} \cdot a^{(1)}_{2} + b^{(2)}"),
    (_a(S("y[1]"), _m(-1, S("a2[1]"))), r"y_{1} - out_{o1}"),
    # Mul of numbers kept unevaluated, negative numbers parenthesised
    (_a(_m(Num(sp.Rational(3, 20)), Num(sp.Rational(1, 20))), _m(Num(0.2), Num(-0.1)), Num(0.35)),
     r"0.15 \cdot 0.05 + 0.2 \cdot \left(-0.1\right) + 0.35"),
    # Pow
    (sp.Pow(_a(S("y[1]"), _m(-1, S("a2[1]"))), 2, evaluate=False), r"\left(y_{1} - out_{o1}\right)^{2}"),
    (S("a1[1]") ** 2, r"\left(a^{(1)}_{1}\right)^{2}"),
    # Rational stays a fraction in formulas
    (sp.Rational(1, 2) * (S("y[1]") - S("a2[1]")) ** 2, r"\frac{\left(y_{1} - out_{o1}\right)^{2}}{2}"),
    (sp.Rational(3, 4), r"\frac{3}{4}"),
    # Float precision (9 significant digits)
    (sp.Float("0.593269992107187", 60), "0.593269992"),
    (Num(sp.Float("0.75136506955231622", 60)), "0.75136507"),
    # exp / sigmoid
    (1 / (1 + sp.exp(-S("u1[1]"))), r"\frac{1}{1 + e^{- net_{h1}}}"),
    (1 / (1 + sp.exp(-Num(sp.Rational(151, 400)))), r"\frac{1}{1 + e^{- 0.3775}}"),
    (sp.exp(S("u2[1]")) / _a(sp.exp(S("u2[1]")), sp.exp(S("u2[2]"))),
     r"\frac{e^{u^{(2)}_{1}}}{e^{u^{(2)}_{1}} + e^{u^{(2)}_{2}}}"),
    (sp.tanh(S("u1[1]")), r"\tanh{\left(net_{h1} \right)}"),
    (sp.Max(0, S("u1[2]")), r"\max\left(0, u^{(1)}_{2}\right)"),
    (-S("y[1]") * sp.log(S("a2[1]")), r"- y_{1} \cdot \log{\left(out_{o1} \right)}"),
    # derivatives in Leibniz form
    (sp.Derivative(S("L"), S("W2[1,1]"), evaluate=False), r"\frac{\partial E_{total}}{\partial w_{5}}"),
    (_m(sp.Derivative(S("L"), S("a2[1]"), evaluate=False), sp.Derivative(S("a2[1]"), S("u2[1]"), evaluate=False)),
     r"\frac{\partial E_{total}}{\partial out_{o1}} \cdot \frac{\partial out_{o1}}{\partial u^{(2)}_{1}}"),
    # SymPy matrices go through the same printer
    (sp.Matrix([[S("W2[1,1]"), S("W2[1,2]")]]), r"\left[\begin{matrix}w_{5} & W^{(2)}_{12}\end{matrix}\right]"),
])
def test_expressions(expr, expected):
    assert ALIASED.doprint(expr) == expected


def test_digits_setting():
    assert DerivLatexPrinter(digits=4).doprint(sp.Float("0.593269992107187", 60)) == "0.5933"


# ------------------------------------------------------------------ numeric matrices
def test_matrix_latex_rows_column_vector_and_errors():
    rows = ((sp.Rational(1, 4), -0.5), (sp.Float("0.0821670405642308", 60), 2))
    assert matrix_latex(rows) == r"\begin{bmatrix} 0.25 & -0.5 \\ 0.0821670406 & 2 \end{bmatrix}"
    assert matrix_latex([sp.Rational(1, 2), 3]) == r"\begin{bmatrix} 0.5 \\ 3 \end{bmatrix}"
    with pytest.raises(DerivcheckError):
        matrix_latex([])


# ------------------------------------------------------------------ user text
@pytest.mark.parametrize("text, expected", [
    ("plain text 1-2-3", "plain text 1-2-3"),
    ("\\", r"\textbackslash{}"),
    ("{}", r"\{\}"),
    ("$%#&_", r"\$\%\#\&\_"),
    ("^~", r"\textasciicircum{}\textasciitilde{}"),
    ("<|>", r"\textless{}\textbar{}\textgreater{}"),
    ("½Σ(y−a)²", r"$\frac{1}{2}$$\Sigma$(y-a)$^2$"),
    ("δ → ∂", r"$\delta$ $\to$ $\partial$"),
    ("中", r"\textless{}U+4E2D\textgreater{}"),
    ("two\nlines", "two lines"),
])
def test_escape_text(text, expected):
    assert escape_text(text) == expected


@pytest.mark.parametrize("attack", [
    r"\input{/etc/passwd}", r"\immediate\write18{rm -rf /}", r"\def\x{y}\x", r"\csname input\endcsname",
    "^^5cinput{/etc/passwd}", r"$\input{x}$", "%\n\\input{x}", r"\catcode`\@=0 @input",
])
def test_escaped_text_has_no_command(attack):
    out = escape_text(attack)
    # every backslash that remains starts one of our own escapes; no ^^ notation or bare braces survive
    commands = re.findall(r"\\([A-Za-z]+|.)", out)
    assert set(commands) <= {"textbackslash", "textasciicircum", "textasciitilde", "textless", "textgreater",
                              "textbar", "{", "}", "$", "%", "#", "&", "_"}
    assert "^^" not in out
    assert re.sub(r"\\[{}]|\\[A-Za-z]+\{\}", "", out).count("{") == 0
