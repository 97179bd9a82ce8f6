"""Each optimizer and L2-penalty entry of the mistake table diagnoses the number that mistake makes.

One table, one body. Every case is a small derivation file on f(θ) = θ² (a 1-1 identity network,
x = 1, y = 0, loss sse: g = 2θ), or θ·1 + b for the bias cases (u = 2 at θ = b = 1: g_θ = g_b = 4),
with two claims about the same quantity (a parameter, a loss or an optimizer state such as
``m(W1[1,1])`` — also for the older entries of :mod:`symbolic.claims.mistakes`, which the optimizer run
replays): the number an author gets by making the mistake —
computed by hand in the table's comments and expressions, not by derivcheck — and the right one.
The wrong number must be WRONG with the mistake's description in its diagnosis, the right one ok.
"""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from symbolic.claims.check import check_file
from symbolic.claims.mistakes import MISTAKES
from symbolic.claims.optimizer_mistakes import OPTIMIZER_MISTAKES

DESCRIPTION = {m.key: m.description for m in MISTAKES}  # the optimizer entries and the older ones


def header(optimizer: str, regularization: str = "", lr: str = "0.1", bias: bool = False, extra: str = "") -> str:
    net = (f'[network]\nlayers = [1, 1]\nactivation = "identity"\nloss = "sse"\n'
           f'bias = "{"per-neuron" if bias else "none"}"\nlearning_rate = {lr}\n'
           f'[data]\nx = [1]\ny = [0]\n[parameters]\nW1 = [[1]]\n' + ("b1 = [1]\n" if bias else ""))
    return net + f"[optimizer]\n{optimizer}\n" + (f"[regularization]\n{regularization}\n" if regularization else "") + extra


def g(x: float) -> str:
    """A hand-computed number printed to 9 significant digits, as a tutorial would."""
    return f"{x:.9g}"


# m̂/v̂ of Adam's first update on θ² from θ = 1 (g = 2): m = 0.2, v = 0.004, m̂ = 2, v̂ = 4
CASES = [
    # key, file header, claim (name, after), wrong (hand), right (hand)
    ("momentum_convention", header('name = "momentum"'), ("velocity(W1[1,1])", 1),
     "-0.2",  # sutskever: v = 0.9·0 − 0.1·2
     "2"),  # pytorch: v = 0.9·0 + 2
    ("momentum_convention", header('name = "nesterov"\nconvention = "sutskever"'), ("W1[1,1]", 1),
     "0.62",  # pytorch nesterov: θ = 1 − 0.1(2 + 0.9·2)
     "0.8"),  # sutskever: v = −0.2 (gradient at the look-ahead 1 + 0.9·0), θ = 1 − 0.2
    ("eps_inside_root", header('name = "adam"\neps = 0.01'), ("W1[1,1]", 1),
     g(1 - 0.1 * 2 / math.sqrt(4 + 0.01)), g(1 - 0.1 * 2 / (math.sqrt(4) + 0.01))),
    ("eps_inside_root", header('name = "rmsprop"\neps = 0.01'), ("W1[1,1]", 1),  # s = 0.01·4 = 0.04
     g(1 - 0.1 * 2 / math.sqrt(0.04 + 0.01)), g(1 - 0.1 * 2 / (math.sqrt(0.04) + 0.01))),
    ("bias_correction_missing", header('name = "adam"\neps = 0'), ("W1[1,1]", 1),
     g(1 - 0.1 * 0.2 / math.sqrt(0.004)),  # m and v themselves
     "0.9"),  # 1 − 0.1·2/√4
    ("bias_correction_exponent", header('name = "adam"\neps = 0'), ("W1[1,1]", 2),
     # θ1 = 0.9, g2 = 1.8: m2 = 0.18 + 0.18 = 0.36, v2 = 0.003996 + 0.00324 = 0.007236
     g(0.9 - 0.1 * (0.36 / 0.1) / math.sqrt(0.007236 / 0.001)),  # 1 − β instead of 1 − β²
     g(0.9 - 0.1 * (0.36 / 0.19) / math.sqrt(0.007236 / 0.001999))),
    ("t_one_ahead", header('name = "adam"\neps = 0'), ("W1[1,1]", 1),
     g(1 - 0.1 * (0.2 / 0.19) / math.sqrt(0.004 / 0.001999)),  # t = 2 at the first update
     "0.9"),
    ("t_one_behind", header('name = "adam"\neps = 0\nt0 = 1\nstate = { "m(W1[1,1])" = 0.2, "v(W1[1,1])" = 0.004 }',
                            extra="").replace("W1 = [[1]]", "W1 = [[0.9]]"), ("W1[1,1]", 1),
     # resumed after one update at θ = 0.9 (g = 1.8): m = 0.36, v = 0.007236, t = 2 — or t = 1 when one behind
     g(0.9 - 0.1 * (0.36 / 0.1) / math.sqrt(0.007236 / 0.001)),
     g(0.9 - 0.1 * (0.36 / 0.19) / math.sqrt(0.007236 / 0.001999))),
    ("state_reset_every_step", header('name = "momentum"'), ("W1[1,1]", 2),
     "0.64",  # v = g every step: plain gradient descent 1 → 0.8 → 0.64
     "0.46"),  # v2 = 0.9·2 + 1.6 = 3.4: 0.8 − 0.34
    ("state_not_reset", header('name = "momentum"', extra='[[claims]]\nname = "W1[1,1]"\nvalue = "0.8"\nafter = 1\n'),
     ("W1[1,1]", 1, {"W1[1,1]": 2}),
     "1.42",  # restarted at θ = 2 (g = 4) with the old run's v = 2 kept: v = 1.8 + 4, θ = 2 − 0.58
     "1.6"),  # v = 4: θ = 2 − 0.4
    ("l2_half_missing", header('name = "sgd"', "l2 = 0.5"), ("W1[1,1]", 1),
     "0.700",  # λΣθ² taken: gradient 2 + 2·0.5
     "0.750"),  # (λ/2)θ²: gradient 2 + 0.5
    ("l2_half_missing", header('name = "adam"\neps = 0', "l2 = 0.5"), ("m(W1[1,1])", 1),
     "0.300",  # m = 0.1·(2 + 1)
     "0.250"),  # m = 0.1·(2 + 0.5)
    ("l2_half_doubled", header('name = "sgd"', "l2 = 0.5"), ("W1[1,1]", 1),
     "0.775",  # gradient 2 + 0.25
     "0.75"),
    ("l2_half_doubled", header('name = "sgd"', "l2 = 0.5"), ("penalty", 0),
     "0.125",  # (λ/4)θ²
     "0.25"),
    ("l2_half_added", header('name = "sgd"', 'l2 = 0.5\nconvention = "full"'), ("W1[1,1]", 1),
     "0.75",  # gradient 2 + 0.5 where 2 + 2·0.5 belongs
     "0.7"),
    ("penalty_norm", header('name = "sgd"', 'l2 = 1\nconvention = "full"').replace("W1 = [[1]]", "W1 = [[0.5]]"),
     ("penalty", 0),
     "0.5",  # ‖θ‖ = 0.5
     "0.25"),  # θ² = 0.25
    ("decay_biases_flipped", header('name = "sgd"', "l2 = 0.5", bias=True), ("b1[1]", 1),
     "0.55",  # b decayed too: 1 − 0.1(4 + 0.5)
     "0.6"),  # 1 − 0.1·4
    ("decay_biases_flipped", header('name = "adamw"\neps = 0\nweight_decay = 0.1', bias=True), ("b1[1]", 1),
     "0.890",  # decayed: 1 − 0.1·1 − 0.1·0.1·1 (m̂ = 4, v̂ = 16)
     "0.900"),
    ("l2_vs_decoupled", header('name = "adamw"\neps = 0\nweight_decay = 0.1'), ("W1[1,1]", 1),
     "0.900",  # decay in the gradient: g = 2 + 0.1, m̂/√v̂ = 1: θ = 1 − 0.1
     "0.890"),  # 1 − 0.1·1 − 0.1·0.1·1
    ("l2_vs_decoupled", header('name = "momentum"', "l2 = 0.5"), ("W1[1,1]", 2),
     # decoupled: v1 = 2, θ1 = 1 − 0.2 − 0.05 = 0.75; g2 = 1.5, v2 = 1.8 + 1.5 = 3.3, θ2 = 0.75 − 0.33 − 0.0375
     g(0.75 - 0.33 - 0.0375),
     "0.3375"),  # coupled: v1 = 2.5, θ1 = 0.75; g2 = 1.875, v2 = 2.25 + 1.875 = 4.125, θ2 = 0.75 − 0.4125
    ("step_sign", header('name = "adam"\neps = 0'), ("step(W1[1,1])", 1),
     "0.1",  # η·m̂/√v̂ = 0.1·2/2
     "-0.1"),  # Δθ
    # the older entries (symbolic.claims.mistakes) replay state claims through the optimizer run too
    ("one_update_more", header('name = "adam"\neps = 0'), ("m(W1[1,1])", 1),
     "0.36",  # update 2: θ1 = 0.9, g = 1.8, m = 0.9·0.2 + 0.1·1.8
     "0.2"),  # update 1: m = 0.1·2
    ("sign_flipped", header('name = "momentum"'), ("velocity(W1[1,1])", 2),
     "-4.2",  # the gradient's sign flipped: v1 = −2, θ1 = 1 + 0.2 = 1.2, g2 = 2.4, v2 = 0.9·(−2) − 2.4
     "3.4"),  # θ1 = 0.8, g2 = 1.6, v2 = 1.8 + 1.6
    ("half_dropped", header('name = "adam"\neps = 0').replace('loss = "sse"', 'loss = "half_sse"'),
     ("m(W1[1,1])", 1),
     "0.200",  # g = 2θ (the ½ dropped): m = 0.1·2
     "0.100"),  # L = ½θ², g = θ = 1: m = 0.1·1
]


def _claim(name: str, after: int, value: str, with_values: dict | None) -> str:
    text = f'\n[[claims]]\nname = "{name}"\nvalue = "{value}"\n' + (f"after = {after}\n" if after else "")
    if with_values:
        text += "with = { " + ", ".join(f'"{k}" = {v}' for k, v in with_values.items()) + " }\n"
    return text


@pytest.mark.parametrize("key, head, claim, wrong, right", CASES,
                         ids=[f"{c[0]}-{k}" for k, c in enumerate(CASES)])
def test_training_mistake_is_diagnosed(tmp_path: Path, key, head, claim, wrong, right):
    name, after, *rest = claim
    with_values = rest[0] if rest else None
    path = tmp_path / f"{key}.toml"
    path.write_text(head + _claim(name, after, wrong, with_values) + _claim(name, after, right, with_values),
                    encoding="utf-8")
    report = check_file(path)
    assert report.error is None, report.error
    bad, good = report.results[-2:]
    assert (bad.verdict, good.verdict) == ("WRONG", "ok"), (bad, good)
    assert DESCRIPTION[key] in bad.diagnosis, bad.diagnosis
    assert good.diagnosis == ""


def test_every_training_mistake_has_a_test():
    assert {m.key for m in OPTIMIZER_MISTAKES} <= {case[0] for case in CASES}
