"""Exact batch-level truth of a ``[[layer]]`` list: one forward and one reverse sweep over the whole batch.

Contract
--------
:class:`BatchPoint` interprets a :class:`symbolic.spec.layers.LayeredNetwork` at its parameters
(or at given ``values``) and data, at one working precision. Batch norm couples the samples, so
the loss L (the mean over the batch of Σ_k L[k]) is one function of the whole batch: the forward
sweep runs layer by layer over all samples, and the reverse sweep seeded at L (or at a node of one
sample: ``a``, ``u``, ``xhat``, or ``L[k]``) gives every partial at once — parameters (W, b, γ, β),
nodes of every sample, and the batch statistics μ and σ² (the node derivative with everything not
downstream held fixed). Dense layers run the ops of :mod:`symbolic.truth.ops`; the normalizations
and dropout run the rules of :mod:`symbolic.spec.layer_rules` over the domain of
:mod:`symbolic.truth.balls` with :data:`DOMAIN` (a square root is exact when its argument is the
square of a rational, else a certified ball). :class:`LayerMistakes` transforms the program.
Given ``pins`` (:class:`symbolic.truth.pins.LayerPins`: the author's own printed numbers), the sweeps
use them in place of their own values — node values and batch statistics in the forward sweep (a
pinned μ or σ² gives the x̂ the author's statistics give), local slopes, and d L/d(node), ∂L/∂μ, ∂L/∂σ²
in the reverse sweep seeded at L — so everything downstream is what the author would get (the carried
errors of :mod:`symbolic.claims.carry`).

:class:`LayeredTruth` has the contract of :class:`symbolic.truth.exact.Truth` (precision raised
as needed, 60 digits, identically-zero detection); a derivative that is 0 because a normalization
layer passes no gradient at this batch for any parameter values (a batch of 2 with ε = 0: x̂ = ±1)
is refused with "holds trivially here" and what to choose instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import sympy as sp
from flint import fmpq

from ..spec.errors import DerivcheckError
from ..spec.layer_rules import (NO_DROPOUT_MISTAKES, NO_NORM_MISTAKES, DropoutMistakes, NormMistakes, dropout,
                                dropout_vjp)
from ..spec.layers import LayeredNetwork
from ..spec.names import LOSS_TERMS, Name, parse_name
from ..spec.rules import FUSED_OUTPUTS
from .balls import ONE, ZERO, add, exact, mul, workprec
from .exact import Truth
from .layer_domain import DOMAIN
from .normalization import normalize_backward, normalize_forward, statistic
from .layer_kinds import LAYER_OPS
from .penalty import penalized, penalty_partial, penalty_value
from .ops import Activation, Affine, LossTerms, _matrix
from .pins import LayerPins

__all__ = ["BatchPoint", "LayeredTruth", "LayerMistakes", "NO_LAYER_MISTAKES", "DOMAIN", "truth_for"]


@dataclass(frozen=True)
class LayerMistakes:
    """Program transformations of the normalization and dropout rules (all off by default)."""

    norm: NormMistakes = NO_NORM_MISTAKES
    dropout: DropoutMistakes = NO_DROPOUT_MISTAKES
    kinds: tuple = ()  # the plugin kinds' own transformations (symbolic.truth.layer_op)


NO_LAYER_MISTAKES = LayerMistakes()


@dataclass
class _Sweep:
    g_a: dict  # layer -> [sample][unit] d(top)/da{l} (layer 0: the inputs)
    g_u: dict = field(default_factory=dict)  # dense layer -> [sample][unit]
    g_xhat: dict = field(default_factory=dict)  # normalization layer -> [sample][unit]
    g_stats: dict = field(default_factory=dict)  # normalization layer -> (d/dμ list, d/dσ² list)
    grads: dict = field(default_factory=dict)  # canonical parameter entry -> d(top)/dθ
    silent: set = field(default_factory=set)  # normalization layers that pass an all-zero adjoint back
    g_nodes: dict = field(default_factory=dict)  # plugin layer -> {str(node name): [value per sample]}


class BatchPoint:
    """The exact batch evaluation of one layer list (see the module contract)."""

    def __init__(self, network: LayeredNetwork, prec: int = 320, values: dict | None = None,
                 mistakes: LayerMistakes = NO_LAYER_MISTAKES, pins: LayerPins | None = None):
        self.network, self.prec, self.mistakes = network, prec, mistakes
        self.pins = pins or LayerPins()
        self.m = len(network.x)
        with workprec(prec):
            self.values = values if values is not None else {k: exact(v) for k, v in
                                                             network.parameter_values().items()}
        self._sweeps: dict[tuple, _Sweep] = {}
        self._pinned = False  # inside a reverse sweep seeded at L with backward pins
        self._forward()

    # ------------------------------------------------------------------------------- forward
    def _forward(self) -> None:
        net, v, pins = self.network, self.values, self.pins
        self.a = {0: [[exact(t) for t in row] for row in net.x]}
        self.u, self.df, self.norm, self.ops, self.saved = {}, {}, {}, {}, {}
        with workprec(self.prec):
            for spec in net.specs:
                l, prev = spec.index, self.a[spec.index - 1]
                if spec.kind == "dense":
                    rows, cols = spec.units, net.layers[l - 1]
                    W = _matrix(rows, cols, [v[f"W{l}[{i},{j}]"] for i in range(1, rows + 1) for j in range(1, cols + 1)])
                    b = [v[f"b{l}"]] * rows if spec.bias == "shared" else \
                        [v[f"b{l}[{i}]"] for i in range(1, rows + 1)] if spec.bias == "per-neuron" else []
                    aff, act = Affine(l, rows, cols, spec.bias, W, b), Activation(l, spec.activation, rows)
                    self.ops[l] = (aff, act)
                    self.u[l] = pins.named_rows("u", l, [aff.forward(row) for row in prev])
                    self.a[l] = pins.output_rows(l, [act.forward(ul) for ul in self.u[l]])
                    where = [f" for sample {s}" if self.m > 1 else "" for s in range(1, self.m + 1)]
                    self.df[l] = [act.local(ul, w) if act.elementwise else None for ul, w in zip(self.u[l], where)]
                    if pins:
                        self.df[l] = pins.slopes(l, self.df[l], self.a[l], act.through_output())
                    continue
                if spec.kind == "dropout":
                    self.a[l] = [dropout(row, mask, spec.p, DOMAIN) for row, mask in zip(prev, spec.mask)]
                elif spec.kind in LAYER_OPS:
                    op = LAYER_OPS[spec.kind]
                    given = {"pins": pins} if pins and op.reads_pins else {}
                    self.a[l], self.saved[l] = op.forward(spec, prev, v, self.mistakes.kinds, **given)
                else:
                    self.a[l] = normalize_forward(self, spec, prev)
                self.a[l] = pins.output_rows(l, self.a[l])
            last = net.specs[-1]
            fused = FUSED_OUTPUTS.get((last.activation, net.loss)) if last.kind == "dense" else None
            self.loss = LossTerms(net.loss, net.layers[-1], fused, exact(net.loss_scale))
            self.terms = [self.loss.forward(a, [exact(t) for t in y]) for a, y in zip(self.a[net.depth], net.y)]
            if pins:
                self.terms = [[pins.node(s, f"L[{k}]", t) for k, t in enumerate(row, 1)]
                              for s, row in enumerate(self.terms, 1)]

    # ------------------------------------------------------------------------------- reverse
    def sweep(self, top: Name, sample: int = 1) -> _Sweep:
        """The reverse sweep over the whole batch seeded at ``top`` (``L``, or a node of ``sample``); cached."""
        key = (str(top), sample if top.kind != "L" or top.indices else 0)
        if key not in self._sweeps:
            with workprec(self.prec):
                self._sweeps[key] = self._sweep(top, sample)
        return self._sweeps[key]

    def _zeros(self, l: int) -> list:
        return [[ZERO] * self.network.layers[l] for _ in range(self.m)]

    def _sweep(self, top: Name, sample: int) -> _Sweep:
        net, L, s0 = self.network, self.network.depth, sample - 1
        sw = _Sweep({})
        seed_u, seed = None, None
        # the author's own numbers for d L/d(node), in the sweep seeded at the batch loss
        pinned = self.pins.backward and top.kind == "L" and not top.indices
        self._pinned = pinned
        if top.kind == "L":
            start = L
            ys = [[exact(t) for t in y] for y in net.y]
            scale = fmpq(1, self.m) if not top.indices else ONE
            if not top.indices and self.loss.fused is not None and not (pinned and self.pins.has_back_outputs(L)):
                seed_u = [[mul((d, scale)) for d in self.loss.delta(a, y)] for a, y in zip(self.a[L], ys)]
                sw.g_a[L] = [[mul((d, scale)) for d in self.loss.slope(a, y)] for a, y in zip(self.a[L], ys)]
            else:
                g = self._zeros(L)
                for s, (a, y) in enumerate(zip(self.a[L], ys)):
                    if not top.indices or s == s0:
                        terms = None if not top.indices else [top.indices[0] - 1]
                        g[s] = [mul((d, scale)) for d in self.loss.slope(a, y, terms)]
                sw.g_a[L] = g
        elif top.layer and net.specs[top.layer - 1].kind in LAYER_OPS and _flat(top, net) is None:
            start, seed = top.layer, (top, sample)
            sw.g_a[start] = self._zeros(start)
        elif top.kind in ("a", "u", "xhat"):
            start = top.layer
            g = self._zeros(start)
            k = _flat(top, net)
            g[s0] = [ONE if i == k else ZERO for i in range(1, net.layers[start] + 1)]
            if top.kind == "a":
                sw.g_a[start] = g
            elif top.kind == "u":
                seed_u = g
            else:
                sw.g_xhat[start] = g
        else:
            return sw  # parameters, data and batch statistics: nothing downstream of them is a seed here
        for l in range(start, 0, -1):
            spec = net.specs[l - 1]
            if pinned and l in sw.g_a:
                sw.g_a[l] = self.pins.output_rows(l, sw.g_a[l], back=True)
            if spec.kind == "dense":
                self._dense_back(l, sw, seed_u if l == start else None)
            elif spec.kind == "dropout":
                sw.g_a[l - 1] = [dropout_vjp(g, mask, spec.p, DOMAIN, self.mistakes.dropout)
                                 for g, mask in zip(sw.g_a[l], spec.mask)]
            elif spec.kind in LAYER_OPS:
                op = LAYER_OPS[spec.kind]
                given = {"pins": self.pins} if pinned and op.reads_pins else {}
                g_in, grads, sw.g_nodes[l] = op.backward(
                    spec, self.saved[l], sw.g_a[l], self.values, seed if l == start else None, self.mistakes.kinds,
                    **given)
                for name, value in grads.items():
                    sw.grads[name] = value if name not in sw.grads else add((sw.grads[name], value))
                sw.g_a[l - 1] = g_in
            else:
                normalize_backward(self, spec, sw, seeded=(l == start and top.kind == "xhat"))
        return sw

    def _dense_back(self, l: int, sw: _Sweep, seed_u) -> None:
        aff, act = self.ops[l]
        g_u = seed_u if seed_u is not None else [act.vjp(u, a, df, g) for u, a, df, g in
                                                 zip(self.u[l], self.a[l], self.df[l], sw.g_a[l])]
        if self._pinned:
            g_u = self.pins.named_rows("u", l, g_u, back=True)
        sw.g_u[l] = g_u
        for s in range(self.m):
            for name, value in aff.layer_gradient(g_u[s], self.a[l - 1][s]).items():
                sw.grads[name] = value if name not in sw.grads else add((sw.grads[name], value))
        sw.g_a[l - 1] = [aff.pullback(g) for g in g_u]

    # ------------------------------------------------------------------------------- answers
    def value(self, name: Name | str, sample: int = 1):
        n = _name(name, self.network)
        s = sample - 1
        with workprec(self.prec):
            if n.kind == "L" and n.indices:
                return self.terms[s][n.indices[0] - 1]
            if n.kind in ("L", *LOSS_TERMS):  # L = L_data + penalty (symbolic.truth.penalty, issue 17)
                data = ZERO if n.kind == "penalty" else mul((add([add(t) for t in self.terms]), fmpq(1, self.m)))
                return data if n.kind == "L_data" else add((data, penalty_value(self.network, self.values)))
            if n.is_parameter:
                return self.values[str(replace(n, step=None))]  # a step's copy (Wh1_t2[1,1]) has the array's value
            if n.kind in ("x", "y"):
                return exact((self.network.x if n.kind == "x" else self.network.y)[s][n.indices[0] - 1])
            if n.layer and self.network.specs[n.layer - 1].kind in LAYER_OPS:
                k = _flat(n, self.network)
                spec = self.network.specs[n.layer - 1]
                return self.a[n.layer][s][k - 1] if k is not None else \
                    LAYER_OPS[spec.kind].value(spec, self.saved[n.layer], n, sample)
            if n.kind in ("u", "a"):
                return (self.u if n.kind == "u" else self.a)[n.layer][s][n.indices[0] - 1]
            how, stats, xhat = self.norm[n.layer]
            if n.kind == "xhat":
                return xhat[s][n.indices[0] - 1]
            nz = stats[statistic(self.network, n, s)]
            return nz.mu if n.kind == "mu" else nz.var

    def derivative(self, of: Name | str, wrt: Name | str, sample: int = 1):
        """d(of)/d(wrt); ``of = L`` is the batch mean, a node ``wrt`` is the one of ``sample``."""
        top, var = _name(of, self.network), _name(wrt, self.network)
        penalty = ZERO  # L = L_data + penalty (issue 17): the penalty's partial 2cθ, on a parameter only
        if var.is_parameter and top.kind in ("L", "penalty") and not top.indices:
            with workprec(self.prec):
                penalty = penalty_partial(self.network, str(var), self.values)
        if top.kind in LOSS_TERMS:
            if top.kind == "penalty":
                return penalty
            top = parse_name("L")
        plugin_node = bool(var.layer) and self.network.specs[var.layer - 1].kind in LAYER_OPS and not var.is_parameter
        if top == var and (var.kind in ("a", "u", "xhat") or plugin_node):
            return ONE
        sw = self.sweep(top, sample)
        s = sample - 1
        if var.is_parameter:
            if penalty is ZERO:
                return sw.grads.get(str(var), ZERO)
            with workprec(self.prec):
                return add((sw.grads.get(str(var), ZERO), penalty))
        if plugin_node:
            k = _flat(var, self.network)
            if k is not None:
                rows = sw.g_a.get(var.layer)
                return ZERO if rows is None else rows[s][k - 1]
            column = sw.g_nodes.get(var.layer, {}).get(str(var))
            return ZERO if column is None else column[s]
        if var.kind in ("mu", "var"):
            stats = sw.g_stats.get(var.layer)
            if stats is None:
                return ZERO
            return stats[0 if var.kind == "mu" else 1][statistic(self.network, var, s)]
        table = {"a": sw.g_a, "u": sw.g_u, "xhat": sw.g_xhat, "x": {0: sw.g_a.get(0)}}[var.kind]
        rows = table.get(0 if var.kind == "x" else var.layer)
        return ZERO if rows is None else rows[s][var.indices[0] - 1]

    def gradient(self) -> dict:
        sw = self.sweep(parse_name("L"))
        if not penalized(self.network):
            return {p: sw.grads.get(p, ZERO) for p in self.network.parameter_names()}
        with workprec(self.prec):  # the penalty's 2cθ included (issue 17)
            return {p: add((sw.grads.get(p, ZERO), penalty_partial(self.network, p, self.values)))
                    for p in self.network.parameter_names()}

    def silencing(self, top: Name, var: Name, sample: int = 1) -> int | None:
        """The normalization layer between ``var`` and ``top`` that passes no gradient back, if any."""
        sw = self.sweep(top, sample)
        low = 0 if var.kind == "x" else var.layer
        return next((l for l in sorted(sw.silent) if low < l), None)


def _flat(name: Name, network: LayeredNetwork) -> int | None:
    """The flat output index of ``name`` when it is an output a{l}[…] (of a plugin layer: its own layout)."""
    spec = network.specs[name.layer - 1] if name.layer else None
    if spec is not None and spec.plugin is not None:
        return spec.plugin.flat(spec, name)
    return name.indices[0] if name.kind == "a" or name.kind in ("u", "xhat") else None


def _name(name: Name | str, network: LayeredNetwork) -> Name:
    return (parse_name(name) if isinstance(name, str) else name).check(network)


class LayeredTruth(Truth):
    """:class:`Truth` of a layer list: the same precision loop over :class:`BatchPoint`."""

    def __init__(self, network: LayeredNetwork, sample: int = 1, mistakes: LayerMistakes = NO_LAYER_MISTAKES,
                 values: dict | None = None):
        super().__init__(network, sample, values)  # values: domain values of every parameter (a trajectory's)
        self.mistakes = mistakes

    def at(self, prec: int = 320) -> BatchPoint:
        if prec not in self._points:
            self._points[prec] = BatchPoint(self.network, prec, values=self.values, mistakes=self.mistakes)
        return self._points[prec]

    def gradient(self) -> dict[str, sp.Expr]:
        """dL/dθ for every parameter; a vacuous 0 is returned as 0 here (only a claim of it is refused)."""
        self._quiet = True
        try:
            return super().gradient()
        finally:
            self._quiet = False

    def derivative(self, of: Name | str, wrt: Name | str) -> sp.Expr:
        value = super().derivative(of, wrt)
        if value == 0 and not getattr(self, "_quiet", False):
            top, var = self._name(of), self._name(wrt)
            layer = self.at().silencing(top, var, self.sample)
            if layer is not None:
                raise DerivcheckError(f"d{top}/d{var} holds trivially here: {self._why(layer)}.")
        return value

    def _why(self, l: int) -> str:
        spec = self.network.specs[l - 1]
        if spec.kind == "layernorm" and spec.units == 2 and spec.eps == 0:
            return (f"with 2 features and eps = 0, layernorm layer {l} makes x̂ = ±1 whatever its input, so the loss "
                    f"does not depend on anything before it (it is 0 for every parameter value); choose eps > 0 or "
                    f"a layer of ≥ 3 features before it")
        if spec.kind == "batchnorm" and self.m == 2 and spec.eps == 0:
            return (f"with a batch of 2 and eps = 0, batchnorm layer {l} makes x̂ = ±1 whatever its input, so "
                    f"the loss does not depend on anything before it (it is 0 for every parameter value); choose "
                    f"a batch of ≥ 3 or eps > 0")
        return (f"{spec.kind} layer {l} passes no gradient back at this batch (the loss after it does not tell "
                f"the normalized values apart), so it is 0 for every parameter value before it; choose a weighted "
                f"loss, or a batch of ≥ 3 / eps > 0")

    def mistaken(self, mistakes: LayerMistakes) -> "LayeredTruth":
        """The same network and sample under a transformed program (the diagnosis replays it)."""
        return LayeredTruth(self.network, self.sample, mistakes, self.values)


def truth_for(network, sample: int = 1, values: dict | None = None) -> Truth:
    """:class:`LayeredTruth` for a layer list, :class:`Truth` (at ``values``, if given) for the dense shorthand."""
    if isinstance(network, LayeredNetwork):
        return LayeredTruth(network, sample, values=values)
    return Truth(network, sample, values=values)

