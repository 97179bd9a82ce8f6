"""Optimizers and the L2 penalty on NumPy arrays: the independent witness of the symbolic update rules.

Contract
--------
:func:`optimize` runs ``steps`` full-batch updates of an :class:`~numeric.engine.Architecture`'s
parameters (arrays keyed ``W1``, ``b1`` …) with one of ``sgd``, ``momentum``, ``nesterov``
(``convention`` ``pytorch``: v ← μv + g, θ ← θ − ηv, Nesterov θ ← θ − η(g + μv);
``sutskever``: v ← μv − ηg, θ ← θ + v, Nesterov's gradient at θ + μv), ``adagrad``,
``rmsprop``, ``adam``, ``adamw`` (decoupled decay θ ← θ − ηλθ), each written here from the
published formulas, independently of ``symbolic/``. The gradient is
:func:`numeric.engine.gradient` of the mean data loss plus, when ``l2`` is set, the penalty's
2c·θ (c = λ/2 for ``half``, λ for ``full``; biases only with ``include_biases``, which also
decides whether AdamW decays them). Biases move only when ``update_biases``. ``state`` (arrays
keyed by state name, then array name) and ``t0`` resume a run. With ``record`` every update's
state, corrected moments and step Δθ are kept (``derivcheck train`` prints them).
:func:`optimize_layers` runs the same updates on a ``[[layer]]`` list's twin (:mod:`numeric.layers`).

This module never imports SymPy.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .engine import Architecture, gradient, loss
from .layers import gradient as layer_gradient, loss as layer_loss

__all__ = ["Settings", "OptimizeResult", "STATE_NAMES", "optimize", "optimize_layers", "penalty"]

STATE_NAMES = {"sgd": (), "momentum": ("velocity",), "nesterov": ("velocity",), "adagrad": ("G",),
               "rmsprop": ("s",), "adam": ("m", "v"), "adamw": ("m", "v")}
_DEFAULTS = {"momentum": 0.9, "rho": 0.99, "beta1": 0.9, "beta2": 0.999, "weight_decay": 0.01}
_EPS = {"adagrad": 1e-10}


@dataclass(frozen=True)
class Settings:
    name: str = "sgd"
    learning_rate: float = 0.1
    hyper: dict = field(default_factory=dict)
    convention: str = "pytorch"
    l2: float = 0.0
    l2_convention: str = "half"
    include_biases: bool = False
    update_biases: bool = True

    def get(self, key: str) -> float:
        if key in self.hyper:
            return float(self.hyper[key])
        return _EPS.get(self.name, 1e-8) if key == "eps" else _DEFAULTS[key]


@dataclass
class OptimizeResult:
    params: dict[str, np.ndarray]
    state: dict[str, dict[str, np.ndarray]]
    t: int
    records: list[dict] = field(default_factory=list)


def _penalized(name: str, s: Settings) -> bool:
    return name.startswith("W") or s.include_biases


def penalty(params: dict[str, np.ndarray], s: Settings) -> float:
    """c·Σθ² over the penalized arrays."""
    c = s.l2 / 2 if s.l2_convention == "half" else s.l2
    return float(sum(c * np.sum(np.asarray(v) ** 2) for k, v in params.items() if _penalized(k, s)))


def _penalized_gradient(g: dict, p: dict, s: Settings) -> dict[str, np.ndarray]:
    """The data gradient plus the penalty's 2c·θ on the penalized arrays."""
    if s.l2:
        c2 = s.l2 if s.l2_convention == "half" else 2 * s.l2
        g = {k: v + c2 * p[k] if _penalized(k, s) else v for k, v in g.items()}
    return g


def optimize(arch: Architecture, params: dict, X: np.ndarray, Y: np.ndarray, settings: Settings, steps: int,
             state: dict | None = None, t0: int = 0, record: bool = False) -> OptimizeResult:
    """``steps`` updates (see the module contract); the inputs are not modified."""
    X, Y = np.atleast_2d(np.asarray(X, float)), np.atleast_2d(np.asarray(Y, float))
    moving = [k for k in params if k.startswith("W") or settings.update_biases]
    return _run(lambda p: gradient(arch, p, X, Y), lambda p: float(loss(arch, p, X, Y)), params, moving, settings,
                steps, state, t0, record)


def optimize_layers(layers, loss_name: str, params: dict, X: np.ndarray, Y: np.ndarray, settings: Settings,
                    steps: int, state: dict | None = None, t0: int = 0, record: bool = False) -> OptimizeResult:
    """The same updates for a ``[[layer]]`` list's twin (:mod:`numeric.layers`: the batch gradient of the mean
    loss, batch norm with this batch's statistics). Every array moves except the biases ``b{l}``/``beta{l}``
    when not ``update_biases``; the penalty and AdamW's decay take the weights ``W{l}`` (and, with
    ``include_biases``, every other array: b, γ, β)."""
    X, Y = np.asarray(X, float), np.asarray(Y, float)
    moving = [k for k in params if settings.update_biases or not k.startswith("b")]
    return _run(lambda p: layer_gradient(layers, loss_name, p, X, Y)[0],
                lambda p: float(layer_loss(layers, loss_name, p, X, Y)), params, moving, settings, steps, state, t0,
                record)


def _run(grad_of, loss_of, params: dict, moving: list, s: Settings, steps: int, state: dict | None, t0: int,
         record: bool = False) -> OptimizeResult:
    p = {k: np.array(v, dtype=float, copy=True) for k, v in params.items()}
    st = {n: {k: np.array((state or {}).get(n, {}).get(k, np.zeros_like(v)), dtype=float, copy=True)
              for k, v in p.items()} for n in STATE_NAMES[s.name]}
    t = t0
    result = OptimizeResult(p, st, t0)
    for _ in range(steps):
        t += 1
        if s.name == "nesterov" and s.convention == "sutskever":
            mu = s.get("momentum")
            ahead = {k: v + mu * st["velocity"][k] if k in moving else v for k, v in p.items()}
            g = _penalized_gradient(grad_of(ahead), ahead, s)
        else:
            g = _penalized_gradient(grad_of(p), p, s)
        derived: dict = {}
        steps_taken: dict = {}
        for k in moving:
            old = p[k].copy()
            p[k] = _update(s, p[k], g[k], {n: st[n][k] for n in st}, t, k, derived)
            steps_taken[k] = p[k] - old
        if record:
            result.records.append({"t": t, "loss": loss_of(p) + penalty(p, s),
                                   "params": {k: v.copy() for k, v in p.items()},
                                   "state": {n: {k: v.copy() for k, v in d.items()} for n, d in st.items()},
                                   "derived": derived, "step": steps_taken})
    result.t = t
    return result


def _update(s: Settings, theta: np.ndarray, g: np.ndarray, st: dict, t: int, key: str, derived: dict) -> np.ndarray:
    """One array's update; ``st`` arrays are updated in place."""
    lr, name = s.learning_rate, s.name
    if name == "sgd":
        return theta - lr * g
    if name in ("momentum", "nesterov"):
        mu, vel = s.get("momentum"), st["velocity"]
        if s.convention == "sutskever":
            vel[...] = mu * vel - lr * g
            return theta + vel
        vel[...] = mu * vel + g
        return theta - lr * (g + mu * vel if name == "nesterov" else vel)
    eps = s.get("eps")
    if name == "adagrad":
        st["G"][...] += g * g
        return theta - lr * g / (np.sqrt(st["G"]) + eps)
    if name == "rmsprop":
        rho = s.get("rho")
        st["s"][...] = rho * st["s"] + (1 - rho) * g * g
        return theta - lr * g / (np.sqrt(st["s"]) + eps)
    b1, b2 = s.get("beta1"), s.get("beta2")
    st["m"][...] = b1 * st["m"] + (1 - b1) * g
    st["v"][...] = b2 * st["v"] + (1 - b2) * g * g
    m_hat, v_hat = st["m"] / (1 - b1 ** t), st["v"] / (1 - b2 ** t)
    derived.setdefault("m_hat", {})[key] = m_hat
    derived.setdefault("v_hat", {})[key] = v_hat
    new = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    if name == "adamw" and _penalized(key, s):
        new = new - lr * s.get("weight_decay") * theta
    return new
