r"""Exact arithmetic with square roots over a field of rational functions: the proof domain of layer formulas.

Contract
--------
A :class:`Surd` is Σ_S c_S · Π_{k∈S} s_k: coefficients c_S in a field K of rational functions over Q
(:class:`symbolic.formulas.ratfun.RationalFunctions`, reduced and exact), and s_k = √Q_k the square roots met so far, one per
radicand Q_k ∈ K (a :class:`Radicals` holds them, in the order met). Products reduce s_k² to Q_k,
an inverse multiplies by conjugates one root at a time, so every value the layer rules and a
formula compute (sums, products, quotients, √(σ² + ε), (σ² + ε)^(−3/2)) is such a sum.

:func:`surd_arithmetic` is the :class:`symbolic.spec.layer_rules.Arithmetic` of this domain: the
layer rules of batch norm and layer norm run on it unchanged. ``sqrt`` of a field element equal to
a radicand met before returns that root; of a rational square, the rational root; of anything else
a new root (a √ of a value that still holds a root is refused: :class:`NotASurd`).

Zero test (:func:`is_zero`): every coefficient is exactly 0 in K. That proves the value is 0 for
all values of the field's symbols (where it is defined). A nonzero representation is *not* a
proof of a nonzero value (roots need not be independent, e.g. √(4Q) next to √Q); callers certify
a counterexample at a concrete point before calling anything wrong (:mod:`.layer_verify`).
"""
from __future__ import annotations

from fractions import Fraction
from math import isqrt
from typing import Any, Iterable

from ..spec.layer_rules import Arithmetic

__all__ = ["Surd", "Radicals", "NotASurd", "surd_arithmetic", "is_zero"]


class NotASurd(ArithmeticError):
    """A value outside the domain: a root of a root, a root of a negative number, or a division by 0."""


class Radicals:
    """The radicands Q_k of the roots s_k = √Q_k met so far (elements of one field ``K``)."""

    def __init__(self, field: Any):
        self.field = field
        self.radicands: list = []

    def root(self, q) -> int:
        """The index of √q, registered if new."""
        for k, known in enumerate(self.radicands):
            if known == q:
                return k
        self.radicands.append(q)
        return len(self.radicands) - 1


class Surd:
    """Σ_S c_S Π_{k∈S} s_k (see the module contract); ``terms`` maps frozenset S → nonzero c_S."""

    __slots__ = ("terms",)

    def __init__(self, terms: dict):
        self.terms = {k: c for k, c in terms.items() if c != 0}

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return " + ".join(f"({c})·s{sorted(k)}" if k else f"({c})" for k, c in self.terms.items()) or "0"


def is_zero(x: Surd) -> bool:
    """True when every coefficient is exactly 0: the value is 0 for all values of the symbols."""
    return not x.terms


def _add(xs: Iterable[Surd]) -> Surd:
    out: dict = {}
    for x in xs:
        for k, c in x.terms.items():
            out[k] = out[k] + c if k in out else c
    return Surd(out)


def _mul2(x: Surd, y: Surd, rad: Radicals) -> Surd:
    out: dict = {}
    for s, a in x.terms.items():
        for t, b in y.terms.items():
            c = a * b
            for k in s & t:
                c = c * rad.radicands[k]
            key = s ^ t
            out[key] = out[key] + c if key in out else c
    return Surd(out)


def _split(x: Surd, k: int) -> tuple[Surd, Surd]:
    """x = a + b·s_k with a, b free of s_k."""
    a, b = {}, {}
    for s, c in x.terms.items():
        if k in s:
            b[s - {k}] = c
        else:
            a[s] = c
    return Surd(a), Surd(b)


def _inv(x: Surd, rad: Radicals) -> Surd:
    if not x.terms:
        raise NotASurd("division by zero")
    roots = set().union(*x.terms)
    if not roots:
        return Surd({frozenset(): x.terms[frozenset()].inverse()})
    k = max(roots)
    a, b = _split(x, k)
    s_k = Surd({frozenset({k}): rad.field.one})
    q = Surd({frozenset(): rad.radicands[k]})
    norm = _add((_mul2(a, a, rad), _neg(_mul2(_mul2(b, b, rad), q, rad))))  # a² − b² Q_k: free of s_k
    conj = _add((a, _neg(_mul2(b, s_k, rad))))
    return _mul2(conj, _inv(norm, rad), rad)


def _neg(x: Surd) -> Surd:
    return Surd({k: -c for k, c in x.terms.items()})


def _sqrt(x: Surd, rad: Radicals) -> Surd:
    if any(x.terms):
        raise NotASurd("a square root of a value that holds a square root")
    if not x.terms:
        return x
    c = x.terms[frozenset()]
    r = c.constant()
    if r is not None:
        if r < 0:
            raise NotASurd("a square root of a negative number")
        p, q = isqrt(r.numerator), isqrt(r.denominator)
        if p * p == r.numerator and q * q == r.denominator:
            return Surd({frozenset(): rad.field.const(Fraction(p, q))})
    return Surd({frozenset({rad.root(c)}): rad.field.one})


def surd_arithmetic(rad: Radicals) -> Arithmetic:
    """The :class:`Arithmetic` of surds over ``rad.field`` (module contract)."""
    K = rad.field

    def mul(xs):
        out = Surd({frozenset(): K.one})
        for x in xs:
            out = _mul2(out, x, rad)
        return out

    def const(f: Fraction) -> Surd:
        return Surd({frozenset(): K.const(f)})

    return Arithmetic(add=_add, mul=mul, inv=lambda x: _inv(x, rad), sqrt=lambda x: _sqrt(x, rad), const=const)
