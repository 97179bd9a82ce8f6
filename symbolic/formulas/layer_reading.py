r"""Read a formula about a normalization layer (LaTeX) into :mod:`symbolic.formulas.layer_nodes` trees.

Contract
--------
:func:`read_layer_formula` ``(latex) -> LayerFormula``: the sides of the equation chain
``A = B = C`` (or an ``aligned`` block) as :class:`~symbolic.formulas.layer_nodes.LNode` trees with
names as written, parsed by :data:`symbolic.formulas.layer_grammar.LAYER_GRAMMAR` (lark, LALR).
A derivative written with d (``\frac{dL}{dx_i}``, ``\frac{\mathrm{d} L}{\mathrm{d} x}``) is a
:class:`~symbolic.formulas.layer_nodes.Deriv` like ``\frac{\partial L}{\partial x_i}``; an exponent
must be a rational number (``^2``, ``^{-1/2}``, ``^{-\frac{3}{2}}``). Every problem is one
:class:`DerivcheckError` sentence naming the column (the located messages of
:mod:`symbolic.formulas.syntax`).

Safety: the text is only tokenized by the grammar; nothing reaches eval/exec/sympify.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction

from lark import Token, Transformer, v_args

from .layer_grammar import LAYER_GRAMMAR
from .layer_nodes import Bin, Deriv, LNode, Name, Neg, Num, Power, Sqrt, Sub, Sum, Transpose
from .raw import ReadFailure
from .syntax import (checked_text, cleaned_source, lalr_parser, passed_on, reading_errors,
                     span_of, spanned_rule, token_span)

__all__ = ["LayerFormula", "read_layer_formula", "evaluate_constant"]


@dataclass(frozen=True)
class LayerFormula:
    """``sides[0] = sides[1] = …`` as read, with the cleaned source (columns as in the input)."""

    sides: tuple[LNode, ...]
    source: str


def evaluate_constant(node: LNode) -> Fraction | None:
    """The rational number a tree of numbers is (``-1/2``, ``-\\frac{3}{2}``), or None."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Neg):
        v = evaluate_constant(node.arg)
        return None if v is None else -v
    if isinstance(node, Bin):
        a, b = evaluate_constant(node.left), evaluate_constant(node.right)
        if a is None or b is None or (node.op == "/" and b == 0):
            return None
        return a + b if node.op == "+" else a - b if node.op == "-" else a / b if node.op == "/" else a * b
    return None


def _is_d(node: LNode) -> bool:
    return isinstance(node, Name) and node.text == "d"


def _after_d(node: LNode) -> LNode | None:
    """X of the differential ``d X`` (``dL``, ``d L``, ``\\mathrm{d} x_i``), or None."""
    if isinstance(node, Bin) and node.op == "*" and _is_d(node.left):
        return node.right
    if isinstance(node, Name) and len(node.text) > 1 and node.text.startswith("d") and node.text[1:].isalpha():
        return Name(node.text[1:], span=(node.span[0] + 1, node.span[1]) if node.span else None)
    if isinstance(node, Sub) and not node.batch:
        inner = _after_d(node.base)
        if inner is not None:
            return Sub(inner, node.indices, span=node.span)
    return None


_SUM = re.compile(r"_\s*(?:\{\s*(?P<v1>[a-z])\s*(?:=\s*(?P<lo>\d+)\s*)?\}|(?P<v2>[a-z]))"
                  r"(?:\s*\^\s*(?:\{\s*(?P<h1>\d+|[A-Za-z])\s*\}|(?P<h2>\d|[A-Za-z])))?")


class LayerTreeBuilder(Transformer):
    """Parse tree → layer-formula nodes (names as written; :mod:`.layer_symbols` resolves them)."""

    def __init__(self, source: str):
        super().__init__()
        self.source = source

    start = passed_on(0)
    add = spanned_rule(Bin, 0, 2, head=("+",))
    sub = spanned_rule(Bin, 0, 2, head=("-",))
    cdot = spanned_rule(Bin, 0, 2, head=("·",))
    hadamard = spanned_rule(Bin, 0, 2, head=("⊙",))
    star = spanned_rule(Bin, 0, 2, head=("×",))
    div = spanned_rule(Bin, 0, 2, head=("/",))
    neg = spanned_rule(Neg, 1)
    pos = passed_on(1)
    transpose = spanned_rule(Transpose, 0)
    partial = spanned_rule(Deriv, 3, 7)
    sqrt = spanned_rule(Sqrt, 2)
    font = passed_on(1)

    def chain(self, ch):
        return tuple(c for c in ch if isinstance(c, LNode))

    @v_args(meta=True)
    def juxt(self, meta, ch):
        left, right = ch
        if isinstance(left, Bin) and left.op == "*" and _is_d(left.right) and left.right.span and right.span:
            # N d\hat{x}: the differential d takes the symbol after it, not the product before it
            d = Bin("*", left.right, right, span=(left.right.span[0], right.span[1]))
            return Bin("*", left.left, d, span=span_of(meta))
        return Bin("*", left, right, span=span_of(meta))

    @v_args(meta=True)
    def juxt_sum(self, meta, ch):
        return Bin("*", ch[0], self._sum(ch[1], ch[2], meta), span=span_of(meta))

    @v_args(meta=True)
    def sum(self, meta, ch):
        return self._sum(ch[0], ch[1], meta)

    def _sum(self, tok: Token, body: LNode, meta) -> Sum:
        m = _SUM.search(str(tok))
        if m is None:
            return Sum(None, None, None, body, span=(tok.start_pos, span_of(meta)[1] if span_of(meta) else tok.end_pos))
        var = m.group("v1") or m.group("v2")
        lo = int(m.group("lo")) if m.group("lo") else None
        hi_text = m.group("h1") or m.group("h2")
        hi: int | str | None = int(hi_text) if hi_text and hi_text.isdigit() else hi_text
        return Sum(var, lo, hi, body, span=(tok.start_pos, body.span[1] if body.span else tok.end_pos))

    @v_args(meta=True)
    def subscript(self, meta, ch):
        base, tok = ch
        text = str(tok).strip()[1:].strip()
        if text.startswith("{"):
            text = text[1:-1].strip()
        if not text:
            raise ReadFailure("An empty subscript", tok.start_pos)
        if isinstance(base, Sub):
            raise ReadFailure("A second subscript on the same symbol", tok.start_pos)
        if re.fullmatch(r"B|\\mathcal\s*\{\s*B\s*\}", text):
            return Sub(base, (), batch=True, span=span_of(meta))
        squashed = text.replace(" ", "")
        parts = [p.strip().replace(" ", "") for p in text.split(",")] if "," in text else \
            [squashed] if re.fullmatch(r"[A-Za-z][+-]\d+", squashed) else list(squashed)
        if any(not re.fullmatch(r"[A-Za-z](?:[+-]\d+)?|\d+", p) for p in parts) or len(parts) > 2:
            raise ReadFailure(f"The subscript {text!r} is not one or two indices (letters such as i, j or "
                              f"numbers such as 1, 2; write x_{{i,j}} with a comma for longer ones)", tok.start_pos)
        return Sub(base, tuple(int(p) if p.isdigit() else p for p in parts), span=span_of(meta))

    @v_args(meta=True)
    def power(self, meta, ch):
        return self._power(ch[0], ch[3], meta, ch[1].start_pos)

    @v_args(meta=True)
    def power_char(self, meta, ch):
        return self._power(ch[0], Num(Fraction(int(str(ch[2]).strip()))), meta, ch[1].start_pos)

    def _power(self, base: LNode, exponent: LNode, meta, pos: int) -> Power:
        value = evaluate_constant(exponent)
        if value is None:
            raise ReadFailure("An exponent must be a number such as 2, -1/2 or -\\frac{3}{2}", pos + 1)
        if value.denominator not in (1, 2):
            raise ReadFailure(f"The exponent {value} is not read: only whole and half powers are (such as "
                              f"2, -1/2, -3/2)", pos + 1)
        return Power(base, value, caret=pos, span=span_of(meta))

    @v_args(meta=True)
    def name(self, meta, ch):
        tok = ch[0]
        text = str(tok)
        return Name(text if text.startswith("\\") or text.isascii() else _GREEK.get(text, text), span=token_span(tok))

    def number(self, ch):
        tok = ch[0]
        return Num(Fraction(str(tok)), span=token_span(tok))

    @v_args(meta=True)
    def paren(self, meta, ch):
        return replace(ch[1], span=span_of(meta))

    @v_args(meta=True)
    def group(self, meta, ch):
        return replace(ch[1], span=span_of(meta))

    @v_args(meta=True)
    def frac(self, meta, ch):
        num, den = ch[2], ch[5]
        wrt = _after_d(den)
        of = _after_d(num)
        if wrt is not None and of is not None:
            return Deriv(of, wrt, span=span_of(meta))
        a, b = evaluate_constant(num), evaluate_constant(den)
        if b == 0:
            raise ReadFailure("A fraction with denominator 0", meta.start_pos)
        if a is not None and b is not None:
            return Num(a / b, span=span_of(meta))
        return Bin("/", num, den, span=span_of(meta))

    @v_args(meta=True)
    def frac_digits(self, meta, ch):
        digits = re.findall(r"\d", str(ch[0]))
        if digits[1] == "0":
            raise ReadFailure("A fraction with denominator 0", meta.start_pos)
        return Num(Fraction(int(digits[0]), int(digits[1])), span=span_of(meta))

    @v_args(meta=True)
    def accent(self, meta, ch):
        letter = str(ch[1])
        return Name("\\hat{" + _GREEK.get(letter, letter) + "}", span=span_of(meta))

    @v_args(meta=True)
    def accent_font(self, meta, ch):
        return Name("\\hat{" + str(ch[2]) + "}", span=span_of(meta))

    def word(self, ch):
        tok = ch[0]
        return Name(re.search(r"\{\s*(\w+)\s*\}", str(tok)).group(1), span=token_span(tok))


_GREEK = {"α": "\\alpha", "β": "\\beta", "γ": "\\gamma", "δ": "\\delta", "ε": "\\epsilon", "η": "\\eta",
          "θ": "\\theta", "λ": "\\lambda", "μ": "\\mu", "ν": "\\nu", "ρ": "\\rho", "σ": "\\sigma", "τ": "\\tau",
          "φ": "\\phi", "ψ": "\\psi", "ω": "\\omega", "ℓ": "\\ell"}


def read_layer_formula(latex: str) -> LayerFormula:
    """Read ``latex`` (module contract); every problem is a one-sentence :class:`DerivcheckError`."""
    source = cleaned_source(checked_text(latex), "dx = …")
    with reading_errors(source, lambda cmd: "read in a formula about a layer of a layer list "
                                            "(docs/formulas.md lists what is)"):
        sides = LayerTreeBuilder(source).transform(lalr_parser(LAYER_GRAMMAR).parse(source))
    return LayerFormula(tuple(sides), source)
