"""The LaTeX formula reader: what it reads, what it refuses (one sentence, with the column), safety.

Expected structures are written by hand (the Unicode rendering of the parsed nodes);
the hypothesis tests only require that nothing but DerivcheckError ever escapes.
"""
from __future__ import annotations

import builtins

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbolic.spec.errors import DerivcheckError
from symbolic.formulas.verify import FormulaVerdict, verify_formula
from symbolic.formulas.parser import Formula, parse_formula
from symbolic.formulas.render import to_text
from symbolic.spec.network import Network

SEED = {"z": "y", "y": "a1"}


def sides(latex: str, symbols=None) -> list[str]:
    return [to_text(s) for s in parse_formula(latex, symbols).sides]


@pytest.mark.parametrize("latex, symbols, expected", [
    # the seed's matrix form; ⊙ and juxtaposition share a level, left to right
    (r"\nabla_{w^{(2)}} L = \left(f \left(W^{(2)} y + b^{(2)} \right) - z \right) \odot f' \left(W^{(2)} y + b^{(2)} "
     r"\right) y^T", SEED,
     ["∇W2 L", "((f(W2 a1 + b2) − y) ⊙ f'(W2 a1 + b2)) (a1)ᵀ"]),
    (r"\delta^{(1)} = \left(W^{(2)}\right)^T \delta^{(2)} \odot f'(u^{(1)})", None,
     ["δ1", "((W2)ᵀ δ2) ⊙ f'(u1)"]),
    (r"\delta^{(1)} = (W^{(2)})^T (\delta^{(2)} \odot f'(u^{(1)}))", None, ["δ1", "(W2)ᵀ (δ2 ⊙ f'(u1))"]),
    # entries, rows, sub/superscripts in either order, digits split for matrices
    (r"\frac{\partial L}{\partial w_{ij}^{(2)}} = W^{(2)}_{ij} + w_i^{(2)} y + w_{12}^{(2)} + b_{2}^{(2)}", SEED,
     ["∂L/∂W2[i,j]", "W2[i,j] + W2[i] a1 + W2[1,2] + b2[2]"]),
    (r"x_{i,j} = 1", None, ["x[i,j]", "1"]),
    (r"\frac{\partial L}{\partial u_i^{(1)}} = \delta_i^{(1)}", None, ["∂L/∂u1[i]", "δ1[i]"]),
    # sums with and without bounds
    (r"u_1^{(2)} = \sum_{k=1}^{4} w_{1k}^{(2)} y_k + b_1^{(2)}", SEED, ["u2[1]", "Σ[k=1..4] W2[1,k] a1[k] + b2[1]"]),
    (r"u_1^{(2)} = \sum_k w_{1k}^{(2)} y_k", SEED, ["u2[1]", "Σ[k] W2[1,k] a1[k]"]),
    (r"u_1^{(2)} = 2 \sum\limits_{k=1}^4 w_{1k}^{(2)} y_k", SEED, ["u2[1]", "2 (Σ[k=1..4] W2[1,k] a1[k])"]),
    # fractions, powers, exponentials, functions
    (r"L = \frac{1}{2} (a_1^{(2)} - y_1)^2 + \frac12 (a_2^{(2)} - y_2)^{2}", None,
     ["L", "1/2 (a2[1] − y[1])² + 1/2 (a2[2] − y[2])²"]),
    (r"L = \tfrac{1}{2}\left\| a^{(2)} - y \right\|^2", None, ["L", "1/2 ‖a2 − y‖²"]),
    (r"L = \frac{1}{2}\|a^{(2)} - y\|^2", None, ["L", "1/2 ‖a2 − y‖²"]),
    (r"L = \frac{1}{2}\lVert a^{(2)} - y \rVert^2", None, ["L", "1/2 ‖a2 − y‖²"]),
    (r"a_1^{(1)} = \frac{1}{1 + e^{-u_1^{(1)}}}", None, ["a1[1]", "1/(1 + exp(−u1[1]))"]),
    (r"a_1^{(1)} = \sigma(u_1^{(1)}) = \frac{1}{1+\exp(-u_1^{(1)})}", None,
     ["a1[1]", "σ(u1[1])", "1/(1 + exp(−u1[1]))"]),
    (r"\delta^{(2)} = (a^{(2)} - y) \odot \sigma'(u^{(2)}) = (a^{(2)} - y) \odot a^{(2)} \odot (1 - a^{(2)})", None,
     ["δ2", "(a2 − y) ⊙ σ'(u2)", "(a2 − y) ⊙ a2 ⊙ (1 − a2)"]),
    (r"a^{(2)} = f^{(2)}(u^{(2)}) = \operatorname{softmax}(u^{(2)}) = \tanh(u^{(2)})", None,
     ["a2", "f2(u2)", "softmax(u2)", "tanh(u2)"]),
    (r"\delta^{(2)} = (\operatorname{diag}(a^{(2)}) - a^{(2)} a^{(2)T})(a^{(2)} - y)", None,
     ["δ2", "(diag(a2) − a2 (a2)ᵀ) (a2 − y)"]),
    # transposes
    (r"\nabla_{W^{(2)}} L = \delta^{(2)} {a^{(1)}}^\top = \delta^{(2)} (a^{(1)})^{\top} = \delta^{(2)} "
     r"a^{(1)T}", None, None),
    (r"\nabla_{W^{(2)}} L = \delta^{(2)} \left(a^{(1)}\right)^{\mathsf{T}}", None, ["∇W2 L", "δ2 (a1)ᵀ"]),
    # fonts, accents, unicode, delimiters, brackets
    (r"$$\nabla_{\mathbf{W}^{(2)}} L = \boldsymbol{\delta}^{(2)} \mathbf{a}^{(1)T}.$$", None, ["∇W2 L", "δ2 (a1)ᵀ"]),
    (r"\delta^{(2)} = (\hat{y} − y) ⊙ f'(u^{(2)})", {"\\hat{y}": "a2"}, ["δ2", "(a2 − y) ⊙ f'(u2)"]),
    (r"\delta^{(1)} = \bigl[ W^{(2)T} \delta^{(2)} \bigr] \odot f'(u^{(1)})", None, ["δ1", "((W2)ᵀ δ2) ⊙ f'(u1)"]),
    # layer variables and the output layer L
    (r"\delta^{(l)} = \left(\left(W^{(l+1)}\right)^T \delta^{(l+1)}\right) \odot f'(u^{(l)})", None,
     ["δl", "((Wl+1)ᵀ δl+1) ⊙ f'(ul)"]),
    (r"\delta^{(L)} = (a^{(L)} - y) \odot f'(u^{(L)})", None, ["δL", "(aL − y) ⊙ f'(uL)"]),
    # derivative forms
    (r"\frac{\partial L}{\partial b_1^{(2)}} = \frac{\partial}{\partial b_1^{(2)}} \left( \frac{1}{2} "
     r"(a_1^{(2)} - y_1)^2 \right)", None, ["∂L/∂b2[1]", "∂(1/2 (a2[1] − y[1])²)/∂b2[1]"]),
    (r"\frac{\partial w_1^{(2)} y}{\partial w_{ij}^{(1)}} = w_1^{(2)} \cdot \frac{\partial y}{\partial w_{ij}^{(1)}}",
     SEED, ["∂(W2[1] a1)/∂W1[i,j]", "W2[1] · ∂a1/∂W1[i,j]"]),
    (r"\nabla_W L = 0", {"W": "W1"}, ["∇W1 L", "0"]),
    # matrices
    (r"\frac{\partial y}{\partial w_{11}^{(1)}} = \begin{bmatrix} a \\ 0 \end{bmatrix}", {"y": "a1", "a": "x[1]"},
     ["∂a1/∂W1[1,1]", "[x[1]; 0]"]),
    (r"v = \begin{pmatrix} w_{1i}^{(2)} & w_{2i}^{(2)} \\ 1 & 2 \\ \end{pmatrix}", {"v": "x"},
     ["x", "[W2[1,i], W2[2,i]; 1, 2]"]),
])
def test_reads_what_tutorials_write(latex, symbols, expected):
    got = sides(latex, symbols)
    if expected is None:
        assert len(set(got[1:])) == 1, got
    else:
        assert got == expected


@pytest.mark.parametrize("suffix, conditions", [
    (r"\quad (i = 1)", {"i": 1}),
    (r", i = 2", {"i": 2}),
    (r"\qquad \text{for } i=1", {"i": 1}),
    (r"\quad (i = 1), j = 3", {"i": 1, "j": 3}),
    (r"\text{ if } j = 2.", {"j": 2}),
])
def test_conditions_fix_indices(suffix, conditions):
    formula = parse_formula(r"\frac{\partial L}{\partial w_{ij}^{(2)}} = \delta_i^{(2)} a_j^{(1)} " + suffix)
    assert formula.conditions == conditions


def test_aligned_chains():
    formula = parse_formula(r"""\begin{aligned} \frac{\partial L}{\partial b_1^{(2)}} &= \delta_1^{(2)} \\
        &= (a_1^{(2)} - y_1) f'(u_1^{(2)}) \\ &= (a_1^{(2)} - y_1) f'(u_1^{(2)}) \cdot 1 \end{aligned}""")
    assert isinstance(formula, Formula) and len(formula.sides) == 4


@pytest.mark.parametrize("latex, symbols, message", [
    (r"\alpha = 1", None, r"Unsupported LaTeX at column 1: the command \alpha is not read by derivcheck."),
    (r"a^{(1)} = \int u^{(1)}", None, r"Unsupported LaTeX at column 11: the command \int is not read"),
    (r"q = y", None, 'At column 1: the symbol q is unknown; say what it means in the claim\'s symbols, e.g. '
                     'symbols = { q = "y" } if it is the target'),
    (r"\nabla_{W^{(2)}} L", None, "ends too early"),
    (r"\nabla_{W^{(2)}} L = (a^{(2)}", None, "ends too early"),
    (r"W = 1", None, "At column 1: W needs a layer superscript such as W^{(2)}."),
    (r"x^{(1)} = 1", None, "At column 1: x (x) has no layers"),
    (r"y^{(1)} = 1", {"y": "a1"}, "already means a layer-1 quantity through symbols"),
    (r"h'(u^{(1)}) = 1", {"h": "x"}, "At column 1: h' is not a function this reader knows"),
    (r"f''(u^{(1)}) = 1", None, "At column 3: second derivatives (f'') are not supported."),
    (r"x_1 = \sum_{k=1}^{0} x_k", None, "runs from 1 down to 0, which is empty"),
    (r"x_1 = \sum^{3} x_k", None, "Unsupported LaTeX at column 11"),
    (r"x_1 = u^{(1)}^{-1}", None, "At column 7: inverses (^{-1}) are not supported"),
    (r"x_1 = u_1^{(1)}^{n}", {"n": "x[2]"}, "At column 7: this superscript is not supported"),
    (r"x_{0} = 1", None, "not a valid index (indices start at 1)"),
    (r"x_{A} = 1", None, "At column 2: the subscript 'A' is not an index"),
    (r"x = 1 = ", None, "ends too early"),
    (r"x = \frac{1}{0}", None, "denominator 0"),
    (r"x = e", None, "the symbol e is unknown (e is only read as e^{…})"),
    (r"= x", None, "Unsupported LaTeX at column 1"),
    ("a^{(1)} = x\n + \\beta", None, "Unsupported LaTeX at line 2, column 4: the command \\beta"),
    (r"x_1 = 2^{99}", None, "At column 8: the power 99 is too large (at most 64)."),
    (r"x = y", {"y": "foo"}, "not a canonical name"),
    (r"x = y", {"f": "x"}, "may not redefine 'f'"),
    (r"x = y", {"y": 3}, "give a canonical name"),
    ("", None, "The formula is empty"),
    ("x" * 6000, None, "at most 5000 are supported"),
])
def test_refusals_are_one_sentence_with_the_column(latex, symbols, message):
    with pytest.raises(DerivcheckError) as info:
        parse_formula(latex, symbols)
    text = str(info.value)
    assert message in text
    assert text.endswith(".") and "\n" not in text and "Traceback" not in text


def test_non_text_is_refused():
    with pytest.raises(DerivcheckError, match="must be text"):
        parse_formula(3)  # type: ignore[arg-type]
    with pytest.raises(DerivcheckError, match="symbols must be a table"):
        parse_formula("x = 1", ["z"])  # type: ignore[arg-type]


@pytest.mark.parametrize("depth, error", [
    (50, None),
    (99, None),  # 99 parentheses: still read (the grammar recursion stays far from Python's limit)
    # "x_1 = " is 6 characters, so the 101st "(" stands at column 6 + 101 = 107
    (101, "The formula nests brackets more than 100 deep at column 107; write it with fewer parentheses or braces."),
    (2000, "The formula nests brackets more than 100 deep at column 107; write it with fewer parentheses or braces."),
])
def test_deep_nesting_is_refused_before_parsing(depth, error):
    text = "x_1 = " + "(" * depth + "x_2" + ")" * depth
    if error is None:
        assert parse_formula(text).lhs is not None
    else:
        with pytest.raises(DerivcheckError) as exc:
            parse_formula(text)
        assert str(exc.value) == error


# ---------------------------------------------------------------------------------------- safety
FORMULAS = [
    (r"\nabla_{w^{(2)}} L = \left(f \left(W^{(2)} y + b^{(2)} \right) - z \right) \odot f' \left(W^{(2)} y + b^{(2)} "
     r"\right) y^T", SEED),
    (r"a_1^{(1)} = \frac{1}{1 + e^{-u_1^{(1)}}}", None),
    (r"__import__('os').system('echo hacked') = 1", None),
    (r"\frac{\partial L}{\partial w_{ij}^{(2)}} = \left(f(w_i^{(2)}y + b_i^{(2)}) - z_i \right) f'(w_i^{(2)}y + "
     r"b_i^{(2)}) y_j", SEED),
]


def test_no_formula_text_reaches_eval_exec_or_sympify(monkeypatch):
    import sympy.parsing.sympy_parser as sympy_parser

    net = Network.build([3, 4, 2], "sigmoid", "half_sse", "per-neuron")
    parse_formula("x = 1")  # build the (cached) parser before the trap is set
    calls = []

    def from_formula(text) -> bool:
        return isinstance(text, str) and any(mark in text for mark in ("\\", "__import__", "hacked", "w_", "^{"))

    def trap(name, original=None):
        def f(*args, **kwargs):
            if original is not None and args and not from_formula(args[0]):
                # module imports and sympy's own generated code (polys monomial kernels), never formula text
                return original(*args, **kwargs)
            calls.append((name, args[:1]))
            raise AssertionError(f"{name} was called with formula text")
        return f

    def sympify_trap(original):
        def f(a, *args, **kwargs):
            if isinstance(a, str):
                calls.append(("sympify", a))
                raise AssertionError("sympify got a string")
            return original(a, *args, **kwargs)
        return f

    import sys
    core_sympify = sys.modules["sympy.core.sympify"]
    monkeypatch.setattr(sympy_parser, "parse_expr", trap("parse_expr"))
    monkeypatch.setattr(core_sympify, "sympify", sympify_trap(core_sympify.sympify))
    monkeypatch.setattr(builtins, "eval", trap("eval", builtins.eval))
    monkeypatch.setattr(builtins, "exec", trap("exec", builtins.exec))
    for latex, symbols in FORMULAS:
        try:
            verify_formula(net, latex, symbols)
        except DerivcheckError:
            pass
    assert calls == []


def test_malicious_text_is_just_unknown_letters():
    with pytest.raises(DerivcheckError, match="Unsupported LaTeX at column 1|symbol _ is unknown|column"):
        parse_formula(r"__import__('os').system('echo hacked') = 1")


# ------------------------------------------------------------------------------------ hypothesis
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_garbage_only_ever_raises_derivcheck_error(text):
    try:
        result = parse_formula(text, SEED)
    except DerivcheckError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(result, Formula)


PIECES = ["W^{(2)}", "W^{(1)}", "w_{ij}^{(1)}", "w_{ij}^{(2)}", "w_i^{(2)}", "w_{1i}^{(2)}", "b_i^{(2)}", "b^{(1)}",
          "x", "x_j", "y", "y^T", "z", "z_i", "u^{(1)}", "u_i^{(2)}", "\\delta^{(2)}", "\\delta^{(l)}", "W^{(l+1)}",
          "L", "2", "\\frac12", "\\odot", "\\cdot", " ", "+", "-", "=", "=", "f(", "f'(", "\\sigma(", ")", "(", "\\left(",
          "\\right)", "^T", "^2", "\\frac{", "}{", "}", "{", "\\partial ", "\\nabla_{", "\\sum_{k=1}^{4}", "\\sum_k",
          "\\begin{bmatrix}", "&", "\\\\", "\\end{bmatrix}", "\\|", "e^{", "_{", "_k", "^{(", "(i = 1)", ", j = 2",
          "\\begin{aligned}", "&=", "\\end{aligned}", "\\mathbf{", "\\hat{y}", "^{(L)}", "\\oslash"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14).map("".join))
def test_near_valid_latex_only_ever_raises_derivcheck_error(text):
    net = Network.build([2, 2, 1], "sigmoid", "half_sse", "per-neuron")
    try:
        result = verify_formula(net, text, {"z": "y", "\\hat{y}": "a2"})
    except DerivcheckError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(result, FormulaVerdict) and result.verdict in ("ok", "WRONG", "shape error")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=10).map("".join))
def test_near_valid_equations_only_ever_raise_derivcheck_error(text):
    """Force an equation shape (LEFT = RIGHT) so the verifier, not only the reader, is exercised."""
    net = Network.build([2, 3, 2], ["tanh", "sigmoid"], "half_sse", ["shared", "per-neuron"])
    for latex in (f"\\delta^{{(2)}} = {text}", f"\\frac{{\\partial L}}{{\\partial w_{{ij}}^{{(1)}}}} = {text}"):
        try:
            result = verify_formula(net, latex, {"z": "y"})
        except DerivcheckError as exc:
            assert str(exc) and "\n" not in str(exc)
        else:
            assert result.verdict in ("ok", "WRONG", "shape error")
