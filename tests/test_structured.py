"""Structured derivation and compiled gradients against the closed form and NumPy backprop.

The closed form (``sympy.diff`` of the whole loss tree, :class:`symbolic.truth.exact.Truth`
on small nets) and NumPy backprop (``numeric.gradient``, never touches SymPy) are
the independent sources of expected values. What "identical" means:

* identity/relu nets at rational points: the very same ``Rational`` from both;
* exp-laden nets (sigmoid, tanh, softmax, log losses): agreement to 10^-50
  relative (both are 60-digit values; the structured one is checked at two
  working precisions), and, for elementwise outputs, the structured gradient
  written out in parameters equals ``sympy.diff`` of the generic closed form
  (undefined f, f') *as expressions* (their difference expands to 0);
* compiled vs backprop: |compiled − backprop| ≤ 1e-12 × the largest backprop gradient entry
  (entries that are exactly 0 in truth, such as a softmax layer's shared bias, are ~1e-17 in
  both float64 computations).

No timings here: they live in ``benchmarks/``.
"""
from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import numeric
from symbolic.truth.closed_form import MAX_TREE_SIZE, tree_size
from symbolic.truth.compiled import compile_gradient, gradient_function
from symbolic.spec.errors import KinkError
from symbolic.truth.exact import Truth
from closed_reference import closed_gradient, on_kink
from net_strategies import HIDDEN, networks
from symbolic.spec.network import Network
from symbolic.formulas.program_proof import lemma_output, prove_program, prove_structured
from symbolic.truth.program import Structured, StructuredTruth

RATIONAL_ACTS = {"identity", "relu"}


def _close(a: sp.Expr, b: sp.Expr, digits: int = 50) -> bool:
    return abs(a - b) <= sp.Float(10, 70) ** -digits * max(1, abs(b))


def _both(network, fn_structured):
    """The closed form's gradient (sympy.diff, tests/closed_reference.py) and the structured one; at a
    point with a relu input exactly 0 the closed form's derivative is one-sided, so the structured program
    must refuse instead (KinkError) and nothing is compared."""
    if on_kink(network):
        try:
            fn_structured()
        except KinkError:
            pass
        return None, None
    return closed_gradient(network), fn_structured()


# ------------------------------------------------------------------ structured vs closed form
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(hidden=["identity", "relu"], outputs=["identity", "relu"], samples=2))
def test_rational_nets_give_identical_rationals(network):
    want, got = _both(network, lambda: StructuredTruth(network).gradient())
    if want is None:
        return
    assert list(got) == list(want)
    for k in want:
        assert isinstance(want[k], sp.Rational) and isinstance(got[k], sp.Rational), k
        assert got[k] == want[k], k


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_exp_nets_agree_to_50_digits(network):
    want, got = _both(network, lambda: StructuredTruth(network).gradient())
    if want is None:
        return
    for k in want:
        if isinstance(want[k], sp.Rational) and isinstance(got[k], sp.Rational):
            assert got[k] == want[k], k
        else:
            assert _close(got[k], want[k]), (k, got[k], want[k])


def _inlined(program: Structured, expr: sp.Expr) -> sp.Expr:
    """``expr`` with every node, df and δ symbol replaced by its definition (down to parameters)."""
    full: dict = {}
    for s, e in program.forward + program.local + program.backward:
        full[s] = e.xreplace(full)
    return expr.xreplace(full)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(max_depth=3, max_width=2, outputs=HIDDEN))
def test_generic_gradient_equals_closed_form_diff_as_expressions(network):
    from symbolic.formulas.matrix_form import Model

    # sigmoid + bce's fused δ = a − y uses f' = f(1 − f), true of sigmoid only: lemma_output proves it
    assume((network.activations[-1], network.loss) != ("sigmoid", "bce"))
    generic = Structured(network, generic=True)
    model = Model(network, concrete=False)
    for name, expr in generic.gradient_exprs().items():
        mine = _inlined(generic, expr)
        truth = sp.diff(model.loss, model.params[name])
        assert sp.expand(mine - truth) == 0, name


@pytest.mark.parametrize("layers, acts, loss, bias", [
    ([2, 3, 2, 2], ["sigmoid", "tanh", "sigmoid"], "bce", "per-neuron"),
    ([2, 2, 2, 3], ["tanh", "relu", "softmax"], "softmax_ce", "shared"),
    ([3, 2, 2, 2], ["relu", "identity", "relu"], "sse", ["none", "shared", "per-neuron"]),
])
def test_depth_three_values_and_node_derivatives(layers, acts, loss, bias):
    params = {}
    k = 0
    for l in range(1, len(layers)):
        params[f"W{l}"] = [[Fraction((7 * (k := k + 1)) % 17 - 8, 10) for _ in range(layers[l - 1])]
                           for _ in range(layers[l])]
        mode = bias if isinstance(bias, str) else bias[l - 1]
        if mode == "per-neuron":
            params[f"b{l}"] = [Fraction(l, 5) for _ in range(layers[l])]
        elif mode == "shared":
            params[f"b{l}"] = Fraction(-l, 7)
    x = [[Fraction(3, 10), Fraction(-1, 2), Fraction(7, 10)][:layers[0]]]
    y = [[Fraction(1, 5), Fraction(7, 10), Fraction(1, 10)][:layers[-1]]]
    net = Network.build(layers, acts, loss, bias, params=params, x=x, y=y)
    closed, structured = Truth(net), StructuredTruth(net)
    g1, g2 = closed.gradient(), structured.gradient()
    assert all(_close(g2[k], g1[k]) for k in g1)
    for name in ["L", "L[1]", "u1[1]", "a2[2]", "a3[1]"]:
        assert _close(structured.value(name), closed.value(name)), name
    pairs = [("L", "u1[2]"), ("L", "a1[1]"), ("L[2]", "W1[1,1]"), ("a3[1]", "u2[1]"), ("u3[2]", "a1[2]"),
             ("a2[1]", "W1[2,1]"), ("a1[1]", "W2[1,1]"), ("u2[1]", "u2[1]"), ("a2[2]", "a2[1]"), ("u2[1]", "a2[1]")]
    for of, wrt in pairs:
        assert _close(structured.derivative(of, wrt), closed.derivative(of, wrt)), (of, wrt)


def test_kink_named_like_truth():
    net = Network.build([1, 1, 1], ["relu", "identity"], "half_sse", "none",
                        params={"W1": [[0]], "W2": [[1]]}, x=[1], y=[1])
    with pytest.raises(KinkError, match=r"u1\[1\] = 0"):
        StructuredTruth(net).derivative("L", "W1[1,1]")
    # the kink is not between L and W2: no error, and the same value as the closed form
    assert StructuredTruth(net).derivative("L", "W2[1,1]") == Truth(net).derivative("L", "W2[1,1]") == 0


def test_softmax_shared_bias_gradient_is_exactly_zero():
    # Σ_k δ_k = 0 for softmax with any loss: a shared output bias gets gradient 0
    net = Network.build([2, 3], "softmax", "mse", "shared",
                        params={"W1": [[1, 2], [3, -1], [0, 1]], "b1": 1}, x=[1, 2], y=[0, 1, 0])
    assert StructuredTruth(net).gradient()["b1"].is_zero
    assert abs(Truth(net).gradient()["b1"]) < sp.Float(10) ** -50  # the closed form's value cancels too


# ------------------------------------------------------------------------------------ proofs
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(max_depth=3))
def test_program_proved_equal_to_matrix_form(network):
    report = prove_structured(network)
    assert report.entries == len(network.parameter_names()) + sum(network.layers[1:])


def test_proof_is_mostly_structural_identity():
    net = _random_net([4, 5, 3], ["tanh", "sigmoid"], "half_sse", "per-neuron")
    report = prove_program(Structured(net))
    hidden = [e for e in report.equations if not e.equation.startswith("δ2")]
    assert all(e.structural == e.entries for e in hidden)


@pytest.mark.parametrize("act, loss, n", [("sigmoid", "bce", 1), ("softmax", "softmax_ce", 4),
                                          ("softmax", "half_sse", 3), ("tanh", "mse", 2)])
def test_output_lemmas(act, loss, n):
    assert lemma_output(act, loss, n)


# --------------------------------------------------------------------------- automatic choice
def _random_net(layers, acts, loss, bias, seed=1, samples=1):
    rng = np.random.default_rng(seed)
    q = lambda: Fraction(int(rng.integers(-30, 31)), 100)  # noqa: E731
    params = {}
    for l in range(1, len(layers)):
        params[f"W{l}"] = [[q() for _ in range(layers[l - 1])] for _ in range(layers[l])]
        if bias == "per-neuron":
            params[f"b{l}"] = [q() for _ in range(layers[l])]
        elif bias == "shared":
            params[f"b{l}"] = q()
    x = [[q() for _ in range(layers[0])] for _ in range(samples)]
    y = [[Fraction(1 if k == s % layers[-1] else 0) for k in range(layers[-1])] for s in range(samples)]
    return Network.build(layers, acts, loss, bias, params=params, x=x, y=y)


def test_large_network_gradient_through_truth():
    net = _random_net([16, 32, 32, 10], ["sigmoid", "sigmoid", "softmax"], "softmax_ce", "per-neuron")
    assert tree_size(net) > MAX_TREE_SIZE
    grad = Truth(net).gradient()
    assert len(grad) == 1930
    X, Y = net.numeric_data()
    bp = numeric.flatten(net.architecture, numeric.gradient(net.architecture, net.numeric_params(), X, Y))
    scale = max(abs(v) for v in bp.values())
    assert all(abs(float(grad[k]) - bp[k]) <= 1e-12 * scale for k in bp)
    assert all(isinstance(v, sp.Float) for v in grad.values())


def test_large_network_values_and_derivatives_through_truth():
    net = _random_net([16, 24, 16, 4], ["tanh", "relu", "sigmoid"], "half_sse", "shared", samples=2)
    assert tree_size(net) > MAX_TREE_SIZE
    truth = Truth(net)
    X, Y = net.numeric_data()
    fwd = numeric.forward(net.architecture, net.numeric_params(), X)
    assert float(truth.value("a3[2]")) == pytest.approx(fwd.a[3][0, 1], rel=1e-13)
    loss = numeric.loss(net.architecture, net.numeric_params(), X, Y)
    assert float(truth.value("L")) == pytest.approx(loss, rel=1e-13)
    delta = numeric.output_delta(net.architecture, fwd, Y)
    # dL/du3[1] of sample 1 carries the 1/m of the batch mean
    assert float(truth.derivative("L", "u3[1]")) == pytest.approx(delta[0, 0] / 2, rel=1e-12)


# --------------------------------------------------------------------------- compiled gradients
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(max_depth=3, max_width=4), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_compiled_matches_backprop(network, m, seed):
    compiled = compile_gradient(network)
    arch = network.architecture
    params = network.numeric_params()
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (m, network.layers[0]))
    Y = rng.uniform(0.05, 0.95, (m, network.layers[-1]))
    want = numeric.gradient(arch, params, X, Y)
    if any(np.isnan(v).any() for v in want.values()):  # a relu kink: both are nan there
        return
    scale = max(max(np.max(np.abs(v)) for v in want.values()), 1e-300)  # the largest gradient entry
    for got in (compiled(params, X, Y), _mean_single(compiled, params, X, Y)):
        for k in want:
            assert np.all(np.abs(got[k] - want[k]) <= 1e-12 * scale), k


def _mean_single(compiled, params, X, Y):
    rows = [compiled(params, X[s], Y[s]) for s in range(X.shape[0])]
    return {k: np.mean([r[k] for r in rows], axis=0) for k in rows[0]}


def test_compiled_large_network_and_names_are_ours():
    net = _random_net([16, 32, 32, 10], ["sigmoid", "sigmoid", "softmax"], "softmax_ce", "per-neuron")
    compiled = compile_gradient(net)
    idents = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", compiled.source))
    allowed = re.compile(r"^(def|with|return|numpy|errstate|over|exp|outer|sum|max|axis|keepdims|True|shape|T|m|"
                         r"gradient_batched|gradient_single|[WbuaegdXYxyt]\d*(_\d+)?|df\d+|g[Wb]\d+|"
                         r"select|less|greater|nan|default|tanh|ignore|all)$")
    assert {i for i in idents if not allowed.match(i)} == set()
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (256, 16))
    Y = np.eye(10)[rng.integers(0, 10, 256)]
    params = net.numeric_params()
    want = numeric.gradient(net.architecture, params, X, Y)
    got = compiled(params, X, Y)
    for k in want:
        assert np.all(np.abs(got[k] - want[k]) <= 1e-12 * np.max(np.abs(want[k]))), k


def test_compiled_sigmoid_saturates_without_warnings():
    net = Network.build([1, 1], "sigmoid", "half_sse", "none", params={"W1": [[1]]}, x=[0], y=[0])
    compiled = compile_gradient(net)
    got = compiled({"W1": np.array([[1.0]])}, np.array([[-1000.0], [1000.0]]), np.array([[0.0], [1.0]]))
    assert np.all(np.isfinite(got["W1"]))


# ------------------------------------------------------------------ derivcheck check on a big file
def test_check_file_on_a_16_32_32_10_network(tmp_path):
    from symbolic.claims.check import check_file

    rng = np.random.default_rng(5)
    layers = [16, 32, 32, 10]
    q = lambda: round(float(rng.uniform(-0.5, 0.5)), 2)  # noqa: E731
    W = {l: [[q() for _ in range(layers[l - 1])] for _ in range(layers[l])] for l in (1, 2, 3)}
    b = {l: [q() for _ in range(layers[l])] for l in (1, 2, 3)}
    x, y = [q() for _ in range(16)], [0] * 10
    y[3] = 1
    net = Network.build(layers, ["sigmoid", "sigmoid", "softmax"], "softmax_ce", "per-neuron",
                        params={**{f"W{l}": W[l] for l in W}, **{f"b{l}": b[l] for l in b}}, x=x, y=y)
    assert tree_size(net) > MAX_TREE_SIZE
    X, Y = net.numeric_data()
    arch, P = net.architecture, net.numeric_params()
    grad = numeric.flatten(arch, numeric.gradient(arch, P, X, Y))
    after = numeric.flatten(arch, numeric.gd_step(arch, P, X, Y, 0.1))
    fwd = numeric.forward(arch, P, X)
    lines = ['title = "16-32-32-10"', "[network]", "layers = [16, 32, 32, 10]",
             'activation = ["sigmoid", "sigmoid", "softmax"]', 'loss = "softmax_ce"', 'bias = "per-neuron"',
             "learning_rate = 0.1", "[data]", f"x = {x}", f"y = {y}", "[parameters]"]
    lines += [f"{k}{l} = {v[l]}" for l in (1, 2, 3) for k, v in (("W", W), ("b", b))]
    claims = {"a3[4]": fwd.a[3][0, 3], "L": numeric.loss(arch, P, X, Y), "dL/dW1[1,1]": grad["W1[1,1]"],
              "dL/dW3[4,2]": grad["W3[4,2]"], "dL/db2[5]": grad["b2[5]"]}
    for name, value in claims.items():
        lines += ["[[claims]]", f'name = "{name}"', f'value = "{value:.10g}"']
    lines += ["[[claims]]", 'name = "W2[3,1]"', "after = 1", f'value = "{after["W2[3,1]"]:.10g}"']
    path = tmp_path / "big.toml"
    path.write_text("\n".join(lines) + "\n")
    report = check_file(path)
    assert report.error is None
    assert [r.verdict for r in report.results] == ["ok"] * 6, [(r.name, r.verdict, r.message) for r in report.results]


@pytest.mark.parametrize("layers, acts, loss, bias", [
    ([2, 3, 3], ["tanh", "softmax"], "softmax_ce", "shared"),
    ([3, 2, 2], ["relu", "sigmoid"], "bce", "per-neuron"),
])
def test_gradient_function_is_a_drop_in_for_lambdify(layers, acts, loss, bias):
    import mpmath

    from symbolic.truth.crosscheck import lambdified_gradient

    net = _random_net(layers, acts, loss, bias, seed=7)
    truth = Truth(net)
    values = [*net.parameter_values().values(), *net.x[0], *net.y[0]]
    with mpmath.workdps(60):
        mp_values = [mpmath.mpf(v.numerator) / v.denominator for v in values]
        want = lambdified_gradient(truth, modules="mpmath")(*mp_values)
        got = gradient_function(net, "mpmath")(*mp_values)
        assert all(abs(g - w) <= mpmath.mpf(10) ** -50 * max(1, abs(w)) for g, w in zip(got, want))
    floats = [float(v) for v in values]
    want = np.asarray(lambdified_gradient(truth)(*floats), dtype=float)
    got = np.asarray(gradient_function(net, "numpy")(*floats), dtype=float)
    assert np.all(np.abs(got - want) <= 1e-12 * np.max(np.abs(want)))


def test_program_size_is_linear_in_depth_where_the_closed_form_is_exponential():
    sizes = [Structured(Network.build([4] * (d + 1), "sigmoid")).size() for d in range(1, 7)]
    steps = {b - a for a, b in zip(sizes, sizes[1:])}
    assert len(steps) == 1  # each extra 4-wide layer adds the same number of expression nodes
    trees = [tree_size(Network.build([4] * (d + 1), "sigmoid")) for d in range(1, 7)]
    assert all(b > 3 * a for a, b in zip(trees[1:], trees[2:]))
