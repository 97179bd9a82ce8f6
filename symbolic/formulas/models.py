"""Models: every quantity of one sample as SymPy expressions, for evaluating formulas.

Contract
--------
A :class:`Model` gives the parameters, x, y, u^{(l)}, a^{(l)}, the loss terms
and the loss of one sample as SymPy expressions of the parameter symbols of
:func:`symbolic.spec.names.symbol_for`.

* The *concrete* model is :func:`symbolic.truth.closed_form.closed_form` itself
  (cut for node derivatives exactly as there).
* The *generic* model is the same construction with every elementwise
  activation replaced by the undefined function ``f_<name>`` whose derivative
  is the undefined ``fp_<name>`` (:func:`symbolic.spec.rules.generic_functions`;
  softmax stays concrete: it is not elementwise). Substituting the real rules
  into the generic model gives back the closed form expression for expression
  (tested).
* ``cut`` maps canonical node names (``u2[1]``) to symbols;
  :meth:`Model.with_cut` is the model with a whole node array cut, and
  :meth:`Model.delta` is δ^{(l)} = ∂L/∂u^{(l)} by ``sympy.diff`` through that cut.
* :func:`node_array` is W, b, x, y, u or a of any object with ``network``,
  ``params``, ``x``, ``y``, ``u``, ``a`` as a matrix (weights n_l × n_{l−1},
  vectors as columns, a shared bias 1 × 1). A network whose closed form would
  be too large is a :class:`TooLargeError`.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import sympy as sp

from ..spec.errors import DerivcheckError, TooLargeError
from ..spec.names import Name, parse_name, symbol_for
from ..spec.network import Network
from ..spec.rules import ACTIVATIONS, LOSSES, generic_functions
from ..truth.closed_form import MAX_TREE_SIZE, closed_form, tree_size

__all__ = ["Matrix", "Model", "node_array", "column"]

Matrix = sp.ImmutableDenseMatrix


def column(items: Sequence[sp.Expr]) -> Matrix:
    return Matrix(len(items), 1, list(items))


def node_array(model, kind: str, layer: int | None) -> Matrix | None:
    """W, b, x, y, u or a of ``model`` (which has ``network``, ``params``, ``x``, ``y``, ``u``, ``a``) as a matrix.

    Weights are (n_l × n_{l−1}), a per-neuron bias and the node vectors are columns, a
    shared bias is 1 × 1; any other kind gives None (the model's own business).
    """
    net = model.network
    if kind == "W":
        return Matrix(net.layers[layer], net.layers[layer - 1],
                      lambda i, j: model.params[f"W{layer}[{i + 1},{j + 1}]"])
    if kind == "b":
        if net.bias[layer - 1] == "shared":
            return Matrix([[model.params[f"b{layer}"]]])
        return Matrix(net.layers[layer], 1, lambda i, j: model.params[f"b{layer}[{i + 1}]"])
    if kind == "x" or (kind == "a" and layer == 0):
        return column(model.x)
    if kind == "y":
        return column(model.y)
    if kind in ("u", "a"):
        return column((model.u if kind == "u" else model.a)[layer])
    return None


class Model:
    """Every quantity of one sample as SymPy expressions (generic or concrete activations).

    ``cut`` maps canonical node names (``u2[1]``) to symbols, as in :func:`closed_form`.
    """

    def __init__(self, network: Network, concrete: bool, cut: Mapping[str, sp.Symbol] | None = None):
        size = tree_size(network)
        if size > MAX_TREE_SIZE:
            raise TooLargeError(
                f"The {'-'.join(map(str, network.layers))} network's closed form would have about {size:,} "
                f"expression nodes (limit {MAX_TREE_SIZE:,}); formulas are proved against the closed form, so "
                f"use a smaller network of the same depth and activations.")
        self.network = network
        self.concrete = concrete
        self.cut_map = dict(cut or {})
        self._cuts: dict[tuple[str, int], tuple["Model", Matrix]] = {}
        self._deltas: dict[int, Matrix] = {}
        net = network
        if concrete:
            cf = closed_form(network, cut=self.cut_map)
            self.params, self.x, self.y = cf.params, cf.x, cf.y
            self.u, self.a, self.terms, self.loss = cf.u, cf.a, cf.terms, cf.loss
        else:
            self.params = {p: symbol_for(parse_name(p)) for p in net.parameter_names()}
            self.x = [symbol_for(Name("x", None, (i + 1,))) for i in range(net.layers[0])]
            self.y = [symbol_for(Name("y", None, (k + 1,))) for k in range(net.layers[-1])]
            u: list[list[sp.Expr]] = [[]]
            a: list[list[sp.Expr]] = [list(self.x)]
            for l in range(1, net.depth + 1):
                mode = net.bias[l - 1]
                ul = []
                for i in range(net.layers[l]):
                    s = sp.Add(*[self.params[f"W{l}[{i + 1},{j + 1}]"] * a[l - 1][j]
                                 for j in range(net.layers[l - 1])])
                    if mode == "shared":
                        s += self.params[f"b{l}"]
                    elif mode == "per-neuron":
                        s += self.params[f"b{l}[{i + 1}]"]
                    ul.append(self.cut_map.get(f"u{l}[{i + 1}]", s))
                al = self._activate(net.activations[l - 1], ul)
                al = [self.cut_map.get(f"a{l}[{i + 1}]", e) for i, e in enumerate(al)]
                u.append(ul)
                a.append(al)
            self.u, self.a = u, a
            self.terms = LOSSES[net.loss].terms(a[-1], self.y)
            self.loss = sp.Add(*self.terms)

    # ------------------------------------------------------------------ functions
    def _activate(self, name: str, us: Sequence[sp.Expr]) -> list[sp.Expr]:
        rule = ACTIVATIONS[name]
        if not rule.elementwise:
            return rule.apply(us)
        if self.concrete:
            return [rule.symbolic(v) for v in us]
        fn, _ = generic_functions(name)
        return [fn(v) for v in us]

    def function(self, name: str, prime: bool) -> Callable[[sp.Expr], sp.Expr]:
        """The scalar function ``name`` (or its derivative) in this model."""
        if name == "exp":
            return sp.exp
        if name == "log":
            return (lambda v: 1 / v) if prime else sp.log
        rule = ACTIVATIONS[name]
        if self.concrete:
            return rule.symbolic_prime if prime else rule.symbolic
        fn, fp = generic_functions(name)
        return fp if prime else fn

    # --------------------------------------------------------------------- arrays
    def array(self, kind: str, layer: int | None) -> Matrix:
        found = node_array(self, kind, layer)
        if found is not None:
            return found
        if kind == "L":
            return Matrix([[self.loss]])
        if kind == "delta":
            return self.delta(layer)
        raise DerivcheckError(f"Unknown quantity {kind!r}.")

    def with_cut(self, kind: str, layer: int) -> tuple["Model", Matrix]:
        """This model with node array ``kind{layer}`` replaced by fresh symbols (returned as a column)."""
        key = (kind, layer)
        if key not in self._cuts:
            n = self.network.layers[layer]
            syms = [sp.Dummy(f"{kind}{layer}_{i + 1}", real=True) for i in range(n)]
            cut = dict(self.cut_map)
            cut.update({f"{kind}{layer}[{i + 1}]": s for i, s in enumerate(syms)})
            self._cuts[key] = (Model(self.network, self.concrete, cut), column(syms))
        return self._cuts[key]

    def delta(self, layer: int) -> Matrix:
        """δ^{(l)} = ∂L/∂u^{(l)}, by sympy.diff through a cut at u^{(l)}."""
        if layer not in self._deltas:
            cut, syms = self.with_cut("u", layer)
            back = {s: v for s, v in zip(syms, self.u[layer])}
            self._deltas[layer] = Matrix(len(syms), 1, [sp.diff(cut.loss, s).xreplace(back) for s in syms])
        return self._deltas[layer]
