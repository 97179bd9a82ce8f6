"""Gradient-descent training loops: full batch, SGD and mini-batch (NumPy only).

Contract
--------
:func:`train` runs ``epochs`` passes over ``(X, Y)``. ``batch_size=None`` is
full-batch gradient descent (one update per epoch, exactly the tutorials'
"repeat N times"); ``batch_size=1`` is SGD; anything between is mini-batch.
Shuffling uses ``numpy.random.default_rng(seed)``, so a run is reproducible.
The result holds the final parameters and the full-batch loss before the
first update and after every epoch (``history[0]`` is the initial loss).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .engine import Architecture, gd_step, loss

__all__ = ["TrainResult", "train"]


@dataclass
class TrainResult:
    params: dict[str, np.ndarray]
    history: list[float] = field(default_factory=list)
    updates: int = 0


def train(
    arch: Architecture,
    params: dict[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    learning_rate: float,
    epochs: int,
    batch_size: int | None = None,
    update_biases: bool = True,
    seed: int = 0,
    shuffle: bool = True,
    record: bool = True,
) -> TrainResult:
    """Train and return the final parameters with a per-epoch loss history."""
    X, Y = np.atleast_2d(np.asarray(X, float)), np.atleast_2d(np.asarray(Y, float))
    m = X.shape[0]
    rng = np.random.default_rng(seed)
    p = {k: np.array(v, dtype=float, copy=True) for k, v in params.items()}
    result = TrainResult(p)
    if record:
        result.history.append(float(loss(arch, p, X, Y)))
    size = m if batch_size is None else batch_size
    for _ in range(epochs):
        order = rng.permutation(m) if (shuffle and size < m) else np.arange(m)
        for start in range(0, m, size):
            rows = order[start:start + size]
            p = gd_step(arch, p, X[rows], Y[rows], learning_rate, update_biases)
            result.updates += 1
        if record:
            result.history.append(float(loss(arch, p, X, Y)))
    result.params = p
    return result
