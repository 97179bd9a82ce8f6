"""The generated optimizer updates (plain floats and certified balls) against the rules written out here.

The generated code keeps Adam's m and v as m/(1−β1), v/(1−β2) and RMSprop's s as s/(1−ρ), with the
bias corrections and η folded once per update (:func:`symbolic.spec.update_rules.adam_code`), so it must be
checked against the rules as the issue writes them: ``REFERENCE`` below is that arithmetic in plain Python
floats, written independently of derivcheck. Every row runs on f(θ) = θ² (a 1-1 identity network, x = 1,
y = 0, loss sse: g = 2θ) from θ = 0.7 with a non-zero starting state and ``t0`` updates already made, with
each update variant the mistake table replays (ε inside √, bias correction missing or 1 − β, t one ahead);
after 7 updates the float run and the ball run (its midpoint) must agree with the reference to 1e-13, and
the ball run must contain the reference's value within float64's own error.
"""
from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction as F

import pytest

from symbolic.spec.network import Network
from symbolic.spec.optimizers import parse_training
from symbolic.truth.balls import to_fraction
from symbolic.truth.trajectory import Trajectory

STEPS, LR, THETA = 7, 0.05, 0.7


def reference(name: str, h: dict, state: dict, t0: int, variant: dict) -> tuple[float, dict]:
    """The issue's update rules on θ² (g = 2θ), plain floats, ``STEPS`` updates."""
    theta, s = THETA, dict(state)
    root = (lambda x, eps: math.sqrt(x + eps)) if variant.get("eps_inside") else (lambda x, eps: math.sqrt(x) + eps)
    for step in range(STEPS):
        g, t = 2 * theta, t0 + step + 1 + variant.get("t_offset", 0)
        if name == "adagrad":
            s["G"] += g * g
            theta -= LR * g / root(s["G"], h["eps"])
        elif name == "rmsprop":
            s["s"] = h["rho"] * s["s"] + (1 - h["rho"]) * g * g
            theta -= LR * g / root(s["s"], h["eps"])
        else:  # adam, adamw
            s["m"] = h["beta1"] * s["m"] + (1 - h["beta1"]) * g
            s["v"] = h["beta2"] * s["v"] + (1 - h["beta2"]) * g * g
            kind = variant.get("bias_correction")
            c1, c2 = ((1, 1) if kind == "none" else (1 - h["beta1"], 1 - h["beta2"]) if kind == "exponent1" else
                      (1 - h["beta1"] ** t, 1 - h["beta2"] ** t))
            new = theta - LR * (s["m"] / c1) / root(s["v"] / c2, h["eps"])
            theta = new - LR * h.get("weight_decay", 0) * theta
    return theta, s


# optimizer table (with its starting state), t0, variant
ROWS = [
    ({"name": "adam", "eps": 0.01, "state": {"m(W1[1,1])": 0.3, "v(W1[1,1])": 0.2}}, 3, {}),
    ({"name": "adam", "eps": 0.01, "beta1": 0.5, "beta2": 0.75, "state": {"m(W1[1,1])": -0.1}}, 0, {}),
    ({"name": "adam", "eps": 0.01, "state": {"v(W1[1,1])": 0.2}}, 2, {"eps_inside": True}),
    ({"name": "adam", "eps": 0.01}, 2, {"bias_correction": "none"}),
    ({"name": "adam", "eps": 0.01}, 2, {"bias_correction": "exponent1"}),
    ({"name": "adam", "eps": 0.01, "state": {"m(W1[1,1])": 0.3}}, 4, {"t_offset": 1}),
    ({"name": "adamw", "eps": 0.01, "weight_decay": 0.1, "state": {"m(W1[1,1])": 0.3, "v(W1[1,1])": 0.2}}, 1, {}),
    ({"name": "rmsprop", "eps": 0.01, "state": {"s(W1[1,1])": 0.5}}, 0, {}),
    ({"name": "rmsprop", "eps": 0.01, "rho": 0.5, "state": {"s(W1[1,1])": 0.5}}, 0, {"eps_inside": True}),
    ({"name": "adagrad", "eps": 0.01, "state": {"G(W1[1,1])": 0.5}}, 0, {"eps_inside": True}),
]


def _network(table: dict, t0: int, variant: dict) -> Network:
    base = Network.build([1, 1], "identity", "sse", "none", learning_rate=str(LR), params={"W1": [[THETA]]},
                         x=[[1]], y=[[0]])
    opt, reg = parse_training({**table, "t0": t0}, None, base.parameter_names())
    return replace(base, optimizer=opt.with_variant(**variant), regularization=reg)


@pytest.mark.parametrize("table, t0, variant", ROWS, ids=[f"{r[0]['name']}-{k}" for k, r in enumerate(ROWS)])
def test_generated_updates_follow_the_rules_as_written(table, t0, variant):
    net = _network(table, t0, variant)
    opt = net.optimizer
    h = {k: float(v) for k, v in opt.h.items()}
    state = {s: float(opt.initial(s, "W1[1,1]")) for s in opt.rule.state}
    want, want_state = reference(opt.name, h, state, t0, variant)
    traj = Trajectory(net).trained
    floats, float_state = traj.float_after({}, STEPS)
    balls, ball_state = traj.balls({}, STEPS)
    assert abs(floats["W1[1,1]"] - want) <= 1e-13 * abs(want), (floats, want)
    assert abs(float(to_fraction(balls["W1[1,1]"])) - want) <= 1e-13 * abs(want), (balls, want)
    for s, expected in want_state.items():
        assert abs(float_state[(s, "W1[1,1]")] - expected) <= 1e-13 * abs(expected), (s, float_state, expected)
        assert abs(float(to_fraction(ball_state[(s, "W1[1,1]")])) - expected) <= 1e-13 * abs(expected), s
    # the certified run and the exact point-evaluation run (the rule over balls, unscaled) agree to 60 digits
    exact = traj.optimized({}, STEPS).params["W1[1,1]"]
    assert abs(to_fraction(balls["W1[1,1]"]) - to_fraction(exact)) <= F(1, 10 ** 55) * abs(to_fraction(exact))
