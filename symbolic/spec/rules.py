"""Rule tables: each activation and loss with its symbolic form, derivative and numeric twin.

Contract
--------
* ``ACTIVATIONS[name]`` is an :class:`ActivationRule`: ``symbolic(u)`` builds
  f(u) for one SymPy scalar (elementwise rules) and ``symbolic_prime(u)`` its
  derivative f'(u); ``numeric`` is the NumPy twin from ``numeric.functions``.
  softmax is a vector rule: ``symbolic_vector(us)`` maps the list of a layer's
  pre-activations to the list of its outputs.
* ``LOSSES[name]`` is a :class:`LossRule`: ``terms(a, y)`` gives the list of
  per-output terms L[k] (they sum to the loss), ``numeric`` the NumPy twin.
* relu is a ``Piecewise``; its kink (u = 0) is a point where the derivative
  does not exist, and the evaluator reports it (:class:`symbolic.spec.errors.KinkError`)
  instead of returning either one-sided value.

* Generic activations: :func:`generic_functions` gives ``(f_<name>, fp_<name>)``,
  an undefined SymPy function (an :class:`_Activation`) whose derivative is the
  undefined ``fp_<name>``; one pair per name, kept in ``_GENERIC``, so every
  generic model and proof shares the same atoms. :func:`generic_to_concrete`
  substitutes the real ``symbolic`` / ``symbolic_prime`` rules back in.

Adding an activation or loss is one entry here plus one in
``numeric/functions.py``, and their tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import sympy as sp

from numeric.functions import ACTIVATIONS as NUMERIC_ACTIVATIONS
from numeric.functions import LOSSES as NUMERIC_LOSSES
from numeric.functions import Activation, Loss

__all__ = ["ActivationRule", "LossRule", "ACTIVATIONS", "LOSSES", "FUSED_OUTPUTS", "_Activation", "_GENERIC", "generic_functions",
           "generic_to_concrete"]

Expr = sp.Expr


@dataclass(frozen=True)
class ActivationRule:
    name: str
    symbolic: Callable[[Expr], Expr] | None
    symbolic_prime: Callable[[Expr], Expr] | None
    numeric: Activation
    has_kink: bool = False
    output_only: bool = False
    symbolic_vector: Callable[[Sequence[Expr]], list[Expr]] | None = None
    # vector rules: the vector-Jacobian product Σ_i g_i ∂a_i/∂u_k from the outputs a and the adjoint g,
    # in plain + and * so that it runs on SymPy expressions, rationals and balls alike
    vector_vjp: Callable[[Sequence, Sequence], list] | None = None
    # f' written through the output a = f(u) (sigmoid: a(1 − a)), where a rule has such a form: what hand
    # derivations print, and what the "f' from the net input" mistake evaluates at u instead of a
    prime_of_output: Callable[[Expr], Expr] | None = None

    @property
    def elementwise(self) -> bool:
        return self.symbolic_vector is None

    def apply(self, us: Sequence[Expr]) -> list[Expr]:
        """f applied to a whole layer's pre-activations."""
        if self.symbolic_vector is not None:
            return self.symbolic_vector(us)
        return [self.symbolic(u) for u in us]


def _sigmoid(u: Expr) -> Expr:
    return 1 / (1 + sp.exp(-u))


def _softmax(us: Sequence[Expr]) -> list[Expr]:
    total = sp.Add(*[sp.exp(u) for u in us])
    return [sp.exp(u) / total for u in us]


def _softmax_vjp(a: Sequence, g: Sequence) -> list:
    """Σ_i g_i ∂a_i/∂u_k = a_k (g_k − Σ_i a_i g_i): the softmax Jacobian a_i(δ_ik − a_k) applied to g."""
    total = sum((ai * gi for ai, gi in zip(a, g)), 0)
    return [ak * (gk - total) for ak, gk in zip(a, g)]


def _relu(u: Expr) -> Expr:
    return sp.Piecewise((0, u < 0), (u, True))


def _relu_prime(u: Expr) -> Expr:
    return sp.Piecewise((0, u < 0), (1, u > 0), (sp.nan, True))


ACTIVATIONS: dict[str, ActivationRule] = {
    "identity": ActivationRule("identity", lambda u: u, lambda u: sp.Integer(1), NUMERIC_ACTIVATIONS["identity"]),
    "sigmoid": ActivationRule("sigmoid", _sigmoid, lambda u: _sigmoid(u) * (1 - _sigmoid(u)),
                              NUMERIC_ACTIVATIONS["sigmoid"], prime_of_output=lambda a: a * (1 - a)),
    "tanh": ActivationRule("tanh", sp.tanh, lambda u: 1 - sp.tanh(u) ** 2, NUMERIC_ACTIVATIONS["tanh"],
                           prime_of_output=lambda a: 1 - a ** 2),
    "relu": ActivationRule("relu", _relu, _relu_prime, NUMERIC_ACTIVATIONS["relu"], has_kink=True),
    "softmax": ActivationRule("softmax", None, None, NUMERIC_ACTIVATIONS["softmax"], output_only=True,
                              symbolic_vector=_softmax, vector_vjp=_softmax_vjp),
}


@dataclass(frozen=True)
class LossRule:
    name: str
    terms: Callable[[Sequence[Expr], Sequence[Expr]], list[Expr]]
    numeric: Loss
    needs_output: tuple[str, ...] | None = None  # activations the output layer may have
    description: str = ""


def _half_sse(a, y):
    return [sp.Rational(1, 2) * (yk - ak) ** 2 for ak, yk in zip(a, y)]


def _sse(a, y):
    return [(yk - ak) ** 2 for ak, yk in zip(a, y)]


def _mse(a, y):
    n = len(a)
    return [(yk - ak) ** 2 / n for ak, yk in zip(a, y)]


def _bce(a, y):
    return [-(yk * sp.log(ak) + (1 - yk) * sp.log(1 - ak)) for ak, yk in zip(a, y)]


def _softmax_ce(a, y):
    return [-yk * sp.log(ak) for ak, yk in zip(a, y)]


LOSSES: dict[str, LossRule] = {
    "half_sse": LossRule("half_sse", _half_sse, NUMERIC_LOSSES["half_sse"], description="½Σ(y−a)²"),
    "sse": LossRule("sse", _sse, NUMERIC_LOSSES["sse"], description="Σ(y−a)²"),
    "mse": LossRule("mse", _mse, NUMERIC_LOSSES["mse"], description="(1/n)Σ(y−a)²"),
    "bce": LossRule("bce", _bce, NUMERIC_LOSSES["bce"], needs_output=("sigmoid", "softmax"),
                   description="−Σ[y log a + (1−y) log(1−a)]"),
    "softmax_ce": LossRule("softmax_ce", _softmax_ce, NUMERIC_LOSSES["softmax_ce"], needs_output=("softmax",),
                           description="−Σ y log softmax(u)"),
}


# ============================================== fused output pairs
def _sigmoid_bce_delta(a: Sequence, y: Sequence) -> list:
    return [ak - yk for ak, yk in zip(a, y)]


def _softmax_ce_delta(a: Sequence, y: Sequence) -> list:
    total = sum(y, 0)
    return [ak * total - yk for ak, yk in zip(a, y)]


# (output activation, loss) -> ∂L/∂u^{(L)} from a^{(L)} and y, in plain + and *; exact for every target (also
# Σy ≠ 1), proved from sympy.diff of the two entries above by symbolic.formulas.program_proof.lemma_output
FUSED_OUTPUTS: dict[tuple[str, str], Callable[[Sequence, Sequence], list]] = {
    ("sigmoid", "bce"): _sigmoid_bce_delta,
    ("softmax", "softmax_ce"): _softmax_ce_delta,
}


# ============================================== generic (undefined) activations f / f'
class _Activation(sp.Function):
    """An undefined elementwise activation whose derivative is another undefined function."""

    nargs = 1
    _prime: type = None  # set per subclass

    def fdiff(self, argindex=1):
        return type(self)._prime(self.args[0])


_GENERIC: dict[str, tuple[type, type]] = {}


def generic_functions(name: str) -> tuple[type, type]:
    """(f_name, fp_name): the undefined activation ``name`` and its undefined derivative."""
    if name not in _GENERIC:
        prime = sp.Function(f"fp_{name}", real=True)
        fn = type(f"f_{name}", (_Activation,), {"_prime": prime})
        _GENERIC[name] = (fn, prime)
    return _GENERIC[name]


def generic_to_concrete(expr: sp.Expr) -> sp.Expr:
    """Replace every generic f_name / fp_name atom by the real rule."""
    mapping = {}
    for name, (fn, prime) in _GENERIC.items():
        rule = ACTIVATIONS[name]
        mapping[fn] = rule.symbolic
        mapping[prime] = rule.symbolic_prime
    out = expr
    for fn, real in mapping.items():
        if out.has(fn):
            out = out.replace(fn, real)
    return out
