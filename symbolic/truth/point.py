"""Exact point evaluation: every value, node derivative and parameter partial from one sweep.

Contract
--------
:class:`Point` interprets the network's program (the ops of :mod:`symbolic.truth.ops`) at
the network's parameters and data — or at given ``values`` (rationals or balls), with
:class:`~symbolic.truth.ops.Mistakes` applied — at one working precision (``prec`` bits):
one forward sweep per sample, and one reverse sweep per (sample, seed) — a seed is ``L``
(the sample's loss), ``L[k]``, ``u{l}[i]`` or ``a{l}[i]`` — each cached, so every claim and
every mistake candidate at that point reads from them. Values are ``fmpq`` (exact) where
only rational arithmetic is involved, certified ``arb`` balls elsewhere
(:mod:`symbolic.truth.balls`), or :class:`~symbolic.truth.balls.Undefined` for a derivative
through relu's kink (a quantity that does not pass through the kinked unit is computed).

* :meth:`Point.value` — ``x``, ``y``, a parameter, ``u``, ``a``, ``L[k]`` (of the sample),
  ``L`` (the batch mean);
* :meth:`Point.derivative` — d(top)/d(var) with the cut semantics of
  :class:`symbolic.truth.exact.Truth` (everything not downstream of ``var`` held fixed);
  ``var`` may be a parameter, a node of the sample, or an input ``x[j]``;
* :meth:`Point.gradient` — dL/dθ for every parameter (batch mean).

A ball that cannot decide a branch raises :class:`~symbolic.truth.balls.Undecided`; the
caller (:class:`symbolic.truth.exact.Truth`, :class:`symbolic.truth.replay.Replay`) then
runs a new Point at a higher precision.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from flint import fmpq

from ..spec.errors import DerivcheckError
from ..spec.names import Name, parse_name
from ..spec.network import Network
from .balls import ZERO, ONE, Undefined, add, exact, mul, workprec
from .ops import NO_MISTAKES, Mistakes, affine_ops, ops_of
from .penalty import penalty_partial, penalty_value
from .pins import Pins

__all__ = ["Point", "DEFAULT_PREC", "Mistakes", "NO_MISTAKES"]

DEFAULT_PREC = 320


# =============================================================================================== the sweeps
@dataclass
class _Forward:
    a: list  # a[0] = x, a[l] for l = 1..L
    u: list  # u[0] unused
    df: list  # f'(u) per elementwise layer (None otherwise)
    terms: list


class _Lazy:
    """A list computed on first use (∂L/∂a{L} beside a fused output δ)."""

    def __init__(self, make: Callable[[], list]):
        self.make = make

    def __call__(self) -> list:
        return self.make()


@dataclass
class _Sweep:
    g_u: dict  # layer -> d(top)/du{l}
    g_a: dict  # layer -> d(top)/da{l} (layer 0: the inputs)
    weights: dict = field(default_factory=dict)  # layer -> (g, input) for W{l} when a mistake changes them


class Point:
    """The exact point evaluation of one network (see the module contract)."""

    def __init__(self, network: Network, prec: int = DEFAULT_PREC, values: dict | None = None,
                 mistakes: Mistakes = NO_MISTAKES, backward_values: dict | None = None, pins: Pins | None = None):
        if (network.params is None and values is None) or network.x is None or network.y is None:
            raise DerivcheckError("The network needs parameter values and data (x and y) to be evaluated.")
        self.network = network
        self.prec = prec
        self.m = len(network.x)
        self.mistakes = mistakes
        self.pins = pins or Pins()
        with workprec(prec):
            self.values = values if values is not None else {k: exact(v) for k, v in
                                                             network.parameter_values().items()}
            self.affine, self.activation, self.loss = ops_of(network, self.values, mistakes)
            # the weights the backward pass multiplies by (the updated ones, for a sequential update)
            self.back = affine_ops(network, backward_values) if backward_values is not None else self.affine
        self._forwards: dict[int, _Forward] = {}
        self._sweeps: dict[tuple[int, str], _Sweep] = {}

    # ---------------------------------------------------------------------------------- forward
    def forward(self, sample: int) -> _Forward:
        if sample not in self._forwards:
            with workprec(self.prec):
                a = [[exact(v) for v in self.network.x[sample - 1]]]
                u, df = [None], [None]
                pins = self.pins
                for aff, act in zip(self.affine, self.activation):
                    ul = pins.node(sample, "u", aff.layer, aff.forward(a[-1]))
                    u.append(ul)
                    a.append(pins.node(sample, "a", aff.layer, act.forward(ul)))
                    where = f" for sample {sample}" if self.m > 1 else ""
                    local = act.local(ul, where, self.mistakes) if act.elementwise else None
                    if local is not None and pins:
                        local = pins.slope(sample, aff.layer, local, a[-1], act.through_output())
                    df.append(local)
                terms = pins.node(sample, "L", 0, self.loss.forward(a[-1], self.target(sample)))
                self._forwards[sample] = _Forward(a, u, df, terms)
        return self._forwards[sample]

    def target(self, sample: int) -> list:
        return [exact(v) for v in self.network.y[sample - 1]]

    # ---------------------------------------------------------------------------------- reverse
    def sweep(self, sample: int, top: Name) -> _Sweep:
        """The reverse sweep seeded at ``top`` for one sample; cached."""
        key = (sample, str(top))
        if key in self._sweeps:
            return self._sweeps[key]
        fw = self.forward(sample)
        L = self.network.depth
        g_u: dict = {}
        g_a: dict = {}
        # the author's own numbers for d(loss)/d(node), in the sweep seeded at the sample's loss
        pinned = bool(self.pins) and top.kind == "L" and not top.indices
        back = (lambda kind, l, g: self.pins.gradient(sample, kind, l, g)) if pinned else (lambda kind, l, g: g)
        with workprec(self.prec):
            if top.kind == "L":
                start = L
                a, y = fw.a[L], self.target(sample)
                if not top.indices and self._source_node:
                    return self._source_node_sweep(sample, key, fw, a, y)
                if not top.indices and self.loss.fused is not None and self.mistakes.fprime == "true" and \
                        not (pinned and self.pins.has_backward(sample, "a", L)):
                    seed_u = self.loss.delta(a, y)
                    g_a[L] = _Lazy(lambda: self.loss.slope(a, y))  # ∂L/∂a{L} itself, read only if asked
                else:
                    ga = back("a", L, self.loss.slope(a, y, None if not top.indices else [top.indices[0] - 1]))
                    g_a[L] = ga
                    seed_u = self.activation[L - 1].vjp(fw.u[L], a, fw.df[L], ga)
                seed_u = back("u", L, seed_u)
            elif top.kind == "a" and top.layer >= 1:
                start = top.layer
                ga = [ONE if i == top.indices[0] else ZERO for i in range(1, self.network.layers[start] + 1)]
                g_a[start] = ga
                seed_u = self.activation[start - 1].vjp(fw.u[start], fw.a[start], fw.df[start], ga)
            elif top.kind == "u":
                start = top.layer
                seed_u = [ONE if i == top.indices[0] else ZERO for i in range(1, self.network.layers[start] + 1)]
            else:  # x, y and parameters depend on nothing downstream
                sw = _Sweep({}, {})
                self._sweeps[key] = sw
                return sw
            g = seed_u
            for l in range(start, 0, -1):
                g = g_u[l] = back("u", l, g) if l < start else g
                ga = g_a[l - 1] = back("a", l - 1, self.back[l - 1].pullback(g))
                if l > 1:
                    act = self.activation[l - 2]
                    g = act.vjp(fw.u[l - 1], fw.a[l - 1], fw.df[l - 1], ga)
        sw = _Sweep(g_u, g_a)
        self._sweeps[key] = sw
        return sw

    @property
    def _source_node(self) -> bool:
        L = self.network.depth
        return self.mistakes.fprime == "source_node" and L > 1 and self.activation[L - 1].elementwise

    def _source_node_sweep(self, sample: int, key, fw: _Forward, a: list, y: list) -> _Sweep:
        """The "h(1−h) where O(1−O) belongs" mistake: the output layer's f' taken at the source unit j.

        ∂L/∂W{L}[i,j] = ∂L/∂a{L}_i · f'(u{L-1}_j) · a{L-1}_j, and ∂L/∂a{L-1}_j = Σ_k ∂L/∂a{L}_k W[k,j] · f'(u{L-1}_j);
        the biases keep the true δ.
        """
        L = self.network.depth
        ga = self.loss.slope(a, y)
        delta = self.activation[L - 1].vjp(fw.u[L], a, fw.df[L], ga)
        source = fw.df[L - 1]
        g_u = {L: delta}
        back = self.back[L - 1].pullback(ga)
        g_a = {L: ga, L - 1: [mul((g, d)) for g, d in zip(back, source)]}
        for l in range(L - 1, 0, -1):
            g = self.activation[l - 1].vjp(fw.u[l], fw.a[l], fw.df[l], g_a[l])
            g_u[l] = g
            g_a[l - 1] = self.back[l - 1].pullback(g)
        sw = _Sweep(g_u, g_a, {L: (ga, [mul((d, x)) for d, x in zip(source, fw.a[L - 1])])})
        self._sweeps[key] = sw
        return sw

    # ----------------------------------------------------------------------------------- answers
    def value(self, name: Name | str, sample: int = 1):
        n = _name(name, self.network)
        if n.kind in ("L", "L_data", "penalty") and not n.indices:  # L = L_data + penalty (truth/penalty.py)
            with workprec(self.prec):
                data = ZERO if n.kind == "penalty" else _mean([add(self.forward(s).terms) for s in range(1, self.m + 1)])
                return data if n.kind == "L_data" else add((data, penalty_value(self.network, self.values)))
        if n.is_parameter:
            return self.values[str(n)]
        if n.kind == "y":
            return self.target(sample)[n.indices[0] - 1]
        fw = self.forward(sample)
        if n.kind == "x":
            return fw.a[0][n.indices[0] - 1]
        if n.kind == "L":
            return fw.terms[n.indices[0] - 1]
        return (fw.u if n.kind == "u" else fw.a)[n.layer][n.indices[0] - 1]

    def derivative(self, of: Name | str, wrt: Name | str, sample: int = 1):
        """d(of)/d(wrt); ``of = L`` is the batch mean (a node of ``sample`` then carries 1/m)."""
        top, var = _name(of, self.network), _name(wrt, self.network)
        if top.kind in ("L_data", "penalty"):  # the terms of L = L_data + penalty
            if top.kind == "penalty":
                return penalty_partial(self.network, str(var), self.values) if var.is_parameter else ZERO
            top, var = Name("L", None, ()), var
            if var.is_parameter:
                with workprec(self.prec):
                    return _mean([self._partial(s, top, var) for s in range(1, self.m + 1)])
        if top.kind == "L" and not top.indices:
            if var.is_parameter:
                with workprec(self.prec):
                    return add((_mean([self._partial(s, top, var) for s in range(1, self.m + 1)]),
                                penalty_partial(self.network, str(var), self.values)))
            with workprec(self.prec):
                return mul((self._partial(sample, top, var), fmpq(1, self.m)))
        with workprec(self.prec):
            return self._partial(sample, top, var)

    def _partial(self, sample: int, top: Name, var: Name):
        if top.kind == var.kind and top.layer == var.layer and top.indices == var.indices and \
                var.kind in ("u", "a", "x"):
            return ONE
        sw = self.sweep(sample, top)
        if var.is_parameter:
            l = var.layer
            if l not in sw.g_u:
                return ZERO
            if var.kind == "W" and l in sw.weights:
                return self.affine[l - 1].partial(var, *sw.weights[l])
            return self.affine[l - 1].partial(var, sw.g_u[l], self.forward(sample).a[l - 1])
        if var.kind == "u":
            g = sw.g_u.get(var.layer)
        elif var.kind == "a":
            g = sw.g_a.get(var.layer)
            if isinstance(g, _Lazy):
                g = sw.g_a[var.layer] = g()
        elif var.kind == "x":
            g = sw.g_a.get(0)
        else:
            raise DerivcheckError(f"Derivatives with respect to {var} are not supported; differentiate with "
                                  f"respect to a parameter (W, b), a node (u, a) or an input (x).")
        return ZERO if g is None else g[var.indices[0] - 1]

    def gradient(self) -> dict[str, object]:
        """dL/dθ for every parameter, in canonical order (batch mean): per sample one reverse sweep and
        one outer product per layer."""
        top = parse_name("L")
        names = self.network.parameter_names()
        with workprec(self.prec):
            total: dict = {}
            for s in range(1, self.m + 1):
                sw, a = self.sweep(s, top), self.forward(s).a
                for aff in self.affine:
                    l = aff.layer
                    g, inputs = sw.weights.get(l, (sw.g_u[l], a[l - 1]))
                    part = aff.layer_gradient(g, inputs)
                    if l in sw.weights:  # the biases keep the true δ under the source-node mistake
                        part.update({k: v for k, v in aff.layer_gradient(sw.g_u[l], a[l - 1]).items()
                                     if k.startswith("b")})
                    for k, v in part.items():
                        total[k] = v if k not in total else add((total[k], v))
            return {k: add((_mean_of(total[k], self.m), penalty_partial(self.network, k, self.values))) for k in names}


def _name(name: Name | str, network: Network) -> Name:
    return (parse_name(name) if isinstance(name, str) else name).check(network)


def _mean_of(total, m: int):
    return total if m == 1 or type(total) is Undefined else mul((total, fmpq(1, m)))


def _mean(values: list):
    return _mean_of(add(values), len(values))
