"""A hypothesis strategy of random ``[[layer]]`` lists (shared by the layer-truth and layer-update tests).

:func:`layer_lists` draws (tables, params, x, y, loss): dense of every smooth activation and relu,
batchnorm in train and inference mode, layernorm, dropout with a random mask; batch sizes 1–5;
parameters and data small fractions. ε = 0 is drawn only where every feature of the batchnorm's
input varies over the batch (float variance ≥ 1/100): a constant feature with ε = 0 is refused
(tests/test_layers.py), a nearly constant one is ill-conditioned for the float twin.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from numeric import layers as twin

__all__ = ["layer_lists", "floats", "flat"]

NUMBER = st.fractions(min_value=-2, max_value=2, max_denominator=8)


@st.composite
def layer_lists(draw):
    m = draw(st.integers(1, 5))
    width = draw(st.integers(1, 3))
    tables, widths = [], [width]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["dense", "batchnorm", "layernorm", "dropout"]))
        n = widths[-1]
        if kind == "dense":
            n = draw(st.integers(1, 3))
            tables.append({"kind": "dense", "units": n, "bias": draw(st.sampled_from(["none", "per-neuron", "shared"])),
                           "activation": draw(st.sampled_from(["identity", "sigmoid", "tanh", "relu"]))})
        elif kind == "batchnorm":
            table = {"kind": kind, "eps": draw(st.sampled_from([0, Fraction(1, 100), Fraction(1, 10 ** 5)]))}
            if draw(st.booleans()):
                table.update(mode="inference", running_mean=[draw(NUMBER) for _ in range(n)],
                             running_var=[draw(st.fractions(Fraction(1, 4), 3, max_denominator=8)) for _ in range(n)])
            tables.append(table)
        elif kind == "layernorm":
            assume(n >= 2)
            tables.append({"kind": kind, "eps": draw(st.sampled_from([Fraction(1, 100), Fraction(1, 10 ** 5)]))})
        else:
            mask = [[draw(st.integers(0, 1)) for _ in range(n)] for _ in range(m)]
            tables.append({"kind": kind, "p": draw(st.sampled_from([0, Fraction(1, 4), Fraction(1, 2)])), "mask": mask})
        widths.append(n)
    out = draw(st.integers(1, 2))
    tables.append({"kind": "dense", "units": out, "activation": draw(st.sampled_from(["identity", "sigmoid"]))})
    widths.append(out)
    params = {}
    for l, t in enumerate(tables, 1):
        n, prev = widths[l], widths[l - 1]
        if t["kind"] == "dense":
            params[f"W{l}"] = [[draw(NUMBER) for _ in range(prev)] for _ in range(n)]
            mode = t.get("bias", "per-neuron")
            if mode == "shared":
                params[f"b{l}"] = draw(NUMBER)
            elif mode == "per-neuron":
                params[f"b{l}"] = [draw(NUMBER) for _ in range(n)]
        elif t["kind"] in ("batchnorm", "layernorm"):
            params[f"gamma{l}"] = [draw(NUMBER) for _ in range(n)]
            params[f"beta{l}"] = [draw(NUMBER) for _ in range(n)]
    x = [[draw(NUMBER) for _ in range(width)] for _ in range(m)]
    y = [[draw(NUMBER) for _ in range(out)] for _ in range(m)]
    for l, t in enumerate(tables, 1):  # eps = 0 only where every feature varies over the batch (float variance ≥ 1/100):
        if t["kind"] == "batchnorm" and t["eps"] == 0 and "mode" not in t and m > 1:  # a (near-)constant column
            a, _ = twin.forward(floats(tables[:l - 1]), floats(params), np.array(x, dtype=float))  # is refused
            if np.any(a[-1].var(axis=0) < 1e-2):  # (test_layers) or ill-conditioned for the float twin
                t["eps"] = Fraction(1, 100)
    return tables, params, x, y, draw(st.sampled_from(["half_sse", "mse"]))


def floats(tree):
    """Fractions → floats throughout a layer list or parameter table (the twin's input)."""
    if isinstance(tree, dict):
        return {k: floats(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return np.array([floats(v) for v in tree], dtype=float) if tree and not isinstance(tree[0], dict) else \
            [floats(v) for v in tree]
    return float(tree) if isinstance(tree, Fraction) else tree


def flat(arrays: dict) -> dict:
    """Arrays keyed by name → floats keyed by canonical entry (``W1[1,2]``; a scalar keeps its name)."""
    out = {}
    for k, v in arrays.items():
        v = np.asarray(v)
        for idx in np.ndindex(v.shape):
            out[k + (f"[{','.join(str(i + 1) for i in idx)}]" if idx else "")] = float(v[idx])
    return out


def torch_forward(net, P: dict, X):
    """The layer list's batch output in PyTorch float64 (``P``: tensors keyed like ``net.numeric_params()``):
    dense, ``batch_norm`` in training, ``layer_norm``, the given dropout mask — PyTorch's own layers."""
    import torch

    act = {"identity": lambda t: t, "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}
    h = X
    for spec in net.specs:
        l = spec.index
        if spec.kind == "dense":
            h = act[spec.activation](h @ P[f"W{l}"].T + (P[f"b{l}"] if spec.bias != "none" else 0))
        elif spec.kind == "batchnorm":
            h = torch.nn.functional.batch_norm(h, None, None, P[f"gamma{l}"], P[f"beta{l}"], training=True,
                                               eps=float(spec.eps))
        elif spec.kind == "layernorm":
            h = torch.nn.functional.layer_norm(h, (spec.units,), P[f"gamma{l}"], P[f"beta{l}"], eps=float(spec.eps))
        else:
            h = h * torch.tensor(spec.mask, dtype=torch.float64) / (1 - float(spec.p))
    return h
