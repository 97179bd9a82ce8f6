"""The exact zero test: is a difference of two expressions identically 0?

Contract
--------
:func:`is_zero` decides, exactly and never at sampled points, whether an
expression is 0 as a rational function of its free symbols once every
transcendental atom is an independent variable:

* :class:`Rationalizer` replaces each f(·), f'(·) (generic activations),
  exp(·), tanh(·), log(·) and relu step :data:`Step` (·) by a fresh symbol keyed
  by its expanded argument: exp(c·p) = E_p^c for an integer c, tanh and the step
  use their odd/complementary symmetry, a relu-style ``Piecewise`` becomes
  e1 (1 − H) + e2 H with H² = H. Treating the atoms as independent is sound:
  a zero here is zero whatever the real functions are.
* A random rational point first screens out differences that are certainly
  non-zero (a value 0 there proves nothing).
* :func:`numerator` builds the numerator polynomial bottom-up on sparse
  polynomials with the denominator kept as a product of named factors, so
  nothing is ``expand``-ed as a tree (a depth-3 sigmoid proof against the
  closed form takes about a second); a zero numerator proves the expression ≡ 0.
"""
from __future__ import annotations

import random

import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.fields import sfield
from sympy.polys.polyerrors import CoercionFailed, GeneratorsNeeded, PolynomialError
from sympy.polys.rings import PolyElement, ring

__all__ = ["Step", "Rationalizer", "is_zero", "numerator"]

# relu's step H(v) (0 below the kink, 1 above), as an opaque function the Rationalizer knows.
Step = sp.Function("step_relu", real=True)


def _atom_key(arg: sp.Expr) -> sp.Expr:
    return sp.expand(arg)


class Rationalizer:
    """Replace exp/tanh/log/relu-step atoms by fresh symbols, one per distinct (expanded) argument."""

    def __init__(self):
        self.table: dict[tuple[str, sp.Expr], sp.Symbol] = {}
        self.steps: set[sp.Symbol] = set()
        self.memo: dict[sp.Expr, sp.Expr] = {}

    def sym(self, kind: str, arg: sp.Expr) -> sp.Symbol:
        key = (kind, arg)
        if key not in self.table:
            self.table[key] = sp.Dummy(f"{kind}{len(self.table)}")
            if kind == "H":
                self.steps.add(self.table[key])
        return self.table[key]

    def __call__(self, e: sp.Expr) -> sp.Expr:
        if e.is_Atom:
            return e
        if e in self.memo:
            return self.memo[e]
        out = self._convert(e)
        self.memo[e] = out
        return out

    def _convert(self, e: sp.Expr) -> sp.Expr:
        if isinstance(e, sp.Piecewise):
            return self._piecewise(e)
        args = [self(a) for a in e.args]
        if isinstance(e, sp.exp):
            # one symbol per distinct exponent up to an integer factor: exp(c·p) = E(p)^c
            arg = _atom_key(args[0])
            c, p = arg.as_content_primitive()
            if p.could_extract_minus_sign():
                c, p = -c, -p
            if p.is_Number:
                return sp.exp(arg)
            if c.is_Integer:
                return self.sym("E", p) ** int(c)
            return self.sym("E", arg)
        if isinstance(e, sp.tanh):
            arg = _atom_key(args[0])
            if arg.could_extract_minus_sign():
                return -self.sym("T", -arg)
            return self.sym("T", arg)
        if isinstance(e, sp.log):
            return self.sym("Lg", _atom_key(args[0]))
        if isinstance(e, Step):
            arg = _atom_key(args[0])
            if arg.could_extract_minus_sign():
                return 1 - self.sym("H", -arg)
            return self.sym("H", arg)
        if isinstance(e, sp.Function) and len(args) == 1:  # f_name(·), fp_name(·): opaque atoms
            return self.sym(f"F_{e.func.__name__}_", _atom_key(args[0]))
        return e.func(*args) if args else e

    def _piecewise(self, e: sp.Piecewise) -> sp.Expr:
        """relu-style Piecewise((e1, v < 0), (e2, True | v > 0)[, (nan, True)]) → e1 (1 − H) + e2 H."""
        pieces = list(e.args)
        if len(pieces) == 3 and pieces[2].cond == sp.true and pieces[2].expr is sp.nan:
            pieces = pieces[:2]
        if len(pieces) != 2:
            return e
        (e1, c1), (e2, c2) = pieces
        if not isinstance(c1, sp.StrictLessThan) or c1.rhs != 0:
            return e
        v = self(c1.lhs)
        if not (c2 == sp.true or (isinstance(c2, sp.StrictGreaterThan) and c2.rhs == 0 and c2.lhs == c1.lhs)):
            return e
        v = _atom_key(v)
        e1, e2 = self(e1), self(e2)
        if v.could_extract_minus_sign():
            h = self.sym("H", -v)
            return e2 * (1 - h) + e1 * h
        h = self.sym("H", v)
        return e1 * (1 - h) + e2 * h

    def reduce_steps(self, e: sp.Expr) -> sp.Expr:
        if not self.steps:
            return e
        return e.replace(lambda p: p.is_Pow and p.base in self.steps and p.exp.is_Integer and p.exp > 0,
                         lambda p: p.base)


_SCREEN = random.Random(1729)


def _screen_nonzero(d: sp.Expr, steps: set) -> bool:
    """True when ``d`` is certainly not identically 0: it is nonzero at a random rational point.

    Every free symbol (parameters and atoms alike) gets an independent small value; relu steps
    get 0 or 1. A zero value proves nothing, and a division by zero skips the screen.
    """
    values = {}
    for s in d.free_symbols:
        values[s] = sp.Integer(_SCREEN.randint(0, 1)) if s in steps else \
            sp.Rational(_SCREEN.randint(-97, 97) or 1, _SCREEN.randint(1, 13))
    try:
        v = d.xreplace(values)
    except (ZeroDivisionError, TypeError):  # pragma: no cover - sympy returns zoo instead
        return False
    return v.is_Number and v.is_finite is True and v != 0


def is_zero(diff: sp.Expr, rz: Rationalizer) -> bool:
    """Exactly zero as a rational function of the parameters and the (independent) atoms."""
    d = rz(diff)
    if d == 0:
        return True
    if rz.steps:
        d = rz.reduce_steps(sp.expand(d))
        if d == 0:
            return True
    if d.has(sp.Piecewise, sp.nan):
        return False
    if _screen_nonzero(d, rz.steps):
        return False
    num = numerator(d)
    if num is not None:
        return num == 0
    try:  # pragma: no cover - only for expressions the structural conversion does not know
        _, f = sfield(d)
    except (PolynomialError, CoercionFailed, GeneratorsNeeded):  # pragma: no cover
        return sp.expand(sp.numer(sp.together(d))) == 0
    return f == 0  # pragma: no cover


class _NotRational(Exception):
    pass


def numerator(e: sp.Expr) -> PolyElement | sp.Integer | None:
    """The numerator polynomial of ``e`` over its free symbols, or None when ``e`` is not rational.

    ``e`` equals numerator / (product of denominator factors) exactly as rational functions,
    so a zero numerator proves ``e`` ≡ 0. Built bottom-up on sparse polynomials with the
    denominator kept as a product of named factors (one per distinct sub-expression raised to
    a negative power), so a sum over terms sharing a denominator never multiplies it out
    again — much faster than expanding the expression tree (what ``together``/``sfield`` do).
    """
    symbols = sorted(e.free_symbols, key=lambda s: s.sort_key())
    if not symbols:
        return sp.Integer(0) if e == 0 else sp.Integer(1)
    R, *gens = ring(symbols, QQ)
    gen = dict(zip(symbols, gens))
    factors: dict[sp.Expr, object] = {}   # denominator factor key -> polynomial
    memo: dict = {}

    def power(key, k):
        return factors[key] ** k

    def conv(x):
        if x in memo:
            return memo[x]
        if x.is_Symbol:
            out = (gen[x], {})
        elif x.is_Rational:
            out = (R(QQ(int(x.p), int(x.q))), {})
        elif x.is_Add:
            parts = [conv(a) for a in x.args]
            lcm: dict = {}
            for _, den in parts:
                for key, k in den.items():
                    lcm[key] = max(lcm.get(key, 0), k)
            num = R.zero
            for n, den in parts:
                for key, k in lcm.items():
                    missing = k - den.get(key, 0)
                    if missing:
                        n = n * power(key, missing)
                num = num + n
            out = (num, lcm)
        elif x.is_Mul:
            num, den = R.one, {}
            for a in x.args:
                n2, d2 = conv(a)
                num = num * n2
                for key, k in d2.items():
                    den[key] = den.get(key, 0) + k
            out = (num, den)
        elif x.is_Pow and x.exp.is_Integer:
            n, d = conv(x.base)
            k = int(x.exp)
            if k >= 0:
                out = (n ** k, {key: v * k for key, v in d.items()})
            else:
                if n == 0:
                    raise _NotRational
                k = -k
                num = R.one
                for key, v in d.items():
                    num = num * power(key, v * k)
                key = x.base
                factors[key] = n
                out = (num, {key: k})
        else:
            raise _NotRational
        memo[x] = out
        return out

    try:
        return conv(e)[0]
    except _NotRational:
        return None
