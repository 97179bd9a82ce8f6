"""Plain gradient descent on the NumPy twin of a ``[[layer]]`` list (NumPy only, no SymPy).

Contract
--------
:func:`train` runs θ ← θ − η · ∂L/∂θ ``steps`` times, each gradient the twin's batch gradient
(:func:`numeric.layers.gradient`: the mean loss over the whole batch, batch norm with this batch's
statistics), and returns the parameters (float64 arrays keyed like ``params``) and the loss before
each update and after the last. Every array moves except the biases (``b{l}``, ``beta{l}``) when
``update_biases`` is false — the rule of :func:`symbolic.truth.layered_update.moving_parameters`,
written here a second time from its definition.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .layers import gradient, loss

__all__ = ["LayeredTrainResult", "train", "is_bias"]

Params = dict[str, np.ndarray]


def is_bias(array: str) -> bool:
    """A bias array: ``b{l}`` (dense) or ``beta{l}`` (normalization)."""
    return array.startswith("b")


@dataclass
class LayeredTrainResult:
    params: Params
    losses: list[float]  # the batch loss before each update, then after the last


def train(layers: Sequence[dict], loss_name: str, params: Params, X: np.ndarray, Y: np.ndarray, lr: float,
          steps: int, update_biases: bool = True) -> LayeredTrainResult:
    """``steps`` full-batch gradient-descent updates of the layer list (see the module contract)."""
    p = {k: np.array(v, dtype=float) for k, v in params.items()}
    moving = [k for k in p if update_biases or not is_bias(k)]
    losses = []
    for _ in range(steps):
        losses.append(float(loss(layers, loss_name, p, X, Y)))
        grads, _ = gradient(layers, loss_name, p, X, Y)
        for k in moving:
            p[k] = p[k] - lr * grads[k]
    losses.append(float(loss(layers, loss_name, p, X, Y)))
    return LayeredTrainResult(p, losses)
