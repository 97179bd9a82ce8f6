r"""Read a formula claim about a ``conv2d`` layer (LaTeX) and give its names their meaning.

Contract
--------
:func:`read_conv_formula` ``(latex) -> ConvFormula``: the sides of ``A = B = …`` as trees of the node
classes below, parsed by :data:`symbolic.formulas.conv_grammar.CONV_GRAMMAR` (lark, LALR); names
are kept as written (:class:`CSym`; :mod:`symbolic.formulas.conv_meaning` gives them their meaning).
A function's written name (``\operatorname{conv}``, ``full\_conv``, ``\text{Full Convolution}`` …) is read by
the one table :data:`FUNCTION_NAMES` (key by :func:`function_key`) → (operation, mode); any other name is refused
with the nearest name of the table (difflib), when there is one.
Every problem is one
:class:`DerivcheckError` sentence naming the column and what to write instead.

Indices: ``x[c, i+u, j+v]`` (brackets, NumPy's 0-based indices) or ``x_{c,i,j}`` / ``\delta_{ij}``
(subscripts, 1-based); an index is a letter, a whole number, or a sum of them with whole multiples.

Safety: the text is only tokenized by the grammar; nothing reaches eval/exec/sympify.
"""
from __future__ import annotations

import difflib
import re
from fractions import Fraction

from lark import Transformer, v_args
from lark.exceptions import UnexpectedToken

from ..spec.errors import DerivcheckError
from .conv_grammar import CONV_GRAMMAR
from .conv_nodes import (CArr, CBin, CDeriv, CFn, CIdx, CNeg, CNode, CNum, COp, CSum, CSym, ConvFormula, IX,
                         cwalk)
from .raw import ReadFailure
from .syntax import (checked_text, cleaned_source, lalr_parser, position, passed_on,
                     reading_errors, span_of, spanned_rule)

__all__ = ["CNode", "CSym", "CArr", "CIdx", "IX", "COp", "CFn", "CSum", "CBin", "CNeg", "CNum", "CDeriv",
           "ConvFormula", "read_conv_formula", "cwalk", "FUNCTION_NAMES", "function_key"]

# Every function name read (docs/formulas.md, "Convolution formulas", lists them all): its key — lower case, the
# words joined by _ — and (operation, the mode the name gives: None = a mode subscript or a third argument \text{full}
# / \text{valid} may give it, else the one whose size is the left side's). conv is the sliding product (or, with
# symbols "*" = "flipped", the mathematical convolution), corr the cross-correlation; dilate / pad / crop take one map.
FUNCTION_NAMES: dict[str, tuple[str, str | None]] = {
    "conv": ("conv", None),
    "conv2d": ("conv", None),
    "convolution": ("conv", None),
    "full_conv": ("conv", "full"),
    "conv_full": ("conv", "full"),
    "full_convolution": ("conv", "full"),
    "convolution_full": ("conv", "full"),
    "valid_conv": ("conv", "valid"),
    "conv_valid": ("conv", "valid"),
    "valid_convolution": ("conv", "valid"),
    "convolution_valid": ("conv", "valid"),
    "corr": ("corr", None),
    "xcorr": ("corr", None),
    "correlation": ("corr", None),
    "cross_correlation": ("corr", None),
    "full_corr": ("corr", "full"),
    "full_xcorr": ("corr", "full"),
    "full_correlation": ("corr", "full"),
    "full_cross_correlation": ("corr", "full"),
    "valid_corr": ("corr", "valid"),
    "valid_xcorr": ("corr", "valid"),
    "valid_correlation": ("corr", "valid"),
    "valid_cross_correlation": ("corr", "valid"),
    "dilate": ("dilate", None),
    "pad": ("pad", None),
    "crop": ("crop", None),
}


def function_key(token: str) -> str:
    r"""The key of a written function name: ``\text{Full Convolution}`` → ``full_convolution``, ``full\_conv`` →
    ``full_conv`` (the wrapper dropped, lower case, every ``\_`` / ``_`` / ``-`` / space between words one ``_``)."""
    inner = re.fullmatch(r"\\[A-Za-z]+\s*\{(.*)\}", token.strip(), re.S)
    words = re.split(r"(?:\\_|[_\-\s])+", (inner.group(1) if inner else token).strip())
    return "_".join(w for w in words if w).lower()


def _mode(text: str, pos: int) -> str | None:
    m = re.search(r"_\s*\{.*?([A-Za-z]+)\s*\}", text)
    if m is None:
        return None
    mode = m.group(1).lower()
    if mode not in ("full", "valid"):
        raise ReadFailure(f"The mode {m.group(1)} is not read; write _{{\\text{{full}}}} or _{{\\text{{valid}}}} "
                          f"(or no mode: the one that gives the left side's size)", pos)
    return mode


def _letters(text: str) -> list[IX]:
    return [IX(((ch, 1),)) for ch in text]


class _Builder(Transformer):
    # ---------------------------------------------------------------- index expressions
    def i_num(self, ch):
        return IX((), int(ch[0]))

    def i_name(self, ch):
        return IX(((str(ch[0]), 1),)) if len(ch[0]) == 1 else ("many", str(ch[0]))

    def i_scaled(self, ch):
        return IX(((str(ch[-1]), int(ch[0])),))

    def i_scaled_right(self, ch):
        return IX(((str(ch[0]), int(ch[-1])),))

    def _ix(self, x, pos=None) -> IX:
        if isinstance(x, tuple):
            raise ReadFailure(f"The index {x[1]} is several letters; separate indices with commas "
                              f"({', '.join(x[1])})", pos)
        return x

    def _join(self, a, b, sign: int) -> IX:
        a, b = self._ix(a), self._ix(b)
        terms: dict[str, int] = dict(a.terms)
        for v, c in b.terms:
            terms[v] = terms.get(v, 0) + sign * c
        return IX(tuple((v, c) for v, c in terms.items() if c), a.const + sign * b.const)

    def i_add(self, ch):
        return self._join(ch[0], ch[2], 1)

    def i_sub(self, ch):
        return self._join(ch[0], ch[2], -1)

    def i_neg(self, ch):
        return self._join(IX(()), ch[1], -1)

    def idxlist(self, ch):
        out = []
        for c in ch:
            if isinstance(c, tuple):
                out.extend(_letters(c[1]) if len(ch) == 1 else [self._ix(c)])
            elif isinstance(c, IX):
                out.append(c)
        return out

    def sub_name(self, ch):
        return _letters(str(ch[0]))

    def sub_number(self, ch):
        return [IX((), int(ch[0]))]

    def sub_list(self, ch):
        return ch[1]

    # ---------------------------------------------------------------- sums
    def item_var(self, ch):
        return ("var", ch[0])

    def item_eq(self, ch):
        return ("eq", self._ix(ch[0]), self._ix(ch[2]))

    def sumitems(self, ch):
        return [c for c in ch if isinstance(c, tuple)]

    def sum_name(self, ch):
        return [("var", IX(((v, 1),))) for v in str(ch[0])], []

    def sum_items(self, ch):
        return ch[1], []

    def sum_substack(self, ch):
        return ch[2], ch[4]

    def sup_number(self, ch):
        return int(ch[0])

    def sup_name(self, ch):
        return None  # a letter as the upper limit: the array's last index

    def sup_group(self, ch):
        x = ch[1]
        return x.const if isinstance(x, IX) and not x.terms else None

    @v_args(meta=True)
    def sumscript(self, meta, ch):
        sub = next(c for c in ch if isinstance(c, tuple))
        ups = [c for c in ch if isinstance(c, int) and not hasattr(c, "type")]
        hi = ups[0] if ups else None
        first, second = sub
        vars_, lo, cons = [], {}, []
        for item in first:
            if item[0] == "var":
                x = item[1]
                names = x[1] if isinstance(x, tuple) else (x.letter(),)
                if None in names:
                    raise ReadFailure("A summation index must be a letter (or letter = number)", meta.start_pos)
                vars_.extend(names)
            elif item[1].letter() and not item[2].terms and not second:
                vars_.append(item[1].letter())
                lo[item[1].letter()] = item[2].const
            else:
                cons.append((item[1], item[2]))
        for item in second:
            if item[0] != "eq":
                raise ReadFailure("The second line of \\substack holds conditions such as i+u=h", meta.start_pos)
            cons.append((item[1], item[2]))
        his = {vars_[-1]: hi} if hi is not None and vars_ else {}
        return tuple(vars_), tuple(lo.items()), tuple(his.items()), tuple(cons)

    @v_args(meta=True)
    def sum(self, meta, ch):
        script = ch[1] if len(ch) == 3 else ((), (), (), ())
        return CSum(*script, ch[-1], span=span_of(meta))

    @v_args(meta=True)
    def juxt_sum(self, meta, ch):
        script = ch[2] if len(ch) == 4 else ((), (), (), ())
        return CBin("*", ch[0], CSum(*script, ch[-1], span=span_of(meta)), span=span_of(meta))

    # ---------------------------------------------------------------- expressions
    start = passed_on(0)
    add = spanned_rule(CBin, 0, 2, head=("+",))
    sub = spanned_rule(CBin, 0, 2, head=("-",))
    mul = spanned_rule(CBin, 0, 2, head=("*",))
    juxt = spanned_rule(CBin, 0, 1, head=("*",))
    neg = spanned_rule(CNeg, 1)
    partial = spanned_rule(CDeriv, 3, 7)
    paren = group = font = passed_on(1)

    def chain(self, ch):
        return [c for c in ch if isinstance(c, CNode)]

    @v_args(meta=True)
    def div(self, meta, ch):
        if isinstance(ch[2], CNum) and ch[2].value == 0:
            raise ReadFailure("A division by 0", ch[1].start_pos)
        return CBin("/", ch[0], ch[2], span=span_of(meta))

    @v_args(meta=True)
    def conv(self, meta, ch):
        return COp("conv", _mode(str(ch[1]), ch[1].start_pos), ch[0], ch[2], span=span_of(meta))

    @v_args(meta=True)
    def corr(self, meta, ch):
        return COp("corr", _mode(str(ch[1]), ch[1].start_pos), ch[0], ch[2], span=span_of(meta))

    @v_args(meta=True)
    def subscript(self, meta, ch):
        return CIdx(ch[0], tuple(ch[2]), False, span=span_of(meta))

    @v_args(meta=True)
    def bracket(self, meta, ch):
        return CIdx(ch[0], tuple(ch[2]), True, span=span_of(meta))

    @v_args(meta=True)
    def name(self, meta, ch):
        return CSym(str(ch[0]), span=span_of(meta))

    @v_args(meta=True)
    def word(self, meta, ch):
        return CSym(re.search(r"\{\s*(\w+)\s*\}", str(ch[0])).group(1), span=span_of(meta))

    @v_args(meta=True)
    def number(self, meta, ch):
        return CNum(Fraction(str(ch[0])), span=span_of(meta))

    @v_args(meta=True)
    def frac(self, meta, ch):
        num, den = ch[2], ch[5]
        if isinstance(num, CSym) and isinstance(den, CSym) and num.text[:1] == den.text[:1] == "d" \
                and len(num.text) > 1 and len(den.text) > 1:
            return CDeriv(CSym(num.text[1:]), CSym(den.text[1:], span=den.span), span=span_of(meta))
        if _is_d(num) and _is_d(den):
            return CDeriv(num.right, den.right, span=span_of(meta))
        if isinstance(den, CNum) and den.value == 0:
            raise ReadFailure("A fraction with denominator 0", meta.start_pos)
        if isinstance(num, CNum) and isinstance(den, CNum):
            return CNum(num.value / den.value, span=span_of(meta))
        return CBin("/", num, den, span=span_of(meta))

    @v_args(meta=True)
    def rot(self, meta, ch):
        text = str(ch[0])
        if "180" not in text and "flip" not in text:
            raise ReadFailure("A rotation is read as rot180, rot_{180} or \\operatorname{rot180}", meta.start_pos)
        return CFn("rot", ch[1], span=span_of(meta))

    def fn_number(self, ch):
        return int(next(c for c in ch if c.type == "NUMBER"))

    def fn_name(self, ch):
        return str(next(c for c in ch if c.type == "NAME"))

    def fn_word(self, ch):
        return re.search(r"\{\s*(\w+)\s*\}", str(next(c for c in ch if c.type == "WORD"))).group(1)

    def args(self, ch):
        return [c for c in ch if isinstance(c, CNode)]

    @v_args(meta=True)
    def func(self, meta, ch):
        pos = meta.start_pos
        key = function_key(str(ch[0]))
        if key not in FUNCTION_NAMES:
            near = difflib.get_close_matches(key, FUNCTION_NAMES, n=1)
            hint = (f"did you mean {near[0]}, or another name docs/formulas.md (\"Convolution formulas\") lists"
                    if near else "write one of the names docs/formulas.md (\"Convolution formulas\") lists")
            raise ReadFailure(f"The function {key} is not read in a formula about a conv2d layer; {hint}", pos)
        fname, named_mode = FUNCTION_NAMES[key]
        sub = ch[1] if len(ch) == 5 else None
        args = ch[-2]
        if fname in ("dilate", "pad", "crop"):
            if len(args) != 1 or isinstance(sub, str):
                raise ReadFailure(f"\\operatorname{{{key}}} takes one argument and a whole-number subscript, e.g. "
                                  f"\\operatorname{{{fname}}}_{{1}}(\\delta)", pos)
            return CFn(fname, args[0], sub, span=span_of(meta))
        mode = sub if isinstance(sub, str) else None
        if len(args) == 3 and isinstance(args[2], CSym):
            mode, args = args[2].text, args[:2]
        example = (f"\\operatorname{{{key}}}(\\delta, K, \\text{{full}})" if named_mode is None
                   else f"{key.replace('_', chr(92) + '_')}(\\delta, K)")
        if len(args) != 2 or sub is not None and not isinstance(sub, str) or \
                (mode is not None and mode.lower() not in ("full", "valid")):
            what = "an optional mode full or valid" if named_mode is None else f"no mode (the name says {named_mode})"
            raise ReadFailure(f"\\operatorname{{{key}}} takes two arrays and {what}, e.g. {example}", pos)
        if named_mode is not None and mode is not None and mode.lower() != named_mode:
            raise ReadFailure(f"The function {key} is the {named_mode} mode, but the mode {mode.lower()} is written "
                              f"too; drop one of them", pos)
        mode = named_mode or (mode.lower() if mode else None)
        return COp(fname, mode, args[0], args[1], span=span_of(meta))


def _is_d(node) -> bool:
    return isinstance(node, CBin) and node.op == "*" and isinstance(node.left, CSym) and node.left.text == "d"


def read_conv_formula(latex: str) -> ConvFormula:
    """Parse ``latex`` (module contract)."""
    source = cleaned_source(checked_text(latex), "dX = \\delta \\ast \\operatorname{rot180}(K)")
    with reading_errors(source, lambda cmd: "read in a formula about a conv2d layer (docs/formulas.md, "
                                            "\"Convolution formulas\", lists what is)"):
        try:
            sides = _Builder().transform(lalr_parser(CONV_GRAMMAR).parse(source))
        except UnexpectedToken as exc:
            if exc.token.type != "CARET":
                raise
            raise DerivcheckError(f"Unsupported LaTeX{position(source, exc.token.start_pos)}: a superscript is not "
                                  f"read in a formula about a conv2d layer; drop layer tags such as ^{{(l)}} or "
                                  f"^{{l+1}} (the formula is about the list's one conv2d layer) and write a rotation as "
                                  f"rot180(K).") from None
    return ConvFormula(tuple(sides), source)
