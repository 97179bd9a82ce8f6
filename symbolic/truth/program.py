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
:func:`symbolic.formulas.matrix_form.generic_functions` in the *generic* one
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
with one interpreter over the SymPy definitions: values stay
:class:`fractions.Fraction` while only rational arithmetic is involved (identity
/ relu nets at rational points give exact ``Rational``), else mpmath; mpmath runs
are done at ``DIGITS + 20`` and ``DIGITS + 40`` working digits and must agree
to ``DIGITS + 5`` digits (otherwise 180 and 300 digits are tried), and the answer
is a ``Float`` of ``DIGITS`` (60) digits. A value that cancels (a shared bias's
Σ_k δ_k under softmax is identically 0) is reported as 0 when it is below
10^-170 in absolute value at both 180 and 300 digits. relu's f' at u = 0 is a
:class:`KinkError` naming the node, as in :class:`symbolic.truth.exact.Truth`.

Proof (:meth:`Structured.prove`)
--------------------------------
Claim: every gradient entry of the program equals, entry by entry, the
matrix-form formulas of :func:`symbolic.formulas.matrix_form.derive`
(δ^{(L)}, δ^{(l)} = (W^{(l+1)})ᵀ δ^{(l+1)} ⊙ f'(u^{(l)}), ∇W^{(l)} = δ^{(l)}(a^{(l−1)})ᵀ,
∇b^{(l)} = δ^{(l)} or Σ_i δ_i^{(l)}), which that module proves against
``sympy.diff`` of the closed form. The proof is exact and never samples:

1. *Same atoms.* Each matrix-form equation is evaluated (by
   :func:`symbolic.formulas.matrix_form.evaluate`) under a *node model* in which
   ``W``, ``b``, ``x``, ``y`` are the parameter/data symbols, ``u``, ``a`` and
   ``δ`` of every layer are the program's node symbols (not their definitions)
   and f'(u{l}_i) is the node symbol ``df{l}_i``. The right side of each
   equation then is a small expression of the same atoms as the program's
   definition of that entry, independent of the network's size.
2. *Entry by entry.* For every entry the two expressions are compared:
   identical SymPy expressions (*structural identity* — the usual case: the
   program is the δ recurrence written entry-wise), else their difference
   must ``expand`` to 0, else the numerator of its ``together`` must (loss
   derivatives such as bce's written differently). For softmax +
   softmax_ce the matrix form states a − y, valid for targets with Σy = 1; there
   y_n = 1 − Σ_{k<n} y_k is substituted first, as matrix_form's own proof does.
   Because ``a`` and ``df`` are opaque symbols here, equality holds for every
   elementwise activation at once; giving them their definitions (the same on
   both sides) keeps it.
3. *Output lemmas* (size n_L, independent of depth and width): the fused δ's
   and the softmax Jacobian are proved from ``sympy.diff`` of the rule table's
   concrete expressions in the output pre-activations u_k, with u_k = log(E_k)
   for positive symbols E_k (so exp(c·u_k) = E_k^c) and the numerator of the
   difference expanded to 0
   (Jacobian entries (1,1) and (1,2); the others follow from softmax's
   permutation equivariance).

What this proves: the program *is* the matrix-form backprop, entry by entry,
at any size. That the matrix form is ∂L/∂θ is the multivariate chain rule on
the layer graph; matrix_form proves it against ``sympy.diff`` of the closed
form on every network small enough for one. Independently,
``tests/test_structured.py`` checks structured against closed-form gradients
(hypothesis, every activation, loss and bias mode): identical Rationals for
identity/relu nets, the structured gradient written out in parameters equal
*as an expression* to ``sympy.diff`` of the generic closed form, and 50-digit
agreement of the 60-digit values on exp-laden nets.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Callable, Iterable, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..spec.errors import DerivcheckError, KinkError
from .evaluator import DIGITS, MixedEvaluator, NearKink, Unevaluable, refuse_data_variable
from ..spec.network import Network
from ..spec.names import Name, parse_name, symbol_for
from ..spec.rules import ACTIVATIONS, LOSSES

__all__ = ["Structured", "StructuredTruth", "ProofReport", "EntryCheck", "lemma_output", "gradient_function"]

_GUARD = 20
_ZERO = mpmath.mpf(10) ** -170  # below this at 180 and 300 digits, a cancelling value is 0

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
            from ..formulas.matrix_form import generic_functions
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
            from ..formulas.matrix_form import generic_functions
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
        if fused and (act, loss) == ("sigmoid", "bce"):
            return [ak - yk for ak, yk in zip(a, y)]
        if fused and (act, loss) == ("softmax", "softmax_ce"):
            total = sp.Add(*y)
            return [ak * total - yk for ak, yk in zip(a, y)]
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
        with mpmath.workdps(dps):
            ev = _Interpreter(env, dps)
            for s, e in self.forward:
                env[s] = ev(e, s)
            assignments = self.local + [a for sw in sweeps for a in sw.assignments]
            if needed is not None:
                assignments = _needed(assignments, needed, self.definition)
            for s, e in assignments:
                try:
                    env[s] = ev(e, s)
                except _Kink as k:
                    raise KinkError(f"{k.node} = 0{where} lies exactly on relu's kink, where {what or 'the derivative'}"
                                    f" does not exist; move the point off the kink.") from None
        return env

    def evaluate(self, exprs: Sequence[Expr], sample: int = 1, sweeps: Sequence[Sweep] = (),
                 what: str = "") -> list[sp.Expr]:
        """Exact values of ``exprs`` (over node/adjoint symbols) at one sample (see the module contract)."""
        return _exact_values(lambda dps: self._values(exprs, sample, sweeps, what, dps), what)

    def _values(self, exprs, sample, sweeps, what, dps):
        env = self.run(sample, dps, sweeps, what, exprs)
        with mpmath.workdps(dps):
            ev = _Interpreter(env, dps)
            out = []
            for e in exprs:
                try:
                    out.append(ev(e, None))
                except _Kink as k:
                    raise KinkError(f"{k.node} = 0 lies exactly on relu's kink, where {what or 'the derivative'} "
                                    f"does not exist; move the point off the kink.") from None
            return out

    # ------------------------------------------------------------------ proof
    def prove(self) -> "ProofReport":
        """Prove the program equal to the matrix-form formulas entry by entry (module docstring)."""
        return prove_structured(self.network, self)


# ========================================================================================= evaluation
def _needed(assignments: list[tuple[sp.Symbol, Expr]], exprs: Iterable[Expr],
            other: dict | None = None) -> list[tuple[sp.Symbol, Expr]]:
    """The assignments ``exprs`` depend on (transitively, also through ``other`` definitions), in order."""
    defs = dict(other or {})
    defs.update(assignments)
    own = {s for s, _ in assignments}
    want: set = set()
    stack = [s for e in exprs for s in e.free_symbols if s in defs]
    while stack:
        s = stack.pop()
        if s in want:
            continue
        want.add(s)
        stack.extend(t for t in defs[s].free_symbols if t in defs and t not in want)
    return [(s, e) for s, e in assignments if s in want and s in own]


_Unsupported = Unevaluable


class _Kink(Exception):
    def __init__(self, node: str):
        self.node = node


class _Interpreter(MixedEvaluator):
    """:class:`symbolic.truth.exact.MixedEvaluator` over node symbols; a kink is named by its node (``u2[1]``)."""

    def __call__(self, e: Expr, target):
        try:
            return super().__call__(e)
        except NearKink as k:
            raise _Kink(_node_name(k.where) if isinstance(k.where, sp.Piecewise) else str(target)) from None


def _node_name(piece: sp.Piecewise) -> str:
    """The canonical node a Piecewise (relu) is applied to: ``u2[1]``."""
    for s in piece.free_symbols:
        head, *idx = s.name.split("_")
        return head + (f"[{','.join(idx)}]" if idx else "")
    return "a pre-activation"


def _exact_values(compute: Callable[[int], list], what: str) -> list[sp.Expr]:
    """Run ``compute(dps)``; Fractions become Rationals, mpf results must agree at two precisions."""
    precisions = [(DIGITS + _GUARD, DIGITS + 2 * _GUARD), (3 * DIGITS, 5 * DIGITS)]
    try:
        low = compute(precisions[0][0])
        if all(isinstance(v, Fraction) for v in low):
            return [sp.Rational(v.numerator, v.denominator) for v in low]
        for lo_dps, hi_dps in precisions:
            if lo_dps != precisions[0][0]:
                low = compute(lo_dps)
            high = compute(hi_dps)
            out, ok = [], True
            with mpmath.workdps(hi_dps):
                for lo, hi in zip(low, high):
                    if isinstance(lo, Fraction) and isinstance(hi, Fraction) and lo == hi:
                        out.append(sp.Rational(hi.numerator, hi.denominator))
                        continue
                    lo_m, hi_m = _Interpreter.mp(lo), _Interpreter.mp(hi)
                    if not (mpmath.isfinite(lo_m) and mpmath.isfinite(hi_m)):
                        raise DerivcheckError(f"{what or 'The value'} is not a finite real number at this point.")
                    if abs(hi_m - lo_m) > abs(hi_m) * mpmath.mpf(10) ** (-DIGITS - 5):
                        if lo_dps != precisions[0][0] and max(abs(lo_m), abs(hi_m)) < _ZERO:
                            out.append(sp.Float(0, DIGITS))  # cancels to 0 at 180 and 300 digits
                            continue
                        ok = False
                        break
                    out.append(sp.Float(hi_m, DIGITS))
            if ok:
                return out
    except _Unsupported as e:
        raise DerivcheckError(f"{what or 'The value'} cannot be evaluated exactly here ({e}).") from None
    except ZeroDivisionError:
        raise DerivcheckError(f"{what or 'The value'} divides by zero at this point.") from None
    raise DerivcheckError(f"{what or 'The value'} cancels to below {DIGITS} significant digits even at "
                          f"{precisions[-1][1]} working digits; derivcheck cannot state it exactly.")


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


def gradient_function(network: Network, modules: str = "mpmath") -> Callable[..., list]:
    """The per-sample gradient as ``f(*values) -> list`` (a drop-in for ``crosscheck.lambdified_gradient``).

    ``values`` is the parameters in canonical order, then x, then y. ``"mpmath"`` runs the
    structured program at the caller's working precision (relu's f' at exactly 0 is nan, as
    lambdify's Piecewise gives); ``"numpy"`` calls the compiled single-sample code in float64.
    """
    program = Structured(network)
    names = network.parameter_names()
    grads = program.gradient_exprs()
    exprs = [grads[k] for k in names]
    args = [program.params[k] for k in names] + program.x + program.y
    if modules == "numpy":
        from numeric.parameters import flatten, unflatten
        from .compiled import compile_gradient
        compiled = compile_gradient(network, program)
        arch = network.architecture
        n_p, n_x = len(names), network.layers[0]

        def f_numpy(*values):
            arrays = unflatten(arch, dict(zip(names, values[:n_p])))
            x = np.asarray(values[n_p:n_p + n_x], dtype=float)
            y = np.asarray(values[n_p + n_x:], dtype=float)
            out = compiled(arrays, x, y)
            return list(flatten(arch, out).values())

        return f_numpy
    if modules != "mpmath":
        raise ValueError(f"modules must be 'mpmath' or 'numpy', not {modules!r}")
    assignments = program.forward + program.local + program.sweep("L").assignments

    def f_mpmath(*values):
        env = dict(zip(args, values))
        ev = _Interpreter(env, mpmath.mp.dps)
        try:
            for s, e in assignments:
                env[s] = ev(e, s)
            return [_Interpreter.mp(ev(e, None)) for e in exprs]
        except _Kink:
            return [mpmath.nan] * len(exprs)

    return f_mpmath


def _mean(values: list[sp.Expr]) -> sp.Expr:
    total = sp.Add(*values) if len(values) > 1 else values[0]
    return total / len(values) if len(values) > 1 else total


# ============================================================================================= proofs
@dataclass(frozen=True)
class EntryCheck:
    equation: str
    entries: int
    structural: int  # entries identical as SymPy expressions
    expanded: int    # entries equal after expand / together
    assumption: str = ""


@dataclass
class ProofReport:
    network: Network
    equations: list[EntryCheck] = field(default_factory=list)
    lemmas: list[str] = field(default_factory=list)

    @property
    def entries(self) -> int:
        return sum(e.entries for e in self.equations)

    def describe(self) -> str:
        lines = [f"{e.equation}: {e.entries} entries equal ({e.structural} structurally identical, "
                 f"{e.expanded} after expansion){' — ' + e.assumption if e.assumption else ''}"
                 for e in self.equations]
        return "\n".join(lines + [f"lemma: {t}" for t in self.lemmas])


class _NodeModel:
    """A matrix_form model whose u, a, δ are the program's node symbols and f, f' generic."""

    def __init__(self, program: Structured):
        self.p = program
        self.network = program.network
        self.concrete = False
        self.params, self.x, self.y = program.params, program.x, program.y
        self.u, self.a = program.u, program.a
        sw = program.sweep("L")
        self.deltas = sw.adjoint_u

    def function(self, name: str, prime: bool):
        from ..formulas.matrix_form import generic_functions
        if name == "exp":
            return sp.exp
        if name == "log":
            return (lambda v: 1 / v) if prime else sp.log
        fn, fp = generic_functions(name)
        if not prime:
            return fn
        df = self.p._df_of
        return lambda v: df.get(v) or fp(v)  # f'(u{l}_i) is the node symbol df{l}_i

    def array(self, kind: str, layer: int | None):
        from ..formulas.matrix_form import Matrix, node_array
        found = node_array(self, kind, layer)
        if found is not None:
            return found
        if kind == "delta":
            return Matrix(len(self.deltas[layer]), 1, list(self.deltas[layer]))
        if kind == "L":
            return Matrix([[self.p.loss]])
        raise DerivcheckError(f"Unknown quantity {kind!r}.")

    def with_cut(self, kind, layer):  # derived formulas contain no ∂X/∂(node)
        raise DerivcheckError("A derivative node cannot be evaluated in the structured node model.")


def _compare(mine: Expr, theirs: Expr, subs: dict | None) -> str | None:
    """'structural', 'expanded', or None when not shown equal."""
    if mine == theirs:
        return "structural"
    diff = mine - theirs
    if subs:
        diff = diff.xreplace(subs)
    if diff == 0:
        return "expanded"
    d = sp.expand(diff)
    if d == 0:
        return "expanded"
    num, _ = sp.fraction(sp.together(d))
    return "expanded" if sp.expand(num) == 0 else None


def prove_structured(network: Network, program: Structured | None = None) -> ProofReport:
    """Prove the program's gradients equal to ``matrix_form.derive(network)`` entry by entry."""
    from ..formulas.matrix_form import Ctx, Deriv, Var, derive, evaluate, shape_of, to_text

    program = program or Structured(network)
    model = _NodeModel(program)
    form = derive(network)
    ctx = Ctx(network)
    report = ProofReport(network)
    depth = network.depth
    sumone = None
    if (network.activations[-1], network.loss) == ("softmax", "softmax_ce"):
        y = program.y
        sumone = {y[-1]: 1 - sp.Add(*y[:-1])}
    memo: dict = {}
    for lhs, rhs in form.equations():
        shape_of(rhs, ctx)
        theirs = evaluate(rhs, model, ctx, memo)
        if isinstance(lhs, Var):  # δ^{(l)}
            l = lhs.layer
            defs = dict(program.backward)
            mine = [defs.get(s, s) if isinstance(s, sp.Symbol) else s for s in model.deltas[l]]
            subs = sumone if l == depth else None
        else:
            assert isinstance(lhs, Deriv)
            kind, l = lhs.wrt.kind, lhs.wrt.layer
            target = model.array(kind, l)
            mine = [program.derivative("L", _param_name(network, s))[0] for s in target]
            subs = None
        flat = list(theirs)
        if len(flat) != len(mine):
            raise DerivcheckError(f"{to_text(lhs)} has {len(flat)} entries in the matrix form but "
                                  f"{len(mine)} in the structured program.")
        structural = expanded = 0
        for k, (me, th) in enumerate(zip(mine, flat)):
            how = _compare(me, th, subs)
            if how is None:
                raise DerivcheckError(f"The structured program and the matrix form differ at entry {k + 1} of "
                                      f"{to_text(lhs)}: {me} vs {th}.")
            structural += how == "structural"
            expanded += how == "expanded"
        note = "targets with Σ y_k = 1 (y_n = 1 − Σ_{k<n} y_k substituted)" if subs else ""
        report.equations.append(EntryCheck(to_text(lhs), len(mine), structural, expanded, note))
    report.lemmas = lemma_output(network.activations[-1], network.loss, network.layers[-1])
    return report


def _param_name(network: Network, symbol: sp.Symbol) -> str:
    from ..spec.names import canonical_of_symbol
    return canonical_of_symbol(symbol)


_LEMMAS: dict[tuple[str, str, int], list[str]] = {}


def _zero(e: Expr, us: Sequence[sp.Symbol]) -> bool:
    """Whether ``e`` is identically 0, with every u_k written as log(E_k) for a positive symbol E_k.

    exp(c·u_k) becomes E_k**c, so the expression is rational in the E's; the numerator of its
    ``together`` must expand to 0. Sound: E_k ranges over all positive reals as u_k over all reals.
    """
    e = e.xreplace({u: sp.log(sp.Dummy(f"E{k}", positive=True)) for k, u in enumerate(us)})
    num, _ = sp.fraction(sp.together(e))
    return sp.expand(num) == 0


def lemma_output(act: str, loss: str, n: int) -> list[str]:
    """Prove the output-layer rules the program uses, from sympy.diff of the rule table (cached)."""
    key = (act, loss, n)
    if key in _LEMMAS:
        return _LEMMAS[key]
    us = [sp.Symbol(f"v{k + 1}", real=True) for k in range(n)]
    ys = [sp.Symbol(f"t{k + 1}", real=True) for k in range(n)]
    rule = ACTIVATIONS[act]
    out: list[str] = []
    if rule.elementwise:
        if (act, loss) == ("sigmoid", "bce"):
            term = LOSSES[loss].terms([rule.symbolic(us[0])], [ys[0]])[0]
            if not _zero(sp.diff(term, us[0]) - (rule.symbolic(us[0]) - ys[0]), us):
                raise DerivcheckError("The fused sigmoid + bce output δ = a − y could not be proved.")
            out.append("sigmoid + bce: ∂L_k/∂u_k = a_k − y_k (sympy.diff, u = log E)")
        else:
            out.append(f"{act} output: ∂L/∂u_k = ∂L_k/∂a_k · f'(u_k) (one-variable chain rule)")
        _LEMMAS[key] = out
        return out
    a = rule.apply(us)
    pairs = [(0, 0)] + ([(0, 1)] if n > 1 else [])
    for i, k in pairs:
        jac = a[i] * ((1 if i == k else 0) - a[k])
        if not _zero(sp.diff(a[i], us[k]) - jac, us):
            raise DerivcheckError("The softmax Jacobian a_i(δ_ik − a_k) could not be proved.")
    out.append(f"softmax Jacobian ∂a_i/∂u_k = a_i(δ_ik − a_k) for n = {n} (entries (1,1), (1,2); the rest by "
               f"permutation equivariance)")
    if loss == "softmax_ce":
        asym = [sp.Symbol(f"s{k + 1}", positive=True) for k in range(n)]
        terms = LOSSES[loss].terms(asym, ys)
        g = [sp.diff(sp.Add(*terms), s) for s in asym]
        for k in range(n):
            chain = sp.Add(*[g[i] * asym[i] * ((1 if i == k else 0) - asym[k]) for i in range(n)])
            if sp.expand(chain - (asym[k] * sp.Add(*ys) - ys[k])) != 0:
                raise DerivcheckError("The fused softmax + softmax_ce output δ could not be proved.")
        out.append("softmax + softmax_ce: Σ_i ∂L/∂a_i · a_i(δ_ik − a_k) = a_k Σ_j y_j − y_k (expand)")
    _LEMMAS[key] = out
    return out
