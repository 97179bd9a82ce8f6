"""LaTeX printing of SymPy expressions, names, numbers and user text (formula nodes: symbolic.formulas.render).

Contract
--------
* :class:`DerivLatexPrinter` — a SymPy ``LatexPrinter`` subclass. Symbols made
  by :func:`symbolic.spec.names.symbol_for` (``W2_1_1``, ``u1_2``, ``x_1``, ``L``,
  ``L_1``) print as the file's alias (``w_{5}``, ``net_{h1}``) when the alias
  table has one, else in canonical notation (``W^{(2)}_{11}``). :class:`Num`
  is a number that stays unevaluated inside an expression (so
  ``0.15 \\cdot 0.05 + 0.35`` can be shown before it is summed) and prints
  with the printer's precision; SymPy ``Float``\\ s print with the same
  precision, ``Rational``\\ s as fractions. ``Derivative`` prints as a Leibniz
  fraction, ``Max(0, u)`` as ``\\max``.
* :func:`format_number` — the one number format: ``digits`` significant digits
  (default :data:`DIGITS` = 9), trailing zeros dropped, ``m \\cdot 10^{e}`` for
  very small or large magnitudes.
* :func:`alias_latex` — a tutorial name as math: ``w5`` → ``w_{5}``,
  ``out_o1`` → ``out_{o1}``, ``w_{ij}^{(2)}`` kept; anything else is shown as
  escaped text, never as TeX source.
* :func:`escape_text` — user text (titles, notes, names) for text mode: every
  TeX special character (``\\ { } $ % # & _ ^ ~ < > |``) is escaped and
  non-ASCII characters outside a small table are replaced by a visible code,
  so user text can never run a TeX command (``\\input``, ``\\write18``, ``\\def``).
* :func:`matrix_latex` — a numeric matrix (or a column vector) as a ``bmatrix``
  with the one number format. Symbolic matrix formulas are formula nodes
  (:mod:`symbolic.formulas.nodes`), printed by :func:`symbolic.formulas.render.to_latex`.
"""
from __future__ import annotations

import re
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Mapping, Sequence

import sympy as sp
from sympy.printing.latex import LatexPrinter

from ..spec.errors import DerivcheckError
from ..spec.names import Name, canonical_of_symbol, latex_name, parse_name

__all__ = [
    "DIGITS", "Num", "DerivLatexPrinter", "format_number", "alias_latex", "escape_text", "name_latex",
    "matrix_latex",
]

DIGITS = 9

_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "%": r"\%", "#": r"\#", "&": r"\&",
    "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}", "<": r"\textless{}",
    ">": r"\textgreater{}", "|": r"\textbar{}",
}
# Non-ASCII characters tutorials use, as safe TeX; anything else becomes a visible code point.
_UNICODE = {
    "−": "-", "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''", "…": r"\dots{}",
    "·": r"$\cdot$", "×": r"$\times$", "→": r"$\to$", "←": r"$\leftarrow$", "↓": r"$\downarrow$",
    "∂": r"$\partial$", "∇": r"$\nabla$", "Σ": r"$\Sigma$", "∑": r"$\sum$", "½": r"$\frac{1}{2}$",
    "≈": r"$\approx$", "≤": r"$\le$", "≥": r"$\ge$", "≠": r"$\ne$", "⊙": r"$\odot$", "′": "'", "″": "''",
    "α": r"$\alpha$", "β": r"$\beta$", "γ": r"$\gamma$", "δ": r"$\delta$", "ε": r"$\varepsilon$",
    "η": r"$\eta$", "θ": r"$\theta$", "λ": r"$\lambda$", "μ": r"$\mu$", "σ": r"$\sigma$", "φ": r"$\varphi$",
    "ω": r"$\omega$", "Δ": r"$\Delta$", "é": r"\'{e}", "è": r"\`{e}", "ü": r'\"{u}', "ö": r'\"{o}',
    "ä": r'\"{a}', "\u00a0": "~", "²": r"$^2$", "³": r"$^3$", "¹": r"$^1$",
}
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
          "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
          "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"}


def escape_text(text: str) -> str:
    """User text made safe for LaTeX text mode (see the module contract)."""
    out = []
    for ch in str(text):
        if ch in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[ch])
        elif ch == "\n" or ch == "\t" or ch == "\r":
            out.append(" ")
        elif ord(ch) < 32 or ord(ch) == 127:
            continue
        elif ord(ch) < 128:
            out.append(ch)
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        else:
            out.append(r"\textless{}U+%04X\textgreater{}" % ord(ch))
    return "".join(out)


# --------------------------------------------------------------------------- names
_SIMPLE = re.compile(r"^(?P<base>[A-Za-z]+)(?P<pr>'*)(?:_(?P<sub>[A-Za-z0-9]+)|(?P<num>[0-9]+))?(?P<pr2>'*)$")
_SCRIPT = r"(?:[A-Za-z0-9]|\{[A-Za-z0-9,()']*\})"
_TEXLIKE = re.compile(rf"^[A-Za-z]+'*(?:_{_SCRIPT}(?:\^{_SCRIPT})?|\^{_SCRIPT}(?:_{_SCRIPT})?)?'*$")


def _base(letters: str) -> str:
    return "\\" + letters if letters in _GREEK else letters


def alias_latex(alias: str) -> str:
    """A tutorial's name as LaTeX math: ``w5`` → ``w_{5}``, ``net_h1`` → ``net_{h1}``; unsafe → escaped text."""
    text = alias.strip()
    m = _SIMPLE.match(text)
    if m:
        sub = m["sub"] or m["num"]
        primes = m["pr"] + m["pr2"]
        return _base(m["base"]) + primes + (f"_{{{sub}}}" if sub else "")
    if _TEXLIKE.match(text):
        # only letters, digits, primes, parentheses, commas and well-formed _{…}/^{…}: no TeX command possible
        return text
    return r"\text{" + escape_text(text) + "}"


def name_latex(canonical: str, aliases: Mapping[str, str] | None = None) -> str:
    """The LaTeX of a canonical name, through the alias table (canonical → the file's own name)."""
    if aliases and canonical in aliases:
        return alias_latex(aliases[canonical])
    return latex_name(parse_name(canonical))


# -------------------------------------------------------------------------- numbers
def _decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (sp.Rational, sp.Float, sp.Expr)):
        value = sp.Float(value, 60)
        return Decimal(str(value))
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Fraction):
        with localcontext() as ctx:
            ctx.prec = 60
            return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(str(value))


def format_number(value, digits: int = DIGITS, latex: bool = True) -> str:
    """``value`` to ``digits`` significant digits, trailing zeros dropped (``0.3775``, ``3.51 \\cdot 10^{-5}``)."""
    d = _decimal(value)
    if not d.is_finite():
        raise DerivcheckError(f"{value} is not a finite number and cannot be printed.")
    if d == 0:
        return "0"
    with localcontext() as ctx:
        ctx.prec = digits
        d = +d  # round to `digits` significant digits
    exponent = d.adjusted()
    if -4 <= exponent < digits:
        text = format(d, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    mantissa = d.scaleb(-exponent)
    m = format(mantissa, "f")
    if "." in m:
        m = m.rstrip("0").rstrip(".")
    if latex:
        return f"{m} \\cdot 10^{{{exponent}}}"
    return f"{m}e{exponent}"


class Num(sp.Symbol):
    """A number that SymPy treats as an atom (so ``0.15·0.05`` stays unevaluated) and prints rounded."""

    _counter = 0

    def __new__(cls, value):
        Num._counter += 1
        obj = super().__new__(cls, f"_num{Num._counter}", real=True)
        obj.value = value
        return obj

    def __getnewargs_ex__(self):  # pragma: no cover - pickling is not used
        return ((self.value,), {})


# -------------------------------------------------------------------------- printer
class DerivLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with derivcheck's names, numbers and derivatives."""

    printmethod = "_derivcheck_latex"

    def __init__(self, aliases: Mapping[str, str] | None = None, digits: int = DIGITS, **settings):
        settings.setdefault("mul_symbol", "dot")
        settings.setdefault("order", "none")
        super().__init__(settings)
        self.aliases = dict(aliases or {})
        self.digits = digits

    # names ----------------------------------------------------------------
    def _print_Symbol(self, expr, style="plain"):
        if isinstance(expr, Num):
            text = format_number(expr.value, self.digits)
            return f"\\left({text}\\right)" if text.startswith("-") else text
        try:
            canonical = canonical_of_symbol(expr)
            name = parse_name(canonical)
        except (DerivcheckError, ValueError):
            return super()._print_Symbol(expr, style)
        if expr.name != _ident_of(name):
            return super()._print_Symbol(expr, style)
        return name_latex(str(name), self.aliases)

    # numbers --------------------------------------------------------------
    def _print_Float(self, expr):
        return format_number(expr, self.digits)

    # calculus and functions ------------------------------------------------
    def _print_Derivative(self, expr):
        if len(expr.variables) == 1:
            of = self._print(expr.expr)
            wrt = self._print(expr.variables[0])
            return f"\\frac{{\\partial {of}}}{{\\partial {wrt}}}"
        return super()._print_Derivative(expr)

    def _print_Max(self, expr, exp=None):
        args = ", ".join(self._print(a) for a in expr.args)
        tex = f"\\max\\left({args}\\right)"
        return f"{tex}^{{{exp}}}" if exp else tex


def _ident_of(name: Name) -> str:
    parts = [name.kind + ("" if name.layer is None else str(name.layer))] + [str(i) for i in name.indices]
    return "_".join(parts)


def matrix_latex(rows: Sequence[Sequence], digits: int = DIGITS) -> str:
    """A numeric matrix as ``\\begin{bmatrix}…\\end{bmatrix}`` (a flat sequence is a column vector).

    Documents raise amsmath's ``MaxMatrixCols`` so wide layers fit.
    """
    rows = [r if isinstance(r, (list, tuple)) else [r] for r in rows]
    if not rows or not rows[0]:
        raise DerivcheckError("An empty matrix cannot be printed.")
    body = " \\\\ ".join(" & ".join(format_number(v, digits) for v in r) for r in rows)
    return f"\\begin{{bmatrix}} {body} \\end{{bmatrix}}"
