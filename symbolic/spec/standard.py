"""Reproducible networks: round-number parameters and data, and the seeds' standard networks.

Contract
--------
* :func:`make_network` builds a validated :class:`symbolic.spec.network.Network`;
  the parameters and data not given are reproducible two-decimal numbers drawn
  with ``numpy.random.default_rng(seed)`` (written as decimal strings, so they
  are exact when parsed), targets in [0, 1] or one-hot for softmax_ce.
* :data:`STANDARD_NETWORKS` holds the seeds' networks as :meth:`Network.build`
  keyword arguments and :func:`standard_network` builds one by name
  (``"mazur"`` 2-2-2 of seed 002, ``"sigai"`` 3-4-2 of seed 003, ``"lagou"``
  2-2-1 of seed 004); an unknown name is a :class:`symbolic.spec.errors.DerivcheckError`.

:mod:`symbolic.gradcheck` re-exports all three, and the pytest plugin exposes them as fixtures.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from numeric.parameters import array_names

from .errors import DerivcheckError
from .network import Network
from .rules import DEFAULT_ACTIVATION, DEFAULT_LOSS, LOSSES

__all__ = ["make_network", "standard_network", "STANDARD_NETWORKS"]


def _decimals(rng: np.random.Generator, shape: tuple[int, ...], low: float = -1.0, high: float = 1.0) -> Any:
    """Round-number (two-decimal) values as nested lists of strings: exact when parsed."""
    values = np.round(rng.uniform(low, high, size=shape), 2)
    return np.vectorize(lambda v: f"{v:.2f}", otypes=[object])(values).tolist() if shape else f"{float(values):.2f}"


def _random_targets(rng: np.random.Generator, loss: str, n: int) -> list:
    if LOSSES[loss].targets == "distribution":  # a one-hot target
        return [1 if k == int(rng.integers(n)) else 0 for k in range(n)]
    return _decimals(rng, (n,), 0.0, 1.0)


def make_network(
    layers: Sequence[int],
    activation: str | Sequence[str] = DEFAULT_ACTIVATION,
    loss: str = DEFAULT_LOSS,
    bias: str | Sequence[str] = "per-neuron",
    *,
    params: Mapping[str, Any] | None = None,
    x: Any = None,
    y: Any = None,
    learning_rate: Any = None,
    update_biases: bool = True,
    seed: int = 0,
) -> Network:
    """A validated network; parameters and data not given are reproducible two-decimal numbers.

    >>> net = make_network([2, 3, 1], seed=1)
    >>> net.layers, sorted(net.params)
    ((2, 3, 1), ['W1', 'W2', 'b1', 'b2'])
    """
    spec = Network.build(layers, activation, loss, bias, learning_rate, update_biases)
    rng = np.random.default_rng(seed)
    if params is None:
        params = {}
        for name in array_names(spec.architecture):
            l = int(name[1:])
            if name[0] == "W":
                params[name] = _decimals(rng, (spec.layers[l], spec.layers[l - 1]))
            elif spec.bias[l - 1] == "shared":
                params[name] = _decimals(rng, ())
            else:
                params[name] = _decimals(rng, (spec.layers[l],))
    if x is None:
        x = _decimals(rng, (spec.layers[0],))
    if y is None:
        y = _random_targets(rng, spec.loss, spec.layers[-1])
    return Network.build(layers, activation, loss, bias, learning_rate, update_biases,
                         params=params, x=x, y=y)


# The seeds' networks. Seed 002 (Mazur) and seed 004 (Lagou) print their numbers and are
# transcribed in derivations/002-… and derivations/004-…; seed 003 (SIGAI, 3-4-2 matrix form)
# derives formulas only and prints no numbers, so its values here are derivcheck's own.
STANDARD_NETWORKS: dict[str, dict[str, Any]] = {
    "mazur": dict(
        layers=[2, 2, 2], activation="sigmoid", loss="half_sse", bias="shared",
        learning_rate="0.5", update_biases=False,
        params={"W1": [["0.15", "0.20"], ["0.25", "0.30"]], "b1": "0.35",
                "W2": [["0.40", "0.45"], ["0.50", "0.55"]], "b2": "0.60"},
        x=["0.05", "0.10"], y=["0.01", "0.99"],
    ),
    "sigai": dict(
        layers=[3, 4, 2], activation="sigmoid", loss="half_sse", bias="per-neuron",
        learning_rate="0.5", update_biases=True,
        params={"W1": [["0.1", "0.2", "-0.3"], ["0.4", "-0.5", "0.6"], ["-0.7", "0.8", "0.9"],
                       ["0.15", "-0.25", "0.35"]],
                "b1": ["0.1", "-0.1", "0.2", "-0.2"],
                "W2": [["0.3", "-0.4", "0.5", "-0.6"], ["-0.1", "0.2", "-0.3", "0.4"]],
                "b2": ["0.05", "-0.05"]},
        x=["0.5", "-0.2", "0.1"], y=["0", "1"],
    ),
    "lagou": dict(
        layers=[2, 2, 1], activation="sigmoid", loss="half_sse", bias="none",
        learning_rate="0.1", update_biases=True,
        params={"W1": [["0.1", "0.7"], ["0.3", "0.2"]], "W2": [["0.4", "0.6"]]},
        x=["0.5", "0.8"], y=["1"],
    ),
}


def standard_network(name: str) -> Network:
    """One of the seeds' networks by name: ``"mazur"`` (2-2-2), ``"sigai"`` (3-4-2), ``"lagou"`` (2-2-1)."""
    try:
        spec = STANDARD_NETWORKS[name]
    except KeyError:
        raise DerivcheckError(f"There is no standard network {name!r}; use one of {', '.join(STANDARD_NETWORKS)}.") from None
    return Network.build(**spec)
