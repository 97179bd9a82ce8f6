"""Matrix-form derivation: proofs against the closed form, an independent numeric witness, printing.

Expected values come from sources independent of the matrix-form modules (``symbolic.formulas.nodes``,
``shapes``, ``models``, ``evaluation``, ``proofs``, ``derive``):

* ``sympy.diff`` of ``symbolic.truth.closed_form`` (the foundation's closed form), through
  :meth:`MatrixForm.prove` — the generic stages, and the concrete stage alone on small nets;
* the NumPy engine ``numeric.gradient`` (never touches SymPy) at exact test points;
* hand-written expected LaTeX / text for the textbook equations.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import numeric
from symbolic.truth.closed_form import closed_form
from symbolic.spec.errors import DerivcheckError, TooLargeError
from symbolic.formulas.parser import parse_formula
from symbolic.formulas.derive import derive
from symbolic.formulas.evaluation import evaluate
from symbolic.formulas.models import Model
from symbolic.formulas.nodes import Add, Apply, Const, Deriv, Entry, Hadamard, Juxt, MatMul, Sub, Transpose, Var
from symbolic.formulas.proofs import point_symbols, sample_points
from symbolic.formulas.render import to_latex, to_text
from symbolic.formulas.shapes import Ctx, ShapeMismatch, shape_of
from symbolic.spec.rules import generic_functions, generic_to_concrete
from symbolic.spec.network import Network

# (layers, activation(s), loss, bias) — depth 1 to 3, every bias mode, every activation and loss
NETWORKS = [
    ([3, 2], "sigmoid", "half_sse", "per-neuron"),
    ([2, 1], "identity", "mse", "shared"),
    ([3, 2], "softmax", "softmax_ce", "none"),
    ([3, 4, 2], "sigmoid", "half_sse", "per-neuron"),
    ([2, 3, 2], "tanh", "sse", "shared"),
    ([2, 3, 2], ["relu", "identity"], "mse", "none"),
    ([2, 3, 3], ["relu", "softmax"], "softmax_ce", "per-neuron"),
    ([2, 2, 1], "sigmoid", "bce", "none"),
    ([2, 3, 2], ["tanh", "softmax"], "half_sse", ["shared", "per-neuron"]),
    ([2, 2, 3], ["sigmoid", "softmax"], "bce", "per-neuron"),
    ([2, 3, 2, 2], "sigmoid", "half_sse", "per-neuron"),
    ([2, 2, 3, 2], "tanh", "sse", ["per-neuron", "shared", "none"]),
    ([2, 3, 2, 3], ["tanh", "relu", "softmax"], "softmax_ce", "shared"),
    ([2, 2, 2, 2], "sigmoid", "bce", ["none", "per-neuron", "shared"]),
]


def _id(case) -> str:
    layers, act, loss, bias = case
    return f"{'-'.join(map(str, layers))}-{act}-{loss}-{bias}"


@pytest.mark.parametrize("case", NETWORKS, ids=[_id(c) for c in NETWORKS])
def test_every_equation_is_proved_against_the_closed_form(case):
    layers, act, loss, bias = case
    net = Network.build(layers, act, loss, bias)
    form = derive(net)
    results = form.prove()
    n_bias = sum(1 for mode in net.bias if mode != "none")
    assert len(results) == 2 * net.depth + n_bias
    for name, proof in results:
        assert proof.ok, (name, proof)
        assert proof.method in ("structural identity", "generic", "relations")
        if loss == "softmax_ce":
            assert proof.assumption and "Σ_k y_k = 1" in proof.assumption
        else:
            assert proof.assumption is None


SMALL = [
    ([3, 2], "sigmoid", "half_sse", "per-neuron"),
    ([2, 2, 2], "tanh", "sse", "shared"),
    ([2, 2, 1], "sigmoid", "bce", "none"),
    ([2, 2, 2], "identity", "mse", "none"),
    ([2, 2, 2], ["tanh", "softmax"], "half_sse", ["shared", "per-neuron"]),
    ([2, 2], "softmax", "softmax_ce", "per-neuron"),
    ([2, 2, 2, 2], "sigmoid", "half_sse", "per-neuron"),
    ([2, 3, 3], ["relu", "softmax"], "softmax_ce", "shared"),
]


@pytest.mark.parametrize("case", SMALL, ids=[_id(c) for c in SMALL])
def test_concrete_stage_alone_proves_against_closed_form(case):
    """No undefined f: sympy.diff of symbolic.truth.closed_form itself, exp(·) as fresh symbols, cancel."""
    net = Network.build(*case)
    for name, proof in derive(net).prove(stages=("concrete",)):
        assert proof.ok and proof.method == "concrete", (name, proof)


@pytest.mark.parametrize("case", NETWORKS[:10], ids=[_id(c) for c in NETWORKS[:10]])
def test_generic_model_is_the_closed_form_with_f_left_open(case):
    """Substituting the real rules into the generic model gives symbolic.truth.closed_form exactly."""
    net = Network.build(*case)
    generic, cf = Model(net, concrete=False), closed_form(net)
    for l in range(1, net.depth + 1):
        assert [generic_to_concrete(e) for e in generic.u[l]] == cf.u[l]
        assert [generic_to_concrete(e) for e in generic.a[l]] == cf.a[l]
    assert generic_to_concrete(generic.loss) == cf.loss


def _numeric_params(net: Network, point: dict) -> dict[str, np.ndarray]:
    out = {}
    for l in range(1, net.depth + 1):
        out[f"W{l}"] = np.array(point[f"W{l}"], dtype=float)
        if net.bias[l - 1] != "none":
            out[f"b{l}"] = np.array(point[f"b{l}"], dtype=float)
    return out


def _numeric_model(net: Network, point: dict) -> Model:
    """The concrete model with every node replaced by its value at ``point`` (40 digits)."""
    model = Model(net, concrete=True)
    subs = point_symbols(model, point)
    model.u = [[sp.N(e.xreplace(subs), 40) for e in layer] for layer in model.u]
    model.a = [[sp.N(e.xreplace(subs), 40) for e in layer] for layer in model.a]
    model.params = {k: subs[v] for k, v in model.params.items()}
    model.x = [subs[s] for s in model.x]
    model.y = [subs[s] for s in model.y]
    return model


@pytest.mark.parametrize("case", NETWORKS, ids=[_id(c) for c in NETWORKS])
def test_derived_gradients_match_numpy_backprop(case):
    """Independent witness: the derived matrix expressions at an exact point vs numeric.gradient."""
    net = Network.build(*case)
    form = derive(net)
    point, _ = next(iter(sample_points(net, count=1)))
    model = _numeric_model(net, point)
    params = _numeric_params(net, point)
    X = np.array([point["x"]], dtype=float)
    Y = np.array([point["y"]], dtype=float)
    grads = numeric.gradient(net.architecture, params, X, Y)
    ctx = Ctx(net)
    for l in range(1, net.depth + 1):
        got = np.array(evaluate(form.inline(form.grad_W[l]), model, ctx), dtype=float)
        assert np.allclose(got, grads[f"W{l}"], rtol=1e-10, atol=1e-13), (l, got, grads[f"W{l}"])
        if l in form.grad_b:
            got = np.array(evaluate(form.inline(form.grad_b[l]), model, ctx), dtype=float)
            got = got.reshape(np.shape(grads[f"b{l}"]))
            assert np.allclose(got, grads[f"b{l}"], rtol=1e-10, atol=1e-13), (l, got, grads[f"b{l}"])


def test_textbook_equations_print_like_the_tutorials():
    net = Network.build([3, 4, 2], "sigmoid", "half_sse", "per-neuron")
    lines = derive(net).latex().splitlines()
    assert lines == [
        "\\begin{aligned}",
        "\\delta^{(2)} &= \\left(a^{(2)} - y\\right) \\odot f'\\left(u^{(2)}\\right) \\\\",
        "\\nabla_{W^{(2)}} L &= \\delta^{(2)} \\left(a^{(1)}\\right)^T \\\\",
        "\\nabla_{b^{(2)}} L &= \\delta^{(2)} \\\\",
        "\\delta^{(1)} &= \\left(\\left(W^{(2)}\\right)^T \\delta^{(2)}\\right) \\odot f'\\left(u^{(1)}\\right) \\\\",
        "\\nabla_{W^{(1)}} L &= \\delta^{(1)} x^T \\\\",
        "\\nabla_{b^{(1)}} L &= \\delta^{(1)}",
        "\\end{aligned}",
    ]
    assert derive(net).text().splitlines() == [
        "δ2 = (a2 − y) ⊙ f'(u2)",
        "∇W2 L = δ2 (a1)ᵀ",
        "∇b2 L = δ2",
        "δ1 = ((W2)ᵀ δ2) ⊙ f'(u1)",
        "∇W1 L = δ1 xᵀ",
        "∇b1 L = δ1",
    ]


@pytest.mark.parametrize("case, expected", [
    (([2, 2, 1], "sigmoid", "bce", "none"), "δ2 = a2 − y"),
    (([2, 3], "softmax", "softmax_ce", "none"), "δ1 = a1 − y"),
    (([2, 3], "softmax", "half_sse", "none"), "δ1 = (diag(a1) − a1 (a1)ᵀ) (a1 − y)"),
    (([2, 2], "tanh", "sse", "none"), "δ1 = (2 (a1 − y)) ⊙ f'(u1)"),
    (([2, 4], "identity", "mse", "none"), "δ1 = (1/2 (a1 − y)) ⊙ f'(u1)"),
    (([2, 2], "sigmoid", "bce", "none"), "δ1 = a1 − y"),
    (([2, 2], "tanh", "half_sse", "shared"), "δ1 = (a1 − y) ⊙ f'(u1)"),
])
def test_output_delta_forms(case, expected):
    net = Network.build(*case)
    assert derive(net).text().splitlines()[0] == expected


def test_shared_bias_gradient_is_the_sum_of_delta():
    net = Network.build([2, 3, 2], "sigmoid", "half_sse", "shared")
    form = derive(net)
    assert to_text(form.grad_b[1]) == "Σₖ δ1[k]"
    assert to_latex(form.grad_b[1]) == "\\sum_{k} \\delta_{k}^{(1)}"


def test_softmax_ce_note_says_the_assumption():
    net = Network.build([2, 3], "softmax", "softmax_ce", "none")
    assert "Σ_k y_k = 1" in derive(net).text()


@pytest.mark.parametrize("case", NETWORKS[3:9], ids=[_id(c) for c in NETWORKS[3:9]])
def test_printed_equations_read_back_and_verify(case):
    """Round trip: the derivation's LaTeX parses back and each line is proved by verify_formula."""
    from symbolic.formulas.verify import verify_formula
    net = Network.build(*case)
    form = derive(net)
    for lhs, rhs in form.equations():
        latex = f"{to_latex(lhs)} = {to_latex(rhs)}"
        parsed = parse_formula(latex)
        assert to_latex(parsed.sides[1]) == to_latex(rhs), latex
        verdict = verify_formula(net, latex)
        assert verdict.verdict == "ok", (latex, verdict.message)


def test_shape_errors_name_the_operation_and_both_shapes():
    net = Network.build([3, 4, 2], "sigmoid", "half_sse", "per-neuron")
    ctx = Ctx(net)
    with pytest.raises(ShapeMismatch, match=r"W\^\{\(2\)\} \(2×4\) by .*\(2×1\); a matrix product needs"):
        shape_of(MatMul(Var("W", 2), Var("delta", 2)), ctx)
    with pytest.raises(ShapeMismatch, match=r"⊙ .*\(4×1\) .*\(2×1\); ⊙ needs two arrays of the same shape"):
        shape_of(Hadamard(Var("u", 1), Var("u", 2)), ctx)
    with pytest.raises(ShapeMismatch, match=r"adds a 4×1 array .* to a 3×1 array"):
        shape_of(Add(Var("a", 1), Var("x")), ctx)
    with pytest.raises(ShapeMismatch, match=r"asks for row 3 of W\^\{\(2\)\}, which is 2×4"):
        shape_of(Entry(Var("W", 2), (3, 1)), ctx)
    assert shape_of(Juxt(Entry(Var("x"), (1,)), Var("W", 2)), ctx) == (2, 4)
    assert shape_of(Sub(Const(Fraction(1)), Var("a", 1)), ctx) == (4, 1)
    assert shape_of(MatMul(Transpose(Var("W", 2)), Var("delta", 2)), ctx) == (4, 1)
    assert shape_of(Entry(Var("W", 2), (2,)), ctx) == (1, 4)  # a row


def test_bad_layers_and_missing_biases_are_input_errors():
    net = Network.build([2, 2, 1], "sigmoid", "half_sse", ["per-neuron", "none"])
    ctx = Ctx(net)
    with pytest.raises(DerivcheckError, match="names layer 3, but the network's layers run from 1 to 2"):
        shape_of(Var("W", 3), ctx)
    with pytest.raises(DerivcheckError, match="layer 2 has no bias"):
        shape_of(Var("b", 2), ctx)


def test_f_is_resolved_per_layer_when_activations_differ():
    net = Network.build([2, 3, 2], ["tanh", "sigmoid"], "half_sse", "per-neuron")
    ctx = Ctx(net)
    model = Model(net, concrete=False)
    f_tanh, _ = generic_functions("tanh")
    f_sig, _ = generic_functions("sigmoid")
    out1 = evaluate(Apply("f", Var("u", 1)), model, ctx)
    out2 = evaluate(Apply("f", Add(MatMul(Var("W", 2), Var("a", 1)), Var("b", 2))), model, ctx)
    assert all(isinstance(e, f_tanh) for e in out1)
    assert all(isinstance(e, f_sig) for e in out2)
    with pytest.raises(DerivcheckError, match="Cannot tell which layer's activation f is"):
        shape_of(Apply("f", Var("x")), ctx)


def test_node_derivatives_are_cut_derivatives():
    """∂L/∂a^{(1)} holds everything upstream fixed: it equals (W2)ᵀ δ2 exactly."""
    net = Network.build([2, 3, 2], "sigmoid", "half_sse", "per-neuron")
    model, ctx = Model(net, concrete=False), Ctx(net)
    lhs = evaluate(Deriv(Var("L"), Var("a", 1)), model, ctx)
    rhs = evaluate(MatMul(Transpose(Var("W", 2)), Var("delta", 2)), model, ctx)
    assert all(sp.expand(p - q) == 0 for p, q in zip(lhs, rhs))


def test_too_large_networks_are_refused_in_one_sentence():
    net = Network.build([30, 40, 40, 40, 10], "sigmoid", "half_sse", "per-neuron")
    with pytest.raises(TooLargeError, match="expression nodes"):
        Model(net, concrete=False)


@pytest.mark.parametrize("wrong", [
    Sub(Var("a", 2), Var("y")),                                            # δ2 without f'
    Hadamard(Sub(Var("y"), Var("a", 2)), Apply("f", Var("u", 2), prime=True)),  # sign flipped
    Hadamard(Sub(Var("a", 2), Var("y")), Apply("f", Var("u", 2))),        # f where f' belongs
])
def test_a_wrong_output_delta_is_refuted_with_a_counterexample(wrong):
    net = Network.build([2, 3, 2], "sigmoid", "half_sse", "per-neuron")
    form = derive(net)
    proof = form.prove_one(Var("delta", 2), wrong)
    assert not proof.ok and proof.method == "counterexample"
    cx = proof.counterexample
    assert cx.claimed != cx.true and set(cx.point) == {"W1", "b1", "W2", "b2", "x", "y"}
