"""Reading: the lark parse tree of a formula turned into raw formula nodes (letters not yet resolved).

Contract
--------
:class:`TreeBuilder` is the lark ``Transformer`` for :data:`symbolic.formulas.grammar.GRAMMAR`
(one method per rule alias). It returns ``(sides, conditions)``: the sides of
the equation chain as nodes of :mod:`symbolic.formulas.nodes`, except that
letters are still :class:`RawName` (the letter as written, with its layer
superscript, subscript text and primes), ``base^{expr}`` that is neither a
layer, a transpose nor a power is a :class:`RawSup`, and a function call is a
:class:`RawCall`; :class:`symbolic.formulas.resolution.Resolver` gives them a
meaning. Every node carries the ``span`` (source columns) it was read from.
Conditions (``\\quad (i = 1)``) are a dict index → value.

Anything the reader refuses (an empty subscript, a sum without an index, a
power over 64, f'', …) raises :class:`ReadFailure` with one sentence and the
source position; :func:`symbolic.formulas.parser.parse_formula` turns it into a
located :class:`symbolic.spec.errors.DerivcheckError`. :func:`parse_indices`
reads a subscript (``ij``, ``12``, ``i,j``) into indices.
"""
from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction

from lark import Token, Transformer, Tree, v_args

from ..spec.rules import ACTIVATIONS
from .nodes import (Add, Const, Deriv, Div, Dot, EDiv, Entry, Hadamard, Juxt, Layer, LayerRef, MatrixLit, Neg, Node,
                    Norm, Pow, Star, Sub, SumIdx, Transpose)
from .raw import (RawCall, RawDeriv, RawName, RawPrime, RawSup, ReadFailure, accent_name, after_d, combine, is_d,
                  leftmost, parse_indices, rightmost_bare, with_span)
from .syntax import passed_on, span_of, spanned_rule, token_span

__all__ = ["TreeBuilder"]


_FN_NAMES = {"f": "f", "g": "f", "\\phi": "f", "\\varphi": "f", "\\exp": "exp", "\\log": "log", "\\ln": "log", "diag": "diag",
             "exp": "exp", "log": "log",
             **{spelling: name for name, rule in ACTIVATIONS.items() for spelling in rule.parser_names}}


def _layer_value(text: str) -> Layer:
    """The layer of ``^{(2)}``, ``^{[l+1]}``, ``^l``, ``^{L-1}``, ``^\\ell``."""
    m = re.search(r"[\(\[{^]\s*(\d+|[a-zA-Z]|\\ell)(?:\s*([+-])\s*(\d+))?\s*[\)\]}]?\s*(?:T|\\top|\\intercal|\\prime|')?"
                  r"\s*\}?\s*$", text.strip())
    assert m is not None, text
    head, sign, off = m.groups()
    head = "l" if head == "\\ell" else head
    if head.isdigit():
        return int(head)
    offset = 0 if sign is None else (int(off) if sign == "+" else -int(off))
    return LayerRef(head, offset)


class TreeBuilder(Transformer):
    """Parse tree → raw nodes (letters still unresolved)."""

    def __init__(self, source: str):
        super().__init__()
        self.source = source

    # ---------------------------------------------------------------- structure
    start = passed_on(0)
    add = spanned_rule(Add, 0, 2)
    sub = spanned_rule(Sub, 0, 2)
    neg = spanned_rule(Neg, 1)
    pos = passed_on(1)
    transpose = spanned_rule(Transpose, 0)
    partial = spanned_rule(Deriv, 3, 7)

    def equation(self, children):
        sides, conds = None, {}
        for c in children:
            if isinstance(c, tuple) and c and c[0] == "chain":
                sides = c[1]
            elif isinstance(c, dict):
                conds = c
        return sides, conds

    def chain(self, children):
        return ("chain", tuple(c for c in children if isinstance(c, Node)))

    def conds(self, children):
        out: dict[str, int] = {}
        for tok in children:
            m = re.search(r"([a-z])\s*=\s*(\d+)", str(tok))
            var, value = m.group(1), int(m.group(2))
            if var in out and out[var] != value:
                raise ReadFailure(f"The condition {tok.strip()} contradicts an earlier one", tok.start_pos)
            out[var] = value
        return out

    # ------------------------------------------------------------------ binary
    @v_args(meta=True)
    def hadamard(self, meta, ch):
        return combine(Hadamard, ch[0], ch[2], span_of(meta))

    @v_args(meta=True)
    def ediv(self, meta, ch):
        return combine(EDiv, ch[0], ch[2], span_of(meta))

    @v_args(meta=True)
    def cdot(self, meta, ch):
        return combine(Dot, ch[0], ch[2], span_of(meta))

    @v_args(meta=True)
    def star(self, meta, ch):
        return combine(Star, ch[0], ch[2], span_of(meta))

    @v_args(meta=True)
    def juxt(self, meta, ch):
        bare = rightmost_bare(ch[0])
        if bare is not None and not isinstance(ch[1], Const):
            fn = self.source[bare.span[0]:bare.arg.span[0]].strip() if bare.span and bare.arg.span else bare.fn
            arg = self.source[bare.arg.span[0]:bare.arg.span[1]] if bare.arg.span else "x"
            nxt = self.source[ch[1].span[0]:ch[1].span[1]] if ch[1].span else "y"
            raise ReadFailure(f"{fn} {arg} {nxt} can be read as {fn}({arg}) {nxt} or as {fn}({arg} {nxt}); "
                              f"write the parentheses", bare.span[0] if bare.span else None)
        return combine(Juxt, ch[0], ch[1], span_of(meta))

    @v_args(meta=True)
    def juxt_sum(self, meta, ch):
        right = self._sum(ch[1], ch[2], (ch[1].start_pos, meta.end_pos))
        return combine(Juxt, ch[0], right, span_of(meta))

    @v_args(meta=True)
    def sum(self, meta, ch):
        return self._sum(ch[0], ch[1], span_of(meta))

    def _sum(self, tok: Token, body: Node, span) -> Node:
        m = re.fullmatch(r"\\sum(?:\s*\\limits)?(?:\s*_\s*(?:\{\s*([a-z])\s*(?:=\s*(\d+)\s*)?\}|([a-z]))"
                         r"(?:\s*\^\s*(?:\{\s*(\d+)\s*\}|(\d)))?)?", str(tok))
        var = m.group(1) or m.group(3)
        lo = m.group(2)
        hi = m.group(4) or m.group(5)
        if var is None:
            raise ReadFailure("A sum needs its index written, like \\sum_{k=1}^{4}", tok.start_pos)
        if hi is not None and lo is None:
            raise ReadFailure("A sum with an upper bound needs a lower bound too, like \\sum_{k=1}^{4}", tok.start_pos)
        if lo is not None and hi is None:
            if int(lo) != 1:
                raise ReadFailure("A sum starting at a bound other than 1 needs an upper bound", tok.start_pos)
            return SumIdx(var, None, None, body, span=span)
        if lo is None:
            return SumIdx(var, None, None, body, span=span)
        lo_i, hi_i = int(lo), int(hi)
        if hi_i < lo_i:
            raise ReadFailure(f"The sum over {var} runs from {lo_i} down to {hi_i}, which is empty", tok.start_pos)
        if hi_i - lo_i > 10_000:
            raise ReadFailure(f"The sum over {var} has {hi_i - lo_i + 1} terms; at most 10001 are supported", tok.start_pos)
        return SumIdx(var, lo_i, hi_i, body, span=span)

    # ----------------------------------------------------------------- postfix
    @v_args(meta=True)
    def subscript(self, meta, ch):
        base, tok = ch
        text = str(tok).strip()[1:].strip()
        if text.startswith("{"):
            text = text[1:-1]
        text = text.strip()
        if not text:
            raise ReadFailure("An empty subscript", tok.start_pos)
        if isinstance(base, RawName) and base.indices is None and not base.primes:
            return RawName(base.letter, base.layer, (), text, 0, base.transposed_layer, span=span_of(meta))
        if isinstance(base, RawName) and base.indices is not None:
            raise ReadFailure("A second subscript on the same letter", tok.start_pos)
        return Entry(base, parse_indices(text, 2, tok.start_pos), span=span_of(meta))

    @v_args(meta=True)
    def layer(self, meta, ch):
        base, tok = ch
        text = str(tok)
        layer = _layer_value(text)
        bare = not re.match(r"\^\s*\{\s*[\(\[]", text)
        if bare and isinstance(base, RawName) and base.letter == "e" and base.layer is None and base.indices is None:
            # e^x, e^{z+1}: an exponential, not a layer
            exp_span = token_span(tok)
            if isinstance(layer, LayerRef):
                head: Node = RawName(layer.var, span=exp_span)
                if layer.offset:
                    off = Const(Fraction(abs(layer.offset)), span=exp_span)
                    head = (Add if layer.offset > 0 else Sub)(head, off, span=exp_span)
            else:  # pragma: no cover - a bare digit is a POWER token
                head = Const(Fraction(layer), span=exp_span)
            return RawSup(base, head, span=span_of(meta))
        transposed = bool(re.search(r"[\)\]]\s*(?:T|\\top|\\intercal)\s*\}", text))
        if isinstance(base, RawName) and base.layer is None and not base.primes and base.power is None:
            named = replace(base, layer=layer, layer_written="bare" if bare else "paren", span=span_of(meta))
            return Transpose(named, span=span_of(meta)) if transposed else named
        if bare:
            head = RawName(layer.var if isinstance(layer, LayerRef) else str(layer), span=token_span(tok))
            return RawSup(base, head, span=span_of(meta))
        raise ReadFailure("A layer superscript like ^{(2)} belongs directly on a letter such as W or a", tok.start_pos)

    @v_args(meta=True)
    def power(self, meta, ch):
        base, tok = ch
        n = int(re.search(r"\d+", str(tok)).group(0))
        if n > 64:
            raise ReadFailure(f"The power {n} is too large (at most 64)", tok.start_pos)
        if isinstance(base, RawName) and base.layer is None and not base.primes and base.power is None:
            return replace(base, power=n, span=span_of(meta))  # W^2: a layer or a square (the resolver decides)
        return Pow(base, n, span=span_of(meta))

    @v_args(meta=True)
    def prime(self, meta, ch):
        base, tok = ch
        if isinstance(base, RawName):
            return replace(base, primes=base.primes + 1, span=span_of(meta))
        return RawPrime(base, span=span_of(meta))

    @v_args(meta=True)
    def supexpr(self, meta, ch):
        base, exponent = ch[0], (ch[3] if len(ch) == 5 else ch[2])
        if isinstance(exponent, Token):
            exponent = RawName(str(exponent), span=token_span(exponent))
        return RawSup(base, exponent, span=span_of(meta))

    # ------------------------------------------------------------------- atoms
    def letter(self, ch):
        tok = ch[0]
        return RawName(str(tok).strip(), span=token_span(tok))

    def number(self, ch):
        tok = ch[0]
        return Const(Fraction(str(tok)), span=token_span(tok))

    @v_args(meta=True)
    def paren(self, meta, ch):
        inner = ch[1]
        return with_span(inner, span_of(meta))

    @v_args(meta=True)
    def group(self, meta, ch):
        return with_span(ch[1], span_of(meta))

    @v_args(meta=True)
    def frac(self, meta, ch):
        num, den = ch[2], ch[5]
        wrt = after_d(den)
        if wrt is not None:  # \frac{dL}{dW}, \frac{d}{dW}: a derivative written with d
            d_pos = leftmost(den).span[0] if leftmost(den).span else None
            if is_d(num):
                return RawDeriv(None, wrt, open=True, d_pos=d_pos, span=span_of(meta))
            of = after_d(num)
            if of is not None:
                return RawDeriv(of, wrt, d_pos=d_pos, span=span_of(meta))
        if isinstance(num, Const) and isinstance(den, Const):
            if den.value == 0:
                raise ReadFailure("A fraction with denominator 0", meta.start_pos)
            return Const(num.value / den.value, span=span_of(meta))
        return Div(num, den, span=span_of(meta))

    def frac_digits(self, ch):
        tok = ch[0]
        digits = re.findall(r"\d", str(tok))
        if digits[1] == "0":
            raise ReadFailure("A fraction with denominator 0", tok.start_pos)
        return Const(Fraction(int(digits[0]), int(digits[1])), span=token_span(tok))

    @v_args(meta=True)
    def partial_op(self, meta, ch):
        return Deriv(ch[-1], ch[6], span=span_of(meta))

    @v_args(meta=True)
    def nabla(self, meta, ch):
        if len(ch) == 5:
            wrt, of = ch[2], ch[4]
        else:
            wrt, of = RawName(str(ch[1]), span=token_span(ch[1])), ch[2]
        return Deriv(of, wrt, nabla=True, span=span_of(meta))

    @v_args(meta=True)
    def call(self, meta, ch):
        return _make_call(ch[0], ch[1:-3], ch[-2], span_of(meta), bare=False)

    @v_args(meta=True)
    def bare_call(self, meta, ch):
        """\\log x, \\exp u_1: one atom (with its sub- and superscripts) is the argument."""
        return _make_call(ch[0], ch[1:-1], ch[-1], span_of(meta), bare=True)

    @v_args(meta=True)
    def norm(self, meta, ch):
        return Norm(ch[1], span=span_of(meta))

    @v_args(meta=True)
    def matrix(self, meta, ch):
        rows = tuple(tuple(r.children) for r in ch if hasattr(r, "data") and r.data == "mrow")
        return MatrixLit(rows, span=span_of(meta))

    def mrow(self, ch):
        return Tree("mrow", [c for c in ch if isinstance(c, Node)])

    @v_args(meta=True)
    def font(self, meta, ch):
        return with_span(ch[1], span_of(meta))

    @v_args(meta=True)
    def accent(self, meta, ch):
        return RawName(accent_name(str(ch[0]), str(ch[1])), span=span_of(meta))

    @v_args(meta=True)
    def accent_font(self, meta, ch):
        return RawName(accent_name(str(ch[0]), str(ch[2])), span=span_of(meta))

    @v_args(meta=True)
    def accent_bare(self, meta, ch):
        return RawName(accent_name(str(ch[0]), str(ch[1])), span=span_of(meta))

    def word(self, ch):
        tok = ch[0]
        text = re.search(r"\{\s*(\w+)\s*\}", str(tok)).group(1)
        return RawName(text, span=token_span(tok))


def _make_call(tok: Token, suffixes, arg: Node, span, bare: bool) -> "RawCall":
    name = re.sub(r"\\(?:operatorname|mathrm|text)\s*\{\s*(\w+)\s*\}", r"\1", str(tok)).strip()
    fn = _FN_NAMES[name]
    prime, layer = False, None
    for suffix in suffixes:
        for s in suffix.children:
            if s.type == "PRIME":
                if prime:
                    raise ReadFailure("Second derivatives (f'') are not supported", s.start_pos)
                prime = True
            else:
                if layer is not None or fn != "f":
                    raise ReadFailure("A layer superscript is only supported on f, as in f^{(2)}(u)", s.start_pos)
                layer = _layer_value(str(s))
                if re.search(r"\\prime|'", str(s)):  # g^{[1]\prime}: the layer and the derivative in one
                    prime = True
    if prime and (fn in ("diag", "exp", "log") or (fn in ACTIVATIONS and not ACTIVATIONS[fn].elementwise)):
        raise ReadFailure(f"The derivative {name}' is not supported; write it out", tok.start_pos)
    return RawCall(fn, arg, prime, layer, bare, span=span)


