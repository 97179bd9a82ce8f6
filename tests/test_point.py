"""The exact point evaluation (symbolic.truth.point, read by Truth) against independent references.

* sympy.diff of the closed form (tests/closed_reference.py): identical Rationals where the
  arithmetic is rational, ≥ 50 digits where exp/log enter — gradients, node values and node
  derivatives with the cut semantics, on random networks of every activation, loss and bias mode;
* the NumPy engine (numeric/, no SymPy): float64 gradients;
* certification: every ball contains the 100-digit value, and a claim whose truth sits within
  10^-120 of a verdict boundary is judged only after the precision is raised (a 60-digit value
  would call it the other way);
* kinks: a derivative through relu at exactly 0 is refused naming the unit, one that does not pass
  through the kinked unit is computed (both by hand).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numeric
from closed_reference import closed_derivative, closed_gradient, closed_point, closed_value, on_kink
from net_strategies import networks as random_networks
from symbolic.claims.check import check_file
from symbolic.spec.errors import KinkError
from symbolic.spec.network import Network
from symbolic.truth.closed_form import closed_form
from symbolic.truth.exact import Truth

def networks(samples: int = 2):
    """Random networks of every activation, loss and bias mode, 1..samples samples; targets in 0.1..0.9
    (bce needs 0 < y and a ≠ 0, 1)."""
    return random_networks(samples=samples, vary_samples=True, targets=(1, 9))


def _agree(got: sp.Expr, want: sp.Expr) -> bool:
    if want.is_Rational and got.is_Rational:
        return got == want
    return abs(got - want) <= sp.Float(10, 70) ** -50 * max(1, abs(want))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_gradient_is_the_closed_form(network):
    if on_kink(network):
        return
    got, want = Truth(network).gradient(), closed_gradient(network)
    assert list(got) == list(want)
    # without exp/log anywhere in the network the sweep must stay exact; with them the closed form may still
    # cancel to a Rational (softmax of equal inputs is exactly ½) where the balls give 60 digits of it
    rational = set(network.activations) <= {"identity", "relu"} and network.loss in ("half_sse", "sse", "mse")
    for k in want:
        if rational:
            assert want[k].is_Rational and got[k].is_Rational and got[k] == want[k], k
        assert _agree(got[k], want[k]), (k, got[k], want[k])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.data())
def test_values_and_node_derivatives_are_the_closed_form(network, data):
    if on_kink(network):
        return
    L = network.depth
    sample = data.draw(st.integers(1, len(network.x)))
    truth = Truth(network, sample)
    layer = data.draw(st.integers(1, L))
    unit = data.draw(st.integers(1, network.layers[layer]))
    for name in ["L", "L[1]", f"u{layer}[{unit}]", f"a{layer}[{unit}]"]:
        assert _agree(truth.value(name), closed_value(network, name, sample)), name
    pairs = [("L", f"u{layer}[{unit}]"), ("L", f"a{layer}[{unit}]"), (f"a{L}[1]", f"u{layer}[{unit}]"),
             ("L[1]", f"W{layer}[{unit},1]"), (f"u{L}[1]", f"a{layer - 1}[1]" if layer > 1 else "W1[1,1]")]
    for of, wrt in pairs:
        assert _agree(truth.derivative(of, wrt), closed_derivative(network, of, wrt, sample)), (of, wrt)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_gradient_is_numpy_backprop(network):
    if on_kink(network):
        return
    exact = Truth(network).gradient()
    X, Y = network.numeric_data()
    grads = numeric.flatten(network.architecture,
                            numeric.gradient(network.architecture, network.numeric_params(), X, Y))
    for k, v in exact.items():
        assert abs(float(v) - grads[k]) <= 1e-9 * max(1.0, abs(float(v))), (k, float(v), grads[k])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(samples=1))
def test_every_ball_contains_the_100_digit_value(network):
    if on_kink(network):
        return
    truth, form = Truth(network), closed_form(network)
    point = closed_point(network, form)
    for p in network.parameter_names():
        value = sp.diff(form.loss, form.params[p]).xreplace(point)
        v100 = value if value.is_Rational else sp.N(sp.piecewise_fold(value), 110)
        lo, hi = truth.enclosure("L", p)
        exact = Fraction(int(sp.Rational(v100).p), int(sp.Rational(v100).q))
        # the 110-digit reference carries its own error (absolute, for a value that is identically 0)
        slack = abs(exact) * Fraction(1, 10 ** 105) + Fraction(1, 10 ** 100) if not value.is_Rational else 0
        assert lo - slack <= exact <= hi + slack, (p, lo, exact, hi)
        assert hi - lo <= max(abs(exact), Fraction(1)) * Fraction(1, 10 ** 80), p  # and it is narrow


BOUNDARY_NET = """
[network]
layers = [1, 1]
activation = "sigmoid"
loss = "half_sse"
bias = "none"
[data]
x = [1]
y = [0]
[parameters]
W1 = [[{w}]]
[[claims]]
name = "a1[1]"
value = "{claimed}"
"""


# a1[1] = σ(w) = ½ + w/4 − w³/48 + …, so with |w| = 10^-120 the truth is within 2.5·10^-121 of ½; the claim
# "0.6" is exactly ROUNDING_UNITS = 1 unit (0.1) from ½ — the rounding/WRONG boundary. A 60-digit value reads
# exactly ½ (rounding either way); the 320-bit ball (radius ~10^-97) straddles the boundary, the 1,280-bit one
# does not: w < 0 puts the truth beyond the band (WRONG), w > 0 inside it (rounding).
BOUNDARY_CASES = [("-1e-120", "0.6", "WRONG"), ("1e-120", "0.6", "rounding"), ("1e-120", "0.4", "WRONG")]


@pytest.mark.parametrize("w, claimed, verdict", BOUNDARY_CASES)
def test_a_claim_on_a_verdict_boundary_raises_the_precision(tmp_path, w, claimed, verdict):
    path = tmp_path / "boundary.toml"
    path.write_text(BOUNDARY_NET.format(w=w, claimed=claimed), encoding="utf-8")
    (result,) = check_file(path).results
    assert result.verdict == verdict, result
    assert "certified at 1,280 bits" in result.precision, result.precision


KINK_NET = ([1, 2, 1], ["relu", "identity"], "half_sse", "per-neuron")
# u1 = (0.5·1 + 0.5, 1·1 − 1) = (1, 0): hidden unit 2 sits exactly on relu's kink; a2 = W2·relu(u1) = 1 = y.
KINK_PARAMS = {"W1": [[0.5], [1]], "b1": [0.5, -1], "W2": [[1, 1]], "b2": [0]}
KINK_CASES = [
    ("L", "W1[1,1]", Fraction(0)),        # (a2 − y)·W2[1,1]·relu'(1)·x = 0·1·1·1 (does not pass unit 2)
    ("a2[1]", "W1[1,1]", Fraction(1)),    # W2[1,1]·relu'(u1[1])·x = 1
    ("a2[1]", "W2[1,2]", Fraction(0)),    # relu(u1[2]) = relu(0) = 0: the value, not the derivative, is used
    ("a2[1]", "W1[2,1]", None),           # through relu'(0): undefined
    ("a2[1]", "u1[2]", None),
    ("a2[1]", "a1[2]", Fraction(1)),      # W2[1,2]: downstream of the kink only
]


@pytest.mark.parametrize("of, wrt, want", KINK_CASES)
def test_kinks_refuse_only_what_passes_through_them(of, wrt, want):
    net = Network.build(*KINK_NET, params=KINK_PARAMS, x=[1], y=[1])
    truth = Truth(net)
    if want is None:
        with pytest.raises(KinkError, match=r"u1\[2\] = 0 lies exactly on relu's kink"):
            truth.derivative(of, wrt)
    else:
        got = truth.derivative(of, wrt)
        assert got.is_Rational and got == sp.Rational(want.numerator, want.denominator)


def test_identically_zero_shared_bias_is_zero():
    # a shared output bias under softmax + softmax_ce: ∂L/∂b2 = Σ_k (a_k − y_k) = 1 − 1 = 0 for every point
    net = Network.build([2, 3], ["softmax"], "softmax_ce", "shared",
                        params={"W1": [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], "b1": 0.2},
                        x=[0.7, -0.3], y=[0, 1, 0])
    assert Truth(net).gradient()["b1"] == 0
    assert np.isclose(float(Truth(net).gradient()["W1[1,1]"]),
                      numeric.flatten(net.architecture, numeric.gradient(net.architecture, net.numeric_params(),
                                                                         *net.numeric_data()))["W1[1,1]"])
