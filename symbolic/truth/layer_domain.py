"""The exact/ball number domain of the layer rules, and normalization with its ε = 0 refusal.

Contract
--------
:data:`DOMAIN` is the :class:`symbolic.spec.layer_rules.Arithmetic` the batch point evaluation
(:mod:`symbolic.truth.layered`) runs the layer rules over: sums and products of
:mod:`symbolic.truth.balls`, :func:`inverse` and :func:`square_root` — exact for an fmpq (√ of the
square of a rational stays rational), a certified ball otherwise; a ball containing 0 raises
:class:`~symbolic.truth.balls.Undecided`, an exact 0 (or a negative root) ``Unevaluable``; an
``Undefined`` (a kink) passes through. :func:`normalized` is ``normalize`` of one vector over it, and
with ε = 0 and a variance of 0 (exactly, or a ball at the working precision — 320 bits and more —
that contains 0) one sentence naming the feature (batchnorm) or the sample (layernorm).
"""
from __future__ import annotations

from math import isqrt

from flint import arb, fmpq

from ..spec.errors import DerivcheckError
from ..spec.layer_rules import Arithmetic, Normalized, normalize
from .balls import ONE, Undecided, Undefined, Unevaluable, add, mul

__all__ = ["DOMAIN", "inverse", "square_root", "normalized"]


def square_root(x):
    if type(x) is Undefined:
        return x
    if type(x) is fmpq:
        if x < 0:
            raise Unevaluable("square root of a negative number")
        p, q = int(x.p), int(x.q)
        rp, rq = isqrt(p), isqrt(q)
        return fmpq(rp, rq) if rp * rp == p and rq * rq == q else arb(x).sqrt()
    if x > 0:
        return x.sqrt()
    if x < 0:
        raise Unevaluable("square root of a negative number")
    raise Undecided("square root of a ball that contains 0")


def inverse(x):
    if type(x) is Undefined:
        return x
    if type(x) is fmpq:
        if x == 0:
            raise Unevaluable("division by zero")
        return ONE / x
    if x.contains(0):
        raise Undecided("division by a ball that contains 0")
    return ONE / x


DOMAIN = Arithmetic(add=add, mul=mul, inv=inverse, sqrt=square_root, const=lambda f: fmpq(f.numerator, f.denominator))



def normalized(spec, v: list, k: int, unbiased: bool) -> Normalized:
    """normalize(v); with eps = 0 and a variance of 0 (exactly, or a ball at 320+ bits that contains 0) the sentence."""
    try:
        return normalize(v, spec.eps, DOMAIN, unbiased)
    except (Undecided, Unevaluable):
        if spec.eps != 0:
            raise
        what, over = ("Feature", "sample") if spec.kind == "batchnorm" else ("Sample", "feature")
        raise DerivcheckError(
            f"{what} {k + 1} of {spec.kind} layer {spec.index}'s input has the same value in every {over} and "
            f"eps = 0, so its variance is 0 and x̂ = 0/0; give eps > 0 or data whose {over}s differ there.") from None
