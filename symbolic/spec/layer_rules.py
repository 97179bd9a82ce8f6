"""Rule-table entries of the layer kinds beyond dense: batchnorm, layernorm and dropout.

Contract
--------
``LAYER_KINDS[name]`` is a :class:`LayerKind`: the keys its ``[[layer]]`` table takes, its
parameters and nodes (canonical names, see docs/layers.md), whether it couples the samples of
a batch, its NumPy twin (:mod:`numeric.layers`) and its LaTeX lines for documents.

The forward rules and their local derivatives (vector-Jacobian products) are written once,
over an :class:`Arithmetic` (sums, products, reciprocal, square root and constants), so that
the same rule runs on SymPy expressions (``SYMPY``: the closed form and the proofs), on the
exact/ball domain of :mod:`symbolic.truth.balls` (the point evaluation passes its own) and on
anything else with those five operations:

* :func:`normalize` — x̂ = (v − μ)/√(σ² + ε) of one vector (a batchnorm feature column over
  the batch, a layernorm sample row over its features), μ = Σv/n, σ² = Σ(v − μ)²/n;
* :func:`normalize_vjp` — ∂/∂v, ∂/∂μ, ∂/∂σ² from ∂/∂x̂ along the computational graph of the
  batch-norm paper (Ioffe & Szegedy 2015, Alg. 1 and §3): ∂σ² = Σ g d · (−½)(σ² + ε)^(−3/2),
  ∂μ = −Σ g/√(σ²+ε) + ∂σ² · (−2/n) Σ d, ∂v_i = g_i/√(σ²+ε) + ∂σ² · 2d_i/n + ∂μ/n;
* :func:`dropout` / :func:`dropout_vjp` — inverted dropout a = m·x/(1 − p) with a given mask.

:class:`NormMistakes` and :class:`DropoutMistakes` switch off or change single terms of those
rules: the hand-derivation errors the diagnosis replays (a mistake is a program transformation).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Sequence

import sympy as sp

from numeric.layers import NUMERIC_KINDS

from .convolution_kinds import CONV_KINDS
from .layer_plugin import LayerKind
from .recurrent import RECURRENT_KINDS

__all__ = ["Arithmetic", "SYMPY", "NormMistakes", "DropoutMistakes", "NO_NORM_MISTAKES", "NO_DROPOUT_MISTAKES",
           "Normalized", "normalize", "normalize_vjp", "dropout", "dropout_vjp", "LayerKind", "LAYER_KINDS"]


@dataclass(frozen=True)
class Arithmetic:
    """The five operations the layer rules need, for one number domain."""

    add: Callable[[Sequence], Any]
    mul: Callable[[Sequence], Any]
    inv: Callable[[Any], Any]
    sqrt: Callable[[Any], Any]
    const: Callable[[Fraction], Any]


SYMPY = Arithmetic(add=lambda xs: sp.Add(*xs), mul=lambda xs: sp.Mul(*xs), inv=lambda x: 1 / x,
                   sqrt=sp.sqrt, const=lambda f: sp.Rational(f.numerator, f.denominator))


@dataclass(frozen=True)
class NormMistakes:
    """Terms of the normalization backward a hand derivation may get wrong (all correct by default).

    * ``var_mu_path`` — the ∂σ²/∂μ path of ∂μ (darknet's mean_delta omits it; it is ∂σ² · (−2/n) Σ(v − μ),
      exactly 0, so dropping it changes nothing — derivcheck shows that);
    * ``var_path`` — the ∂σ²/∂v term ∂σ² · 2d_i/n of ∂v;
    * ``mu_term`` — the ∂μ/∂v term ∂μ/n of ∂v;
    * ``unbiased`` — the variance divided by n − 1 (forward and backward) where the layer uses n;
    * ``backward_eps`` — ε kept under the square root of the backward (False: dropped there);
    * ``backward_n`` — the backward written for a variance over n even where the forward divides by
      n − 1 (darknet: ``variance_cpu`` divides by N − 1, ``normalize_delta_cpu`` by N);
    * ``gamma_scaled`` — the backward to v starts from ∂L/∂x̂ = γ · ∂L/∂a (False: from ∂L/∂a, γ left out —
      Knet.jl #288, invisible while γ = 1, Knet's initial value).
    """

    var_mu_path: bool = True
    var_path: bool = True
    mu_term: bool = True
    unbiased: bool = False
    backward_eps: bool = True
    backward_n: bool = False
    gamma_scaled: bool = True


@dataclass(frozen=True)
class DropoutMistakes:
    """``mask`` False: the mask not applied in the backward; ``scale_power``: 0 (1/(1 − p) missing), 2 (doubled)."""

    mask: bool = True
    scale_power: int = 1


NO_NORM_MISTAKES = NormMistakes()
NO_DROPOUT_MISTAKES = DropoutMistakes()


@dataclass
class Normalized:
    """The forward nodes of one normalized vector: μ, d = v − μ, σ², s = √(σ² + ε), x̂ = d/s."""

    mu: Any
    d: list
    var: Any
    s: Any
    xhat: list
    n: int
    eps: Fraction
    unbiased: bool = False


def normalize(v: Sequence, eps: Fraction, ar: Arithmetic, unbiased: bool = False) -> Normalized:
    """x̂ of one vector (see the module contract); ``unbiased`` divides σ² by n − 1."""
    n = len(v)
    mu = ar.mul((ar.add(list(v)), ar.const(Fraction(1, n))))
    d = [ar.add((vi, ar.mul((ar.const(Fraction(-1)), mu)))) for vi in v]
    divisor = n - 1 if unbiased else n
    var = ar.mul((ar.add([ar.mul((di, di)) for di in d]), ar.const(Fraction(1, divisor))))
    s = ar.sqrt(ar.add((var, ar.const(eps))))
    r = ar.inv(s)
    return Normalized(mu, d, var, s, [ar.mul((di, r)) for di in d], n, eps, unbiased)


def normalize_vjp(nz: Normalized, g: Sequence, ar: Arithmetic,
                  mistakes: NormMistakes = NO_NORM_MISTAKES, dmu: Any = None, dvar: Any = None) -> tuple[list, Any, Any]:
    """(∂/∂v, ∂/∂μ, ∂/∂σ²) from ∂/∂x̂ = ``g``, step by step along the graph (module contract); ``dmu``/``dvar``
    given (an author's printed ∂/∂μ, ∂/∂σ²) are used in place of the computed ones from there on."""
    n, c = nz.n, ar.const
    divisor = nz.n - 1 if nz.unbiased and not mistakes.backward_n else n
    s = nz.s if mistakes.backward_eps else ar.sqrt(nz.var)
    r = ar.inv(s)
    r3 = ar.mul((r, r, r))
    if dvar is None:
        dvar = ar.mul((ar.add([ar.mul((gi, di)) for gi, di in zip(g, nz.d)]), c(Fraction(-1, 2)), r3))
    if dmu is None:
        dmu = ar.mul((ar.add(list(g)), c(Fraction(-1)), r))
        if mistakes.var_mu_path:
            dmu = ar.add((dmu, ar.mul((dvar, c(Fraction(-2, divisor)), ar.add(list(nz.d))))))
    dv = []
    for gi, di in zip(g, nz.d):
        terms = [ar.mul((gi, r))]
        if mistakes.var_path:
            terms.append(ar.mul((dvar, c(Fraction(2, divisor)), di)))
        if mistakes.mu_term:
            terms.append(ar.mul((dmu, c(Fraction(1, n)))))
        dv.append(ar.add(terms))
    return dv, dmu, dvar


def dropout(v: Sequence, mask: Sequence[int], p: Fraction, ar: Arithmetic) -> list:
    """Inverted dropout of one sample: a_i = m_i · v_i / (1 − p)."""
    scale = ar.const(1 / (1 - p))
    return [ar.mul((vi, ar.const(Fraction(mi)), scale)) for vi, mi in zip(v, mask)]


def dropout_vjp(g: Sequence, mask: Sequence[int], p: Fraction, ar: Arithmetic,
                mistakes: DropoutMistakes = NO_DROPOUT_MISTAKES) -> list:
    """∂/∂v_i = g_i · m_i / (1 − p) (with the mistake's mask and scale)."""
    scale = ar.const((1 / (1 - p)) ** mistakes.scale_power)
    return [ar.mul((gi, ar.const(Fraction(mi if mistakes.mask else 1)), scale)) for gi, mi in zip(g, mask)]


_NORM_FORWARD = (r"\mu = \frac{1}{n}\sum_i v_i", r"\sigma^2 = \frac{1}{n}\sum_i (v_i - \mu)^2",
                 r"\hat{x}_i = \frac{v_i - \mu}{\sqrt{\sigma^2 + \epsilon}}", r"a_i = \gamma \hat{x}_i + \beta")
_NORM_BACKWARD = (
    r"\frac{\partial L}{\partial \hat{x}_i} = \gamma \frac{\partial L}{\partial a_i}",
    r"\frac{\partial L}{\partial \sigma^2} = -\frac{1}{2}(\sigma^2+\epsilon)^{-3/2}"
    r"\sum_i \frac{\partial L}{\partial \hat{x}_i}(v_i - \mu)",
    r"\frac{\partial L}{\partial \mu} = -\frac{1}{\sqrt{\sigma^2+\epsilon}}\sum_i \frac{\partial L}{\partial \hat{x}_i}"
    r" + \frac{\partial L}{\partial \sigma^2}\cdot\frac{-2}{n}\sum_i (v_i - \mu)",
    r"\frac{\partial L}{\partial v_i} = \frac{1}{\sqrt{\sigma^2+\epsilon}}\frac{\partial L}{\partial \hat{x}_i}"
    r" + \frac{\partial L}{\partial \sigma^2}\cdot\frac{2(v_i - \mu)}{n} + \frac{1}{n}\frac{\partial L}{\partial \mu}",
    r"\frac{\partial L}{\partial \gamma} = \sum_i \frac{\partial L}{\partial a_i}\hat{x}_i, \quad "
    r"\frac{\partial L}{\partial \beta} = \sum_i \frac{\partial L}{\partial a_i}")

LAYER_KINDS: dict[str, LayerKind] = {
    "dense": LayerKind("dense", ("units", "activation", "bias"), (), ("u",), False, None,
                       "dense: u = W a + b, a = f(u)"),
    "batchnorm": LayerKind("batchnorm", ("eps", "mode", "running_mean", "running_var"), ("gamma", "beta"),
                           ("xhat", "mu", "var"), True, NUMERIC_KINDS["batchnorm"],
                           "batch normalization over the batch, per feature (v: one feature over the samples)",
                           _NORM_FORWARD, _NORM_BACKWARD),
    "layernorm": LayerKind("layernorm", ("eps", "normalized"), ("gamma", "beta"), ("xhat", "mu", "var"), False,
                           NUMERIC_KINDS["layernorm"],
                           "layer normalization over the features, per sample (v: one sample's features)",
                           _NORM_FORWARD, _NORM_BACKWARD),
    "dropout": LayerKind("dropout", ("p", "mask"), (), (), False, NUMERIC_KINDS["dropout"],
                         "inverted dropout with a given mask: a = m x / (1 − p)",
                         (r"a_i = \frac{m_i x_i}{1 - p}",),
                         (r"\frac{\partial L}{\partial x_i} = \frac{m_i}{1 - p}\frac{\partial L}{\partial a_i}",)),
    # kinds with their own shapes and names carry a KindPlugin (symbolic.spec.layer_plugin): one line each here
    **RECURRENT_KINDS,  # rnn, lstm (symbolic.spec.recurrent, docs/recurrent.md)
}
LAYER_KINDS.update(CONV_KINDS)  # conv2d, maxpool, avgpool, flatten (symbolic.spec.convolution_kinds)
