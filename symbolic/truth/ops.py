"""The ops of a network's program, each forward rule beside its vector-Jacobian product.

Contract
--------
A network is a list of ops (:func:`ops_of`): for each layer an :class:`Affine` map
``u{l} = W{l} a{l-1} + b{l}`` and an :class:`Activation` ``a{l} = f_l(u{l})`` (elementwise,
or a vector rule such as softmax), then the :class:`LossTerms` ``L[k]``. Each op carries its
forward rule and its vector-Jacobian product side by side, over the number domain of
:mod:`symbolic.truth.balls` (exact rationals, certified balls, Undefined at a kink). Both
come from the rule table (:mod:`symbolic.spec.rules`): ``symbolic`` / ``symbolic_prime``
compiled once by :func:`symbolic.truth.balls.compile_scalar` (a saturated unit's f' from its
cancelled form over exp), ``vector_vjp`` for vector rules, ``prime_of_output`` and
``FUSED_OUTPUTS`` for the output δ of a fused pair such as sigmoid + bce. Adding a layer
kind is one op class here with its rule-table entries.

:class:`Mistakes` are program transformations: the ops read them (a scaled loss, f' through
the output evaluated at the net input) and :class:`symbolic.truth.point.Point` applies the
rest (the output f' at the source unit, the updated weights in the backward pass).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Sequence

import sympy as sp
from flint import arb, arb_mat, ctx as flint_ctx, fmpq, fmpq_mat

from ..spec.errors import DerivcheckError
from ..spec.names import Name
from ..spec.network import Network
from ..spec.rules import ACTIVATIONS, FUSED_OUTPUTS, LOSSES
from .balls import ZERO, ONE, Undefined, add, compile_scalar, exact, is_zero, mul

__all__ = ["Affine", "Activation", "LossTerms", "Mistakes", "NO_MISTAKES", "affine_ops", "ops_of"]


# ============================================================================================ linear algebra
def _matrix(rows: int, cols: int, entries: list):
    """A matrix of the entries (row-major): exact when all are rational, else balls."""
    if all(type(v) is fmpq for v in entries):
        return fmpq_mat(rows, cols, entries)
    return arb_mat(rows, cols, [arb(v) for v in entries])


def _column(values: Sequence):
    return _matrix(len(values), 1, list(values))


def _entries(matrix) -> list:
    return list(matrix.entries())


def _mixed(values: Sequence) -> bool:
    """Some values exact and some balls: matrix products would turn the exact ones into balls."""
    kinds = {type(v) for v in values}
    return fmpq in kinds and len(kinds) > 1


@dataclass(frozen=True)
class Mistakes:
    """Program transformations that reproduce common hand-derivation errors (all off by default).

    * ``loss_scale`` — every loss term times this (2: the ½ of half_sse dropped; ½: applied twice);
    * ``fprime`` — ``"net_input"``: f' written through the output (the rule table's
      ``prime_of_output``, sigmoid's a(1−a)) but evaluated at the net input u; ``"source_node"``:
      the output layer's f'(u{L}_k) taken at the hidden unit a connection comes from (h(1−h)
      where O(1−O) belongs);
    * ``sign`` — −1 flips the update (θ ← θ + η∇L);
    * ``sequential`` — layers updated top-down inside one step, the updated weights used in the
      same backward pass (a :class:`Point` gets them as ``backward_values``);
    * ``update_biases`` — overrides the network's setting.
    """

    loss_scale: float = 1
    fprime: str = "true"  # "true" | "net_input" | "source_node"
    sign: int = 1
    sequential: bool = False
    update_biases: bool | None = None


NO_MISTAKES = Mistakes()


# ================================================================================================ the ops
@dataclass
class Affine:
    """u{l} = W{l} a{l-1} + b{l} (bias ``none``, ``per-neuron`` or ``shared``)."""

    layer: int
    rows: int
    cols: int
    bias: str
    W: object  # fmpq_mat, or arb_mat when a value is a ball
    b: list
    _balls: dict = field(default_factory=dict)

    def weights(self, exact_input: bool):
        if type(self.W) is arb_mat or exact_input:
            return self.W
        key = flint_ctx.prec  # one ball copy of W per working precision
        if key not in self._balls:
            self._balls[key] = arb_mat(self.W)
        return self._balls[key]

    def forward(self, a: list) -> list:
        if _mixed(a) and type(self.W) is fmpq_mat:  # entry by entry, so that an exact 0 weight keeps u exact
            u = [add([mul((self.W[i, j], aj)) for j, aj in enumerate(a)]) for i in range(self.rows)]
        else:
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
        elif _mixed(defined) and type(self.W) is fmpq_mat:
            out = [add([mul((self.W[k, j], gk)) for k, gk in enumerate(defined)]) for j in range(self.cols)]
        else:
            row = _column(defined).transpose()
            out = _entries(row * self.weights(type(row) is fmpq_mat))
        for k in bad:
            for j in range(self.cols):
                if self.W[k, j] != 0 and type(out[j]) is not Undefined:
                    out[j] = g[k]
        return out

    def layer_gradient(self, g: list, a: list) -> dict[str, object]:
        """Every parameter partial of this layer at once: ∂/∂W{l} = g aᵀ (one outer product), ∂/∂b{l} = g
        (or Σ g for a shared bias), keyed by canonical name in row-major order."""
        l = self.layer
        names = [f"W{l}[{i},{j}]" for i in range(1, self.rows + 1) for j in range(1, self.cols + 1)]
        if any(type(v) is Undefined for v in (*g, *a)) or _mixed((*g, *a)):
            values = [mul((gi, aj)) for gi in g for aj in a]
        else:
            values = _entries(_column(g) * _column(a).transpose())
        out = dict(zip(names, values))
        if self.bias == "shared":
            out[f"b{l}"] = add(g)
        elif self.bias == "per-neuron":
            out.update({f"b{l}[{i}]": gi for i, gi in enumerate(g, 1)})
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
    """f and f' of the rule table, compiled."""
    rule = ACTIVATIONS[name]
    t = sp.Symbol("t", real=True)
    return compile_scalar(rule.symbolic(t), [t]), compile_scalar(rule.symbolic_prime(t), [t])


@lru_cache(maxsize=None)
def _stable_prime(name: str) -> Callable:
    """f' written over exp as one cancelled fraction, for a saturated unit (σ'(10^15) = e^(−10^15)), where
    the table's σ(1 − σ) cancels beyond what the balls can hold; built only when a unit needs it."""
    t = sp.Symbol("t", real=True)
    return compile_scalar(sp.cancel(sp.together(ACTIVATIONS[name].symbolic_prime(t).rewrite(sp.exp))), [t])


def _blurred(v) -> bool:
    """A ball wider than 2^-40 of its value (cancellation ate most of the working precision)."""
    return type(v) is arb and (v.contains(0) or v.rad() > abs(v).lower() * _BLUR)


_BLUR = arb(2) ** -40


@lru_cache(maxsize=None)
def _through_output(name: str) -> Callable:
    t = sp.Symbol("t", real=True)
    return compile_scalar(ACTIVATIONS[name].prime_of_output(t), [t])


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

    def local(self, u: list, where: str = "", mistakes: Mistakes = NO_MISTAKES) -> list:
        """f'(u{l}_i) for each unit (Undefined at a kink, naming the unit and ``where``)."""
        fp = _elementwise(self.rule)[1]
        if mistakes.fprime == "net_input" and ACTIVATIONS[self.rule].prime_of_output is not None:
            fp = _through_output(self.rule)
        out = []
        for i, v in enumerate(u, 1):
            d = fp(v, node=f"u{self.layer}[{i}]{where}")
            if _blurred(d) and fp is _elementwise(self.rule)[1]:
                d = _stable_prime(self.rule)(v, node=f"u{self.layer}[{i}]{where}")
            out.append(d)
        return out

    def through_output(self) -> Callable | None:
        """f' as a function of the output (the rule table's ``prime_of_output``: a(1−a)), or None."""
        return _through_output(self.rule) if ACTIVATIONS[self.rule].prime_of_output is not None else None

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
    scale: fmpq = ONE

    def forward(self, a: list, y: list) -> list:
        return [mul((f(ak, yk), self.scale)) for f, ak, yk in zip(_loss(self.rule, self.n)[0], a, y)]

    def slope(self, a: list, y: list, terms: Sequence[int] | None = None) -> list:
        chosen = range(self.n) if terms is None else terms
        return [mul((f(ak, yk), self.scale)) if k in chosen else ZERO
                for k, (f, ak, yk) in enumerate(zip(_loss(self.rule, self.n)[1], a, y))]

    def delta(self, a: list, y: list) -> list:
        """∂L/∂u{L} of the fused pair (a − y for sigmoid + bce, …)."""
        return [mul((d, self.scale)) for d in self.fused(a, y)]


def affine_ops(network: Network, values: dict | None = None) -> list[Affine]:
    """The Affine op of every layer, at the network's exact parameters or at ``values`` (fmpq or arb)."""
    if values is None:
        values = {k: exact(v) for k, v in network.parameter_values().items()}
    affine = []
    for l in range(1, network.depth + 1):
        rows, cols, mode = network.layers[l], network.layers[l - 1], network.bias[l - 1]
        W = _matrix(rows, cols, [values[f"W{l}[{i},{j}]"] for i in range(1, rows + 1) for j in range(1, cols + 1)])
        if mode == "shared":
            b = [values[f"b{l}"]] * rows
        elif mode == "per-neuron":
            b = [values[f"b{l}[{i}]"] for i in range(1, rows + 1)]
        else:
            b = []
        affine.append(Affine(l, rows, cols, mode, W, b))
    return affine


def ops_of(network: Network, values: dict | None = None,
           mistakes: Mistakes = NO_MISTAKES) -> tuple[list, list, LossTerms]:
    """The network's program: per layer an Affine and an Activation op, then the loss terms."""
    activation = [Activation(l, network.activations[l - 1], network.layers[l]) for l in range(1, network.depth + 1)]
    loss = LossTerms(network.loss, network.layers[-1], FUSED_OUTPUTS.get((network.activations[-1], network.loss)),
                     exact(mistakes.loss_scale))
    return affine_ops(network, values), activation, loss
