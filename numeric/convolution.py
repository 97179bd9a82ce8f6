"""The NumPy twin of convolution and pooling layers: own forward and backward (NumPy only, no SymPy).

Contract
--------
Images are arrays of shape (m, C, H, W) (samples, channels, rows, cols); a layer list stores them flat,
channel-major then row-major (``X.reshape(m, C·H·W)``, PyTorch's order).

* :func:`conv2d` — cross-correlation with zero padding, as PyTorch's ``conv2d`` and CS231n's
  ``conv_forward_naive``: U[n, o, i, j] = b[o] + Σ_{c,r,s} K[o, c, r, s] · Xpad[n, c, i·S + r, j·S + s];
  :func:`conv2d_backward` — (dX, dK, db) by scattering each kernel offset's contribution back
  (dXpad[…, i·S + r, j·S + s] += Σ_o G[n, o, i, j] K[o, c, r, s]), then cropping the padding.
* :func:`pool` / :func:`pool_backward` — ``max`` or ``avg`` over size × size windows, no padding,
  output rows floor((H − size)/stride) + 1. A max window whose maximum is reached by two or more
  cells is *tied*: its gradient is NaN at the tied cells (undefined, like relu at 0) wherever the
  incoming gradient is not 0 — never split or routed to one of them.
* :data:`NUMERIC_CONV_RULES` — kind → ``(forward(l, spec, params, V), backward(l, cache, G))`` over flat
  (m, n) batches, which :mod:`numeric.layers` registers as its ``NumericKind`` entries; ``spec["settings"]``
  holds ``input`` [C, H, W] and the kind's settings (``kernel``, ``stride``, ``padding``, ``bias``,
  ``activation`` for conv2d; ``size``, ``stride`` for the pools), pairs as [rows, cols].

This is an independent derivation from the exact program (:mod:`symbolic.truth.convolution`, which
sums index by index per output entry): here each kernel offset is one strided slice of the whole batch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .functions import ACTIVATIONS

__all__ = ["ConvCache", "PoolCache", "out_size", "conv2d", "conv2d_backward", "pool", "pool_backward",
           "NUMERIC_CONV_RULES"]

Pair = tuple[int, int]


def out_size(n: int, k: int, stride: int, pad: int = 0) -> int:
    """Output length floor((n + 2·pad − k)/stride) + 1 (PyTorch's, no ceil mode)."""
    return (n + 2 * pad - k) // stride + 1


@dataclass
class ConvCache:
    Xpad: np.ndarray
    K: np.ndarray
    stride: Pair
    padding: Pair
    out: Pair


def conv2d(X: np.ndarray, K: np.ndarray, b: np.ndarray | None, stride: Pair = (1, 1),
           padding: Pair = (0, 0)) -> tuple[np.ndarray, ConvCache]:
    """U of shape (m, C_out, H_out, W_out) and what the backward needs."""
    m, _, H, W = X.shape
    co, _, kh, kw = K.shape
    (sh, sw), (ph, pw) = stride, padding
    Xpad = np.pad(X, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho, wo = out_size(H, kh, sh, ph), out_size(W, kw, sw, pw)
    U = np.zeros((m, co, ho, wo), dtype=np.result_type(X, K))
    for r in range(kh):
        for s in range(kw):
            window = Xpad[:, :, r:r + sh * (ho - 1) + 1:sh, s:s + sw * (wo - 1) + 1:sw]  # (m, C, ho, wo)
            U += np.einsum("oc,ncij->noij", K[:, :, r, s], window)
    if b is not None:
        U = U + np.asarray(b)[None, :, None, None]
    return U, ConvCache(Xpad, K, (sh, sw), (ph, pw), (ho, wo))


def conv2d_backward(G: np.ndarray, cache: ConvCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dX, dK, db) from G = dL/dU."""
    K, (sh, sw), (ph, pw), (ho, wo) = cache.K, cache.stride, cache.padding, cache.out
    _, _, kh, kw = K.shape
    dXpad = np.zeros(cache.Xpad.shape, dtype=np.result_type(G, K))
    dK = np.zeros(K.shape, dtype=np.result_type(G, cache.Xpad))
    for r in range(kh):
        for s in range(kw):
            rows, cols = slice(r, r + sh * (ho - 1) + 1, sh), slice(s, s + sw * (wo - 1) + 1, sw)
            dXpad[:, :, rows, cols] += np.einsum("noij,oc->ncij", G, K[:, :, r, s])
            dK[:, :, r, s] = np.einsum("noij,ncij->oc", G, cache.Xpad[:, :, rows, cols])
    H, W = dXpad.shape[2] - 2 * ph, dXpad.shape[3] - 2 * pw
    return dXpad[:, :, ph:ph + H, pw:pw + W], dK, G.sum(axis=(0, 2, 3))


@dataclass
class PoolCache:
    how: str
    shape: tuple[int, ...]
    size: Pair
    stride: Pair
    windows: np.ndarray  # (m, C, ho, wo, kh·kw) the window values
    out: Pair


def pool(X: np.ndarray, how: str, size: Pair, stride: Pair) -> tuple[np.ndarray, PoolCache]:
    """Max or average pooling of (m, C, H, W) over size windows at stride."""
    m, c, H, W = X.shape
    (kh, kw), (sh, sw) = size, stride
    ho, wo = out_size(H, kh, sh), out_size(W, kw, sw)
    windows = np.stack([X[:, :, r:r + sh * (ho - 1) + 1:sh, s:s + sw * (wo - 1) + 1:sw]
                        for r in range(kh) for s in range(kw)], axis=-1)
    out = windows.max(axis=-1) if how == "max" else windows.mean(axis=-1)
    return out, PoolCache(how, X.shape, (kh, kw), (sh, sw), windows, (ho, wo))


def pool_backward(G: np.ndarray, cache: PoolCache) -> np.ndarray:
    """dL/dX from G = dL/d(pooled output); NaN through a tied maximum (module contract)."""
    (kh, kw), (sh, sw), (ho, wo) = cache.size, cache.stride, cache.out
    if cache.how == "max":
        top = cache.windows.max(axis=-1, keepdims=True)
        hit = cache.windows == top
        tied = hit.sum(axis=-1) > 1
        share = np.where(hit, G[..., None], 0.0)
        share = np.where(hit & (tied & (G != 0))[..., None], np.nan, share)
    else:
        share = np.repeat(G[..., None] / (kh * kw), kh * kw, axis=-1)
    dX = np.zeros(cache.shape, dtype=np.result_type(G, float))
    for t, (r, s) in enumerate((r, s) for r in range(kh) for s in range(kw)):
        dX[:, :, r:r + sh * (ho - 1) + 1:sh, s:s + sw * (wo - 1) + 1:sw] += share[..., t]
    return dX


# ----------------------------------------------------------------------------- layer-list entries
def _image(settings: dict, V: np.ndarray) -> np.ndarray:
    return np.asarray(V).reshape((V.shape[0], *settings["input"]))


def _conv_forward(l: int, spec: dict, params: dict, V: np.ndarray):
    st = spec["settings"]
    has_bias = st["bias"] != "none"
    U, cache = conv2d(_image(st, V), np.asarray(params[f"K{l}"]), params.get(f"b{l}") if has_bias else None,
                      tuple(st["stride"]), tuple(st["padding"]))
    act = ACTIVATIONS[st["activation"]]
    A = act.value(U)
    return A.reshape(V.shape[0], -1), (cache, act, U, A, has_bias)


def _conv_backward(l: int, cache, G: np.ndarray):
    conv, act, U, A, has_bias = cache
    dU = act.backprop(U, A, G.reshape(U.shape))
    dX, dK, db = conv2d_backward(dU, conv)
    grads = {f"K{l}": dK, **({f"b{l}": db} if has_bias else {})}
    return dX.reshape(G.shape[0], -1), grads


def _pool_rules(how: str) -> tuple:
    def forward(l: int, spec: dict, params: dict, V: np.ndarray):
        st = spec["settings"]
        out, cache = pool(_image(st, V), how, tuple(st["size"]), tuple(st["stride"]))
        return out.reshape(V.shape[0], -1), (cache, out.shape)

    def backward(l: int, cache, G: np.ndarray):
        pc, shape = cache
        return pool_backward(G.reshape(shape), pc).reshape(G.shape[0], -1), {}
    return forward, backward


NUMERIC_CONV_RULES: dict[str, tuple] = {
    "conv2d": (_conv_forward, _conv_backward),
    "maxpool": _pool_rules("max"),
    "avgpool": _pool_rules("avg"),
    "flatten": (lambda l, spec, params, V: (np.asarray(V), None), lambda l, cache, G: (G, {})),
}
