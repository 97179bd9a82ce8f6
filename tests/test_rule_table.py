"""The rule table is the only home of a rule (docs DESIGN.md).

* An AST scan of every module of symbolic/ and numeric/: a string constant equal to an activation or loss
  name (the keys of the table itself) outside the two rule tables fails, unless the allow-list below names
  that (module, name) with its reason; the allow-list has no stale entries.
* Table-driven tests of the rule fields, each against an independent hand statement.
"""
from __future__ import annotations

import ast
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import numeric.functions as nf
from symbolic.spec.rules import (ACTIVATIONS, DEFAULT_ACTIVATION, DEFAULT_LOSS, FUSED_OUTPUTS, LOSSES,
                                 generic_functions)

ROOT = Path(__file__).resolve().parents[1]
NAMES = set(ACTIVATIONS) | set(LOSSES)
RULE_TABLES = {"symbolic/spec/rules.py", "numeric/functions.py"}

# (module, name) -> why that module may spell the name. Configuration, not rules; keep this short.
ALLOWED: dict[tuple[str, str], str] = {
    # the three standard textbook networks (mazur, sigai, lagou) are data: each names its activation and loss
    ("symbolic/spec/standard.py", "sigmoid"): "STANDARD_NETWORKS configuration",
    ("symbolic/spec/standard.py", "half_sse"): "STANDARD_NETWORKS configuration",
    # the math functions the compiled update may call (math.tanh), not the tanh activation rule
    ("symbolic/truth/compiled_update.py", "tanh"): "name of math.tanh in the compiled code's namespace",
    ("symbolic/truth/ball_update.py", "tanh"): "name of the ball math.tanh in the generated code's namespace",
    # the rnn/lstm rule-table entry: the rnn's default activation and the lstm's fixed gate and cell functions
    ("symbolic/spec/recurrent.py", "tanh"): "RNN_ACTIVATION, GATE_ACTIVATIONS, CELL_ACTIVATION",
    ("symbolic/spec/recurrent.py", "sigmoid"): "GATE_ACTIVATIONS (the lstm's i, f, o gates)",
}


def _docstring_ids(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                out.add(id(first.value))
    return out


def _spellings() -> list[tuple[str, int, str]]:
    """(module, line, name) for every string constant equal to a rule name, docstrings excluded."""
    found = []
    for package in ("symbolic", "numeric"):
        for path in sorted((ROOT / package).rglob("*.py")):
            module = path.relative_to(ROOT).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=module)
            docs = _docstring_ids(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in NAMES \
                        and id(node) not in docs:
                    found.append((module, node.lineno, node.value))
    return found


def test_no_module_outside_the_rule_tables_spells_a_rule_name():
    bad = [f"{m}:{line}: {name!r}" for m, line, name in _spellings()
           if m not in RULE_TABLES and (m, name) not in ALLOWED]
    assert not bad, "activation/loss names spelled outside the rule tables (ask the table instead):\n" + \
        "\n".join(sorted(bad))


def test_allow_list_has_no_stale_entries():
    present = {(m, name) for m, _, name in _spellings()}
    stale = [key for key in ALLOWED if key not in present]
    assert not stale, f"allow-list entries that no longer occur: {stale}"


def test_scan_sees_the_rule_tables_themselves():
    modules = {m for m, _, _ in _spellings()}
    assert RULE_TABLES <= modules  # the scan works: the tables do spell every name
    assert set(ACTIVATIONS) == set(nf.ACTIVATIONS) and set(LOSSES) == set(nf.LOSSES)


# ------------------------------------------------------------------ activation fields
u, a, v = sp.symbols("u a v", real=True)


@pytest.mark.parametrize("name", [n for n, r in ACTIVATIONS.items() if r.prime_of_output is not None])
def test_prime_of_output_is_the_derivative_through_the_output(name):
    rule = ACTIVATIONS[name]
    f = rule.symbolic(u)
    assert sp.simplify(rule.prime_of_output(f) - sp.diff(f, u)) == 0


def test_prime_of_output_by_hand():
    # sigmoid: a(1 − a); tanh: 1 − a²; the others have no such form
    assert sp.expand(ACTIVATIONS["sigmoid"].prime_of_output(a) - (a - a ** 2)) == 0
    assert sp.expand(ACTIVATIONS["tanh"].prime_of_output(a) - (1 - a ** 2)) == 0
    assert {n for n, r in ACTIVATIONS.items() if r.prime_of_output is not None} == {"sigmoid", "tanh"}


@pytest.mark.parametrize("name", [n for n, r in ACTIVATIONS.items() if r.elementwise])
def test_display_forms_are_the_rule(name):
    rule = ACTIVATIONS[name]
    shown = (rule.display or rule.symbolic)(u)
    for point in (sp.Rational(-3, 2), sp.Rational(1, 3), sp.Integer(2)):
        assert sp.simplify(shown.subs(u, point) - rule.symbolic(point)) == 0
        through_a = rule.display_prime(point, rule.symbolic(point))
        assert sp.simplify(through_a - rule.symbolic_prime(point)) == 0


def test_step_forms_by_hand():
    H = sp.Heaviside
    assert ACTIVATIONS["relu"].step_form(v, H) == (v * H(v), H(v))
    assert ACTIVATIONS["identity"].step_form(v, H) == (v, 1)
    for name, rule in ACTIVATIONS.items():  # every elementwise rule has one way for the relations stage
        if rule.elementwise:
            assert (rule.prime_of_output is None) != (rule.step_form is None), name


def test_kinks_by_hand():
    assert {n for n, r in ACTIVATIONS.items() if r.has_kink} == {"relu"}
    assert ACTIVATIONS["relu"].symbolic_prime(sp.Integer(0)) is sp.nan


def test_names_by_hand():
    assert (ACTIVATIONS["sigmoid"].latex, ACTIVATIONS["sigmoid"].text) == ("\\sigma", "σ")
    assert ACTIVATIONS["tanh"].latex == "\\tanh" and ACTIVATIONS["relu"].latex == "\\operatorname{relu}"
    spellings = [s for r in ACTIVATIONS.values() for s in r.parser_names]
    assert len(spellings) == len(set(spellings))  # one rule per spelling
    assert "\\sigma" in ACTIVATIONS["sigmoid"].parser_names and "ReLU" in ACTIVATIONS["relu"].parser_names
    assert all(r.latex and r.text and r.document_label for r in ACTIVATIONS.values())


def test_the_reader_and_printers_use_the_table():
    from symbolic.formulas.reading import _FN_NAMES
    from symbolic.formulas.render import _FN_LATEX, _FN_TEXT

    for name, rule in ACTIVATIONS.items():
        assert _FN_LATEX[name] == rule.latex and _FN_TEXT[name] == rule.text
        assert all(_FN_NAMES[s] == name for s in rule.parser_names)


# ------------------------------------------------------------------ numeric twins
@pytest.mark.parametrize("name", list(nf.ACTIVATIONS))
def test_numeric_prime_of_output_is_the_derivative_bit_for_bit(name):
    act = nf.ACTIVATIONS[name]
    xs = np.array([[-30.0, -2.5, -0.1, 0.3, 1.7, 30.0]])
    if act.real_value is not None:
        assert np.array_equal(act.real_value(xs), act.value(xs))
    if act.prime_of_output is not None:
        assert np.array_equal(act.prime_of_output(act.value(xs)), act.derivative(xs))
        assert ACTIVATIONS[name].prime_of_output is not None  # both sides agree which rules have the form


def test_numeric_fused_outputs_match_the_symbolic_pairs():
    assert set(nf.FUSED_OUTPUTS) == set(FUSED_OUTPUTS)
    rng = np.random.default_rng(0)
    uL = rng.uniform(-2, 2, size=(4, 3))
    Y = np.eye(3)[[0, 2, 1, 1]]
    for (act, loss), fused in nf.FUSED_OUTPUTS.items():
        aL = nf.ACTIVATIONS[act].value(uL)
        assert np.allclose(fused.loss(uL, Y), nf.LOSSES[loss].value(aL, Y), rtol=1e-13)
        grad = nf.ACTIVATIONS[act].backprop(uL, aL, nf.LOSSES[loss].gradient(aL, Y))
        assert np.allclose(fused.delta(aL, Y), grad, rtol=1e-12)


# ------------------------------------------------------------------ loss fields
def test_half_by_hand():
    assert {n for n, r in LOSSES.items() if r.half} == {"half_sse"}
    a1, y1 = sp.symbols("a1 y1")
    assert LOSSES["half_sse"].terms([a1], [y1])[0] * 2 == LOSSES["sse"].terms([a1], [y1])[0]


def test_targets_by_hand():
    assert {n: r.targets for n, r in LOSSES.items()} == {
        "half_sse": "real", "sse": "real", "mse": "real", "bce": "binary", "softmax_ce": "distribution"}


class _SympyOps:
    """Scalar stand-ins for the matrix-form node constructors (one output entry)."""

    sub = staticmethod(lambda x, y: x - y)
    ediv = staticmethod(lambda x, y: x / y)
    hadamard = staticmethod(lambda x, y: x * y)
    neg = staticmethod(lambda x: -x)
    scale = staticmethod(lambda c, x: sp.Rational(c.numerator, c.denominator) * x)
    one = sp.Integer(1)


@pytest.mark.parametrize("name", list(LOSSES))
def test_matrix_gradient_is_the_derivative_of_the_terms(name):
    n = 3
    ak = sp.symbols("a1:4", positive=True)
    yk = sp.symbols("y1:4", real=True)
    total = sp.Add(*LOSSES[name].terms(list(ak), list(yk)))
    for k in range(n):
        got = LOSSES[name].matrix_gradient(_SympyOps, ak[k], yk[k], n)
        assert sp.simplify(got - sp.diff(total, ak[k])) == 0


def test_matrix_gradient_builds_nodes():
    from symbolic.formulas.derive import _NODE_OPS
    from symbolic.formulas.nodes import Sub, Var

    node = LOSSES["half_sse"].matrix_gradient(_NODE_OPS, Var("a", 2), Var("y"), 2)
    assert node == Sub(Var("a", 2), Var("y"))


def test_loss_latex_by_hand():
    assert LOSSES["half_sse"].latex == r"\frac{1}{2} \sum_k (y_k - a_k)^2"
    assert all(r.latex for r in LOSSES.values())


# ------------------------------------------------------------------ fused pairs and defaults
@pytest.mark.parametrize("pair", list(FUSED_OUTPUTS))
def test_fused_pairs_are_the_chain_rule(pair):
    act, loss = pair
    rule = ACTIVATIONS[act]
    us = list(sp.symbols("u1:4", real=True))
    ys = list(sp.symbols("y1:4", real=True))
    outs = rule.apply(us)
    total = sp.Add(*LOSSES[loss].terms(outs, ys))
    delta = FUSED_OUTPUTS[pair](outs, ys)
    for k in range(3):
        point = {u_: sp.Rational(j + 1, 4 + k) for j, u_ in enumerate(us)}
        point.update({y_: sp.Rational(j, 5) for j, y_ in enumerate(ys)})
        assert sp.N((sp.diff(total, us[k]) - delta[k]).subs(point), 30) == pytest.approx(0, abs=1e-25)


def test_fused_pairs_by_hand():
    assert set(FUSED_OUTPUTS) == {("sigmoid", "bce"), ("softmax", "softmax_ce")}
    assert FUSED_OUTPUTS[("sigmoid", "bce")]([Fraction(1, 3)], [Fraction(1)]) == [Fraction(-2, 3)]


def test_defaults_are_rules():
    assert DEFAULT_ACTIVATION in ACTIVATIONS and DEFAULT_LOSS in LOSSES
    fn, prime = generic_functions(DEFAULT_ACTIVATION)
    assert sp.diff(fn(u), u) == prime(u)
