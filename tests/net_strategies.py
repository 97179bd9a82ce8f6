"""Hypothesis strategies for random networks, shared by the tests that compare derivations of the truth.

:func:`networks` draws a network of every activation, loss and bias mode with parameters and inputs in
{−1.5, −1.4, …, 1.5} and targets in ``targets`` tenths. ``samples`` is the batch size, or with
``vary_samples`` the largest one (the size is then drawn from 1..samples).
"""
from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from symbolic.spec.network import Network

__all__ = ["HIDDEN", "losses_for", "networks"]

HIDDEN = ["identity", "sigmoid", "tanh", "relu"]


def losses_for(output: str, width: int) -> list[str]:
    """The losses an output activation of this width can take."""
    out = ["half_sse", "sse", "mse"]
    if output == "sigmoid" or (output == "softmax" and width > 1):  # bce of a 1-wide softmax is undefined
        out.append("bce")
    if output == "softmax":
        out.append("softmax_ce")
    return out


@st.composite
def networks(draw, max_depth: int = 2, max_width: int = 3, hidden=HIDDEN, outputs=None, samples: int = 1,
             vary_samples: bool = False, targets: tuple[int, int] = (0, 10)):
    depth = draw(st.integers(1, max_depth))
    layers = [draw(st.integers(1, max_width)) for _ in range(depth + 1)]
    acts = [draw(st.sampled_from(hidden)) for _ in range(depth - 1)]
    acts.append(draw(st.sampled_from(outputs or (HIDDEN + ["softmax"]))))
    loss = draw(st.sampled_from(losses_for(acts[-1], layers[-1])))
    bias = [draw(st.sampled_from(["none", "per-neuron", "shared"])) for _ in range(depth)]
    q = st.integers(-15, 15).map(lambda k: Fraction(k, 10))
    params = {}
    for l in range(1, depth + 1):
        params[f"W{l}"] = [[draw(q) for _ in range(layers[l - 1])] for _ in range(layers[l])]
        if bias[l - 1] == "per-neuron":
            params[f"b{l}"] = [draw(q) for _ in range(layers[l])]
        elif bias[l - 1] == "shared":
            params[f"b{l}"] = draw(q)
    m = draw(st.integers(1, samples)) if vary_samples else samples
    x = [[draw(q) for _ in range(layers[0])] for _ in range(m)]
    target = st.integers(*targets).map(lambda k: Fraction(k, 10))
    y = [[draw(target) for _ in range(layers[-1])] for _ in range(m)]
    return Network.build(layers, acts, loss, bias, params=params, x=x, y=y)
