r"""Our own LaTeX reader for hand-written backprop formulas (lark, LALR).

Contract
--------
:func:`parse_formula` reads one claim such as ::

    \nabla_{w^{(2)}} L = \left(f\left(W^{(2)} y + b^{(2)}\right) - z\right) \odot f'\left(W^{(2)} y + b^{(2)}\right) y^T

and returns a :class:`Formula`: the sides of the equation chain (``A = B = C``, or an
``aligned`` block with ``&=`` and ``\\``) as :mod:`symbolic.formulas.matrix_form` nodes, plus
conditions that fix an index (``\quad (i = 1)``, ``, i = 1``, ``\text{for } i = 1``).

What it reads: ``\frac``, ``\frac{\partial X}{\partial V}``, ``\frac{\partial}{\partial V} X``,
``\nabla_{V} X``, ``\odot``, ``\oslash``, ``\cdot``, ``\times``, implicit multiplication, ``+ -``,
``^T`` / ``^\top`` / ``(\cdot)^T``, ``^{(l)}`` layers (a number, ``l``, ``l+1``, ``L`` for the
output layer), ``^2`` powers, ``e^{…}``, primes ``f'``, sub/superscripts in either order,
``f(\cdot)``, ``f'(\cdot)``, ``f^{(l)}(\cdot)``, ``\sigma``, ``\phi``, ``\exp``, ``\log``,
``\tanh``, ``\operatorname{softmax|relu|diag}``, ``\left( \right)``, ``\big(`` …, ``[ ]``,
``\| \|``, ``\begin{bmatrix}…\end{bmatrix}`` (and p/v/matrix), ``\sum_{k=1}^{4}`` and
``\sum_k`` (range inferred), ``\mathbf{…}`` and similar fonts (ignored), ``\hat{y}`` names,
spacing commands. Subscripts: ``w_{ij}^{(2)}`` is an entry, ``w_i^{(2)}`` row i of W^{(2)},
``b_i^{(2)}``, ``x_j``, ``y_k``, ``\delta_i^{(2)}`` vector entries; ``_{12}`` on a matrix
means row 1, column 2; ``_{i,j}`` with commas for longer indices.

Precedence: ``+ -`` bind loosest; ``⊙``, ``⊘``, ``\cdot`` and juxtaposition share one
level and associate to the left (``(f(u) − y) ⊙ f'(u) a^T`` is ``((f(u) − y) ⊙ f'(u)) a^T``,
``W^T δ ⊙ f'(u)`` is ``(W^T δ) ⊙ f'(u)``, as the tutorials mean them); a Σ and an operator
``\frac{\partial}{\partial V}`` take the whole product that follows them.

Meaning of letters: ``W``/``w`` weights, ``b`` biases, ``u`` pre-activations, ``a``
activations, ``x`` input, ``y`` target, ``L`` loss, ``\delta`` ∂L/∂u, ``f`` the activation.
The claim's ``symbols`` map overrides or adds letters: its keys are the author's letters
(``z``, ``y``, ``\hat{y}``), its values canonical names (``y``, ``a1``, ``W2``, ``u``, ``a2[1]``,
``delta2``). Nothing is guessed beyond that.

Safety: the text is only ever tokenized by our grammar; no part of it reaches
eval/exec/sympify/parse_expr/lambdify. Anything unsupported is a
:class:`DerivcheckError` with one sentence naming the column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Mapping

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, \
    VisitError

from ..formulas import matrix_form as mf
from ..spec.errors import DerivcheckError, brief
from ..spec.names import parse_name

__all__ = ["Formula", "parse_formula", "GRAMMAR", "MAX_LENGTH", "MAX_NESTING"]

MAX_LENGTH = 5000
MAX_NESTING = 100  # ( [ { levels; tutorials' formulas use fewer than ten

GRAMMAR = r"""
start: equation
equation: chain conds?
        | BEGIN_AL chain NL? END_AL conds?
chain: expr (NL? EQ expr)+ NL?
conds: COND+

?expr: expr PLUS term               -> add
     | expr MINUS term              -> sub
     | term
?term: term ODOT signed             -> hadamard
     | term OSLASH signed           -> ediv
     | term CDOT signed             -> cdot
     | term postfix                 -> juxt
     | term SUM term                -> juxt_sum
     | signed
?signed: MINUS signed               -> neg
       | PLUS signed                -> pos
       | SUM term                   -> sum
       | postfix
?postfix: postfix SUB               -> subscript
        | postfix LAYER             -> layer
        | postfix TRANSPOSE         -> transpose
        | postfix POWER             -> power
        | postfix PRIME             -> prime
        | postfix CARET LBRACE expr RBRACE  -> supexpr
        | postfix CARET LETTER      -> supexpr
        | atom
?atom: LETTER                       -> letter
     | GREEK                        -> letter
     | NUMBER                       -> number
     | LPAR expr RPAR               -> paren
     | LBRACE expr RBRACE           -> group
     | FRAC LBRACE expr RBRACE LBRACE expr RBRACE                 -> frac
     | FRACDIGITS                   -> frac_digits
     | FRAC LBRACE PARTIAL expr RBRACE LBRACE PARTIAL expr RBRACE -> partial
     | FRAC LBRACE PARTIAL RBRACE LBRACE PARTIAL expr RBRACE term -> partial_op
     | NABLA LBRACE expr RBRACE postfix -> nabla
     | NABLA LETTER postfix          -> nabla
     | FNAME fsuffix* LPAR expr RPAR -> call
     | NORML expr NORMR              -> norm
     | BEGIN_MAT mrow (NL mrow)* NL? END_MAT -> matrix
     | FONT expr RBRACE              -> font
     | ACCENT LETTER RBRACE          -> accent
     | ACCENT GREEK RBRACE           -> accent
mrow: expr (AMP expr)*
fsuffix: PRIME | LAYER

COND.9: /(?:,|\\text\s*\{\s*(?:for|if|when|where)\s*\})\s*\(?\s*[a-z]\s*=\s*\d+\s*\)?/
      | /\(\s*[a-z]\s*=\s*\d+\s*\)/
EQ: /&?\s*=/
AMP: "&"
NL: /\\\\/
BEGIN_AL.5: /\\begin\s*\{\s*(?:aligned|align\*?|split|gathered|equation\*?)\s*\}/
END_AL.5: /\\end\s*\{\s*(?:aligned|align\*?|split|gathered|equation\*?)\s*\}/
BEGIN_MAT.5: /\\begin\s*\{\s*[bpvBV]?matrix\s*\}/
END_MAT.5: /\\end\s*\{\s*[bpvBV]?matrix\s*\}/
FRACDIGITS.6: /\\[dt]?frac\s*\d\s*\d/
FRAC.5: /\\[dt]?frac(?![a-zA-Z])/
PARTIAL.5: /\\partial(?![a-zA-Z])/
NABLA.5: /\\nabla\s*_/
SUM.5: /\\sum(?![a-zA-Z])(?:\s*\\limits)?(?:\s*_\s*(?:\{\s*[a-z]\s*(?:=\s*\d+\s*)?\}|[a-z])(?:\s*\^\s*(?:\{\s*\d+\s*\}|\d))?)?/
FNAME.6: /f(?![a-zA-Z])/
       | /\\(?:sigma|varphi|phi|exp|tanh|log|ln)(?![a-zA-Z])/
       | /\\(?:operatorname|mathrm|text)\s*\{\s*(?:softmax|relu|ReLU|diag|sigmoid|tanh|exp|log)\s*\}/
GREEK.5: /\\delta(?![a-zA-Z])/
FONT.5: /\\(?:mathbf|boldsymbol|bm|mathit|vec|mathbfit|mathrm|mathsf)\s*\{/
ACCENT.5: /\\(?:hat|bar|tilde)\s*\{/
LAYER.7: /\^\s*\{\s*\(\s*(?:\d+|[a-zA-Z](?:\s*[+-]\s*\d+)?)\s*\)\s*(?:T|\\top|\\intercal)?\s*\}/
TRANSPOSE.7: /\^\s*(?:T(?![a-zA-Z])|\\top(?![a-zA-Z])|\\intercal(?![a-zA-Z])|\{\s*(?:T|\\top|\\intercal|\\mathsf\s*\{\s*T\s*\}|\\mathrm\s*\{\s*T\s*\})\s*\})/
PRIME.7: /'|\^\s*(?:\\prime(?![a-zA-Z])|\{\s*\\prime\s*\})/
POWER.7: /\^\s*(?:\d|\{\s*\d+\s*\})/
CARET: "^"
SUB.5: /_\s*(?:\{[\sa-z0-9,]*\}|[a-z0-9])/
LETTER: /[A-Za-z]/
NUMBER: /\d+(?:\.\d+)?/
PLUS: "+"
MINUS: "-" | "\u2212"
ODOT.5: /\\odot(?![a-zA-Z])|\u2299|\\circ(?![a-zA-Z])/
OSLASH.5: /\\oslash(?![a-zA-Z])|\u2298/
CDOT.5: /\\cdot(?![a-zA-Z])|\\times(?![a-zA-Z])|\u00b7/
LPAR.5: /\\left\s*[\(\[]|\\[bB]igg?l?\s*[\(\[]|[\(\[]/
RPAR.5: /\\right\s*[\)\]]|\\[bB]igg?r?\s*[\)\]]|[\)\]]/
LBRACE: "{"
RBRACE: "}"
NORML.5: /\\left\s*(?:\\\||\\[lr]?Vert(?![a-zA-Z]))|\\lVert(?![a-zA-Z])|\ue000\ue000/
NORMR.5: /\\right\s*(?:\\\||\\[lr]?Vert(?![a-zA-Z]))|\\rVert(?![a-zA-Z])|\ue001\ue001/
SPACING.8: /\\[,;:! ]|\\q?quad(?![a-zA-Z])|\\displaystyle(?![a-zA-Z])|\\left\s*\.|\\right\s*\.|\\limits(?![a-zA-Z])/
WS: /\s+/
%ignore WS
%ignore SPACING
"""


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)


# ----------------------------------------------------------------------------------- raw nodes
@dataclass(frozen=True)
class _Name(mf.Node):
    """A letter as written, before the symbols map gives it a meaning."""

    letter: str
    layer: mf.Layer = None
    indices: tuple | None = None
    sub_text: str | None = None
    primes: int = 0
    transposed_layer: bool = False


@dataclass(frozen=True)
class _Sup(mf.Node):
    """base^{expr} that is neither a layer, a transpose nor an integer power (e^{…})."""

    base: mf.Node
    exponent: mf.Node


@dataclass(frozen=True)
class _Call(mf.Node):
    fn: str
    arg: mf.Node
    prime: bool
    layer: mf.Layer


@dataclass(frozen=True)
class Formula:
    """A parsed claim: ``sides[0] = sides[1] = …`` with ``conditions`` fixing indices."""

    sides: tuple[mf.Node, ...]
    conditions: dict[str, int]
    source: str

    @property
    def lhs(self) -> mf.Node:
        return self.sides[0]


def _span(meta) -> tuple[int, int] | None:
    if getattr(meta, "empty", True):
        return None
    return (meta.start_pos, meta.end_pos)


def _tok_span(tok: Token) -> tuple[int, int]:
    return (tok.start_pos, tok.end_pos)


_FN_NAMES = {"f": "f", "\\sigma": "sigmoid", "\\phi": "f", "\\varphi": "f", "\\exp": "exp", "\\tanh": "tanh",
             "\\log": "log", "\\ln": "log", "softmax": "softmax", "relu": "relu", "ReLU": "relu", "diag": "diag",
             "sigmoid": "sigmoid", "tanh": "tanh", "exp": "exp", "log": "log"}


def _layer_value(text: str) -> mf.Layer:
    m = re.search(r"\(\s*(\d+|[a-zA-Z])(?:\s*([+-])\s*(\d+))?\s*\)", text)
    assert m is not None
    head, sign, off = m.groups()
    if head.isdigit():
        return int(head)
    offset = 0 if sign is None else (int(off) if sign == "+" else -int(off))
    return mf.LayerRef(head, offset)


def _sub_indices(text: str) -> tuple[str, tuple]:
    body = text.strip()[1:].strip()
    if body.startswith("{"):
        body = body[1:-1]
    return body.strip(), ()


class _Build(Transformer):
    """Parse tree → raw nodes (letters still unresolved)."""

    def __init__(self, source: str):
        super().__init__()
        self.source = source

    # ---------------------------------------------------------------- structure
    def start(self, children):
        return children[0]

    def equation(self, children):
        sides, conds = None, {}
        for c in children:
            if isinstance(c, tuple) and c and c[0] == "chain":
                sides = c[1]
            elif isinstance(c, dict):
                conds = c
        return sides, conds

    def chain(self, children):
        return ("chain", tuple(c for c in children if isinstance(c, mf.Node)))

    def conds(self, children):
        out: dict[str, int] = {}
        for tok in children:
            m = re.search(r"([a-z])\s*=\s*(\d+)", str(tok))
            var, value = m.group(1), int(m.group(2))
            if var in out and out[var] != value:
                raise _Fail(f"The condition {tok.strip()} contradicts an earlier one", tok.start_pos)
            out[var] = value
        return out

    # ------------------------------------------------------------------ binary
    @v_args(meta=True)
    def add(self, meta, ch):
        return mf.Add(ch[0], ch[2], span=_span(meta))

    @v_args(meta=True)
    def sub(self, meta, ch):
        return mf.Sub(ch[0], ch[2], span=_span(meta))

    @v_args(meta=True)
    def hadamard(self, meta, ch):
        return mf.Hadamard(ch[0], ch[2], span=_span(meta))

    @v_args(meta=True)
    def ediv(self, meta, ch):
        return mf.EDiv(ch[0], ch[2], span=_span(meta))

    @v_args(meta=True)
    def cdot(self, meta, ch):
        return mf.Dot(ch[0], ch[2], span=_span(meta))

    @v_args(meta=True)
    def juxt(self, meta, ch):
        return mf.Juxt(ch[0], ch[1], span=_span(meta))

    @v_args(meta=True)
    def juxt_sum(self, meta, ch):
        right = self._sum(ch[1], ch[2], (ch[1].start_pos, meta.end_pos))
        return mf.Juxt(ch[0], right, span=_span(meta))

    @v_args(meta=True)
    def neg(self, meta, ch):
        return mf.Neg(ch[1], span=_span(meta))

    def pos(self, ch):
        return ch[1]

    @v_args(meta=True)
    def sum(self, meta, ch):
        return self._sum(ch[0], ch[1], _span(meta))

    def _sum(self, tok: Token, body: mf.Node, span) -> mf.Node:
        m = re.fullmatch(r"\\sum(?:\s*\\limits)?(?:\s*_\s*(?:\{\s*([a-z])\s*(?:=\s*(\d+)\s*)?\}|([a-z]))"
                         r"(?:\s*\^\s*(?:\{\s*(\d+)\s*\}|(\d)))?)?", str(tok))
        var = m.group(1) or m.group(3)
        lo = m.group(2)
        hi = m.group(4) or m.group(5)
        if var is None:
            raise _Fail("A sum needs its index written, like \\sum_{k=1}^{4}", tok.start_pos)
        if hi is not None and lo is None:
            raise _Fail("A sum with an upper bound needs a lower bound too, like \\sum_{k=1}^{4}", tok.start_pos)
        if lo is not None and hi is None:
            if int(lo) != 1:
                raise _Fail("A sum starting at a bound other than 1 needs an upper bound", tok.start_pos)
            return mf.SumIdx(var, None, None, body, span=span)
        if lo is None:
            return mf.SumIdx(var, None, None, body, span=span)
        lo_i, hi_i = int(lo), int(hi)
        if hi_i < lo_i:
            raise _Fail(f"The sum over {var} runs from {lo_i} down to {hi_i}, which is empty", tok.start_pos)
        if hi_i - lo_i > 10_000:
            raise _Fail(f"The sum over {var} has {hi_i - lo_i + 1} terms; at most 10001 are supported", tok.start_pos)
        return mf.SumIdx(var, lo_i, hi_i, body, span=span)

    # ----------------------------------------------------------------- postfix
    @v_args(meta=True)
    def subscript(self, meta, ch):
        base, tok = ch
        text = str(tok).strip()[1:].strip()
        if text.startswith("{"):
            text = text[1:-1]
        text = text.strip()
        if not text:
            raise _Fail("An empty subscript", tok.start_pos)
        if isinstance(base, _Name) and base.indices is None and not base.primes:
            return _Name(base.letter, base.layer, (), text, 0, base.transposed_layer, span=_span(meta))
        if isinstance(base, _Name) and base.indices is not None:
            raise _Fail("A second subscript on the same letter", tok.start_pos)
        return mf.Entry(base, _parse_indices(text, 2, tok.start_pos), span=_span(meta))

    @v_args(meta=True)
    def layer(self, meta, ch):
        base, tok = ch
        layer = _layer_value(str(tok))
        transposed = bool(re.search(r"\)\s*(?:T|\\top|\\intercal)\s*\}", str(tok)))
        if isinstance(base, _Name) and base.layer is None and not base.primes:
            named = _Name(base.letter, layer, base.indices, base.sub_text, 0, False, span=_span(meta))
            return mf.Transpose(named, span=_span(meta)) if transposed else named
        raise _Fail("A layer superscript like ^{(2)} belongs directly on a letter such as W or a", tok.start_pos)

    @v_args(meta=True)
    def transpose(self, meta, ch):
        return mf.Transpose(ch[0], span=_span(meta))

    @v_args(meta=True)
    def power(self, meta, ch):
        base, tok = ch
        n = int(re.search(r"\d+", str(tok)).group(0))
        if n > 64:
            raise _Fail(f"The power {n} is too large (at most 64)", tok.start_pos)
        return mf.Pow(base, n, span=_span(meta))

    @v_args(meta=True)
    def prime(self, meta, ch):
        base, tok = ch
        if isinstance(base, _Name):
            return _Name(base.letter, base.layer, base.indices, base.sub_text, base.primes + 1,
                         base.transposed_layer, span=_span(meta))
        raise _Fail("A prime (') is only supported on a function name, as in f'(u)", tok.start_pos)

    @v_args(meta=True)
    def supexpr(self, meta, ch):
        base, exponent = ch[0], (ch[3] if len(ch) == 5 else ch[2])
        if isinstance(exponent, Token):
            exponent = _Name(str(exponent), span=_tok_span(exponent))
        return _Sup(base, exponent, span=_span(meta))

    # ------------------------------------------------------------------- atoms
    def letter(self, ch):
        tok = ch[0]
        return _Name(str(tok).strip(), span=_tok_span(tok))

    def number(self, ch):
        tok = ch[0]
        return mf.Const(Fraction(str(tok)), span=_tok_span(tok))

    @v_args(meta=True)
    def paren(self, meta, ch):
        inner = ch[1]
        return _with_span(inner, _span(meta))

    @v_args(meta=True)
    def group(self, meta, ch):
        return _with_span(ch[1], _span(meta))

    @v_args(meta=True)
    def frac(self, meta, ch):
        num, den = ch[2], ch[5]
        if isinstance(num, mf.Const) and isinstance(den, mf.Const):
            if den.value == 0:
                raise _Fail("A fraction with denominator 0", meta.start_pos)
            return mf.Const(num.value / den.value, span=_span(meta))
        return mf.Div(num, den, span=_span(meta))

    def frac_digits(self, ch):
        tok = ch[0]
        digits = re.findall(r"\d", str(tok))
        if digits[1] == "0":
            raise _Fail("A fraction with denominator 0", tok.start_pos)
        return mf.Const(Fraction(int(digits[0]), int(digits[1])), span=_tok_span(tok))

    @v_args(meta=True)
    def partial(self, meta, ch):
        return mf.Deriv(ch[3], ch[7], span=_span(meta))

    @v_args(meta=True)
    def partial_op(self, meta, ch):
        return mf.Deriv(ch[-1], ch[6], span=_span(meta))

    @v_args(meta=True)
    def nabla(self, meta, ch):
        if len(ch) == 5:
            wrt, of = ch[2], ch[4]
        else:
            wrt, of = _Name(str(ch[1]), span=_tok_span(ch[1])), ch[2]
        return mf.Deriv(of, wrt, nabla=True, span=_span(meta))

    @v_args(meta=True)
    def call(self, meta, ch):
        tok = ch[0]
        name = re.sub(r"\\(?:operatorname|mathrm|text)\s*\{\s*(\w+)\s*\}", r"\1", str(tok)).strip()
        fn = _FN_NAMES[name]
        prime, layer = False, None
        for suffix in ch[1:-3]:
            for s in suffix.children:
                if s.type == "PRIME":
                    if prime:
                        raise _Fail("Second derivatives (f'') are not supported", s.start_pos)
                    prime = True
                else:
                    if layer is not None or fn != "f":
                        raise _Fail("A layer superscript is only supported on f, as in f^{(2)}(u)", s.start_pos)
                    layer = _layer_value(str(s))
        if prime and fn in ("softmax", "diag", "exp", "log"):
            raise _Fail(f"The derivative {name}' is not supported; write it out", tok.start_pos)
        return _Call(fn, ch[-2], prime, layer, span=_span(meta))

    @v_args(meta=True)
    def norm(self, meta, ch):
        return mf.Norm(ch[1], span=_span(meta))

    @v_args(meta=True)
    def matrix(self, meta, ch):
        rows = tuple(tuple(r.children) for r in ch if hasattr(r, "data") and r.data == "mrow")
        return mf.MatrixLit(rows, span=_span(meta))

    def mrow(self, ch):
        from lark import Tree
        return Tree("mrow", [c for c in ch if isinstance(c, mf.Node)])

    @v_args(meta=True)
    def font(self, meta, ch):
        return _with_span(ch[1], _span(meta))

    @v_args(meta=True)
    def accent(self, meta, ch):
        kind = re.match(r"\\(\w+)", str(ch[0])).group(1)
        return _Name(f"\\{kind}{{{str(ch[1]).strip()}}}", span=_span(meta))


def _with_span(node: mf.Node, span) -> mf.Node:
    """The same node with a wider source span (parentheses included)."""
    if span is None:
        return node
    import dataclasses
    return dataclasses.replace(node, span=span)


class _Fail(Exception):
    def __init__(self, message: str, pos: int | None):
        super().__init__(message)
        self.message, self.pos = message, pos


def _parse_indices(text: str, want: int, pos: int | None) -> tuple:
    """``ij`` → ('i','j'); ``12`` → (1, 2) when two are wanted, else (12,); ``i,j`` → ('i','j')."""
    if "," in text:
        parts = [p.strip() for p in text.split(",")]
    elif text.isdigit() and want == 1:
        parts = [text]
    else:
        parts = [c for c in text if not c.isspace()]
    out: list = []
    for p in parts:
        if p.isdigit():
            v = int(p)
            if v < 1:
                raise _Fail(f"The subscript {p} is not a valid index (indices start at 1)", pos)
            out.append(v)
        elif re.fullmatch(r"[a-z]", p):
            out.append(p)
        else:
            raise _Fail(f"The subscript {p!r} is not an index; write digits or single letters like i, j", pos)
    return tuple(out)


# ------------------------------------------------------------------------------------- resolution
_DEFAULTS = {"W": ("W", None, ()), "w": ("W", None, ()), "b": ("b", None, ()), "u": ("u", None, ()),
             "a": ("a", None, ()), "x": ("x", None, ()), "y": ("y", None, ()), "L": ("L", None, ()),
             "\\delta": ("delta", None, ())}
_LAYERED = ("W", "b", "u", "a", "delta")


def _target(key: str, value: object) -> tuple[str, int | None, tuple[int, ...]]:
    """A symbols-map value → (kind, layer or None, fixed indices)."""
    if not isinstance(value, str):
        raise DerivcheckError(f"symbols maps {brief(key)} to {brief(value)}; give a canonical name such as \"a1\" or \"y\".")
    text = value.strip()
    m = re.fullmatch(r"(delta|δ)(\d*)(?:\[(\d+)\])?", text)
    if m:
        return "delta", int(m.group(2)) if m.group(2) else None, (int(m.group(3)),) if m.group(3) else ()
    m = re.fullmatch(r"([Wbua])", text)
    if m:
        return m.group(1), None, ()
    try:
        name = parse_name(text)
    except DerivcheckError:
        raise DerivcheckError(
            f"symbols maps {brief(key)} to {brief(value)}, which is not a canonical name; use W2, b1, u2, a1, x, y, L, "
            f"delta2, or an entry such as a1[2].") from None
    return name.kind, name.layer, name.indices


class _Resolver:
    def __init__(self, source: str, symbols: Mapping[str, str]):
        self.source = source
        self.symbols = dict(symbols)
        for key in self.symbols:
            if not isinstance(key, str) or not key.strip():
                raise DerivcheckError(f"symbols has the key {brief(key)}; keys are the author's letters, such as z.")
            if key.strip() in ("f", "\\sigma", "e"):
                raise DerivcheckError(f"symbols may not redefine {key!r}; it is a function name.")
            _target(key, self.symbols[key])

    def fail(self, message: str, node: mf.Node) -> _Fail:
        return _Fail(message, node.span[0] if node.span else None)

    def __call__(self, node: mf.Node) -> mf.Node:
        if isinstance(node, _Name):
            return self.name(node)
        if isinstance(node, _Sup):
            return self.sup(node)
        if isinstance(node, _Call):
            arg = self(node.arg)
            if node.fn == "diag":
                return mf.Diag(arg, span=node.span)
            return mf.Apply(node.fn, arg, node.prime, node.layer, span=node.span)
        if isinstance(node, mf.Juxt) and isinstance(node.left, _Name) and node.left.primes:
            raise self.fail(f"{node.left.letter}' is not a function this reader knows; use f'(…) or \\sigma'(…)",
                            node.left)
        return mf._rebuild(node, self)

    def sup(self, node: _Sup) -> mf.Node:
        base = node.base
        if isinstance(base, _Name) and base.letter == "e" and "e" not in self.symbols and base.layer is None \
                and base.indices is None and not base.primes:
            return mf.Apply("exp", self(node.exponent), span=node.span)
        exponent = node.exponent
        if isinstance(exponent, mf.Neg) and isinstance(exponent.arg, mf.Const) and exponent.arg.value == 1:
            raise self.fail("Inverses (^{-1}) are not supported; write a fraction", node)
        raise self.fail("This superscript is not supported (layers are ^{(2)}, transposes ^T, powers ^2, "
                        "exponentials e^{…})", node)

    def name(self, node: _Name) -> mf.Node:
        letter = node.letter
        if node.primes:
            raise self.fail(f"A prime on {letter} is not supported; only f' and \\sigma' are", node)
        if letter in self.symbols:
            kind, layer, fixed = _target(letter, self.symbols[letter])
        elif letter in _DEFAULTS:
            kind, layer, fixed = _DEFAULTS[letter]
        else:
            hint = " (e is only read as e^{…})" if letter == "e" else ""
            raise self.fail(f"The symbol {letter} is unknown{hint}; say what it means in the claim's symbols, "
                            f"e.g. {{ {letter if re.fullmatch(r'[A-Za-z]', letter) else repr(letter)} = \"y\" }}",
                            node)
        if node.layer is not None:
            if layer is not None:
                raise self.fail(f"{letter} already means a layer-{layer} quantity through symbols, so it cannot "
                                f"take the layer superscript too", node)
            if kind not in _LAYERED:
                raise self.fail(f"{letter} ({kind}) has no layers, so ^{{(…)}} does not apply", node)
            layer = node.layer
        if kind == "a" and layer == 0:
            kind, layer = "x", None
        if kind in _LAYERED and layer is None:
            raise self.fail(f"{letter} needs a layer superscript such as {letter}^{{(2)}}", node)
        var = mf.Var(kind, layer, span=node.span)
        if fixed:
            var = mf.Entry(var, fixed, span=node.span)
        if node.indices is None:
            return var
        if fixed:
            raise self.fail(f"{letter} already means a single entry through symbols, so it cannot take a subscript",
                            node)
        if kind == "L":
            raise self.fail("Subscripts on L are not supported", node)
        want = 2 if kind == "W" else 1
        indices = _parse_indices(node.sub_text, want, node.span[0] if node.span else None)
        return mf.Entry(var, indices, span=node.span)


# ------------------------------------------------------------------------------------------- parse
def _too_deep(source: str) -> int | None:
    """Where ( [ { first nest more than MAX_NESTING deep (checked before parsing, in one pass), or None."""
    depth = 0
    for pos, ch in enumerate(source):
        if ch in "([{":
            depth += 1
            if depth > MAX_NESTING:
                return pos
        elif ch in ")]}":
            depth = max(depth - 1, 0)
    return None


def _position(source: str, pos: int | None) -> str:
    if pos is None:
        return ""
    line = source.count("\n", 0, pos) + 1
    col = pos - (source.rfind("\n", 0, pos) + 1) + 1
    return f" at line {line}, column {col}" if "\n" in source.strip() else f" at column {col}"


def _located(message: str, source: str, pos: int | None) -> str:
    where = _position(source, pos).strip()
    if not where:
        return message + "."
    first = message.split(" ", 1)[0]
    if first == "A" or (len(first) > 1 and first.isalpha() and first[1:].islower()):
        message = message[0].lower() + message[1:]
    return f"{where[0].upper()}{where[1:]}: {message}."


def _snippet(source: str, pos: int) -> str:
    text = source[pos:pos + 16].split("\n")[0]
    return text + ("…" if len(source) > pos + 16 else "")


def _clean(text: str) -> str:
    """Blank out math delimiters and trailing punctuation, keeping every column where it is."""
    out = list(text)
    stripped = text.strip()
    start = len(text) - len(text.lstrip())
    for opener, closer in (("$$", "$$"), ("\\[", "\\]"), ("$", "$")):
        if stripped.startswith(opener) and stripped.endswith(closer) and len(stripped) >= len(opener) + len(closer):
            for k in range(len(opener)):
                out[start + k] = " "
            end = start + len(stripped)
            for k in range(len(closer)):
                out[end - 1 - k] = " "
            break
    cleaned = _pair_norms("".join(out))
    m = re.search(r"[.,;]\s*$", cleaned)
    if m:
        cleaned = cleaned[:m.start()] + " " * (len(cleaned) - m.start())
    return cleaned


_PLAIN_NORM = re.compile(r"\\left\s*(?:\\\||\\Vert(?![a-zA-Z]))|\\right\s*(?:\\\||\\Vert(?![a-zA-Z]))"
                         r"|\\\||\\Vert(?![a-zA-Z])|\u2016")


def _pair_norms(text: str) -> str:
    """Plain ``\\|`` (and ``\\Vert``, ‖) bars alternate open/close; mark them so the grammar can tell.

    Each is replaced by a marker of the same length, so columns stay where they were.
    """
    out, opened = [], False
    last = 0
    for m in _PLAIN_NORM.finditer(text):
        token = m.group(0)
        if token.startswith("\\left") or token.startswith("\\right"):
            continue
        out.append(text[last:m.start()])
        mark = "\ue001" if opened else "\ue000"
        out.append(mark * 2 + " " * (len(token) - 2) if len(token) >= 2 else mark)
        opened = not opened
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def parse_formula(latex: str, symbols: Mapping[str, str] | None = None) -> Formula:
    """Parse a claimed equation; every problem is a one-sentence :class:`DerivcheckError`."""
    if not isinstance(latex, str):
        raise DerivcheckError(f"A formula must be text, not {type(latex).__name__}.")
    if len(latex) > MAX_LENGTH:
        raise DerivcheckError(f"The formula is {len(latex)} characters long; at most {MAX_LENGTH} are supported.")
    if symbols is not None and not isinstance(symbols, Mapping):
        raise DerivcheckError("symbols must be a table such as { z = \"y\", y = \"a1\" }.")
    source = _clean(latex)
    if not source.strip():
        raise DerivcheckError("The formula is empty; write an equation such as \\nabla_{W^{(2)}} L = ….")
    deepest = _too_deep(source)
    if deepest is not None:
        raise DerivcheckError(f"The formula nests brackets more than {MAX_NESTING} deep{_position(source, deepest)}; "
                              f"write it with fewer parentheses or braces.")
    try:
        tree = _parser().parse(source)
        sides, conds = _Build(source).transform(tree)
        resolver = _Resolver(source, symbols or {})
        resolved = tuple(resolver(s) for s in sides)
    except VisitError as exc:
        inner = exc.orig_exc
        if isinstance(inner, _Fail):
            raise DerivcheckError(_located(inner.message, source, inner.pos)) from None
        if isinstance(inner, RecursionError):
            raise DerivcheckError("The formula is nested too deeply to read.") from None
        raise
    except _Fail as exc:
        raise DerivcheckError(_located(exc.message, source, exc.pos)) from None
    except UnexpectedCharacters as exc:
        pos = exc.pos_in_stream
        what = _snippet(source, pos)
        if source[pos] == "\\":
            cmd = re.match(r"\\(?:[a-zA-Z]+|.)?", source[pos:], re.DOTALL)
            raise DerivcheckError(f"Unsupported LaTeX{_position(source, pos)}: the command {cmd.group(0)} is not "
                                  f"read by derivcheck.") from None
        raise DerivcheckError(f"Unsupported LaTeX{_position(source, pos)}: cannot read {what!r} here.") from None
    except UnexpectedEOF:
        raise DerivcheckError("The formula ends too early: a bracket, brace or operand is missing at the end.") \
            from None
    except UnexpectedToken as exc:
        tok = exc.token
        if tok.type == "$END":
            raise DerivcheckError("The formula ends too early: a bracket, brace or operand is missing at the end, "
                                  "or it has no = sign.") from None
        pos = tok.start_pos
        raise DerivcheckError(f"Unsupported LaTeX{_position(source, pos)}: {str(tok).strip()!r} cannot stand there"
                              f"{' (a claim needs the form LEFT = RIGHT)' if tok.type == 'EQ' else ''}.") from None
    except UnexpectedInput as exc:  # pragma: no cover - the three above are all lark raises
        raise DerivcheckError(f"Unsupported LaTeX{_position(source, getattr(exc, 'pos_in_stream', None))}.") from None
    except RecursionError:
        raise DerivcheckError("The formula is nested too deeply to read.") from None
    except LarkError as exc:  # pragma: no cover
        raise DerivcheckError(f"The formula could not be read ({type(exc).__name__}).") from None
    if sides is None or len(sides) < 2:
        raise DerivcheckError("A formula claim needs the form LEFT = RIGHT.")
    return Formula(resolved, conds, source)
