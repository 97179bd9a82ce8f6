"""Canonical entry names for parameter arrays (NumPy only).

Contract
--------
Arrays are keyed ``"W{l}"`` / ``"b{l}"``; entries are named 1-based:
``"W2[1,2]"`` (row = neuron of layer l, column = neuron of layer l-1),
``"b1[3]"`` for a per-neuron bias and plain ``"b1"`` for a shared one.
:func:`entry_names` lists them in a fixed order (layer by layer, W before b,
row-major); :func:`flatten` / :func:`unflatten` convert between the dict of
arrays and a ``{entry name: value}`` mapping.
"""
from __future__ import annotations

import functools

import numpy as np

from .engine import Architecture

__all__ = ["array_names", "entry_names", "entry_index", "flatten", "unflatten"]


def array_names(arch: Architecture) -> list[str]:
    """``["W1", "b1", "W2", ...]`` — the parameter arrays the architecture has."""
    names = []
    for l in range(1, arch.depth + 1):
        names.append(f"W{l}")
        if arch.bias[l - 1] != "none":
            names.append(f"b{l}")
    return names


def _entries(arch: Architecture, name: str) -> list[tuple[str, tuple[int, ...]]]:
    l = int(name[1:])
    rows, cols = arch.layers[l], arch.layers[l - 1]
    if name[0] == "W":
        return [(f"{name}[{i + 1},{j + 1}]", (i, j)) for i in range(rows) for j in range(cols)]
    if arch.bias[l - 1] == "shared":
        return [(name, ())]
    return [(f"{name}[{i + 1}]", (i,)) for i in range(rows)]


def entry_index(arch: Architecture) -> dict[str, tuple[str, tuple[int, ...]]]:
    """``{"W2[1,2]": ("W2", (0, 1)), "b1": ("b1", ()), ...}`` in canonical order."""
    return dict(_entry_items(arch))


@functools.lru_cache(maxsize=64)
def _entry_items(arch: Architecture) -> tuple:
    return tuple((entry, (name, idx)) for name in array_names(arch) for entry, idx in _entries(arch, name))


def entry_names(arch: Architecture) -> list[str]:
    """Every scalar parameter's canonical name, in canonical order."""
    return list(entry_index(arch))


def flatten(arch: Architecture, arrays: dict[str, np.ndarray]) -> dict[str, float]:
    """``{"W1": [[...]]}`` → ``{"W1[1,1]": ..., ...}``."""
    return {entry: np.asarray(arrays[name])[idx].item() for entry, (name, idx) in entry_index(arch).items()}


def unflatten(arch: Architecture, values: dict[str, float], dtype=float) -> dict[str, np.ndarray]:
    """Inverse of :func:`flatten`; every entry must be present."""
    out: dict[str, np.ndarray] = {}
    for name in array_names(arch):
        l = int(name[1:])
        shape = (arch.layers[l], arch.layers[l - 1]) if name[0] == "W" else (
            () if arch.bias[l - 1] == "shared" else (arch.layers[l],))
        out[name] = np.zeros(shape, dtype=dtype)
    for entry, (name, idx) in entry_index(arch).items():
        out[name][idx] = values[entry]
    return out
