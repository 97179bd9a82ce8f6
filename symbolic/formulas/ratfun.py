"""Exact rational functions over Q in named symbols, on python-flint's multivariate polynomials.

Contract
--------
:class:`RationalFunctions` ``(names)`` is the field Q(names); its :meth:`~RationalFunctions.gens`
are the symbols, :meth:`~RationalFunctions.const` a rational number and ``one`` the unit. A
:class:`RF` is num/den with ``fmpq_mpoly`` numerator and denominator, kept reduced (their gcd
divided out, the denominator's leading coefficient 1), so ``==`` and the zero test are exact;
``+ - * /``, negation and :meth:`RF.constant` (the rational number a constant function is, else
None) are what :mod:`symbolic.formulas.surds` needs; whole numbers and Fractions mix in (``1 − a**2``, as
the rule table's ``prime_of_output`` writes it). flint's C gcd makes this 20–50× faster than
``sympy.polys.fields`` on the batch-norm rules (measured in docs/formulas.md).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from flint import fmpq, fmpq_mpoly, fmpq_mpoly_ctx

__all__ = ["RF", "RationalFunctions"]


class RF:
    """num/den, reduced (module contract)."""

    __slots__ = ("num", "den")

    def __init__(self, num: fmpq_mpoly, den: fmpq_mpoly, reduced: bool = False):
        if not reduced:
            if den.is_zero():
                raise ZeroDivisionError("division by zero")
            if num.is_zero():
                den = den.context().from_dict({(0,) * den.context().nvars(): 1})
            else:
                g = num.gcd(den)
                if not g.is_one():
                    num, den = num / g, den / g
            lc = den.leading_coefficient()
            if lc != 1:
                num, den = num / lc, den / lc
        self.num, self.den = num, den

    def _lift(self, other) -> "RF":
        if isinstance(other, RF):
            return other
        f = Fraction(other)
        one = self.den.context().from_dict({(0,) * self.den.context().nvars(): 1})
        return RF(one * fmpq(f.numerator, f.denominator), one, reduced=True)

    def __add__(self, other) -> "RF":
        other = self._lift(other)
        if self.den == other.den:
            return RF(self.num + other.num, self.den)
        return RF(self.num * other.den + other.num * self.den, self.den * other.den)

    def __neg__(self) -> "RF":
        return RF(-self.num, self.den, reduced=True)

    def __sub__(self, other) -> "RF":
        return self + (-self._lift(other))

    def __radd__(self, other) -> "RF":
        return self + other

    def __rsub__(self, other) -> "RF":
        return self._lift(other) - self

    def __rmul__(self, other) -> "RF":
        return self * other

    def __pow__(self, k: int) -> "RF":
        if not isinstance(k, int) or k < 0:
            raise ValueError("only whole powers ≥ 0 of a rational function are taken here")
        out = self._lift(1)
        for _ in range(k):
            out = out * self
        return out

    def __mul__(self, other) -> "RF":
        other = self._lift(other)
        if self.num.is_zero() or other.num.is_zero():
            return RF(self.num * 0, self.den * 0 + 1, reduced=True)
        g1, g2 = self.num.gcd(other.den), other.num.gcd(self.den)
        n1, d2 = (self.num / g1, other.den / g1) if not g1.is_one() else (self.num, other.den)
        n2, d1 = (other.num / g2, self.den / g2) if not g2.is_one() else (other.num, self.den)
        num, den = n1 * n2, d1 * d2
        lc = den.leading_coefficient()
        return RF(num / lc, den / lc, reduced=True) if lc != 1 else RF(num, den, reduced=True)

    def inverse(self) -> "RF":
        if self.num.is_zero():
            raise ZeroDivisionError("division by zero")
        return RF(self.den, self.num)

    def __truediv__(self, other: "RF") -> "RF":
        return self * other.inverse()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int) and other == 0:
            return self.num.is_zero()
        if not isinstance(other, RF):
            return NotImplemented
        return self.num == other.num and self.den == other.den

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]

    def is_zero(self) -> bool:
        return self.num.is_zero()

    def constant(self) -> Fraction | None:
        """The rational number this is, when it does not depend on any symbol."""
        if not (self.num.is_constant() and self.den.is_constant()):
            return None
        n = self.num.leading_coefficient() if not self.num.is_zero() else fmpq(0)
        value = fmpq(n) / self.den.leading_coefficient()
        return Fraction(int(value.p), int(value.q))

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"({self.num})/({self.den})"


class RationalFunctions:
    """The field Q(names) (module contract)."""

    def __init__(self, names: Sequence[str]):
        self.ctx = fmpq_mpoly_ctx.get(tuple(names), "lex")
        self._zero_monom = (0,) * len(names)
        self._one = self.ctx.from_dict({self._zero_monom: 1})
        self.one = RF(self._one, self._one, reduced=True)

    def const(self, value: Fraction | int) -> RF:
        f = Fraction(value)
        return RF(self._one * fmpq(f.numerator, f.denominator), self._one, reduced=True)

    def gens(self) -> list[RF]:
        return [RF(g, self._one, reduced=True) for g in self.ctx.gens()]
