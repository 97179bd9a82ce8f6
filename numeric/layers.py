"""The NumPy twin of a ``[[layer]]`` list: batch forward pass and backprop (NumPy only, no SymPy).

Contract
--------
A layer list is a sequence of plain dicts, one per layer, each with ``kind`` and its keys
(numbers as floats): ``dense`` (``units``, ``activation`` — required —, ``bias``: none / per-neuron /
shared), ``batchnorm`` (``eps``, ``mode``: train / inference, ``running_mean``,
``running_var``), ``layernorm`` (``eps``, ``normalized``: rows of H features per sample, or all),
``dropout`` (``p``, ``mask``: one 0/1 row per
sample). Parameters are keyed by array name: ``W{l}`` (n_l, n_{l-1}), ``b{l}``, ``gamma{l}``
and ``beta{l}`` (n_l,). ``X`` is (m, n_0), ``Y`` (m, n_L); the loss is the mean over the
samples of the per-sample loss (``numeric.functions.LOSSES``; a recurrent last layer with ``loss_over_steps``
takes it per step: :func:`numeric.recurrent.step_losses`).

* :func:`forward` — every layer's output (``a[l]``), and per layer what backprop needs;
* :func:`loss` — the mean batch loss (works for complex parameters: complex step);
* :func:`gradient` — (dL/dθ keyed like ``params``, dL/da[l] for l = 0..L).

Batch norm's backward here is the compact form (CS231n's "simplified" derivation,
dx = γ/(N·s) · (N g − Σg − x̂ Σ g x̂)), independent of the step-by-step graph of
:mod:`symbolic.spec.layer_rules` that the exact truth runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .convolution import NUMERIC_CONV_RULES
from .functions import ACTIVATIONS, FUSED_OUTPUTS, LOSSES
from .recurrent import RECURRENT_TWINS, step_losses

__all__ = ["NumericKind", "NUMERIC_KINDS", "forward", "loss", "gradient"]

Params = dict[str, np.ndarray]


def _norm_forward(V: np.ndarray, eps: float, axis: int):
    mu = V.mean(axis=axis, keepdims=True)
    var = ((V - mu) ** 2).mean(axis=axis, keepdims=True)
    s = np.sqrt(var + eps)
    return (V - mu) / s, s


def _norm_backward(G: np.ndarray, xhat: np.ndarray, s: np.ndarray, axis: int) -> np.ndarray:
    n = xhat.shape[axis]
    return (n * G - G.sum(axis=axis, keepdims=True) - xhat * (G * xhat).sum(axis=axis, keepdims=True)) / (n * s)


def _batchnorm(l: int, spec: dict, params: Params, V: np.ndarray):
    gamma, beta = params[f"gamma{l}"], params[f"beta{l}"]
    if spec.get("mode", "train") == "inference":
        s = np.sqrt(np.asarray(spec["running_var"], dtype=float) + spec["eps"])
        xhat = (V - np.asarray(spec["running_mean"], dtype=float)) / s
        return xhat * gamma + beta, ("inference", xhat, s, gamma)
    xhat, s = _norm_forward(V, spec["eps"], 0)
    return xhat * gamma + beta, ("train", xhat, s, gamma)


def _norm_grads(l: int, cache, G: np.ndarray, axis: int):
    mode, xhat, s, gamma = cache
    grads = {f"gamma{l}": (G * xhat).sum(axis=0), f"beta{l}": G.sum(axis=0)}
    Gx = G * gamma
    if mode == "inference":
        return Gx / s, grads
    return _norm_backward(Gx, xhat, s, axis), grads


def _layernorm(l: int, spec: dict, params: Params, V: np.ndarray):
    """Each sample as rows of H = ``normalized`` features (a [batch, rows, H] input), each row normalized."""
    m, n = V.shape
    H = spec.get("normalized") or n
    xhat, s = _norm_forward(V.reshape(m, n // H, H), spec["eps"], 2)
    out = xhat * params[f"gamma{l}"] + params[f"beta{l}"]
    return out.reshape(m, n), ("train", xhat, s, params[f"gamma{l}"])


def _layernorm_grads(l: int, cache, G: np.ndarray):
    _, xhat, s, gamma = cache
    G3 = G.reshape(xhat.shape)
    grads = {f"gamma{l}": (G3 * xhat).sum(axis=(0, 1)), f"beta{l}": G3.sum(axis=(0, 1))}
    return _norm_backward(G3 * gamma, xhat, s, 2).reshape(G.shape), grads


def _dropout(l: int, spec: dict, params: Params, V: np.ndarray):
    M = np.asarray(spec["mask"], dtype=float) / (1 - spec["p"])
    return V * M, M


@dataclass(frozen=True)
class NumericKind:
    """``forward(l, spec, params, V) -> (out, cache)``, ``backward(l, cache, G) -> (dV, {param: grad})``."""

    name: str
    forward: Callable
    backward: Callable


NUMERIC_KINDS: dict[str, NumericKind] = {
    "batchnorm": NumericKind("batchnorm", _batchnorm, lambda l, c, G: _norm_grads(l, c, G, 0)),
    "layernorm": NumericKind("layernorm", _layernorm, _layernorm_grads),
    "dropout": NumericKind("dropout", _dropout, lambda l, c, G: (G * c, {})),
}
NUMERIC_KINDS.update({k: NumericKind(k, *twin) for k, twin in RECURRENT_TWINS.items()})  # rnn, lstm
NUMERIC_KINDS.update({k: NumericKind(k, *rules) for k, rules in NUMERIC_CONV_RULES.items()})  # numeric/convolution.py


def _dense(l: int, spec: dict, params: Params, V: np.ndarray):
    U = V @ np.asarray(params[f"W{l}"]).T
    if spec.get("bias", "per-neuron") != "none":
        U = U + np.asarray(params[f"b{l}"])
    return ACTIVATIONS[spec["activation"]].value(U), U


def forward(layers: Sequence[dict], params: Params, X: np.ndarray) -> tuple[list, list]:
    """(a, caches): a[0] = X, a[l] the output of layer l; caches[l - 1] what layer l's backward needs."""
    a, caches = [np.atleast_2d(X)], []
    for l, spec in enumerate(layers, 1):
        kind = spec["kind"]
        out, cache = _dense(l, spec, params, a[-1]) if kind == "dense" else \
            NUMERIC_KINDS[kind].forward(l, spec, params, a[-1])
        a.append(out)
        caches.append(cache)
    return a, caches


def _fused(layers: Sequence[dict], loss_name: str):
    last = layers[-1]
    return FUSED_OUTPUTS.get((last["activation"], loss_name)) if last["kind"] == "dense" else None


def loss(layers: Sequence[dict], loss_name: str, params: Params, X: np.ndarray, Y: np.ndarray):
    """The mean loss over the batch."""
    a, caches = forward(layers, params, X)
    fused = _fused(layers, loss_name)
    if fused is not None:
        return fused.loss(caches[-1], np.atleast_2d(Y)).mean()
    per_step = _per_step(layers, loss_name, a[-1], np.atleast_2d(Y))
    if per_step is not None:
        return per_step[0].mean()
    return LOSSES[loss_name].value(a[-1], np.atleast_2d(Y)).mean()


def _per_step(layers: Sequence[dict], loss_name: str, A: np.ndarray, Y: np.ndarray):
    """A recurrent last layer's loss taken step by step (its ``loss_over_steps``), or None."""
    last = layers[-1]
    if last["kind"] not in RECURRENT_TWINS:
        return None
    return step_losses(last, LOSSES[loss_name], A, Y)


def gradient(layers: Sequence[dict], loss_name: str, params: Params, X: np.ndarray,
             Y: np.ndarray) -> tuple[Params, list]:
    """(dL/dθ keyed like ``params``, [dL/da[l] for l = 0..L]) of the mean batch loss."""
    a, caches = forward(layers, params, X)
    Y = np.atleast_2d(Y)
    m = a[0].shape[0]
    grads: Params = {}
    adj: list = [None] * (len(layers) + 1)
    fused = _fused(layers, loss_name)
    per_step = _per_step(layers, loss_name, a[-1], Y)
    G = (per_step[1] if per_step is not None else LOSSES[loss_name].gradient(a[-1], Y)) / m
    adj[-1] = G
    delta = fused.delta(a[-1], Y) / m if fused is not None else None
    for l in range(len(layers), 0, -1):
        spec, cache = layers[l - 1], caches[l - 1]
        if spec["kind"] == "dense":
            if delta is None:
                delta = ACTIVATIONS[spec["activation"]].backprop(cache, a[l], G)
            grads[f"W{l}"] = delta.T @ a[l - 1]
            mode = spec.get("bias", "per-neuron")
            if mode == "per-neuron":
                grads[f"b{l}"] = delta.sum(axis=0)
            elif mode == "shared":
                grads[f"b{l}"] = np.asarray(delta.sum())
            G = delta @ np.asarray(params[f"W{l}"])
        else:
            G, part = NUMERIC_KINDS[spec["kind"]].backward(l, cache, G)
            grads.update(part)
        delta = None
        adj[l - 1] = G
    return {k: grads[k] for k in params}, adj
