"""Numeric activations and losses: value and derivative side by side (NumPy only).

Contract
--------
* Every activation is an :class:`Activation` with ``value(u)`` and ``derivative(u)``
  acting on an array of pre-activations of shape ``(m, n)`` (rows = samples).
  Elementwise activations return the elementwise derivative ``f'(u)``;
  ``softmax`` is the one vector activation: its ``derivative`` returns the
  Jacobian-vector product through :meth:`Activation.backprop`.
* Every loss is a :class:`Loss` with ``value(a, y)`` (one number per sample,
  shape ``(m,)``) and ``gradient(a, y)`` (``dL/da``, shape ``(m, n)``).
* All functions are overflow-stable in float64 (sigmoid and softmax at +-1000,
  logs at 0 and 1) and also accept complex arrays, so the complex-step
  derivative works through them.
* relu's derivative at exactly 0 is ``nan``: a point on the kink is never given
  a one-sided value silently.

This module never imports SymPy; the symbolic side of each rule lives beside
its name in ``symbolic/rules.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Activation", "Loss", "FusedOutput", "ACTIVATIONS", "LOSSES", "FUSED_OUTPUTS", "sigmoid", "softmax"]

Array = np.ndarray


def _real(z: Array) -> Array:
    return z.real if np.iscomplexobj(z) else z


def sigmoid(u: Array) -> Array:
    """Logistic function, stable for large |u| (and complex u with small imaginary part)."""
    u = np.asarray(u)
    if not np.iscomplexobj(u):
        e = np.exp(-np.abs(u))  # never overflows
        return np.where(u >= 0, 1 / (1 + e), e / (1 + e))
    positive = u.real >= 0
    # exp of a non-positive real part never overflows.
    e = np.exp(np.where(positive, -u, u))
    return np.where(positive, 1 / (1 + e), e / (1 + e))


def _sigmoid_real(u: Array) -> Array:
    """``sigmoid`` for real float64 arrays, bit for bit (1 + e formed once)."""
    e = np.exp(-np.abs(u))
    d = 1 + e
    out = e / d
    np.divide(1.0, d, out=out, where=u >= 0)  # where(u >= 0, 1/d, e/d) without the second full array
    return out


def _sigmoid_prime(u: Array) -> Array:
    s = sigmoid(u)
    return s * (1 - s)


def _tanh_prime(u: Array) -> Array:
    t = np.tanh(u)
    return 1 - t * t


def _relu(u: Array) -> Array:
    u = np.asarray(u)
    return np.where(_real(u) > 0, u, 0 * u)


def _relu_prime(u: Array) -> Array:
    r = _real(np.asarray(u))
    return np.where(r > 0, 1.0, np.where(r < 0, 0.0, np.nan))


def softmax(u: Array) -> Array:
    """Row-wise softmax, shifted by the row maximum so exp never overflows."""
    u = np.asarray(u)
    shifted = u - _real(u).max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class Activation:
    """One activation: its value and derivative on arrays of shape (m, n)."""

    name: str
    value: Callable[[Array], Array]
    derivative: Callable[[Array], Array] | None  # elementwise f'(u); None for softmax
    elementwise: bool = True
    # f'(u) from a = f(u), where that is bit for bit ``derivative`` (sigmoid: s * (1 - s) with s = sigmoid(u))
    prime_of_output: Callable[[Array], Array] | None = None
    # ``value`` for real float64 arrays, bit for bit, and cheaper (None: ``value`` itself)
    real_value: Callable[[Array], Array] | None = None

    def backprop(self, u: Array, a: Array, grad_a: Array) -> Array:
        """dL/du from dL/da: ``grad_a * f'(u)``, or the softmax Jacobian product."""
        if self.elementwise:
            return grad_a * self.derivative(u)
        # softmax: J = diag(a) - a a^T, so J^T g = a * (g - <a, g>)
        return a * (grad_a - (a * grad_a).sum(axis=-1, keepdims=True))


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation("identity", lambda u: u, lambda u: np.ones_like(u)),
    "sigmoid": Activation("sigmoid", sigmoid, _sigmoid_prime, prime_of_output=lambda a: a * (1 - a),
                          real_value=_sigmoid_real),
    "tanh": Activation("tanh", np.tanh, _tanh_prime, prime_of_output=lambda a: 1 - a * a),
    "relu": Activation("relu", _relu, _relu_prime),
    "softmax": Activation("softmax", softmax, None, elementwise=False),
}


def _xlogy(y: Array, a: Array) -> Array:
    """y*log(a) with 0*log(0) = 0 (a target of 0 contributes nothing)."""
    safe = np.where(_real(np.asarray(y)) == 0, 1.0, a)
    return np.where(_real(np.asarray(y)) == 0, 0.0, y * np.log(safe))


def _bce(a: Array, y: Array) -> Array:
    return -(_xlogy(y, a) + _xlogy(1 - y, 1 - a)).sum(axis=-1)


def _bce_grad(a: Array, y: Array) -> Array:
    return (a - y) / (a * (1 - a))


@dataclass(frozen=True)
class Loss:
    """One loss: per-sample value (m,) and gradient dL/da (m, n)."""

    name: str
    value: Callable[[Array, Array], Array]
    gradient: Callable[[Array, Array], Array]


LOSSES: dict[str, Loss] = {
    "half_sse": Loss("half_sse", lambda a, y: 0.5 * ((y - a) ** 2).sum(axis=-1), lambda a, y: a - y),
    "sse": Loss("sse", lambda a, y: ((y - a) ** 2).sum(axis=-1), lambda a, y: 2 * (a - y)),
    "mse": Loss(
        "mse",
        lambda a, y: ((y - a) ** 2).mean(axis=-1),
        lambda a, y: 2 * (a - y) / a.shape[-1],
    ),
    "bce": Loss("bce", _bce, _bce_grad),
    "softmax_ce": Loss("softmax_ce", lambda a, y: -_xlogy(y, a).sum(axis=-1), lambda a, y: -y / a),
}


def _softplus(u: Array) -> Array:
    """log(1 + e^u), stable, analytic on each branch (complex-step safe)."""
    re = _real(u)
    pos = re > 0
    return np.where(pos, u + np.log1p(np.exp(np.where(pos, -u, 0 * u))), np.log1p(np.exp(np.where(pos, 0 * u, u))))


def _log_softmax(u: Array) -> Array:
    shifted = u - _real(u).max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


@dataclass(frozen=True)
class FusedOutput:
    """An (output activation, loss) pair computed from the logits: per-sample loss (m,) and δ = dL/du (m, n)."""

    loss: Callable[[Array, Array], Array]  # (u, y)
    delta: Callable[[Array, Array], Array]  # (a, y)


# the NumPy side of ``symbolic.spec.rules.FUSED_OUTPUTS``
FUSED_OUTPUTS: dict[tuple[str, str], FusedOutput] = {
    ("sigmoid", "bce"): FusedOutput(lambda u, y: (_softplus(u) - y * u).sum(axis=-1), lambda a, y: a - y),
    ("softmax", "softmax_ce"): FusedOutput(lambda u, y: -(y * _log_softmax(u)).sum(axis=-1),
                                           lambda a, y: a * y.sum(axis=-1, keepdims=True) - y),
}
