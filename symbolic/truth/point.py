"""Exact point evaluation: every value, node derivative and parameter partial from one sweep.

Contract
--------
A network is a list of ops (:func:`ops_of`): for each layer an :class:`Affine` map
``u{l} = W{l} a{l-1} + b{l}`` and an :class:`Activation` ``a{l} = f_l(u{l})`` (elementwise,
or a vector rule such as softmax), then the :class:`LossTerms` ``L[k]``. Each op carries its
forward rule and its vector-Jacobian product side by side; both come from the rule table
(:mod:`symbolic.spec.rules`: ``symbolic`` / ``symbolic_prime`` compiled once by
:func:`symbolic.truth.balls.compile_scalar`, ``vector_vjp`` for vector rules, and
``FUSED_OUTPUTS`` for the output δ of a fused pair such as sigmoid + bce).

:class:`Point` interprets that program at the network's parameters and data at one working
precision (``prec`` bits, ≥ 300): one forward sweep per sample, and one reverse sweep per
(sample, seed) — a seed is ``L`` (the sample's loss), ``L[k]``, ``u{l}[i]`` or ``a{l}[i]`` —
each cached, so every claim and every mistake candidate at that point reads from them.
Values are ``fmpq`` (exact) where only rational arithmetic is involved, certified ``arb``
balls elsewhere (:mod:`symbolic.truth.balls`), or :class:`~symbolic.truth.balls.Undefined`
for a derivative through relu's kink (a quantity that does not pass through the kinked unit
is computed).

* :meth:`Point.value` — ``x``, ``y``, a parameter, ``u``, ``a``, ``L[k]`` (of the sample),
  ``L`` (the batch mean);
* :meth:`Point.derivative` — d(top)/d(var) with the cut semantics of
  :class:`symbolic.truth.exact.Truth` (everything not downstream of ``var`` held fixed);
  ``var`` may be a parameter, a node of the sample, or an input ``x[j]``;
* :meth:`Point.gradient` — dL/dθ for every parameter (batch mean).

A ball that cannot decide a branch raises :class:`~symbolic.truth.balls.Undecided`; the
caller (:class:`symbolic.truth.exact.Truth`) then runs a new Point at a higher precision.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Sequence

import sympy as sp
from flint import arb, arb_mat, ctx as flint_ctx, fmpq, fmpq_mat

from ..spec.errors import DerivcheckError
from ..spec.names import Name, parse_name
from ..spec.network import Network
from ..spec.rules import ACTIVATIONS, FUSED_OUTPUTS, LOSSES
from .balls import ZERO, ONE, Undefined, add, compile_scalar, exact, is_zero, mul, workprec

__all__ = ["Affine", "Activation", "LossTerms", "ops_of", "Point", "DEFAULT_PREC"]

DEFAULT_PREC = 320


# ============================================================================================ linear algebra
def _column(values: Sequence):
    """A column matrix of the values: exact when all are rational, else balls."""
    if all(type(v) is fmpq for v in values):
        return fmpq_mat(len(values), 1, list(values))
    return arb_mat(len(values), 1, [arb(v) for v in values])


def _entries(matrix) -> list:
    return list(matrix.entries())


# ================================================================================================ the ops
@dataclass
class Affine:
    """u{l} = W{l} a{l-1} + b{l} (bias ``none``, ``per-neuron`` or ``shared``)."""

    layer: int
    rows: int
    cols: int
    bias: str
    W: fmpq_mat
    b: list
    _balls: dict = field(default_factory=dict)

    def weights(self, exact_input: bool):
        if exact_input:
            return self.W
        key = flint_ctx.prec  # one ball copy of W per working precision
        if key not in self._balls:
            self._balls[key] = arb_mat(self.W)
        return self._balls[key]

    def forward(self, a: list) -> list:
        col = _column(a)
        u = _entries(self.weights(type(col) is fmpq_mat) * col)
        if self.bias == "none":
            return u
        return [ui + bi for ui, bi in zip(u, self.b)]

    def pullback(self, g: list) -> list:
        """d(top)/da{l-1}_j = Σ_k W[k, j] g_k; an undefined g_k spreads only where W[k, j] ≠ 0 exactly."""
        bad = [k for k, gk in enumerate(g) if type(gk) is Undefined]
        defined = [ZERO if type(gk) is Undefined else gk for gk in g]
        if all(is_zero(v) for v in defined):
            out = [ZERO] * self.cols
        else:
            row = _column(defined).transpose()
            out = _entries(row * self.weights(type(row) is fmpq_mat))
        for k in bad:
            for j in range(self.cols):
                if self.W[k, j] != 0 and type(out[j]) is not Undefined:
                    out[j] = g[k]
        return out

    def partial(self, name: Name, g: list, a: list):
        """d(top)/dθ for this layer's parameter ``name`` from d(top)/du{l} = g and the input a{l-1}."""
        if name.kind == "W":
            i, j = name.indices
            return mul((g[i - 1], a[j - 1]))
        if self.bias == "shared":
            return add(g)
        return g[name.indices[0] - 1]


@lru_cache(maxsize=None)
def _elementwise(name: str) -> tuple[Callable, Callable]:
    """f and f' of the rule table, compiled; f' written over exp as one cancelled fraction, so that a
    saturated unit (σ'(10^15) = e^(−10^15)) has no 1 − σ cancellation for the balls to fight."""
    rule = ACTIVATIONS[name]
    t = sp.Symbol("t", real=True)
    prime = sp.cancel(sp.together(rule.symbolic_prime(t).rewrite(sp.exp)))
    return compile_scalar(rule.symbolic(t), [t]), compile_scalar(prime, [t])


@lru_cache(maxsize=None)
def _vector(name: str, n: int) -> Callable:
    ts = [sp.Symbol(f"t{k}", real=True) for k in range(n)]
    outputs = [compile_scalar(e, ts) for e in ACTIVATIONS[name].symbolic_vector(ts)]
    return lambda us: [f(*us) for f in outputs]


@dataclass
class Activation:
    """a{l} = f_l(u{l}); the local derivative f'(u) beside it (elementwise), or the rule's vector VJP."""

    layer: int
    rule: str
    n: int

    @property
    def elementwise(self) -> bool:
        return ACTIVATIONS[self.rule].elementwise

    def forward(self, u: list) -> list:
        if self.elementwise:
            f = _elementwise(self.rule)[0]
            return [f(v) for v in u]
        return _vector(self.rule, self.n)(u)

    def local(self, u: list, where: str = "") -> list:
        """f'(u{l}_i) for each unit (Undefined at a kink, naming the unit and ``where``)."""
        fp = _elementwise(self.rule)[1]
        return [fp(v, node=f"u{self.layer}[{i}]{where}") for i, v in enumerate(u, 1)]

    def vjp(self, u: list, a: list, df: list | None, g: list) -> list:
        """d(top)/du{l} from d(top)/da{l}."""
        if self.elementwise:
            return [mul((gi, di)) for gi, di in zip(g, df)]
        return ACTIVATIONS[self.rule].vector_vjp(a, g)


@lru_cache(maxsize=None)
def _loss(name: str, n: int) -> tuple[list, list]:
    A = [sp.Symbol(f"a{k}", real=True) for k in range(n)]
    Y = [sp.Symbol(f"y{k}", real=True) for k in range(n)]
    terms = LOSSES[name].terms(A, Y)
    for k, term in enumerate(terms):
        if not term.free_symbols <= {A[k], Y[k]}:
            raise DerivcheckError(f"The loss {name} is not a sum of per-output terms, which the exact point "
                                  f"evaluation needs.")
    value = [compile_scalar(term, [A[k], Y[k]]) for k, term in enumerate(terms)]
    slope = [compile_scalar(sp.diff(term, A[k]), [A[k], Y[k]]) for k, term in enumerate(terms)]
    return value, slope


@dataclass
class LossTerms:
    """L[k] = ℓ(a{L}_k, y_k) and ∂L[k]/∂a{L}_k beside it; the fused output δ where the table has one."""

    rule: str
    n: int
    fused: Callable | None

    def forward(self, a: list, y: list) -> list:
        return [f(ak, yk) for f, ak, yk in zip(_loss(self.rule, self.n)[0], a, y)]

    def slope(self, a: list, y: list, terms: Sequence[int] | None = None) -> list:
        chosen = range(self.n) if terms is None else terms
        return [f(ak, yk) if k in chosen else ZERO
                for k, (f, ak, yk) in enumerate(zip(_loss(self.rule, self.n)[1], a, y))]


def ops_of(network: Network) -> tuple[list, list, LossTerms]:
    """The network's program: per layer an Affine and an Activation op, then the loss terms."""
    affine, activation = [], []
    values = network.parameter_values()
    for l in range(1, network.depth + 1):
        rows, cols, mode = network.layers[l], network.layers[l - 1], network.bias[l - 1]
        W = fmpq_mat(rows, cols, [exact(values[f"W{l}[{i},{j}]"]) for i in range(1, rows + 1)
                                  for j in range(1, cols + 1)])
        if mode == "shared":
            b = [exact(values[f"b{l}"])] * rows
        elif mode == "per-neuron":
            b = [exact(values[f"b{l}[{i}]"]) for i in range(1, rows + 1)]
        else:
            b = []
        affine.append(Affine(l, rows, cols, mode, W, b))
        activation.append(Activation(l, network.activations[l - 1], rows))
    loss = LossTerms(network.loss, network.layers[-1], FUSED_OUTPUTS.get((network.activations[-1], network.loss)))
    return affine, activation, loss


# =============================================================================================== the sweeps
@dataclass
class _Forward:
    a: list  # a[0] = x, a[l] for l = 1..L
    u: list  # u[0] unused
    df: list  # f'(u) per elementwise layer (None otherwise)
    terms: list


@dataclass
class _Sweep:
    g_u: dict  # layer -> d(top)/du{l}
    g_a: dict  # layer -> d(top)/da{l} (layer 0: the inputs)


class Point:
    """The exact point evaluation of one network (see the module contract)."""

    def __init__(self, network: Network, prec: int = DEFAULT_PREC):
        if network.params is None or network.x is None or network.y is None:
            raise DerivcheckError("The network needs parameter values and data (x and y) to be evaluated.")
        self.network = network
        self.prec = prec
        self.m = len(network.x)
        with workprec(prec):
            self.affine, self.activation, self.loss = ops_of(network)
        self._forwards: dict[int, _Forward] = {}
        self._sweeps: dict[tuple[int, str], _Sweep] = {}

    # ---------------------------------------------------------------------------------- forward
    def forward(self, sample: int) -> _Forward:
        if sample not in self._forwards:
            with workprec(self.prec):
                a = [[exact(v) for v in self.network.x[sample - 1]]]
                u, df = [None], [None]
                for aff, act in zip(self.affine, self.activation):
                    ul = aff.forward(a[-1])
                    u.append(ul)
                    a.append(act.forward(ul))
                    where = f" for sample {sample}" if self.m > 1 else ""
                    df.append(act.local(ul, where) if act.elementwise else None)
                y = [exact(v) for v in self.network.y[sample - 1]]
                self._forwards[sample] = _Forward(a, u, df, self.loss.forward(a[-1], y))
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
        with workprec(self.prec):
            if top.kind == "L":
                start = L
                a, y = fw.a[L], self.target(sample)
                if not top.indices and self.loss.fused is not None:
                    seed_u = self.loss.fused(a, y)
                else:
                    ga = self.loss.slope(a, y, None if not top.indices else [top.indices[0] - 1])
                    g_a[L] = ga
                    seed_u = self.activation[L - 1].vjp(fw.u[L], a, fw.df[L], ga)
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
                g_u[l] = g
                ga = self.affine[l - 1].pullback(g)
                g_a[l - 1] = ga
                if l > 1:
                    act = self.activation[l - 2]
                    g = act.vjp(fw.u[l - 1], fw.a[l - 1], fw.df[l - 1], ga)
        sw = _Sweep(g_u, g_a)
        self._sweeps[key] = sw
        return sw

    # ----------------------------------------------------------------------------------- answers
    def value(self, name: Name | str, sample: int = 1):
        n = _name(name, self.network)
        if n.kind == "L" and not n.indices:
            with workprec(self.prec):
                return _mean([add(self.forward(s).terms) for s in range(1, self.m + 1)])
        if n.is_parameter:
            return exact(self.network.parameter_values()[str(n)])
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
        if top.kind == "L" and not top.indices:
            if var.is_parameter:
                with workprec(self.prec):
                    return _mean([self._partial(s, top, var) for s in range(1, self.m + 1)])
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
            return self.affine[l - 1].partial(var, sw.g_u[l], self.forward(sample).a[l - 1])
        if var.kind == "u":
            g = sw.g_u.get(var.layer)
        elif var.kind == "a":
            g = sw.g_a.get(var.layer)
        elif var.kind == "x":
            g = sw.g_a.get(0)
        else:
            raise DerivcheckError(f"Derivatives with respect to {var} are not supported; differentiate with "
                                  f"respect to a parameter (W, b), a node (u, a) or an input (x).")
        return ZERO if g is None else g[var.indices[0] - 1]

    def gradient(self) -> dict[str, object]:
        """dL/dθ for every parameter, in canonical order (batch mean)."""
        top = parse_name("L")
        return {p: self.derivative(top, parse_name(p)) for p in self.network.parameter_names()}


def _name(name: Name | str, network: Network) -> Name:
    return (parse_name(name) if isinstance(name, str) else name).check(network)


def _mean(values: list):
    total = add(values)
    return total if len(values) == 1 or type(total) is Undefined else mul((total, fmpq(1, len(values))))
