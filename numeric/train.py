"""Gradient-descent training loops: full batch, SGD and mini-batch (NumPy only).

Contract
--------
:func:`train` runs ``epochs`` passes over ``(X, Y)``. ``batch_size=None`` is
full-batch gradient descent (one update per epoch, exactly the tutorials'
"repeat N times"); ``batch_size=1`` is SGD; anything between is mini-batch.
Shuffling uses ``numpy.random.default_rng(seed)``, so a run is reproducible.
The result holds the final parameters and the full-batch loss before the
first update and after every epoch (``history[0]`` is the initial loss).

Every update is bit for bit :func:`numeric.engine.gd_step` on its batch; the
loop just avoids its per-call overhead: parameters are updated in place on
private copies, activations' derivatives are taken from the values the forward
pass already computed where that is the same arithmetic (sigmoid's s(1 − s),
tanh's 1 − t², identity's 1), and a full batch's recorded loss reuses the next
update's forward pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .engine import Architecture, Forward, loss, output_delta, sample_losses
from .functions import ACTIVATIONS, FUSED_OUTPUTS, LOSSES

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
    size = m if batch_size is None else batch_size
    step = _Stepper(arch, p, learning_rate, update_biases)
    if size >= m:  # full batch: the loss after an update comes from the next update's forward pass
        fwd = step.forward(X)
        if record:
            result.history.append(float(sample_losses(arch, fwd, Y).mean()))
        for _ in range(epochs):
            step.update(fwd, Y)
            result.updates += 1
            fwd = step.forward(X)
            if record:
                result.history.append(float(sample_losses(arch, fwd, Y).mean()))
        return result
    if record:
        result.history.append(float(loss(arch, p, X, Y)))
    for _ in range(epochs):
        order = rng.permutation(m) if shuffle else np.arange(m)
        for start in range(0, m, size):
            rows = order[start:start + size]
            step.update(step.forward(X[rows]), Y[rows])
            result.updates += 1
        if record:
            result.history.append(float(loss(arch, p, X, Y)))
    return result


class _Stepper:
    """In-place gradient-descent updates of ``p``, each bit for bit ``engine.gd_step``."""

    def __init__(self, arch: Architecture, p: dict, learning_rate: float, update_biases: bool):
        self.arch, self.p, self.lr = arch, p, learning_rate
        depth = arch.depth
        self.W = [None] + [p[f"W{l}"] for l in range(1, depth + 1)]
        self.b = [None] + [p.get(f"b{l}") if arch.bias[l - 1] != "none" else None for l in range(1, depth + 1)]
        self.mode = [None] + list(arch.bias)
        self.act = [None] + [ACTIVATIONS[a] for a in arch.activations]
        self.value = [None] + [act.real_value or act.value for act in self.act[1:]]
        self.prime = [None] + [act.prime_of_output for act in self.act[1:]]  # f'(u) from a, bit for bit
        self.update_biases = update_biases
        fused = (arch.activations[-1], arch.loss) in FUSED_OUTPUTS
        self.output_prime = None if fused else self.prime[-1]
        self.loss_gradient = LOSSES[arch.loss].gradient

    def forward(self, X: np.ndarray) -> Forward:
        a = [X]
        u: list = [None]
        for l in range(1, self.arch.depth + 1):
            b = self.b[l]
            ul = a[-1] @ self.W[l].T + (0.0 if b is None else b)
            u.append(ul)
            a.append(self.value[l](ul))
        return Forward(u, a)

    def update(self, fwd: Forward, Y: np.ndarray) -> None:
        arch = self.arch
        m = fwd.a[0].shape[0]
        if self.output_prime is not None:  # engine.output_delta's unfused branch, f' from the value
            aL = fwd.a[-1]
            delta = self.loss_gradient(aL, Y) * self.output_prime(aL)
        else:
            delta = output_delta(arch, fwd, Y)
        grads = []
        for l in range(arch.depth, 0, -1):
            gW = delta.T @ fwd.a[l - 1]
            if m != 1:  # x / 1 is exact: skipping it changes no bit
                gW = gW / m
            mode = self.mode[l] if self.update_biases else "none"
            gb = delta.sum(axis=0) / m if mode == "per-neuron" else (delta.sum() / m if mode == "shared" else None)
            grads.append((l, gW, gb))
            if l > 1:
                grad_a = delta @ self.W[l]
                prime = self.prime[l - 1]
                if prime is not None:
                    delta = grad_a * prime(fwd.a[l - 1])
                else:
                    delta = self.act[l - 1].backprop(fwd.u[l - 1], fwd.a[l - 1], grad_a)
        lr = self.lr
        for l, gW, gb in grads:
            self.W[l] -= lr * gW
            if gb is not None:
                self.b[l] -= lr * gb
