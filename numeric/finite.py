"""Numeric derivative witnesses: central differences and the complex step (NumPy only).

Contract
--------
``f`` maps a dict of parameter arrays to a scalar. Each function returns
``df/dθ`` as a dict of arrays with the same keys and shapes, perturbing one
entry at a time on a copy (the caller's arrays are never modified).

* :func:`central_difference` — (f(θ+h) − f(θ−h)) / 2h, error O(h²).
* :func:`richardson` — two central differences (h and h/2) combined, error O(h⁴).
* :func:`complex_step` — Im f(θ + ih) / h, no subtractive cancellation; needs
  ``f`` analytic in the perturbed entry (true for every rule in functions.py
  away from relu's kink).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["central_difference", "richardson", "complex_step"]

Params = dict[str, np.ndarray]


def _perturbed(params: Params, dtype) -> Params:
    return {k: np.array(v, dtype=dtype, copy=True) for k, v in params.items()}


def central_difference(f: Callable[[Params], float], params: Params, h: float = 1e-6) -> Params:
    """Central finite differences of ``f`` at ``params``."""
    work = _perturbed(params, float)
    grads: Params = {}
    for k, arr in work.items():
        g = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + h
            plus = f(work)
            arr[idx] = old - h
            minus = f(work)
            arr[idx] = old
            g[idx] = (plus - minus) / (2 * h)
        grads[k] = g
    return grads


def richardson(f: Callable[[Params], float], params: Params, h: float = 1e-3) -> Params:
    """Richardson extrapolation of central differences: (4 D(h/2) − D(h)) / 3."""
    coarse = central_difference(f, params, h)
    fine = central_difference(f, params, h / 2)
    return {k: (4 * fine[k] - coarse[k]) / 3 for k in coarse}


def complex_step(f: Callable[[Params], complex], params: Params, h: float = 1e-30) -> Params:
    """Complex-step derivative Im f(θ + ih) / h (exact to rounding for analytic f)."""
    work = _perturbed(params, complex)
    grads: Params = {}
    for k, arr in work.items():
        g = np.zeros(arr.shape, dtype=float)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + 1j * h
            g[idx] = np.imag(f(work)) / h
            arr[idx] = old
        grads[k] = g
    return grads
