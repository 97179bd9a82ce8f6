"""Updates of a ``[[layer]]`` list: the exact gradient-descent trajectory against hand arithmetic, NumPy and PyTorch.

* By hand (exact Fractions written out below): a batchnorm with ε = 0 on x = (−1, −1, 1, 1) (σ² = 1, so
  everything stays rational) and a dense output, two updates — parameters, the loss, ``step(θ)``,
  ``update_biases = false``; the trajectory says "exact".
* The layer-list examples 011–013 at η = 1/10, three updates: every parameter and the loss agree with
  the NumPy twin's gradient descent (:mod:`numeric.layered_train`, its own backward) and with PyTorch
  float64 (``torch.optim.SGD`` on BatchNorm1d-in-training / LayerNorm / a fixed dropout mask) to 1e-12
  relative — torch is optional (skipped with the reason when missing).
* Random layer lists (hypothesis, the strategy of tests/layer_lists.py), two updates: exact vs the
  NumPy twin to 1e-9.
* A wrong number of updates is diagnosed (the general table's entries replay the layer list's trajectory).
* Refusals: a run over the work bound, a relu exactly at its kink on the way.
* ``derivcheck train`` of a layer list: its float64 loss and parameters after 3 updates agree with the exact
  trajectory to 1e-9; the options it cannot honour are one sentence each.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

from layer_lists import flat as _flat, layer_lists, torch_forward
from numeric.layered_train import train as twin_train
from symbolic.claims.check import check_file
from symbolic.claims.derivation import load_derivation
from symbolic.spec.errors import DerivcheckError, KinkError
from symbolic.spec.layers import build_layered
from symbolic.truth.balls import to_fraction
from symbolic.truth.layered import LayeredTruth
from symbolic.truth.layered_update import LAYERED_WORK, LayeredTrajectory
from symbolic.truth.trajectory import ball_values

ROOT = Path(__file__).resolve().parents[1]
FILES = ["011-batchnorm-dense-bn-dense-batch-4.toml", "012-layernorm-dense-ln-dense.toml",
         "013-dropout-given-mask.toml"]
HAS_TORCH = importlib.util.find_spec("torch") is not None

HAND = ('title = "by hand"\n[network]\ninputs = 1\nlearning_rate = 0.5\n{extra}[[layer]]\nkind = "batchnorm"\neps = 0\n'
        '[[layer]]\nkind = "dense"\nunits = 1\n[parameters]\ngamma1 = [1]\nbeta1 = [0]\nW2 = [[1]]\nb2 = [0]\n[data]\n'
        'x = [[-1], [-1], [1], [1]]\ny = [[1], [0], [0], [1]]\n')
# x̂ = x (μ = 0, σ² = 1, ε = 0); a1 = γ x̂ + β; a2 = W2 a1 + b2; L = mean ½(a2 − y)²; η = 1/2.
# Update 1: a2 − y = (−2, −1, 1, 0): dL/dW2 = dL/dγ = (2 + 1 + 1 + 0)/4 = 1, dL/db2 = dL/dβ = −2/4 → W2 = γ = 1/2,
#   b2 = β = 1/4. Then a2 = (1/8, 1/8, 5/8, 5/8), a2 − y = (−7/8, 1/8, 5/8, −3/8): L = (49 + 1 + 25 + 9)/64/2/4 = 21/128;
#   dL/dW2 = Σ(a2 − y) a1/4 = (7/32 − 1/32 + 15/32 − 9/32)/4 = 3/32 → W2 after 2 = 1/2 − 3/64 = 29/64.
# update_biases = false: b2 = β = 0 stay; W2 = γ = 1/2, a2 = x/4, a2 − y = (−5/4, −1/4, 1/4, −3/4): L = 36/16/2/4 = 9/32.
HAND_CASES = [  # (extra [network] lines, claim, after, exact value)
    ("", "W2[1,1]", 1, F(1, 2)), ("", "gamma1[1]", 1, F(1, 2)), ("", "b2[1]", 1, F(1, 4)), ("", "beta1[1]", 1, F(1, 4)),
    ("", "L", 1, F(21, 128)), ("", "W2[1,1]", 2, F(29, 64)), ("", "step(W2[1,1])", 2, F(29, 64) - F(1, 2)),
    ("", "dL/dW2[1,1]", 1, F(3, 32)),
    ("update_biases = false\n", "b2[1]", 1, F(0)), ("update_biases = false\n", "beta1[1]", 3, F(0)),
    ("update_biases = false\n", "W2[1,1]", 1, F(1, 2)), ("update_biases = false\n", "L", 1, F(9, 32)),
]


@pytest.mark.parametrize("extra, name, after, value", HAND_CASES)
def test_updates_by_hand(tmp_path: Path, extra: str, name: str, after: int, value: F):
    path = tmp_path / "hand.toml"
    printed = f"{value.numerator}/{value.denominator}" if value.denominator > 1 else str(value.numerator)
    path.write_text(HAND.format(extra=extra) + f'[[claims]]\nname = "{name}"\nvalue = "{float(value)!r}"\n'
                    f'after = {after}\n', encoding="utf-8")
    result = check_file(path).results[0]
    assert result.verdict == "ok", result
    assert result.exact.startswith(printed), (result.exact, printed)  # an exact rational, printed as one
    assert "exact through" in result.precision, result.precision


UPDATE_MISTAKES = [  # (the diagnosis, claim, after, the wrong number — the other update count's, by hand above — , right)
    ("one update too many", "W2[1,1]", 1, F(29, 64), F(1, 2)),
    ("one update too few", "W2[1,1]", 2, F(1, 2), F(29, 64)),
]


@pytest.mark.parametrize("diagnosis, name, after, wrong, right", UPDATE_MISTAKES)
def test_a_wrong_number_of_updates_is_diagnosed(tmp_path: Path, diagnosis: str, name: str, after: int, wrong: F,
                                                right: F):
    path = tmp_path / "hand.toml"
    claims = "".join(f'[[claims]]\nname = "{name}"\nvalue = "{float(v):.9f}"\nafter = {after}\n' for v in (wrong, right))
    path.write_text(HAND.format(extra="") + claims, encoding="utf-8")
    bad, good = check_file(path).results
    assert (bad.verdict, good.verdict) == ("WRONG", "ok"), (bad, good)
    assert diagnosis in bad.diagnosis and not good.diagnosis, bad.diagnosis


def _exact_after(net, n: int) -> tuple[dict, float]:
    values = LayeredTrajectory(net).after({}, n)
    balls = ball_values(values)
    truth = LayeredTruth(net if balls is not None else net.with_values(values), values=balls)
    return {k: float(to_fraction(v) if not isinstance(v, F) else v) for k, v in values.items()}, float(truth.value("L"))


def _twin_after(net, n: int) -> tuple[dict, float]:
    run = twin_train(net.numeric_layers(), net.loss, net.numeric_params(), np.array(net.x, dtype=float),
                     np.array(net.y, dtype=float), float(net.learning_rate), n, net.update_biases)
    return _flat(run.params), run.losses[-1]


def _torch_after(net, n: int) -> tuple[dict, float]:
    import torch
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in net.numeric_params().items()}
    X = torch.tensor(np.array(net.x, dtype=float), dtype=torch.float64)
    Y = torch.tensor(np.array(net.y, dtype=float), dtype=torch.float64)

    def loss():
        h = torch_forward(net, P, X)  # tests/layer_lists.py (shared with test_layer_optimizers)
        assert net.loss == "half_sse"
        return (0.5 * ((Y - h) ** 2).sum(dim=1)).mean()

    opt = torch.optim.SGD(list(P.values()), lr=float(net.learning_rate))
    for _ in range(n):
        opt.zero_grad()
        loss().backward()
        opt.step()
    with torch.no_grad():
        return _flat({k: t.detach().numpy() for k, t in P.items()}), float(loss())


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("reference", ["numpy", "torch"])
def test_three_updates_of_the_examples_match_the_reference(name: str, reference: str):
    if reference == "torch" and not HAS_TORCH:
        pytest.skip("PyTorch is not installed (optional: pip install torch) — the NumPy twin still checks")
    net = dataclasses.replace(load_derivation(ROOT / "derivations" / name).network, learning_rate=F(1, 10))
    exact, exact_loss = _exact_after(net, 3)
    ref, ref_loss = (_torch_after if reference == "torch" else _twin_after)(net, 3)
    assert set(ref) == set(exact)
    for k, v in ref.items():
        assert abs(exact[k] - v) <= 1e-12 * (1 + abs(v)), (k, exact[k], v)
    assert abs(exact_loss - ref_loss) <= 1e-12 * (1 + abs(ref_loss))
    assert any(abs(exact[k] - float(v)) > 1e-6 for k, v in net.parameter_values().items())  # the updates moved them


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(layer_lists())
def test_random_layer_lists_two_updates_match_the_twin(case):
    tables, params, x, y, loss = case
    try:
        net = build_layered({"inputs": len(x[0]), "loss": loss, "learning_rate": 0.25}, tables, params,
                            {"x": x, "y": y})
        exact, exact_loss = _exact_after(net, 2)
    except (KinkError, DerivcheckError) as err:  # a batch of 1 under batchnorm; a relu kink; ε = 0 on a column
        assume("kink" not in str(err))  # that became constant: each its own sentence
        assert "single sample" in str(err) or "eps = 0" in str(err), err
        return
    ref, ref_loss = _twin_after(net, 2)
    for k, v in ref.items():
        assume(np.isfinite(v))  # NumPy's relu' is nan exactly at the kink
        assert abs(exact[k] - v) <= 1e-9 * (1 + abs(v)), (k, exact[k], v)
    assert abs(exact_loss - ref_loss) <= 1e-9 * (1 + abs(ref_loss))


def test_a_run_over_the_work_bound_is_one_sentence():
    net = dataclasses.replace(load_derivation(ROOT / "derivations" / FILES[0]).network, learning_rate=F(1, 10))
    n = LAYERED_WORK // (23 * 4) + 1  # 23 parameters x 4 samples per update
    with pytest.raises(DerivcheckError, match=f"{n:,} updates of this layer list .* are over the "
                                              f"{LAYERED_WORK:,}-step bound of an exact batch trajectory"):
        LayeredTrajectory(net).after({}, n)


def test_an_update_through_a_relu_kink_is_refused():
    """u1 = W1 x = 0·x (no bias): relu'(0) does not exist, so dL/dW1 and the first update are undefined."""
    net = build_layered({"inputs": 1, "learning_rate": 0.5},
                        [{"kind": "dense", "units": 1, "activation": "relu", "bias": "none"},
                         {"kind": "dense", "units": 1}],
                        {"W1": [[0]], "W2": [[1]], "b2": [0]}, {"x": [[1], [2]], "y": [[1], [0]]})
    with pytest.raises(KinkError, match="after 0 update\\(s\\), u1\\[1\\] .*= 0 lies exactly on relu's kink"):
        LayeredTrajectory(net).after({}, 1)


def _train(*options: str, name: str = FILES[0]) -> subprocess.CompletedProcess:
    path = ROOT / "derivations" / name
    return subprocess.run([sys.executable, "-m", "symbolic.cli", "train", str(path), *options], capture_output=True,
                          text=True, timeout=120)


def test_train_command_runs_a_layer_list():
    run = _train("--learning-rate", "0.1", "--updates", "3", "--show", "1")
    assert run.returncode == 0, run.stderr
    net = dataclasses.replace(load_derivation(ROOT / "derivations" / FILES[0]).network, learning_rate=F(1, 10))
    exact, exact_loss = _exact_after(net, 3)
    printed = dict(line.strip().split(" = ") for line in run.stdout.splitlines() if " = " in line)
    assert set(printed) == set(exact)
    for k, v in exact.items():
        assert abs(float(printed[k]) - v) <= 1e-9 * (1 + abs(v)), (k, printed[k], v)
    last = run.stdout.split("loss after 3 update(s): ")[1].split()[0]
    assert abs(float(last) - exact_loss) <= 1e-9 and "loss after update 1:" in run.stdout


TRAIN_REFUSALS = [  # (options, the sentence)
    (("--learning-rate", "0.1", "--optimizer", "adm"), "did you mean 'adam'"),  # optimizers: issue 17's report
    (("--learning-rate", "0.1", "--batch-size", "2"), "--batch-size does not apply to a [[layer]] list"),
    (("@" + FILES[1],), "Training needs a learning rate: set learning_rate in [network] or pass --learning-rate."),
]  # "@file": another example (012 has no learning_rate; 011 has one)


@pytest.mark.parametrize("options, sentence", TRAIN_REFUSALS)
def test_train_command_refusals_are_one_sentence(options: tuple, sentence: str):
    files = [o[1:] for o in options if o.startswith("@")]
    run = _train(*[o for o in options if not o.startswith("@")], name=(files or [FILES[0]])[0])
    assert run.returncode == 2 and sentence in run.stderr and "Traceback" not in run.stderr, run.stderr
