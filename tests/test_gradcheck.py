"""Gradient-check helpers: gradcheck (numeric witness) and assert_gradients_match (exact truth).

Independent sources: the analytic gradients of the small test functions are
derived by hand (d/dW sum(sin(Wx)) = cos(Wx) x^T, ...); the "user" backprop
below is written here from the textbook equations, not taken from
numeric.engine; seed 002's printed figures (0.082167041, 0.000438568) anchor
it to the article.
"""
from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest

from symbolic.claims.derivation import load_derivation
from symbolic.spec.errors import DerivcheckError
from symbolic.gradcheck import (
    METHODS, STANDARD_NETWORKS, assert_gradients_match, gradcheck, make_network, standard_network,
)

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- a user's backprop
ACTS = {
    "sigmoid": (lambda u: 1 / (1 + np.exp(-u)), lambda a: a * (1 - a)),
    "tanh": (np.tanh, lambda a: 1 - a * a),
    "identity": (lambda u: u, lambda a: np.ones_like(a)),
}


def user_backprop(network, *, transpose_back=False, transpose_grad=False, drop_fprime=False):
    """A hand-written single-sample backprop for half-SSE networks, with optional classic mistakes."""
    depth = len(network.layers) - 1

    def my_grad_fn(params, x, y):
        a = [x]
        for l in range(1, depth + 1):
            f, _ = ACTS[network.activations[l - 1]]
            u = params[f"W{l}"] @ a[-1]
            if network.bias[l - 1] != "none":
                u = u + params[f"b{l}"]
            a.append(f(u))
        _, fp = ACTS[network.activations[-1]]
        delta = (a[-1] - y) * (1.0 if drop_fprime else fp(a[-1]))
        grads = {}
        for l in range(depth, 0, -1):
            grads[f"W{l}"] = np.outer(a[l - 1], delta) if transpose_grad else np.outer(delta, a[l - 1])
            if network.bias[l - 1] == "per-neuron":
                grads[f"b{l}"] = delta.copy()
            elif network.bias[l - 1] == "shared":
                grads[f"b{l}"] = np.asarray(delta.sum())
            if l > 1:
                W = params[f"W{l}"]
                back = (W @ delta) if transpose_back else (W.T @ delta)
                _, fp = ACTS[network.activations[l - 2]]
                delta = back * fp(a[l - 1])
        return grads

    return my_grad_fn


def user_batch_backprop(network):
    single = user_backprop(network)

    def my_batch_grad(params, X, Y):
        parts = [single(params, x, y) for x, y in zip(X, Y)]
        return {k: sum(p[k] for p in parts) / len(parts) for k in parts[0]}

    return my_batch_grad


# ------------------------------------------------------- assert_gradients_match
def test_user_backprop_reproduces_the_article(mazur_network):
    """The test's own backprop is anchored to seed 002's printed numbers before it anchors anything else."""
    g = user_backprop(mazur_network)(mazur_network.numeric_params(), np.array([0.05, 0.10]), np.array([0.01, 0.99]))
    assert g["W2"][0, 0] == pytest.approx(0.082167041, abs=5e-10)
    assert g["W1"][0, 0] == pytest.approx(0.000438568, abs=5e-10)


@pytest.mark.parametrize("name", ["mazur", "sigai", "lagou"])
def test_correct_user_gradient_passes_on_every_standard_network(name, derivcheck_network):
    network = derivcheck_network(name)
    checked = assert_gradients_match(network, user_backprop(network), n_random=2, seed=7)
    assert checked == 3  # the network's own point + 2 random points


@pytest.mark.parametrize("layers, activation, bias", [
    ([2, 3, 1], "tanh", "per-neuron"),
    ([3, 2, 2], ["tanh", "sigmoid"], ["shared", "none"]),
    ([1, 2, 2, 1], ["sigmoid", "tanh", "identity"], "per-neuron"),
])
def test_correct_user_gradient_passes_on_built_networks(layers, activation, bias, derivcheck_network):
    network = derivcheck_network(layers, activation=activation, bias=bias, seed=3)
    assert assert_gradients_match(network, user_backprop(network), n_random=1) == 2


def test_transposed_weight_in_the_backward_pass_fails_naming_the_entry(mazur_network):
    wrong = user_backprop(mazur_network, transpose_back=True)
    with pytest.raises(AssertionError) as info:
        assert_gradients_match(mazur_network, wrong, n_random=0)
    text = str(info.value)
    assert "my_grad_fn disagrees with the exact gradient at the network's own point" in text
    assert "dL/dW1[1,1]: yours" in text
    # the output layer's gradients do not go through the transposed product: not listed
    assert "dL/dW2[" not in text
    # the exact value is printed next to the user's: seed 002's dE/dw1 = 0.000438568
    assert re.search(r"dL/dW1\[1,1\]: yours \S+, exact 0\.00043856773", text)


def test_transposed_weight_gradient_is_named_with_its_twin(mazur_network):
    wrong = user_backprop(mazur_network, transpose_grad=True)
    with pytest.raises(AssertionError) as info:
        assert_gradients_match(mazur_network, wrong, n_random=0)
    text = str(info.value)
    # W2[1,2] and W2[2,1] swap places; the diagonal is right
    assert "dL/dW2[1,2]: yours 0.08216704" not in text
    assert "dL/dW2[1,2]: yours -0.02260254048, exact 0.08266762785 — that is the exact dL/dW2[2,1]" in text
    assert "dL/dW2[2,1]: yours 0.08266762785, exact -0.02260254048 — that is the exact dL/dW2[1,2]" in text
    assert "dL/dW2[1,1]" not in text and "dL/dW2[2,2]" not in text


def test_transposed_gradient_of_the_wrong_shape_is_named(sigai_network):
    wrong = user_backprop(sigai_network, transpose_grad=True)
    with pytest.raises(AssertionError, match=re.escape("for 'W1' has shape (3, 4), but W1 has shape (4, 3) (transposed?)")):
        assert_gradients_match(sigai_network, wrong, n_random=0)


def test_a_mistake_only_visible_away_from_the_file_point_is_found_at_a_random_point():
    # identity output: f' = 1, so dropping f' is harmless; with sigmoid it is wrong everywhere.
    network = make_network([2, 2, 1], activation="sigmoid", seed=1)
    with pytest.raises(AssertionError, match=r"at the network's own point in \d+ of 9 entries"):
        assert_gradients_match(network, user_backprop(network, drop_fprime=True))
    with pytest.raises(AssertionError, match=r"at random point 1 \(seed 5\)"):
        assert_gradients_match(network, user_backprop(network, drop_fprime=True), include_network_point=False,
                               n_random=1, seed=5)


def test_given_points_as_dicts_and_tuples(mazur_network):
    good = user_backprop(mazur_network)
    params = {"W1": [[0.1, -0.2], [0.3, 0.4]], "b1": 0.5, "W2": [[-0.6, 0.7], [0.8, -0.9]], "b2": -0.1}
    n = assert_gradients_match(mazur_network, good, n_random=0, include_network_point=False,
                               points=[{"params": params}, {"x": [1.0, -1.0]}, (params, [0.2, 0.3], [1.0, 0.0])])
    assert n == 3
    # with a symmetric W2 a transposed W2 in the backward pass is harmless; the next point exposes it
    symmetric = {**params, "W2": [[-0.6, 0.7], [0.7, -0.9]]}
    with pytest.raises(AssertionError, match=r"at given point 2 in \d+ of 10 entries"):
        assert_gradients_match(mazur_network, user_backprop(mazur_network, transpose_back=True), n_random=0,
                               include_network_point=False, points=[{"params": symmetric}, {"params": params}])


def test_batch_mode_and_per_sample_mode_on_a_batch_network():
    network = make_network([2, 2, 1], x=[[0.1, 0.2], [0.3, -0.4], [-0.5, 0.6]], y=[[0], [1], [0.5]], seed=2)
    assert assert_gradients_match(network, user_batch_backprop(network), batch=True, n_random=1) == 2
    assert assert_gradients_match(network, user_backprop(network), n_random=0) == 3  # one case per sample


def test_missing_key_and_non_dict_are_named(mazur_network):
    def no_b2(params, x, y):
        g = user_backprop(mazur_network)(params, x, y)
        del g["b2"]
        return g
    with pytest.raises(AssertionError, match="no entry for parameter 'b2'"):
        assert_gradients_match(mazur_network, no_b2, n_random=0)
    with pytest.raises(AssertionError, match="returned list"):
        assert_gradients_match(mazur_network, lambda p, x, y: [1, 2], n_random=0)


# ------------------------------------------------------------------- gradcheck
def _f(p):
    """f(W, b) = Σ sin(W x) + b·b + Π over nothing — analytic: cos(Wx) xᵀ, 2b."""
    x = np.array([0.3, -1.2, 0.7])
    return np.sum(np.sin(p["W"] @ x)) + np.sum(p["b"] * p["b"])


def _df(p):
    x = np.array([0.3, -1.2, 0.7])
    return {"W": np.outer(np.cos(p["W"] @ x), x), "b": 2 * p["b"]}


POINT = {"W": np.array([[0.5, -0.25, 1.0], [0.1, 0.2, -0.3]]), "b": np.array([0.4, -1.5])}


@pytest.mark.parametrize("method", METHODS)
def test_gradcheck_passes_a_right_gradient(method):
    numeric = gradcheck(_f, POINT, analytic=_df(POINT), method=method)
    assert set(numeric) == {"W", "b"}
    np.testing.assert_allclose(numeric["W"], _df(POINT)["W"], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("mistake, entry", [
    (lambda g: {**g, "W": g["W"].T.reshape(2, 3)}, "W[1,2]"),          # a transposed product reshaped
    (lambda g: {**g, "b": g["b"] / 2}, "b[1]"),                           # a lost factor 2
    (lambda g: {**g, "W": g["W"] + np.array([[0, 0, 0], [0, 0, 1e-3]])}, "W[2,3]"),  # tiny, above tolerance
])
def test_gradcheck_catches_a_wrong_gradient_and_names_the_entry(method, mistake, entry):
    wrong = mistake(_df(POINT))
    with pytest.raises(AssertionError) as info:
        gradcheck(_f, POINT, analytic=wrong, method=method)
    text = str(info.value)
    assert f"{entry}: analytic " in text and ", numeric " in text
    assert f"{wrong[entry[0]][tuple(int(i) - 1 for i in entry[2:-1].split(','))]:.10g}" in text


@pytest.mark.parametrize("method", METHODS)
def test_gradcheck_on_a_network_loss_with_the_user_backprop(method, lagou_network):
    """fn = the half-SSE loss written here (complex-safe); analytic = the user's backprop."""
    x, y = np.array([0.5, 0.8]), np.array([1.0])

    def loss(p):
        h = 1 / (1 + np.exp(-(p["W1"] @ x)))
        o = 1 / (1 + np.exp(-(p["W2"] @ h)))
        return 0.5 * np.sum((o - y) ** 2)

    params = lagou_network.numeric_params()
    gradcheck(loss, params, analytic=lambda p: user_backprop(lagou_network)(p, x, y), method=method)
    with pytest.raises(AssertionError, match=r"W1\[1,1\]: analytic"):
        gradcheck(loss, params, analytic=lambda p: user_backprop(lagou_network, drop_fprime=True)(p, x, y),
                  method=method)


def test_gradcheck_tolerances_are_torch_style():
    # |a - n| <= atol + rtol*|n|: 1e-5 + 1e-3*|n|
    f = lambda p: 1000.0 * p["w"][0]  # noqa: E731  (derivative exactly 1000)
    point = {"w": np.array([0.25])}
    gradcheck(f, point, analytic={"w": np.array([1000.0 + 0.9])})  # within 1e-5 + 1.0
    with pytest.raises(AssertionError):
        gradcheck(f, point, analytic={"w": np.array([1000.0 + 1.1])})
    gradcheck(f, point, analytic={"w": np.array([1000.0 + 1.1])}, rtol=2e-3)


def test_gradcheck_forms_of_input():
    arr = np.array([1.0, 2.0])
    # a single array, fn returning (value, gradient)
    out = gradcheck(lambda w: (float(w @ w), 2 * w), arr)
    np.testing.assert_allclose(out["params"], [2.0, 4.0], rtol=1e-6)
    with pytest.raises(AssertionError, match=r"params\[2\]: analytic 5"):
        gradcheck(lambda w: (float(w @ w), np.array([2.0, 5.0])), arr)
    with pytest.raises(AssertionError, match=r"has shape \(3,\), but w has shape \(2,\)"):
        gradcheck(lambda p: float(p["w"] @ p["w"]), {"w": arr}, analytic={"w": np.zeros(3)})
    with pytest.raises(ValueError, match="method 'forward' is unknown"):
        gradcheck(lambda p: 0.0, {"w": arr}, analytic={"w": arr}, method="forward")
    with pytest.raises(TypeError, match="must return a scalar"):
        gradcheck(lambda p: p["w"], {"w": arr}, analytic={"w": arr})
    # the caller's arrays are never modified
    before = arr.copy()
    gradcheck(lambda p: np.sum(p["w"] ** 3), {"w": arr}, analytic={"w": 3 * arr ** 2}, method="complex")
    np.testing.assert_array_equal(arr, before)


# -------------------------------------------------------------- networks / fixtures
@pytest.mark.parametrize("name, path", [
    ("mazur", "derivations/002-mazur-2-2-2-step-by-step.toml"),
    ("lagou", "derivations/004-lagou-2-2-1-sigmoid.toml"),
])
def test_standard_networks_are_the_transcribed_seeds(name, path, derivcheck_network):
    mine = standard_network(name)
    theirs = derivcheck_network(str(ROOT / path))
    assert mine == theirs
    assert mine.parameter_values() == theirs.parameter_values()


def test_sigai_network_has_seed_003s_shape(sigai_network):
    assert sigai_network.layers == (3, 4, 2)
    assert sigai_network.activations == ("sigmoid", "sigmoid") and sigai_network.loss == "half_sse"
    assert sigai_network.bias == ("per-neuron", "per-neuron")


def test_fixtures_and_factory(mazur_network, lagou_network, derivcheck_network):
    assert mazur_network.layers == (2, 2, 2) and mazur_network.bias == ("shared", "shared")
    assert mazur_network.parameter_values()["W2[1,1]"] == Fraction("0.40")
    assert lagou_network.layers == (2, 2, 1) and lagou_network.bias == ("none", "none")
    a = derivcheck_network([3, 2, 1], activation="tanh", seed=4)
    b = derivcheck_network([3, 2, 1], activation="tanh", seed=4)
    c = derivcheck_network([3, 2, 1], activation="tanh", seed=5)
    assert a.parameter_values() == b.parameter_values() != c.parameter_values()
    assert all(v.denominator in (1, 2, 4, 5, 10, 20, 25, 50, 100) for v in a.parameter_values().values())
    assert set(STANDARD_NETWORKS) == {"mazur", "sigai", "lagou"}
    with pytest.raises(DerivcheckError, match="no standard network 'lenet'"):
        standard_network("lenet")


def test_loaded_derivation_network_gives_the_articles_gradient(derivcheck_network):
    network = derivcheck_network(str(ROOT / "derivations/002-mazur-2-2-2-step-by-step.toml"))
    assert network == load_derivation(ROOT / "derivations/002-mazur-2-2-2-step-by-step.toml").network
    assert_gradients_match(network, user_backprop(network), n_random=0)


@pytest.mark.parametrize("layers, activation, loss", [
    ([2, 2, 3], ["relu", "softmax"], "softmax_ce"),
    ([3, 2, 2], ["tanh", "sigmoid"], "bce"),
    ([3, 4, 3], ["relu", "identity"], "mse"),
])
def test_random_points_fit_every_loss(layers, activation, loss):
    """numeric.engine's batched backprop (a different witness) as the 'user' function, batch and per sample."""
    import numeric

    network = make_network(layers, activation=activation, loss=loss, seed=11)
    arch = network.architecture

    def engine_grad(params, x, y):
        return numeric.gradient(arch, params, np.atleast_2d(x), np.atleast_2d(y))

    assert assert_gradients_match(network, engine_grad, n_random=1, seed=3) == 2
    assert assert_gradients_match(network, engine_grad, n_random=1, seed=4, batch=True, include_network_point=False) == 1


def test_factory_rejects_options_for_named_networks(derivcheck_network):
    with pytest.raises(TypeError, match="options"):
        derivcheck_network("mazur", seed=3)
