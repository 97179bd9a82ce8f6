"""Trajectories (symbolic/truth/trajectory.py) and the generated float update (symbolic/truth/compiled_update.py).

Every expected value comes from the independent NumPy engine (``numeric.train``, which never
imports SymPy) or, for kinks and precision sentences, is stated by hand. Float comparisons are
|ours − numeric| ≤ 1e-12 · max(1, max |θ|) per parameter (nan where numeric has nan).
"""
from __future__ import annotations

import math
import time
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from flint import arb
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import numeric
from symbolic.claims.derivation import load_derivation
from symbolic.spec.errors import DerivcheckError, KinkError
from symbolic.spec.network import Network
from symbolic.truth import trajectory as traj
from symbolic.truth.compiled_update import _verify, compile_update
from symbolic.truth.replay import Mistakes
from symbolic.truth.trajectory import GENERATED_NUMPY, NUMPY, PLAIN, Trajectory

SEED002 = "derivations/002-mazur-2-2-2-step-by-step.toml"
RTOL = 1e-12


def _net(layers, act="sigmoid", loss="half_sse", bias="per-neuron", update_biases=True, m=1, lr="0.1", seed=0,
         scale=1.0) -> Network:
    """A network with random 2-decimal parameters and data (seeded)."""
    rng = np.random.default_rng(seed)

    def dec(shape, s=1.0):
        return (rng.normal(size=shape) * s).round(2).tolist()

    params = {}
    for l in range(1, len(layers)):
        params[f"W{l}"] = dec((layers[l], layers[l - 1]), scale / math.sqrt(layers[l - 1]))
        b = bias[l - 1] if isinstance(bias, (list, tuple)) else bias
        if b == "per-neuron":
            params[f"b{l}"] = dec(layers[l], 0.5)
        elif b == "shared":
            params[f"b{l}"] = round(float(rng.normal()) * 0.5, 2)
    y = rng.random(size=(m, layers[-1])).round(2)
    if loss == "softmax_ce":
        y = np.eye(layers[-1])[rng.integers(0, layers[-1], size=m)]
    return Network.build(layers=list(layers), activation=act, loss=loss, bias=bias, learning_rate=lr,
                         update_biases=update_biases, params=params, x=dec((m, layers[0])), y=y.tolist())


def _numeric_after(net: Network, n: int, start=None, lr=None, update_biases=None) -> dict[str, float]:
    arch = net.architecture
    values = net.parameter_values()
    values.update(start or {})
    X, Y = net.numeric_data()
    run = numeric.train(arch, numeric.unflatten(arch, {k: float(v) for k, v in values.items()}), X, Y,
                        float(net.learning_rate) if lr is None else lr, n,
                        update_biases=net.update_biases if update_biases is None else update_biases, record=False)
    return numeric.flatten(arch, run.params)


def _assert_close(ours: dict, theirs: dict, rtol: float = RTOL) -> None:
    scale = max([1.0] + [abs(v) for v in theirs.values() if math.isfinite(v)])
    for k, want in theirs.items():
        got = float(ours[k])
        if math.isnan(want):
            assert math.isnan(got), (k, got, want)
            continue
        assert abs(got - want) <= rtol * scale, (k, got, want, abs(got - want) / scale)


# ----------------------------------------------------------------------------------------- seed 002
def test_seed002_10000_updates_match_numeric_train_and_are_fast():
    net = load_derivation(SEED002).network
    t = Trajectory(net)
    t.float_after({}, 10_000)  # compile outside the timing (a short run would not generate the code)
    start = time.perf_counter()
    ours = Trajectory(net)
    ours._plain = t._plain  # the same compiled code, a fresh cache
    got = ours.float_after({}, 10_000)
    plain = time.perf_counter() - start
    start = time.perf_counter()
    want = _numeric_after(net, 10_000)
    witness = time.perf_counter() - start
    assert ours.float_engine({}) == PLAIN
    _assert_close(got, want)
    assert plain * 5 < witness, (plain, witness)  # measured ~25x (0.01 s vs 0.29 s)


# ------------------------------------------------------------------------ every rule and bias mode
CASES = [
    # layers, activation(s), loss, bias, update_biases, samples
    ((2, 2, 2), "sigmoid", "half_sse", "shared", False, 1),
    ((2, 3, 2), "sigmoid", "sse", "per-neuron", True, 1),
    ((3, 2, 1), "identity", "mse", "none", True, 2),
    ((2, 3, 2), "tanh", "half_sse", "per-neuron", True, 3),
    ((2, 3, 2), ["tanh", "identity"], "mse", "shared", True, 2),
    ((2, 3, 1), ["relu", "sigmoid"], "bce", "per-neuron", True, 2),
    ((2, 4, 3), ["relu", "relu"], "half_sse", "per-neuron", True, 1),
    ((2, 3, 3), ["sigmoid", "softmax"], "softmax_ce", "per-neuron", True, 3),
    ((2, 3, 3), ["tanh", "softmax"], "softmax_ce", "shared", True, 1),
    ((2, 3, 3), ["sigmoid", "softmax"], "half_sse", "none", True, 2),
    ((2, 3, 2), ["relu", "softmax"], "bce", "per-neuron", False, 2),
    ((2, 2, 2, 2), ["tanh", "sigmoid", "sigmoid"], "sse", ["per-neuron", "shared", "none"], True, 2),
    ((4, 8, 4), "sigmoid", "half_sse", "per-neuron", True, 1),
]
ENGINES = [PLAIN, GENERATED_NUMPY, NUMPY]


def _force(monkeypatch, engine: str) -> None:
    if engine == PLAIN:  # however short the run (else one too short for the code to pay off runs in NumPy)
        monkeypatch.setattr(traj, "plain_pays_off", lambda parameters, samples: 0)
    if engine != PLAIN:
        monkeypatch.setattr(traj, "PLAIN_WORK", 0)
    if engine == NUMPY:
        monkeypatch.setattr(traj, "STRUCTURED_PARAMETERS", 0)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("layers, act, loss, bias, update_biases, m", CASES)
def test_float_path_matches_numeric_train(monkeypatch, engine, layers, act, loss, bias, update_biases, m):
    _force(monkeypatch, engine)
    net = _net(layers, act, loss, bias, update_biases, m, lr="0.2", seed=len(layers) + m)
    t = Trajectory(net)
    got = t.float_after({}, 500)
    assert t.float_engine({}) == engine
    _assert_close(got, _numeric_after(net, 500))


@pytest.mark.parametrize("mistakes, lr_factor, update_biases", [
    (Mistakes(loss_scale=2), 2.0, None),
    (Mistakes(loss_scale=0.5), 0.5, None),
    (Mistakes(sign=-1), -1.0, None),
    (Mistakes(update_biases=False), 1.0, False),
])
@pytest.mark.parametrize("engine", ENGINES)
def test_replayable_mistakes_scale_the_rate_or_freeze_biases(monkeypatch, engine, mistakes, lr_factor, update_biases):
    _force(monkeypatch, engine)
    net = _net((2, 3, 2), "sigmoid", "half_sse", "per-neuron", True, 2, lr="0.25", seed=7)
    got = Trajectory(net).float_after({"W1[1,1]": Fraction(1, 4)}, 300, mistakes)
    want = _numeric_after(net, 300, {"W1[1,1]": Fraction(1, 4)}, 0.25 * lr_factor, update_biases)
    _assert_close(got, want)


def test_overflowing_python_floats_fall_back_to_numpy():
    # u1 = 1000 x: math.exp(1000) overflows where NumPy's sigmoid gives its limit.
    net = Network.build(layers=[1, 1, 1], activation="sigmoid", loss="half_sse", bias="none", learning_rate="0.1",
                        params={"W1": [[-1000]], "W2": [[1]]}, x=[1], y=[0.5])
    t = Trajectory(net)
    got = t.float_after({}, 2_500)
    assert t.float_engine({}) == GENERATED_NUMPY
    _assert_close(got, _numeric_after(net, 2_500))


def test_large_networks_use_numeric_train():
    net = _net((30, 40, 30), "sigmoid", "half_sse", "per-neuron", True, 1)
    assert len(net.parameter_names()) > traj.STRUCTURED_PARAMETERS
    assert Trajectory(net)._float_kind() == NUMPY


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    widths=st.lists(st.integers(1, 3), min_size=2, max_size=4),
    hidden=st.sampled_from(["identity", "sigmoid", "tanh", "relu"]),
    output=st.sampled_from([("identity", "half_sse"), ("sigmoid", "sse"), ("tanh", "mse"), ("sigmoid", "bce"),
                            ("relu", "half_sse"), ("softmax", "softmax_ce"), ("softmax", "bce")]),
    bias=st.sampled_from(["none", "per-neuron", "shared"]),
    update_biases=st.booleans(),
    m=st.integers(1, 3),
    seed=st.integers(0, 10_000),
    n=st.integers(1, 120),
)
def test_random_networks_match_numeric_train(widths, hidden, output, bias, update_biases, m, seed, n):
    act, loss = output
    layers = tuple(widths) + ((2,) if act == "softmax" and widths[-1] == 1 else ())
    acts = [hidden] * (len(layers) - 2) + [act]
    net = _net(layers, acts, loss, bias, update_biases, m, lr="0.1", seed=seed)
    t = Trajectory(net)
    try:
        reference = _numeric_after(net, n)
    except (RuntimeWarning, FloatingPointError, OverflowError):
        assume(False)  # the run diverges (float64 overflows): nothing to compare
    _assert_close(t.float_after({}, n), reference)


# ------------------------------------------------------------------------- 60 digits vs float64
@pytest.mark.parametrize("layers, act, loss, bias, update_biases, m", [
    ((2, 2, 2), "sigmoid", "half_sse", "shared", False, 1),
    ((2, 3, 2), "tanh", "mse", "per-neuron", True, 2),
    ((2, 3, 3), ["sigmoid", "softmax"], "softmax_ce", "per-neuron", True, 2),
    ((2, 3, 1), ["relu", "sigmoid"], "bce", "shared", True, 1),
])
def test_certified_and_float64_agree_after_100_updates(layers, act, loss, bias, update_biases, m):
    # relu networks take the 60-digit path (Fractions); the others a certified ball trajectory (Fractions where
    # a parameter never moved, balls narrower than 10^-70 of their value elsewhere)
    net = _net(layers, act, loss, bias, update_biases, m, lr="0.3", seed=3)
    t = Trajectory(net)
    exact = t.after({}, 100)
    for k, v in exact.items():
        assert isinstance(v, Fraction) or (isinstance(v, arb) and v.rad() < abs(v).upper() * arb(10) ** -70), k
    as_floats = {k: float(v) if isinstance(v, Fraction) else float(v.mid()) for k, v in exact.items()}
    _assert_close(as_floats, _numeric_after(net, 100))
    _assert_close(t.float_after({}, 100), as_floats)


def test_seed002_one_update_at_sixty_digits_is_the_tutorials_w5():
    # Mazur's article: w5+ = 0.35891648 after one update (8 digits, by the author's hand).
    after = Trajectory(load_derivation(SEED002).network).after({}, 1)
    w5 = after["W2[1,1]"]  # a certified ball
    assert abs(w5 - arb(Fraction("0.35891648").numerator) / Fraction("0.35891648").denominator) < arb(10) ** -8


# --------------------------------------------------------------------------------- precision, cache
@pytest.mark.parametrize("kinked, n, sentence", [
    (False, 0, "exact"),
    (False, 1, "certified ball arithmetic through 1 update(s) at 256 bits"),
    (False, 10_000, "certified ball arithmetic through 10,000 update(s) at 256 bits"),
    # relu off its kink (u1[2] = 1 − 2 = −1 at the start): the balls decide every kink, like any other net
    (True, 1, "certified ball arithmetic through 1 update(s) at 256 bits"),
    (True, 2_000, "certified ball arithmetic through 2,000 update(s) at 256 bits"),
    (True, 2_001, "certified ball arithmetic through 2,001 update(s) at 256 bits"),
    # relu exactly on its kink at the start (u1[2] = 1 − 1 = 0): the 60-digit run says what that poisons
    ("on the kink", 1, "60 digits through 1 update(s)"),
    ("on the kink", 2_000, "60 digits through 2,000 update(s)"),
])
def test_precision_says_which(kinked, n, sentence):
    t = Trajectory(_kinked("-1" if kinked == "on the kink" else "-2") if kinked else load_derivation(SEED002).network)
    t.after({}, n)
    assert t.precision(n) == sentence


def test_neighbouring_update_counts_cost_one_run(monkeypatch):
    net = load_derivation(SEED002).network
    t = Trajectory(net)
    steps = []
    real = t._float_steps
    monkeypatch.setattr(t, "_float_steps", lambda run, p, k, m: steps.append(k) or real(run, p, k, m))
    n = 5_000
    at = t.float_after({}, n)
    before = t.float_after({}, n - 1)
    later = t.float_after({}, n + 1)
    assert steps == [n - 1, 1, 1]
    _assert_close(before, _numeric_after(net, n - 1))
    _assert_close(at, _numeric_after(net, n))
    _assert_close(later, _numeric_after(net, n + 1))
    assert steps == [n - 1, 1, 1]


def test_start_overrides_are_their_own_trajectory():
    net = load_derivation(SEED002).network
    t = Trajectory(net)
    moved = t.after({"W2[1,1]": Fraction(1, 2)}, 1)
    plain = t.after({}, 1)
    assert moved != plain
    want = _numeric_after(net, 1, {"W2[1,1]": Fraction(1, 2)})
    _assert_close({k: float(v) for k, v in moved.items()}, want)


# ------------------------------------------------------------------------------------------ kinks
def _kinked(b12: str) -> Network:
    # 1-2-1 relu net, x = 1: u1[2] = W1[2,1] + b1[2] = 1 + b12 (0 for b12 = -1: on the kink)
    return Network.build(layers=[1, 2, 1], activation="relu", loss="half_sse", bias="per-neuron",
                         learning_rate="0.1", params={"W1": [[0.5], [1]], "b1": [0.5, b12], "W2": [[1, 1]],
                                                      "b2": [0]}, x=[1], y=[1])


@pytest.mark.parametrize("n, parameter, refused", [
    (1, "W1[2,1]", True),    # feeds the unit on the kink
    (1, "b1[2]", True),
    (1, "W1[1,1]", False),   # does not feed it
    (1, "W2[1,1]", False),
    (1, None, True),         # a claim depending on every parameter
    (2, "W1[1,1]", True),    # from the second update on everything depends on the first
    (2_001, "W1[1,1]", True),  # float64 trajectory: the start is checked
    (2_001, None, True),
])
def test_kink_poisons_as_stated(n, parameter, refused):
    t = Trajectory(_kinked("-1"))
    if refused and n > traj.EXACT_UPDATES:  # a float64 trajectory through the kink is nan: after() says why
        with pytest.raises(KinkError, match=r"u1\[2\] = 0 lies exactly on relu's kink"):
            t.after({}, n)
    elif refused:
        t.after({}, n)
        with pytest.raises(KinkError, match=r"u1\[2\] = 0 lies exactly on relu's kink"):
            t.check_poison({}, n, parameter)
    else:
        t.after({}, n)
        t.check_poison({}, n, parameter)


def test_off_the_kink_nothing_is_poisoned():
    t = Trajectory(_kinked("-2"))
    for n in (1, 2, 2_001):
        t.after({}, n)
        t.check_poison({}, n, None)


# ----------------------------------------------------------------------------------- generated code
def test_generated_source_uses_only_our_identifiers():
    import re
    net = _net((2, 3, 3), ["relu", "softmax"], "softmax_ce", "shared", True, 2)
    code = compile_update(net)
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code.source))
    ours = re.compile(r"(W\d+_\d+_\d+|b\d+(_\d+)?|s_W\d+_\d+_\d+|s_b\d+(_\d+)?|[ua]\d+_\d+|df\d+_\d+|delta\d+_\d+"
                      r"|mx\d+|sh\d+_\d+|t\d+_\d+|[xy]_\d+)\Z")
    keywords = {"def", "run", "steps", "lr", "data", "m", "len", "for", "step_", "in", "range", "return", "math",
                "exp", "log", "tanh", "nan", "max", "if", "else"}
    assert {w for w in words if not ours.match(w)} <= keywords


@pytest.mark.parametrize("source", [
    "def run(steps):\n    return __import__('os')\n",
    "def run(steps):\n    return math.sys\n",
    "def run(steps):\n    import os\n",
    "def run(steps, lr):\n    return lr.__class__\n",
])
def test_source_check_refuses_anything_we_did_not_build(source):
    with pytest.raises(DerivcheckError):
        _verify(source, {"steps", "lr", "math", "range", "len", "max"})


def test_compiled_update_runs_without_builtins():
    code = compile_update(_net((2, 2, 1), "sigmoid"))
    assert set(code.function.__globals__["__builtins__"]) == {"range", "len", "max"}


def test_floats_go_in_and_mpf_come_out():
    t = Trajectory(load_derivation(SEED002).network)
    out = t.float_after({}, 3)
    assert all(isinstance(v, mpmath.mpf) for v in out.values())
    assert out["b1"] == mpmath.mpf(0.35)  # update_biases = false: the float of 0.35 itself
