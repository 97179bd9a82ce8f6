"""Structured derivation: exact gradients of deep and wide networks through shared node symbols.

Contract
--------
The closed form (:mod:`symbolic.truth.closed_form`) writes the loss as one tree of
every parameter, which grows exponentially with depth. :class:`Structured`
writes the same network as a *straight-line program* over node symbols, each
defined once, so its size grows linearly with the number of parameters:

* forward, for l = 1..L:  ``u{l}_i := Σ_j W{l}[i,j] a{l-1}_j + b{l}[i]`` (or the
  shared ``b{l}``, or nothing), ``a{l}_i := f_l(u{l}_i)`` (softmax: ``exp(u_i)/Σ_k exp(u_k)``);
  ``a0_j`` is the input symbol ``x_j``; for elementwise layers the local
  derivative ``df{l}_i := f_l'(u{l}_i)`` (evaluated only when needed);
* backward (reverse mode over the layer graph): ``δ{L}_k`` (the output rule
  below), then ``δ{l}_i := (Σ_k W{l+1}[k,i] δ{l+1}_k) · df{l}_i``;
* gradients: ``∂L/∂W{l}[i,j] = δ{l}_i a{l-1}_j``, ``∂L/∂b{l}[i] = δ{l}_i``,
  ``∂L/∂b{l} = Σ_i δ{l}_i`` (shared bias).

Node symbols are the canonical ones of :func:`symbolic.spec.names.symbol_for`
(``u2_1``, ``a2_1``) plus ``df2_1`` for f'(u) and ``delta2_1`` for δ; never user
text. f and f' come from the rule table (:mod:`symbolic.spec.rules`): ``rule.symbolic``
/ ``rule.symbolic_prime`` in the *concrete* program (the default), the undefined
functions ``f_<name>`` / ``fp_<name>`` of
:func:`symbolic.spec.rules.generic_functions` in the *generic* one
(``generic=True``). Only the definitions of ``a{l}_i`` and ``df{l}_i`` differ
between the two; the backward program and the gradients are the same
expressions of node symbols. The output δ is the rule table's loss derivative
``∂L[k]/∂a_k`` (``sympy.diff`` of the loss term with ``a`` a symbol) times f'(u),
through the softmax Jacobian ``∂a_i/∂u_k = a_i(δ_ik − a_k)`` for a softmax output,
fused to ``a − y`` for sigmoid + bce and to ``a_k Σ_j y_j − y_k`` for softmax +
softmax_ce (exact for every target, also when Σy ≠ 1 — as in ``numeric.engine``).

Derivatives of other quantities (``dL[k]/dW``, ``du2[1]/da1[2]``, …) are the
same reverse sweep seeded at that quantity (adjoint symbols ``g{l}_i``), with
the cut semantics of :mod:`symbolic.truth.exact`: everything not downstream of the
variable is held fixed.

Exact evaluation (:meth:`Structured.evaluate`) runs the program once per sample
with :mod:`symbolic.truth.interpreter` (identity / relu nets at rational points give
exact ``Rational``, others 60-digit ``Float``; relu's f' at u = 0 is a
:class:`KinkError` naming the node, as in :class:`symbolic.truth.exact.Truth`).
:class:`StructuredTruth` has the contract of ``Truth``. That the program equals the
matrix-form backprop is proved in :mod:`symbolic.formulas.program_proof`; the
gradient as a callable (mpmath or compiled NumPy) is
:func:`symbolic.truth.compiled.gradient_function`.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Iterable, Sequence

import sympy as sp

from ..spec.errors import DerivcheckError
from ..spec.names import Name, parse_name, symbol_for
from ..spec.network import Network
from ..spec.rules import ACTIVATIONS, FUSED_OUTPUTS, LOSSES, generic_functions
from .evaluator import refuse_data_variable
from .interpreter import exact_values, needed_assignments, run_assignments, values_in

__all__ = ["Structured", "StructuredTruth", "Sweep"]

Expr = sp.Expr


def _df_symbol(l: int, i: int) -> sp.Symbol:
    return sp.Symbol(f"df{l}_{i}", real=True)


def _delta_symbol(l: int, i: int) -> sp.Symbol:
    return sp.Symbol(f"delta{l}_{i}", real=True)


def _adjoint_symbol(l: int, i: int) -> sp.Symbol:
    return sp.Symbol(f"g{l}_{i}", real=True)


def _node(kind: str, l: int, i: int) -> sp.Symbol:
    return symbol_for(Name(kind, l, (i,)))


# ============================================================================================ program
@dataclass
class Sweep:
    """A reverse sweep seeded at one quantity: adjoint assignments, latest layer first."""

    top: Name
    assignments: list[tuple[sp.Symbol, Expr]]
    adjoint_u: dict[int, list[Expr]]  # layer -> d(top)/du{l}_i (a symbol, or 0)
    low: int  # lowest layer whose u-adjoints are assigned


class Structured:
    """The straight-line program of one network (see the module contract).

    ``generic=True`` defines a and df by undefined f/f'; the default uses the rule table.
    """

    def __init__(self, network: Network, generic: bool = False):
        self.network = network
        self.generic = generic
        net = network
        self.params = {p: symbol_for(parse_name(p)) for p in net.parameter_names()}
        self.x = [symbol_for(Name("x", None, (i + 1,))) for i in range(net.layers[0])]
        self.y = [symbol_for(Name("y", None, (k + 1,))) for k in range(net.layers[-1])]
        self.u: list[list[sp.Symbol]] = [[]]
        self.a: list[list[sp.Symbol]] = [list(self.x)]
        self.df: list[list[sp.Symbol]] = [[]]
        self.forward: list[tuple[sp.Symbol, Expr]] = []
        self.local: list[tuple[sp.Symbol, Expr]] = []  # df{l}_i := f_l'(u{l}_i), evaluated only when needed
        self.definition: dict[sp.Symbol, Expr] = {}
        for l in range(1, net.depth + 1):
            mode = net.bias[l - 1]
            us = [_node("u", l, i + 1) for i in range(net.layers[l])]
            for i, s in enumerate(us):
                e = sp.Add(*[self.params[f"W{l}[{i + 1},{j + 1}]"] * aj for j, aj in enumerate(self.a[l - 1])])
                if mode == "shared":
                    e += self.params[f"b{l}"]
                elif mode == "per-neuron":
                    e += self.params[f"b{l}[{i + 1}]"]
                self._assign(s, e)
            as_ = [_node("a", l, i + 1) for i in range(net.layers[l])]
            for s, e in zip(as_, self._activate(net.activations[l - 1], us)):
                self._assign(s, e)
            self.u.append(us)
            self.a.append(as_)
            dfs: list[sp.Symbol] = []
            if ACTIVATIONS[net.activations[l - 1]].elementwise:
                dfs = [_df_symbol(l, i + 1) for i in range(net.layers[l])]
                for s, uu in zip(dfs, us):
                    e = self._fprime(l, uu)
                    self.local.append((s, e))
                    self.definition[s] = e
            self.df.append(dfs)
        self.terms: list[Expr] = LOSSES[net.loss].terms(self.a[-1], self.y)
        self.loss: Expr = sp.Add(*self.terms)
        self._sweeps: dict[str, Sweep] = {}

    def _assign(self, s: sp.Symbol, e: Expr) -> None:
        self.forward.append((s, e))
        self.definition[s] = e

    # ----------------------------------------------------------------- rules
    def _activate(self, name: str, us: Sequence[sp.Symbol]) -> list[Expr]:
        rule = ACTIVATIONS[name]
        if not rule.elementwise:
            return rule.apply(us)
        if self.generic:
            fn, _ = generic_functions(name)
            return [fn(v) for v in us]
        return [rule.symbolic(v) for v in us]

    def fprime(self, l: int, u: sp.Symbol) -> sp.Symbol:
        """The node symbol df{l}_i standing for f_l'(u{l}_i)."""
        return self._df_of[u]

    @cached_property
    def _df_of(self) -> dict:
        return {u: d for us, ds in zip(self.u, self.df) for u, d in zip(us, ds)}

    def _fprime(self, l: int, u: Expr) -> Expr:
        """f_l'(u) for an elementwise activation of layer l (rule table, or generic)."""
        name = self.network.activations[l - 1]
        if self.generic:
            return generic_functions(name)[1](u)
        return ACTIVATIONS[name].symbolic_prime(u)

    def loss_gradient(self, terms: Iterable[int] | None = None) -> list[Expr]:
        """∂(Σ of the chosen loss terms)/∂a^{(L)}_k, with ``a`` the node symbols (rule table + sympy.diff)."""
        chosen = range(len(self.terms)) if terms is None else list(terms)
        out = []
        for k, ak in enumerate(self.a[-1]):
            out.append(sp.diff(self.terms[k], ak) if k in chosen else sp.Integer(0))
        return out

    def _output_adjoint(self, grad_a: Sequence[Expr], fused: bool) -> list[Expr]:
        """d(top)/du^{(L)} from d(top)/da^{(L)} (``fused``: the whole loss is the top)."""
        net = self.network
        L = net.depth
        act, loss = net.activations[-1], net.loss
        a, u, y = self.a[L], self.u[L], self.y
        if fused and (act, loss) in FUSED_OUTPUTS:  # sigmoid + bce: a − y; softmax + softmax_ce: a Σy − y
            return FUSED_OUTPUTS[(act, loss)](a, y)
        if not ACTIVATIONS[act].elementwise:  # softmax Jacobian: ∂a_i/∂u_k = a_i(δ_ik − a_k)
            return [a[k] * grad_a[k] - sp.Add(*[a[k] * a[i] * grad_a[i] for i in range(len(a))])
                    for k in range(len(a))]
        return [g * self.fprime(L, uk) for g, uk in zip(grad_a, u)]

    # ----------------------------------------------------------------- sweeps
    def sweep(self, top: Name | str) -> Sweep:
        """The reverse sweep seeded at ``top`` (L, L[k], u{l}[i] or a{l}[i]); cached."""
        t = (parse_name(top) if isinstance(top, str) else top).check(self.network)
        key = str(t)
        if key in self._sweeps:
            return self._sweeps[key]
        net = self.network
        L = net.depth
        assignments: list[tuple[sp.Symbol, Expr]] = []
        adj: dict[int, list[Expr]] = {}
        zero = sp.Integer(0)
        sym = _delta_symbol if t.kind == "L" and not t.indices else _adjoint_symbol
        if t.kind == "L":
            start = L
            terms = None if not t.indices else [t.indices[0] - 1]
            exprs = self._output_adjoint(self.loss_gradient(terms), fused=not t.indices)
        elif t.kind == "a" and t.layer >= 1:
            start = t.layer
            seed = [sp.Integer(1) if i == t.indices[0] - 1 else zero for i in range(net.layers[start])]
            exprs = self._node_adjoint(start, seed)
        elif t.kind == "u":
            start = t.layer
            exprs = [sp.Integer(1) if i == t.indices[0] - 1 else zero for i in range(net.layers[start])]
        else:  # x, y, parameters: nothing downstream of anything
            sw = Sweep(t, [], {}, L + 1)
            self._sweeps[key] = sw
            return sw
        l = start
        while True:
            row = []
            for i, e in enumerate(exprs):
                if e == 0:
                    row.append(zero)
                else:
                    s = sym(l, i + 1)
                    assignments.append((s, e))
                    row.append(s)
            adj[l] = row
            if l == 1:
                break
            back = self.pullback(l, row)
            exprs = [g * self.fprime(l - 1, u) if g != 0 else zero for g, u in zip(back, self.u[l - 1])]
            l -= 1
        sw = Sweep(t, assignments, adj, 1)
        self._sweeps[key] = sw
        return sw

    def _node_adjoint(self, l: int, grad_a: Sequence[Expr]) -> list[Expr]:
        """d(top)/du^{(l)} from d(top)/da^{(l)} (elementwise f', or the softmax Jacobian)."""
        if not ACTIVATIONS[self.network.activations[l - 1]].elementwise:
            a = self.a[l]
            return [sp.expand(a[k] * grad_a[k] - sp.Add(*[a[k] * a[i] * grad_a[i] for i in range(len(a))]))
                    for k in range(len(a))]
        return [g * self.fprime(l, u) if g != 0 else sp.Integer(0) for g, u in zip(grad_a, self.u[l])]

    def pullback(self, l: int, adjoint_u: Sequence[Expr]) -> list[Expr]:
        """d(top)/da^{(l-1)}_j = Σ_k W{l}[k,j] · d(top)/du^{(l)}_k."""
        net = self.network
        return [sp.Add(*[self.params[f"W{l}[{k + 1},{j + 1}]"] * g for k, g in enumerate(adjoint_u) if g != 0])
                for j in range(net.layers[l - 1])]

    # ------------------------------------------------------------- derivatives
    def derivative(self, top: Name | str, var: Name | str) -> tuple[Expr, Sweep]:
        """d(top)/d(var) for one sample's quantities, as an expression of node and adjoint symbols."""
        net = self.network
        t = (parse_name(top) if isinstance(top, str) else top).check(net)
        v = (parse_name(var) if isinstance(var, str) else var).check(net)
        sw = self.sweep(t)
        zero = sp.Integer(0)
        if v.kind in ("W", "b"):
            l = v.layer
            if l not in sw.adjoint_u:
                return zero, sw
            g = sw.adjoint_u[l]
            if v.kind == "W":
                i, j = v.indices
                return g[i - 1] * self.a[l - 1][j - 1], sw
            if net.bias[l - 1] == "shared":
                return sp.Add(*g), sw
            return g[v.indices[0] - 1], sw
        if v.kind == "u":
            if t.kind == "u" and t.layer == v.layer:
                return (sp.Integer(1) if t.indices == v.indices else zero), sw
            g = sw.adjoint_u.get(v.layer)
            return (g[v.indices[0] - 1] if g is not None else zero), sw
        if v.kind == "a":
            if t.kind == "a" and t.layer == v.layer:
                return (sp.Integer(1) if t.indices == v.indices else zero), sw
            g = sw.adjoint_u.get(v.layer + 1)
            if g is None:
                return zero, sw
            return self.pullback(v.layer + 1, g)[v.indices[0] - 1], sw
        raise DerivcheckError(f"Derivatives with respect to {v} are not supported; differentiate with respect to "
                              f"a parameter (W, b) or a node (u, a).")

    def gradient_exprs(self) -> dict[str, Expr]:
        """∂L/∂θ (one sample) for every parameter, in canonical order, over node and δ symbols (cached)."""
        return dict(self._gradient_exprs)

    @cached_property
    def _gradient_exprs(self) -> dict[str, Expr]:
        return {p: self.derivative("L", p)[0] for p in self.network.parameter_names()}

    @property
    def backward(self) -> list[tuple[sp.Symbol, Expr]]:
        """The δ assignments of the loss's sweep, δ^{(L)} first."""
        return self.sweep("L").assignments

    def size(self) -> int:
        """Number of expression nodes in the program (forward, backward, gradients)."""
        total = sum(sp.count_ops(e, visual=False) + 1 for _, e in self.forward + self.backward)
        return total + sum(sp.count_ops(e, visual=False) + 1 for e in self.gradient_exprs().values())

    # ------------------------------------------------------------- evaluation
    def point(self, sample: int = 1) -> dict[sp.Symbol, Fraction]:
        net = self.network
        if net.params is None or net.x is None or net.y is None:
            raise DerivcheckError("The network needs parameter values and data (x and y) to be evaluated.")
        s = sample - 1
        env: dict[sp.Symbol, object] = {self.params[k]: v for k, v in net.parameter_values().items()}
        env.update(zip(self.x, net.x[s]))
        env.update(zip(self.y, net.y[s]))
        return env

    def run(self, sample: int, dps: int, sweeps: Sequence[Sweep] = (), what: str = "",
            needed: Iterable[Expr] | None = None) -> dict:
        """Values of every forward node and of the sweeps' adjoints at one sample, ``dps`` working digits.

        With ``needed``, only the adjoints those expressions depend on are computed (a relu kink
        outside the path between the quantities is not the derivative's business).
        """
        env = self.point(sample)
        where = f" for sample {sample}" if len(self.network.x) > 1 else ""
        assignments = self.local + [a for sw in sweeps for a in sw.assignments]
        if needed is not None:
            assignments = needed_assignments(assignments, needed, self.definition)
        return run_assignments(env, dps, self.forward, assignments, what, where)

    def evaluate(self, exprs: Sequence[Expr], sample: int = 1, sweeps: Sequence[Sweep] = (),
                 what: str = "") -> list[sp.Expr]:
        """Exact values of ``exprs`` (over node/adjoint symbols) at one sample (see the module contract)."""
        return exact_values(lambda dps: values_in(self.run(sample, dps, sweeps, what, exprs), dps, exprs, what),
                            what)

# ============================================================================================ Truth
class StructuredTruth:
    """Exact values and derivatives through the structured program (same contract as ``Truth``)."""

    def __init__(self, network: Network, sample: int = 1, program: Structured | None = None):
        self.network = network
        self.sample = sample
        self.m = len(network.x)
        self.program = program if program is not None else Structured(network)

    def _name(self, name: Name | str) -> Name:
        return (parse_name(name) if isinstance(name, str) else name).check(self.network)

    def value(self, name: Name | str) -> sp.Expr:
        n = self._name(name)
        p = self.program
        if n.kind == "L" and not n.indices:
            vals = [p.evaluate([p.loss], s, what="L")[0] for s in range(1, self.m + 1)]
            return _mean(vals)
        if n.kind == "L":
            e = p.terms[n.indices[0] - 1]
        elif n.kind in ("W", "b"):
            e = p.params[str(n)]
        elif n.kind == "x":
            e = p.x[n.indices[0] - 1]
        elif n.kind == "y":
            e = p.y[n.indices[0] - 1]
        else:
            e = (p.u if n.kind == "u" else p.a)[n.layer][n.indices[0] - 1]
        return p.evaluate([e], self.sample, what=str(n))[0]

    def derivative(self, of: Name | str, wrt: Name | str) -> sp.Expr:
        top, var = self._name(of), self._name(wrt)
        refuse_data_variable(var)
        what = f"d{top}/d{var}"
        expr, sw = self.program.derivative(top, var)
        if top.kind == "L" and not top.indices:
            if var.is_parameter:
                return _mean([self.program.evaluate([expr], s, [sw], what)[0] for s in range(1, self.m + 1)])
            value = self.program.evaluate([expr], self.sample, [sw], what)[0]
            return value / self.m if self.m > 1 else value
        return self.program.evaluate([expr], self.sample, [sw], what)[0]

    def gradient(self) -> dict[str, sp.Expr]:
        p = self.program
        grads = p.gradient_exprs()
        names = list(grads)
        sw = p.sweep("L")
        per_sample = [p.evaluate([grads[k] for k in names], s, [sw], "dL/dθ") for s in range(1, self.m + 1)]
        return {k: _mean([row[i] for row in per_sample]) for i, k in enumerate(names)}


def _mean(values: list[sp.Expr]) -> sp.Expr:
    total = sp.Add(*values) if len(values) > 1 else values[0]
    return total / len(values) if len(values) > 1 else total
