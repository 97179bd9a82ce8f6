"""Batched forward pass and backprop for a fully connected network (NumPy only).

Contract
--------
* An :class:`Architecture` names layer sizes, one activation per non-input
  layer, a loss and one bias mode per non-input layer (``none``,
  ``per-neuron``, ``shared``). It is not validated here: ``symbolic.Network``
  validates and hands over ``network.architecture``.
* Parameters are a dict keyed by canonical array names: ``"W2"`` of shape
  ``(n_2, n_1)``, ``"b2"`` of shape ``(n_2,)`` (per-neuron) or ``()`` (shared);
  a layer with bias ``none`` has no ``"b2"`` key.
* ``X`` has shape ``(m, n_0)`` and ``Y`` ``(m, n_L)``: rows are samples. The
  loss of a batch is the mean of the per-sample losses.
* :func:`gradient` returns ``dL/dθ`` under the same keys and shapes.
* Works for float64 and complex128 parameters (complex-step derivatives).

This module never imports SymPy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .functions import ACTIVATIONS, FUSED_OUTPUTS, LOSSES, FusedOutput

__all__ = [
    "Architecture", "Forward", "forward", "sample_losses", "loss", "output_delta", "gradient", "gd_step",
]

Params = dict[str, np.ndarray]


@dataclass(frozen=True)
class Architecture:
    """The shape of a network: what backprop needs and nothing else."""

    layers: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    bias: tuple[str, ...]

    @property
    def depth(self) -> int:
        """Number of non-input layers."""
        return len(self.layers) - 1


@dataclass
class Forward:
    """Cached forward pass: ``u[l]`` and ``a[l]`` for l = 0..L (u[0] is None, a[0] = X)."""

    u: list
    a: list


def _bias_term(arch: Architecture, params: Params, l: int) -> np.ndarray | float:
    if arch.bias[l - 1] == "none":
        return 0.0
    return np.asarray(params[f"b{l}"])


def forward(arch: Architecture, params: Params, X: np.ndarray) -> Forward:
    """Run the network on a batch ``X`` (m, n_0)."""
    a = [np.atleast_2d(X)]
    u: list = [None]
    for l in range(1, arch.depth + 1):
        ul = a[-1] @ np.asarray(params[f"W{l}"]).T + _bias_term(arch, params, l)
        u.append(ul)
        a.append(ACTIVATIONS[arch.activations[l - 1]].value(ul))
    return Forward(u, a)


def _fused(arch: Architecture) -> FusedOutput | None:
    return FUSED_OUTPUTS.get((arch.activations[-1], arch.loss))


def sample_losses(arch: Architecture, fwd: Forward, Y: np.ndarray) -> np.ndarray:
    """Per-sample loss (m,), computed from the logits where that is more stable."""
    Y = np.atleast_2d(Y)
    uL, aL = fwd.u[-1], fwd.a[-1]
    fused = _fused(arch)
    if fused is not None:  # from the logits, where that is more stable
        return fused.loss(uL, Y)
    return LOSSES[arch.loss].value(aL, Y)


def loss(arch: Architecture, params: Params, X: np.ndarray, Y: np.ndarray) -> float | complex:
    """Mean loss over the batch."""
    return sample_losses(arch, forward(arch, params, X), Y).mean()


def output_delta(arch: Architecture, fwd: Forward, Y: np.ndarray) -> np.ndarray:
    """δ of the output layer, dL_i/du_L per sample (m, n_L)."""
    Y = np.atleast_2d(Y)
    uL, aL = fwd.u[-1], fwd.a[-1]
    fused = _fused(arch)
    if fused is not None:
        return fused.delta(aL, Y)
    grad_a = LOSSES[arch.loss].gradient(aL, Y)
    return ACTIVATIONS[arch.activations[-1]].backprop(uL, aL, grad_a)


def gradient(arch: Architecture, params: Params, X: np.ndarray, Y: np.ndarray) -> Params:
    """Backprop: dL/dθ of the mean batch loss, keyed like ``params``."""
    fwd = forward(arch, params, X)
    m = fwd.a[0].shape[0]
    delta = output_delta(arch, fwd, Y)
    grads: Params = {}
    for l in range(arch.depth, 0, -1):
        grads[f"W{l}"] = delta.T @ fwd.a[l - 1] / m
        mode = arch.bias[l - 1]
        if mode == "per-neuron":
            grads[f"b{l}"] = delta.sum(axis=0) / m
        elif mode == "shared":
            grads[f"b{l}"] = np.asarray(delta.sum() / m)
        if l > 1:
            grad_a = delta @ np.asarray(params[f"W{l}"])
            act = ACTIVATIONS[arch.activations[l - 2]]
            delta = act.backprop(fwd.u[l - 1], fwd.a[l - 1], grad_a)
    return {k: grads[k] for k in params}


def gd_step(
    arch: Architecture,
    params: Params,
    X: np.ndarray,
    Y: np.ndarray,
    learning_rate: float,
    update_biases: bool = True,
) -> Params:
    """One gradient-descent update θ ← θ − η ∇L on the batch; returns new arrays."""
    grads = gradient(arch, params, X, Y)
    return {
        k: (v - learning_rate * grads[k]) if (k.startswith("W") or update_biases) else np.array(v, copy=True)
        for k, v in params.items()
    }

