"""The exact batch truth of random layer lists against the NumPy twin and finite differences.

* Random ``[[layer]]`` lists (dense of every smooth activation and relu, batchnorm in train and
  inference mode, layernorm, dropout with a random mask) and batch sizes 1–5: every parameter
  partial and every node adjoint dL/da{l}[i] of the exact truth (:mod:`symbolic.truth.layered`)
  agrees with :mod:`numeric.layers` (an independent derivation: the compact batch-norm backward)
  to 1e-9 and with central differences of the NumPy loss to 1e-5.
* A batchnorm in train mode with a batch of 1 is refused with its sentence; with a batch of 2 and
  ε = 0 every partial before it is exactly 0 and a claim of it "holds trivially here". The strategy
  draws ε = 0 only where every feature varies over the batch (a constant feature with ε = 0 is
  refused: tests/test_layers.py; a nearly constant one is ill-conditioned for the float twin).
* The rule entry itself: the step-by-step normalization backward of
  :mod:`symbolic.spec.layer_rules` equals ``sympy.diff`` of its forward (n = 3, symbolic), and
  without the ∂σ²/∂μ path (darknet) it is still the same function: that path is 0.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings

from numeric import layers as twin
from numeric.finite import central_difference
from symbolic.spec.errors import DerivcheckError, KinkError
from symbolic.spec.layer_rules import SYMPY, NormMistakes, normalize, normalize_vjp
from symbolic.spec.layers import build_layered
from symbolic.truth.layered import LayeredTruth

from layer_lists import flat as _flat, layer_lists


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(layer_lists())
def test_exact_batch_truth_agrees_with_numpy_and_finite_differences(case):
    tables, params, x, y, loss = case
    batch_norm = [t for t in tables if t["kind"] == "batchnorm" and t.get("mode", "train") == "train"]
    try:
        net = build_layered({"inputs": len(x[0]), "loss": loss}, tables, params, {"x": x, "y": y})
    except DerivcheckError as err:
        assert len(x) == 1 and batch_norm, err  # the only refusal a valid random list meets
        assert "has a single sample: its variance is 0" in str(err)
        return
    assert not (len(x) == 1 and batch_norm)
    truth = LayeredTruth(net)
    try:
        exact = {k: float(v) for k, v in truth.gradient().items()}
    except KinkError:
        assume(False)
    P = net.numeric_params()
    X, Y = np.array(x, dtype=float), np.array(y, dtype=float)
    layers = net.numeric_layers()
    grads, adjoints = twin.gradient(layers, loss, P, X, Y)
    fd = _flat(central_difference(lambda p: twin.loss(layers, loss, p, X, Y), P, h=1e-6))
    for name, value in _flat(grads).items():
        assume(np.isfinite(value))  # NumPy's relu' is nan exactly at the kink, where an exact 0 input decides
        assert abs(exact[name] - value) <= 1e-9 * (1 + abs(value)), (name, exact[name], value)
        assert abs(exact[name] - fd[name]) <= 1e-5 * (1 + abs(value)), (name, exact[name], fd[name])
    vacuous = [t for t in batch_norm if t["eps"] == 0] if len(x) == 2 else []
    first = net.parameter_names()[0]
    if vacuous and tables.index(vacuous[0]) > 0 and not first.startswith(("gamma", "beta")):
        # a parameter before a batch of 2 with eps = 0 (x̂ = ±1): refused as vacuous — unless no gradient
        # reaches that batchnorm at all (then the 0 is not the normalization's doing; the twin says so)
        l = tables.index(vacuous[0]) + 1
        try:
            truth.derivative("L", first)
            reaching = np.asarray(adjoints[l]) * P[f"gamma{l}"]
            assert np.all(np.abs(reaching) < 1e-15), reaching
        except DerivcheckError as err:
            assert "holds trivially here: with a batch of 2 and eps = 0" in str(err)
    for l in range(1, net.depth):
        for s in range(len(x)):
            for i in range(net.layers[l]):
                v = LayeredTruth(net, s + 1).at().derivative("L", f"a{l}[{i + 1}]", s + 1)
                assert abs(float(v) - adjoints[l][s][i]) <= 1e-9 * (1 + abs(adjoints[l][s][i]))


@pytest.mark.parametrize("activation", ["identity", "sigmoid"])  # exact rationals; balls (σ, then √ of a ball)
def test_batch_of_two_without_eps_is_vacuous_and_named(activation: str):
    """x̂ = ±1 for any two distinct inputs when ε = 0: dL/dW1 is 0 (the gradient says so), and a claim of it
    is refused."""
    tables = [{"kind": "dense", "units": 1, "activation": activation}, {"kind": "batchnorm", "eps": 0},
              {"kind": "dense", "units": 1}]
    params = {"W1": [[3]], "b1": [1], "gamma2": [2], "beta2": [1], "W3": [[5]], "b3": [0]}
    net = build_layered({"inputs": 1}, tables, params, {"x": [[1], [4]], "y": [[0], [7]]})
    truth = LayeredTruth(net)
    assert abs(truth.value("xhat2[1]") + 1) < 1e-50 and abs(LayeredTruth(net, 2).value("xhat2[1]") - 1) < 1e-50
    assert truth.gradient()["W1[1,1]"] == 0 and truth.gradient()["b1[1]"] == 0
    with pytest.raises(DerivcheckError, match="holds trivially here: with a batch of 2 and eps = 0"):
        truth.derivative("L", "W1[1,1]")
    assert truth.derivative("L", "gamma2[1]") != 0  # after the normalization the claim is not vacuous


def test_normalization_rule_is_the_derivative_of_its_forward():
    """∂/∂v_i of Σ_j c_j x̂_j, step by step (layer_rules) = sympy.diff of the forward; darknet's variant too."""
    v = sp.symbols("v1:4", real=True)
    c = sp.symbols("c1:4", real=True)
    eps = Fraction(1, 10)
    nz = normalize(list(v), eps, SYMPY)
    target = sum(ci * xi for ci, xi in zip(c, nz.xhat))
    point = {**dict(zip(v, [sp.Rational(1, 3), 2, -1])), **dict(zip(c, [sp.Rational(1, 2), -3, 2]))}
    for mistakes in (NormMistakes(), NormMistakes(var_mu_path=False)):
        dv, _, _ = normalize_vjp(nz, list(c), SYMPY, mistakes)
        for i in range(3):
            difference = sp.diff(target, v[i]) - dv[i]
            assert abs(sp.N(difference.subs(point), 50)) < sp.Float(10) ** -45
    dv, _, _ = normalize_vjp(nz, list(c), SYMPY, NormMistakes(var_path=False))
    assert abs(sp.N((sp.diff(target, v[0]) - dv[0]).subs(point), 50)) > 1e-3  # a real mistake changes it
