"""The activation and loss rule tables, symbolic and numeric side, against hand calculations.

Every expected value below is worked out by hand in the comment beside it, with
exact arithmetic: inputs are chosen (0, ln 2, ln 3, …) so that exp and log
cancel into rationals.  One table per kind of rule, one assertion body per
table; each row is checked on the SymPy side (``symbolic.spec.rules``) and on the
NumPy side (``numeric.functions``).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from numeric.engine import Architecture, forward, gradient, loss, sample_losses
from numeric.functions import ACTIVATIONS as NUMERIC_ACTIVATIONS
from numeric.functions import LOSSES as NUMERIC_LOSSES
from symbolic import ACTIVATIONS, LOSSES, KinkError, Network, Truth

R = sp.Rational
LN2, LN3 = sp.log(2), sp.log(3)


def exactly_equal(got: sp.Expr, want: sp.Expr) -> bool:
    """Proved equal (not sampled): the difference simplifies to 0."""
    diff = sp.simplify(sp.expand((sp.sympify(got) - sp.sympify(want)).rewrite(sp.exp)))
    return diff == 0


def as_float(e) -> float:
    return float(sp.N(e, 30))


# --------------------------------------------------------------------------- activations
# name, u (a layer of pre-activations), expected a = f(u), expected Jacobian J[k][i] = da_k/du_i
ACTIVATION_CASES = [
    # identity: a = u, J = I
    ("identity", [R(-3, 2), R(2)], [R(-3, 2), R(2)], [[1, 0], [0, 1]]),
    # sigmoid(0) = 1/(1+1) = 1/2, σ' = ½·½ = 1/4;
    # sigmoid(ln 3) = 1/(1 + 1/3) = 3/4, σ' = ¾·¼ = 3/16
    ("sigmoid", [R(0), LN3], [R(1, 2), R(3, 4)], [[R(1, 4), 0], [0, R(3, 16)]]),
    # sigmoid(−ln 3) = 1/(1+3) = 1/4, σ' = ¼·¾ = 3/16
    ("sigmoid", [-LN3], [R(1, 4)], [[R(3, 16)]]),
    # tanh(0) = 0, tanh' = 1 − 0 = 1;
    # tanh(ln 2) = (2 − ½)/(2 + ½) = 3/5, tanh' = 1 − 9/25 = 16/25
    ("tanh", [R(0), LN2], [R(0), R(3, 5)], [[1, 0], [0, R(16, 25)]]),
    # tanh(−ln 3) = (⅓ − 3)/(⅓ + 3) = −4/5, tanh' = 1 − 16/25 = 9/25
    ("tanh", [-LN3], [R(-4, 5)], [[R(9, 25)]]),
    # relu(−2) = 0 (slope 0), relu(3/2) = 3/2 (slope 1)
    ("relu", [R(-2), R(3, 2)], [R(0), R(3, 2)], [[0, 0], [0, 1]]),
    # softmax(0, ln 2) = (1, 2)/(1 + 2) = (1/3, 2/3);
    # J = diag(a) − a aᵀ = [[1/3 − 1/9, −2/9], [−2/9, 2/3 − 4/9]] = [[2/9, −2/9], [−2/9, 2/9]]
    ("softmax", [R(0), LN2], [R(1, 3), R(2, 3)], [[R(2, 9), R(-2, 9)], [R(-2, 9), R(2, 9)]]),
    # shift invariance: softmax(5, 5 + ln 2) = e^5·(1, 2)/(e^5·3) = (1/3, 2/3), same J
    ("softmax", [R(5), 5 + LN2], [R(1, 3), R(2, 3)], [[R(2, 9), R(-2, 9)], [R(-2, 9), R(2, 9)]]),
    # softmax(0, ln 2, ln 3) = (1, 2, 3)/6; J[k][i] = a_k(δ_ki − a_i), in 36ths:
    # diag 1/6·5/6 = 5/36, 2/6·4/6 = 8/36, 3/6·3/6 = 9/36; off-diagonal −a_k a_i = −2/36, −3/36, −6/36
    ("softmax", [R(0), LN2, LN3], [R(1, 6), R(1, 3), R(1, 2)],
     [[R(5, 36), R(-2, 36), R(-3, 36)], [R(-2, 36), R(8, 36), R(-6, 36)], [R(-3, 36), R(-6, 36), R(9, 36)]]),
    # softmax of a single output is 1, with zero derivative
    ("softmax", [R(7, 3)], [R(1)], [[0]]),
]


@pytest.mark.parametrize("name, us, want_a, want_J", ACTIVATION_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(ACTIVATION_CASES)])
def test_activation_rule(name, us, want_a, want_J):
    rule = ACTIVATIONS[name]
    n = len(us)
    # symbolic side: values, Jacobian by sympy.diff, and f' from the table for elementwise rules
    syms = sp.symbols(f"t0:{n}", real=True)
    exprs = rule.apply(list(syms))
    point = dict(zip(syms, us))
    for k in range(n):
        assert exactly_equal(exprs[k].subs(point), want_a[k]), (name, k)
        for i in range(n):
            assert exactly_equal(sp.diff(exprs[k], syms[i]).subs(point), want_J[k][i]), (name, k, i)
    if rule.elementwise:
        for k in range(n):
            assert exactly_equal(rule.symbolic(us[k]), want_a[k])
            assert exactly_equal(rule.symbolic_prime(us[k]), want_J[k][k])
    # numeric side: value, and J^T g through backprop for every unit vector g = e_k (row k of J)
    act = rule.numeric
    assert act is NUMERIC_ACTIVATIONS[name]
    u = np.array([[as_float(v) for v in us]])
    a = act.value(u)
    assert a.shape == (1, n)
    np.testing.assert_allclose(a[0], [as_float(v) for v in want_a], rtol=1e-14, atol=1e-300)
    for k in range(n):
        g = np.zeros((1, n))
        g[0, k] = 1.0
        row = act.backprop(u, a, g)[0]
        np.testing.assert_allclose(row, [as_float(v) for v in want_J[k]], rtol=1e-14, atol=1e-15)
    if act.elementwise:
        np.testing.assert_allclose(act.derivative(u)[0], [as_float(want_J[k][k]) for k in range(n)],
                                   rtol=1e-14, atol=1e-15)


# --------------------------------------------------------------------------- losses
# name, a, y, expected per-output terms L[k], expected dL/da
LOSS_CASES = [
    # half_sse, a = (3/4, 1/2), y = (1, 0): ½·(1/4)² = 1/32, ½·(1/2)² = 1/8, total 5/32;
    # dL/da = a − y = (−1/4, 1/2)
    ("half_sse", [R(3, 4), R(1, 2)], [1, 0], [R(1, 32), R(1, 8)], [R(-1, 4), R(1, 2)]),
    # sse: (1/4)² = 1/16, (1/2)² = 1/4; dL/da = 2(a − y) = (−1/2, 1)
    ("sse", [R(3, 4), R(1, 2)], [1, 0], [R(1, 16), R(1, 4)], [R(-1, 2), R(1)]),
    # mse, n = 2: (1/16)/2 = 1/32, (1/4)/2 = 1/8; dL/da = 2(a − y)/2 = (−1/4, 1/2)
    ("mse", [R(3, 4), R(1, 2)], [1, 0], [R(1, 32), R(1, 8)], [R(-1, 4), R(1, 2)]),
    # mse, n = 3, a = (1, 2, 3), y = (0, 0, 0): 1/3, 4/3, 9/3; dL/da = 2a/3 = (2/3, 4/3, 2)
    ("mse", [R(1), R(2), R(3)], [0, 0, 0], [R(1, 3), R(4, 3), R(3)], [R(2, 3), R(4, 3), R(2)]),
    # bce, a = (3/4, 1/2), y = (1, 0): −ln(3/4) = ln(4/3), −ln(1 − 1/2) = ln 2;
    # dL/da = −y/a + (1 − y)/(1 − a) = (−4/3, 2)
    ("bce", [R(3, 4), R(1, 2)], [1, 0], [sp.log(R(4, 3)), LN2], [R(-4, 3), R(2)]),
    # bce with a soft target y = 1/4 at a = 1/2: −(¼ ln ½ + ¾ ln ½) = ln 2; dL/da = −(1/4)/(1/2) + (3/4)/(1/2) = 1
    ("bce", [R(1, 2)], [R(1, 4)], [LN2], [R(1)]),
    # softmax_ce, a = (1/3, 2/3), y = (0, 1): terms 0 and −ln(2/3) = ln(3/2); dL/da = −y/a = (0, −3/2)
    ("softmax_ce", [R(1, 3), R(2, 3)], [0, 1], [R(0), sp.log(R(3, 2))], [R(0), R(-3, 2)]),
    # softmax_ce with a soft target y = (1/2, 1/2) at a = (1/4, 3/4):
    # −½ ln ¼ = ln 2, −½ ln ¾ = ½ ln(4/3); dL/da = (−2, −2/3)
    ("softmax_ce", [R(1, 4), R(3, 4)], [R(1, 2), R(1, 2)], [LN2, sp.log(R(4, 3)) / 2], [R(-2), R(-2, 3)]),
]


@pytest.mark.parametrize("name, a, y, want_terms, want_grad", LOSS_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(LOSS_CASES)])
def test_loss_rule(name, a, y, want_terms, want_grad):
    rule = LOSSES[name]
    n = len(a)
    ys = [sp.Rational(v) for v in y]
    # symbolic side: the terms at the point, and dL/da by sympy.diff of their sum
    syms = sp.symbols(f"s0:{n}", positive=True)
    terms = rule.terms(list(syms), ys)
    point = dict(zip(syms, a))
    assert len(terms) == n
    for k in range(n):
        assert exactly_equal(terms[k].subs(point), want_terms[k]), (name, k)
        assert exactly_equal(sp.diff(sp.Add(*terms), syms[k]).subs(point), want_grad[k]), (name, k)
    # numeric side: one value per sample, gradient of shape (m, n)
    num = rule.numeric
    assert num is NUMERIC_LOSSES[name]
    A = np.array([[as_float(v) for v in a]])
    Y = np.array([[as_float(v) for v in ys]])
    value = num.value(A, Y)
    assert value.shape == (1,)
    assert value[0] == pytest.approx(as_float(sp.Add(*want_terms)), rel=1e-14, abs=1e-300)
    np.testing.assert_allclose(num.gradient(A, Y)[0], [as_float(g) for g in want_grad], rtol=1e-14, atol=0)


def test_needs_output_is_consistent_with_the_tables():
    # every loss names only activations that exist, and cross-entropies need a probability output
    for rule in LOSSES.values():
        assert rule.numeric is NUMERIC_LOSSES[rule.name]
        for act in rule.needs_output or ():
            assert act in ACTIVATIONS
    assert LOSSES["softmax_ce"].needs_output == ("softmax",)
    assert set(LOSSES["bce"].needs_output) <= {"sigmoid", "softmax"}
    assert set(ACTIVATIONS) == set(NUMERIC_ACTIVATIONS)
    assert set(LOSSES) == set(NUMERIC_LOSSES)


# --------------------------------------------------------------------------- overflow stability
def _sigmoid_bce_arch(n: int) -> Architecture:
    return Architecture((n, n), ("sigmoid",), "bce", ("none",))


# what, computed value (a thunk), expected value[, rtol]; every thunk runs with float errors raised
STABILITY_CASES = [
    # sigmoid(1000) = 1 − e^−1000 rounds to 1; sigmoid(−1000) = e^−1000 ≈ 5e−435 underflows to 0
    ("sigmoid ±1000", lambda: NUMERIC_ACTIVATIONS["sigmoid"].value(np.array([[1000.0, -1000.0]])), [[1.0, 0.0]]),
    # sigmoid(−700) = e^−700/(1 + e^−700) = e^−700 to full relative precision (1 − sigmoid(700) would give 0)
    ("sigmoid -700", lambda: NUMERIC_ACTIVATIONS["sigmoid"].value(np.array([[-700.0]])), [[math.exp(-700)]]),
    # σ'(±1000) = σ(1 − σ) → 0 without overflow
    ("sigmoid' ±1000", lambda: NUMERIC_ACTIVATIONS["sigmoid"].derivative(np.array([[1000.0, -1000.0]])),
     [[0.0, 0.0]]),
    ("tanh ±1000", lambda: NUMERIC_ACTIVATIONS["tanh"].value(np.array([[1000.0, -1000.0]])), [[1.0, -1.0]]),
    # softmax(1000, 1000 + ln 2) = (1/3, 2/3) as at (0, ln 2); the float 1000 + ln 2 is off by up to
    # half an ulp of 1000 (5.7e−14), which moves the result by a(1 − a)·5.7e−14 ≈ 1.3e−14: rtol 1e−13
    ("softmax 1000+ln2", lambda: NUMERIC_ACTIVATIONS["softmax"].value(np.array([[1000.0, 1000.0 + math.log(2)]])),
     [[1 / 3, 2 / 3]], 1e-13),
    # softmax(1000, −1000) = (1/(1 + e^−2000), e^−2000/(…)) = (1, 0) in float64
    ("softmax ±1000", lambda: NUMERIC_ACTIVATIONS["softmax"].value(np.array([[1000.0, -1000.0]])), [[1.0, 0.0]]),
    # softmax(−1000, −1000 + ln 3) = (1/4, 3/4): no underflow to 0/0
    ("softmax -1000", lambda: NUMERIC_ACTIVATIONS["softmax"].value(np.array([[-1000.0, -1000.0 + math.log(3)]])),
     [[0.25, 0.75]], 1e-13),  # same input rounding as above
    # bce at a = y ∈ {0, 1}: every term is 0·ln 0 = 0 or 1·ln 1 = 0, so the loss is 0
    ("bce a=y in {0,1}", lambda: NUMERIC_LOSSES["bce"].value(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]])),
     [0.0]),
    # bce at a = (1, 1/2), y = (1, 0): 0 + ln 2
    ("bce a=1 finite", lambda: NUMERIC_LOSSES["bce"].value(np.array([[1.0, 0.5]]), np.array([[1.0, 0.0]])),
     [math.log(2)]),
    # softmax_ce at a = (0, 1), y = (0, 1): 0·ln 0 + 1·ln 1 = 0
    ("softmax_ce a=(0,1)", lambda: NUMERIC_LOSSES["softmax_ce"].value(np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]])),
     [0.0]),
    # the engine's sigmoid+bce loss from the logits: u = 1000, y = 1 gives ln(1 + e^−1000) = 0;
    # u = −1000, y = 1 gives −ln σ(−1000) = 1000 + ln(1 + e^−1000) = 1000 (finite, not inf)
    ("engine sigmoid+bce ±1000",
     lambda: loss(_sigmoid_bce_arch(2), {"W1": np.eye(2)}, np.array([[1000.0, -1000.0]]), np.array([[1.0, 1.0]])),
     1000.0),
    # …and its gradient: δ = a − y = (1 − 1, 0 − 1) = (0, −1); dL/dW1 = δ xᵀ = [[0, 0], [−1000, 1000]]
    ("engine sigmoid+bce grad",
     lambda: gradient(_sigmoid_bce_arch(2), {"W1": np.eye(2)}, np.array([[1000.0, -1000.0]]),
                      np.array([[1.0, 1.0]]))["W1"],
     [[0.0, 0.0], [-1000.0, 1000.0]]),
    # the engine's softmax+softmax_ce from the logits: u = (1000, −1000), y = (0, 1) gives
    # −ln softmax_2 = −(−2000 − ln(1 + e^−2000)) = 2000; with y = (1, 0) the loss is ln(1 + e^−2000) = 0
    ("engine softmax+ce ±1000",
     lambda: sample_losses(Architecture((2, 2), ("softmax",), "softmax_ce", ("none",)),
                           forward(Architecture((2, 2), ("softmax",), "softmax_ce", ("none",)),
                                   {"W1": np.eye(2)}, np.array([[1000.0, -1000.0], [1000.0, -1000.0]])),
                           np.array([[0.0, 1.0], [1.0, 0.0]])),
     [2000.0, 0.0]),
]


@pytest.mark.parametrize("what, compute, want, rtol", [c if len(c) == 4 else (*c, 1e-15) for c in STABILITY_CASES],
                         ids=[c[0] for c in STABILITY_CASES])
def test_overflow_stability(what, compute, want, rtol):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got = np.asarray(compute())
    assert np.all(np.isfinite(got)), what
    np.testing.assert_allclose(got, want, rtol=rtol, atol=0)


# --------------------------------------------------------------------------- relu's kink
def test_relu_derivative_at_the_kink_is_not_a_number():
    # numeric: f'(0) is nan (never a silent one-sided 0 or 1); f'(±1) are 1 and 0
    d = NUMERIC_ACTIVATIONS["relu"].derivative(np.array([[0.0, 1.0, -1.0]]))
    assert np.isnan(d[0, 0]) and d[0, 1] == 1.0 and d[0, 2] == 0.0
    # symbolic: the Piecewise derivative is nan exactly at 0
    assert ACTIVATIONS["relu"].symbolic_prime(sp.Integer(0)) is sp.nan
    assert ACTIVATIONS["relu"].has_kink


def _relu_on_kink(x, w, b):
    """1-1-1 network, relu hidden layer, u1 = w·x + b (exactly 0 for the cases below)."""
    return Network.build([1, 1, 1], activation=["relu", "identity"], loss="half_sse", bias="per-neuron",
                         params={"W1": [[w]], "b1": [b], "W2": [[2]], "b2": [Fraction(1, 4)]}, x=[x], y=[1])


# x, w, b with w·x + b = 0 exactly
KINK_CASES = [
    (1, Fraction(1, 2), Fraction(-1, 2)),  # ½·1 − ½ = 0
    # 0.3·0.1 − 0.03 = 0 exactly, although in float64 0.3*0.1 = 0.030000000000000002:
    # the kink is found by exact arithmetic, not by luck
    (0.1, 0.3, -0.03),
]


@pytest.mark.parametrize("x, w, b", KINK_CASES)
def test_relu_kink_raises_exactly(x, w, b):
    truth = Truth(_relu_on_kink(x, w, b))
    assert truth.value("u1[1]") == 0
    for wrt in ("W1[1,1]", "b1[1]", "u1[1]"):  # every route into L that passes u1[1]
        with pytest.raises(KinkError, match=r"u1\[1\] = 0 .*kink"):
            truth.derivative("L", wrt)
    with pytest.raises(KinkError):
        truth.gradient()
    # derivatives that do not pass through the kink exist: a1 = relu(0) = 0, u2 = 2·0 + ¼ = ¼,
    # so dL/dW2 = (a2 − y)·a1 = 0 and dL/db2 = a2 − y = ¼ − 1 = −3/4
    assert truth.derivative("L", "W2[1,1]") == 0
    assert truth.derivative("L", "b2[1]") == sp.Rational(-3, 4)
