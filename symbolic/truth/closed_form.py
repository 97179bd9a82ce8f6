"""The loss as one closed-form SymPy expression of every parameter, with every node.

Contract
--------
:func:`closed_form` builds, for one sample with symbolic input ``x`` and
target ``y``, the expressions ``u{l}[i]``, ``a{l}[i]``, the loss terms
``L[k]`` and ``L`` as functions of every parameter symbol (made by
:func:`symbolic.spec.names.symbol_for`: ``W2[1,1]`` is the symbol ``W2_1_1``,
printed ``W^{(2)}_{11}``).

``cut`` replaces nodes by free symbols: ``cut={"a1[2]": t}`` builds
everything downstream of ``a1[2]`` from ``t`` while everything else keeps its
definition. Differentiating w.r.t. ``t`` then gives "X as a function of the
node, with everything that does not depend on it held fixed" — the local
chain-rule factors tutorials print.

The expression tree grows exponentially with depth; :func:`tree_size`
predicts its size without building it and :func:`closed_form` refuses
(:class:`TooLargeError`) beyond ``MAX_TREE_SIZE`` nodes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import sympy as sp

from ..spec.errors import TooLargeError
from ..spec.network import Network
from ..spec.names import Name, parse_name, symbol_for
from ..spec.rules import ACTIVATIONS, LOSSES

__all__ = ["ClosedForm", "closed_form", "tree_size", "MAX_TREE_SIZE"]

MAX_TREE_SIZE = 60_000


def tree_size(network: Network) -> int:
    """Predicted number of nodes in the (unshared) expression tree of L."""
    size_a = 1
    for l in range(1, network.depth + 1):
        n_prev, n = network.layers[l - 1], network.layers[l]
        size_u = n_prev * (size_a + 2) + 2
        size_a = size_u + 4 if ACTIVATIONS[network.activations[l - 1]].elementwise else n * (size_u + 3)
    return network.layers[-1] * (size_a + 5)


@dataclass
class ClosedForm:
    """Expressions of one sample's forward pass and loss."""

    network: Network
    params: dict[str, sp.Symbol]
    x: list[sp.Symbol]
    y: list[sp.Symbol]
    u: list[list[sp.Expr]]
    a: list[list[sp.Expr]]
    terms: list[sp.Expr]
    loss: sp.Expr

    def expr(self, name: Name | str) -> sp.Expr:
        """The expression of any canonical name (checked against the network)."""
        n = (parse_name(name) if isinstance(name, str) else name).check(self.network)
        if n.kind == "L":
            return self.terms[n.indices[0] - 1] if n.indices else self.loss
        if n.kind in ("W", "b"):
            return self.params[str(n)]
        if n.kind == "x":
            return self.x[n.indices[0] - 1]
        if n.kind == "y":
            return self.y[n.indices[0] - 1]
        table = self.u if n.kind == "u" else self.a
        return table[n.layer][n.indices[0] - 1]


def closed_form(network: Network, cut: Mapping[str, sp.Symbol] | None = None) -> ClosedForm:
    """Build the closed form (optionally with nodes cut into free symbols)."""
    size = tree_size(network)
    if size > MAX_TREE_SIZE:
        raise TooLargeError(
            f"The closed-form loss of the {'-'.join(map(str, network.layers))} network would have about "
            f"{size:,} expression nodes (limit {MAX_TREE_SIZE:,}); closed form grows exponentially with depth, "
            f"so use a smaller network or the structured derivation.")
    cut = dict(cut or {})
    params = {p: symbol_for(parse_name(p)) for p in network.parameter_names()}
    x = [symbol_for(Name("x", None, (i + 1,))) for i in range(network.layers[0])]
    y = [symbol_for(Name("y", None, (k + 1,))) for k in range(network.layers[-1])]
    u: list[list[sp.Expr]] = [[]]
    a: list[list[sp.Expr]] = [list(x)]
    for l in range(1, network.depth + 1):
        mode = network.bias[l - 1]
        ul = []
        for i in range(network.layers[l]):
            s = sp.Add(*[params[f"W{l}[{i + 1},{j + 1}]"] * a[l - 1][j] for j in range(network.layers[l - 1])])
            if mode == "shared":
                s += params[f"b{l}"]
            elif mode == "per-neuron":
                s += params[f"b{l}[{i + 1}]"]
            ul.append(cut.get(f"u{l}[{i + 1}]", s))
        al = ACTIVATIONS[network.activations[l - 1]].apply(ul)
        al = [cut.get(f"a{l}[{i + 1}]", e) for i, e in enumerate(al)]
        u.append(ul)
        a.append(al)
    terms = LOSSES[network.loss].terms(a[-1], y)
    return ClosedForm(network, params, x, y, u, a, terms, sp.Add(*terms))
