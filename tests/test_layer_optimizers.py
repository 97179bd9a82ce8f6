"""Optimizers and the L2 penalty on ``[[layer]]`` lists (batch norm, layer norm, dropout): exact vs twin vs PyTorch.

* ``ROWS``: every optimizer (both momentum conventions, Nesterov, Adagrad, RMSprop, Adam, AdamW) and the
  penalty in both conventions on the three layer-list examples (011 batch norm, 012 layer norm, 013
  dropout), 3 updates at η = 0.1: the exact trajectory (:class:`symbolic.truth.layered_update.LayeredTrajectory`,
  each update the rule table's over the batch gradient) against the NumPy twin
  (:func:`numeric.optimizers.optimize_layers`) and against PyTorch float64 — ``torch.optim``'s own SGD
  (momentum, nesterov), Adagrad, RMSprop, Adam and AdamW on ``torch.nn.functional.batch_norm`` /
  ``layer_norm`` / the mask, the penalty added to PyTorch's loss as written (λ/2 or λ times ΣW²), AdamW's
  decay on the weights only (a parameter group), Sutskever's momentum (not in torch.optim) written out
  here over torch's gradients — to 1e-12 relative. PyTorch is optional (skipped with the reason).
* a derivation file with a batch-norm layer list, Adam and an L2 penalty, its claims printed to 10 digits
  from the NumPy twin: every claim ok (parameters, the state m(γ), v(W), L, L_data, penalty); and the same
  file declared with PyTorch's momentum while its numbers are Sutskever's gets the convention diagnosis;
  ``derivcheck train`` of a layer list with an optimizer prints the per-update report (checked against the
  exact trajectory).
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

from layer_lists import flat, torch_forward
from numeric.optimizers import Settings, optimize_layers
from symbolic.claims.check import check_file
from symbolic.claims.derivation import load_derivation
from symbolic.spec.optimizers import parse_training
from symbolic.truth.balls import to_fraction
from symbolic.truth.layered_update import LayeredTrajectory

ROOT = Path(__file__).resolve().parent.parent
FILES = {"bn": "011-batchnorm-dense-bn-dense-batch-4.toml", "ln": "012-layernorm-dense-ln-dense.toml",
         "dropout": "013-dropout-given-mask.toml"}
HAS_TORCH = importlib.util.find_spec("torch") is not None
STEPS = 3

# optimizer table, regularization table (or None)
ROWS = [
    ({"name": "sgd"}, {"l2": 0.1}),
    ({"name": "momentum"}, None),
    ({"name": "momentum", "convention": "sutskever", "momentum": 0.5}, None),
    ({"name": "nesterov"}, {"l2": 0.05, "convention": "full"}),
    ({"name": "adagrad"}, None),
    ({"name": "rmsprop", "rho": 0.9}, None),
    ({"name": "adam"}, None),
    ({"name": "adam", "beta1": 0.5, "eps": 0.001}, {"l2": 0.1, "include_biases": True}),
    ({"name": "adamw", "weight_decay": 0.1}, None),
]
CASES = [(f, o, r) for f in FILES for o, r in ROWS]


def _network(file: str, optimizer: dict, regularization: dict | None):
    base = dataclasses.replace(load_derivation(ROOT / "derivations" / FILES[file]).network, learning_rate=F(1, 10))
    opt, reg = parse_training(optimizer, regularization, base.parameter_names())
    return dataclasses.replace(base, optimizer=opt, regularization=reg if reg.l2 else None)


def _settings(net) -> Settings:
    opt, reg = net.optimizer, net.regularization
    return Settings(opt.name, float(net.learning_rate), {k: float(v) for k, v in opt.h.items()}, opt.convention,
                    float(reg.l2) if reg else 0.0, reg.convention if reg else "half",
                    reg.include_biases if reg else False, net.update_biases)


def _twin(net, steps: int):
    return optimize_layers(net.numeric_layers(), net.loss, net.numeric_params(), np.array(net.x, dtype=float),
                           np.array(net.y, dtype=float), _settings(net), steps)


def _torch(net, steps: int) -> dict:
    import torch
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in net.numeric_params().items()}
    X, Y = (torch.tensor(np.array(a, dtype=float), dtype=torch.float64) for a in (net.x, net.y))
    opt, reg, lr = net.optimizer, net.regularization, float(net.learning_rate)
    h = {k: float(v) for k, v in opt.h.items()}
    penalized = [k for k in P if k.startswith("W") or (reg is not None and reg.include_biases)]

    def loss():
        a = torch_forward(net, P, X)
        assert net.loss == "half_sse"
        data = (0.5 * ((Y - a) ** 2).sum(dim=1)).mean()
        if reg is None:
            return data
        c = float(reg.l2) / 2 if reg.convention == "half" else float(reg.l2)
        return data + c * sum((P[k] ** 2).sum() for k in penalized)

    params = list(P.values())
    if opt.name == "momentum" and opt.convention == "sutskever":  # v ← μv − ηg; θ ← θ + v, written out
        velocity = {k: torch.zeros_like(t) for k, t in P.items()}
        for _ in range(steps):
            for t in params:
                t.grad = None
            loss().backward()
            with torch.no_grad():
                for k, t in P.items():
                    velocity[k] = h["momentum"] * velocity[k] - lr * t.grad
                    t += velocity[k]
        return flat({k: t.detach().numpy() for k, t in P.items()})
    make = {
        "sgd": lambda: torch.optim.SGD(params, lr=lr),
        "momentum": lambda: torch.optim.SGD(params, lr=lr, momentum=h.get("momentum", 0)),
        "nesterov": lambda: torch.optim.SGD(params, lr=lr, momentum=h.get("momentum", 0), nesterov=True),
        "adagrad": lambda: torch.optim.Adagrad(params, lr=lr, eps=h.get("eps", 0)),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr=lr, alpha=h.get("rho", 0), eps=h.get("eps", 0)),
        "adam": lambda: torch.optim.Adam(params, lr=lr, betas=(h.get("beta1", 0), h.get("beta2", 0)),
                                         eps=h.get("eps", 0)),
        "adamw": lambda: torch.optim.AdamW(  # decoupled decay on the weights only (derivcheck's default)
            [{"params": [P[k] for k in P if k.startswith("W")], "weight_decay": h.get("weight_decay", 0)},
             {"params": [P[k] for k in P if not k.startswith("W")], "weight_decay": 0.0}],
            lr=lr, betas=(h.get("beta1", 0), h.get("beta2", 0)), eps=h.get("eps", 0)),
    }
    optimizer = make[opt.name]()
    for _ in range(steps):
        optimizer.zero_grad()
        loss().backward()
        optimizer.step()
    return flat({k: t.detach().numpy() for k, t in P.items()})


def _exact(net, steps: int) -> dict:
    return {k: float(v if isinstance(v, F) else to_fraction(v)) for k, v in LayeredTrajectory(net).after({}, steps).items()}


@pytest.mark.parametrize("file, optimizer, regularization", CASES,
                         ids=[f"{f}-{o['name']}-{o.get('convention', '')}{'-l2' if r else ''}" for f, o, r in CASES])
@pytest.mark.parametrize("reference", ["numpy", "torch"])
def test_layer_list_optimizers_match_the_twin_and_pytorch(reference, file, optimizer, regularization):
    if reference == "torch" and not HAS_TORCH:
        pytest.skip("PyTorch is not installed (optional: pip install torch) — the NumPy twin still checks")
    net = _network(file, optimizer, regularization)
    exact = _exact(net, STEPS)
    ref = _torch(net, STEPS) if reference == "torch" else flat(_twin(net, STEPS).params)
    assert set(ref) == set(exact)
    for k, v in ref.items():
        assert abs(exact[k] - v) <= 1e-12 * max(abs(v), 1), (k, exact[k], v)
    assert any(abs(exact[k] - float(v)) > 1e-6 for k, v in net.parameter_values().items())  # they moved


def _file(tmp_path: Path, optimizer: str, claims: list[tuple[str, float, int]]) -> Path:
    text = (ROOT / "derivations" / FILES["bn"]).read_text(encoding="utf-8")
    text = text[text.index("[network]"):text.index("[aliases]")]
    if "learning_rate" not in text:
        text = text.replace('loss = "half_sse"', 'loss = "half_sse"\nlearning_rate = 0.1')
    assert "learning_rate = 0.1" in text
    text += f"\n[optimizer]\n{optimizer}\n\n[regularization]\nl2 = 0.01\n"
    for name, value, after in claims:
        text += f'\n[[claims]]\nname = "{name}"\nvalue = "{value:.10g}"\n' + (f"after = {after}\n" if after else "")
    path = tmp_path / "bn-trained.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_batch_norm_file_with_adam_and_a_penalty_checks_against_the_twin(tmp_path: Path):
    net = _network("bn", {"name": "adam"}, {"l2": 0.01})
    run = _twin(net, 2)
    p, state = flat(run.params), {s: flat(v) for s, v in run.state.items()}
    layers, X, Y = net.numeric_layers(), np.array(net.x, dtype=float), np.array(net.y, dtype=float)
    from numeric.layers import loss as twin_loss
    from numeric.optimizers import penalty as twin_penalty
    start = net.numeric_params()
    data0, pen0 = float(twin_loss(layers, net.loss, start, X, Y)), twin_penalty(start, _settings(net))
    claims = [("W1[1,2]", p["W1[1,2]"], 2), ("gamma2[3]", p["gamma2[3]"], 2), ("beta2[2]", p["beta2[2]"], 2),
              ("m(gamma2[1])", state["m"]["gamma2[1]"], 2), ("v(W3[2,1])", state["v"]["W3[2,1]"], 2),
              ("L", data0 + pen0, 0), ("L_data", data0, 0), ("penalty", pen0, 0)]
    report = check_file(_file(tmp_path, 'name = "adam"', claims))
    assert report.error is None, report.error
    assert [r.verdict for r in report.results] == ["ok"] * len(claims), [(r.name, r.verdict, r.exact)
                                                                      for r in report.results]


def test_the_other_momentum_convention_is_diagnosed_on_a_layer_list(tmp_path: Path):
    sutskever = _network("bn", {"name": "momentum", "convention": "sutskever"}, {"l2": 0.01})
    wrong = flat(_twin(sutskever, 1).state["velocity"])["W1[1,1]"]
    right = flat(_twin(_network("bn", {"name": "momentum"}, {"l2": 0.01}), 1).state["velocity"])["W1[1,1]"]
    report = check_file(_file(tmp_path, 'name = "momentum"', [("velocity(W1[1,1])", wrong, 1),
                                                               ("velocity(W1[1,1])", right, 1)]))
    bad, good = report.results
    assert (bad.verdict, good.verdict) == ("WRONG", "ok"), (bad, good)
    assert "convention" in bad.diagnosis, bad.diagnosis


def test_train_prints_a_layer_lists_optimizer_run():
    """``derivcheck train`` on the batch-norm example with Adam and a penalty from the command line: per-update
    state, and the parameters after 3 updates agree with the exact trajectory to 1e-9."""
    run = subprocess.run([sys.executable, "-m", "symbolic.cli", "train", str(ROOT / "derivations" / FILES["bn"]),
                          "--learning-rate", "0.1", "--optimizer", "adam", "--l2", "0.01", "--updates", "3",
                          "--show", "3"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("optimizer: adam") and "update 3 (t = 3)" in run.stdout and "m(gamma2[1]) = " in run.stdout
    last = run.stdout.split("update 3 (t = 3)")[1]
    printed = {cell.split(" = ")[0]: float(cell.split(" = ")[1]) for line in last.splitlines()
               for cell in line.split("  ") if " = " in cell and "(" not in cell.split(" = ")[0]}
    exact = _exact(_network("bn", {"name": "adam"}, {"l2": 0.01}), 3)
    assert set(printed) == set(exact)
    for k, v in exact.items():
        assert abs(printed[k] - v) <= 1e-9 * max(abs(v), 1), (k, printed[k], v)
