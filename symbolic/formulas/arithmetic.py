r"""The arithmetic a tutorial prints, read with a lark grammar and evaluated exactly.

Contract
--------
:func:`parse_arithmetic` ``(latex) -> Node`` reads one side of an equation as it
appears in a document: numbers (``0.15``), ``+ - * / \times \cdot ×`` and implicit
products, ``\frac{…}{…}``, powers (``x^2``, ``^{2-1}``), ``e^{…}``, ``\exp(…)``,
``\sigma(…)`` / ``sigmoid(…)``, parentheses of every LaTeX size, ``\sum`` (kept, never
evaluated), the tutorial's names (``w_1``, ``net_{h_1}``, ``\text{out}_{o1}``,
``a''_1``, ``E_{total}``, ``\hat{y}``, ``O(e)``) and derivatives ``\frac{\partial X}{\partial Y}``
(also ``\Delta`` and ``\mathrm{d}``). As tutorials mean them, ``z1`` is one name (not z·1)
and so is ``E_y1`` (the subscript y1); a layer superscript belongs to its name (``z^{(2)}``, ``w_{ij}^{(1)}``). A name applied to a parenthesis (``h(c)``) is kept
as :class:`Apply`: the caller decides, from its aliases, whether that is a name or a
product. Unreadable text raises :class:`DerivcheckError` naming the column; nothing is
ever evaluated as Python.

:func:`evaluate` ``(node, lookup)`` computes a node in the domain of
:mod:`symbolic.truth.balls`: an exact rational (``fmpq``) while only rational
arithmetic is involved, a certified ball (``arb``) once ``exp`` enters. ``lookup``
gives the value of a :class:`Ref` / :class:`Deriv` (or raises :class:`Unbound`).
:func:`names_of` lists the names a node uses; :func:`numbers_of` its printed numbers;
:func:`plain_text` spells a leaf for messages.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Callable, Iterator

from flint import arb, fmpq
from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedInput, VisitError

from ..spec.errors import DerivcheckError, shorten
from ..truth.balls import Unevaluable, add, exact, mul

__all__ = ["Node", "Num", "Ref", "Deriv", "Op", "Call", "Apply", "Total", "Unbound", "parse_arithmetic",
           "evaluate", "names_of", "numbers_of", "name_key", "plain_text", "MAX_LENGTH", "MAX_DIGITS"]

MAX_LENGTH = 5_000
MAX_NESTING = 100
MAX_EXPONENT = 1_000  # |integer powers| kept exact; larger ones are refused
MAX_DIGITS = 100  # characters of one printed number (as in derivation files)

GRAMMAR = r"""
?start: sum
?sum: sum PLUS product              -> add
    | sum MINUS product             -> sub
    | product
?product: product TIMES signed      -> mul
        | product DIV signed        -> div
        | product power             -> implicit
        | signed
?signed: MINUS signed               -> neg
       | PLUS signed                -> pos
       | SUM signed                 -> total
       | power
?power: atom CARET exponent         -> pow
      | atom
exponent: LBRACE sum RBRACE | NUMBER | NAME
?atom: NUMBER                       -> num
     | NAME                         -> ref
     | NAME LPAR sum RPAR           -> apply
     | FUNC LPAR sum RPAR           -> call
     | FUNC LBRACE sum RBRACE       -> call
     | LPAR sum RPAR                -> group
     | LBRACE sum RBRACE            -> group
     | FRAC LBRACE sum RBRACE LBRACE sum RBRACE                 -> frac
     | FRAC LBRACE DIFF sum RBRACE LBRACE DIFF sum RBRACE       -> deriv
     | FRACDIGITS                   -> frac_digits

FRAC.5: /\\[dt]?frac(?![a-zA-Z])/
FRACDIGITS.6: /\\[dt]?frac\s*\d\s*\d/
DIFF.5: /\\partial(?![a-zA-Z])|\\Delta(?![a-zA-Z])|\\mathrm\s*\{\s*d\s*\}/
FUNC.6: /\\(?:exp|sigma)(?![a-zA-Z])|\\(?:text|mathrm|operatorname)\s*\{\s*(?:sigmoid|exp)\s*\}|(?:sigmoid|exp)(?![A-Za-z_'])/
SUM.5: /\\sum(?![a-zA-Z])(?:\s*\\limits)?(?:\s*_\s*(?:\{[^{}]*\}|[a-z]))?(?:\s*\^\s*(?:\{[^{}]*\}|\w))?/
NAME: /(?:\\(?:text|mathrm|mathit|operatorname)\s*\{\s*[A-Za-z][A-Za-z0-9]*\s*\}|\\(?:hat|bar|tilde)\s*\{\s*[A-Za-z][A-Za-z0-9]*\s*\}|[A-Za-z]+[0-9]*|\\(?:alpha|beta|gamma|delta|eta|theta|lambda|mu|omega|epsilon|varepsilon|tau|phi|psi|rho|xi|zeta|kappa|nu)(?![a-zA-Z]))(?:\s*')*(?:\s*\^\s*\{\s*\(\s*\d+\s*\)\s*\})?(?:\s*_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|[A-Za-z][0-9]*|[0-9]))?(?:\s*\^\s*\{\s*\(\s*\d+\s*\)\s*\})?(?:\s*')*/
NUMBER: /\d+(?:\.\d+)?|\.\d+/
PLUS: "+"
MINUS: "-" | "\u2212"
TIMES.5: /\*|\\times(?![a-zA-Z])|\\cdot(?![a-zA-Z])|\u00d7|\u00b7/
DIV.5: /\/|\\div(?![a-zA-Z])/
CARET: "^"
LPAR.5: /\\left\s*[\(\[]|\\[bB]igg?l?\s*[\(\[]|[\(\[]/
RPAR.5: /\\right\s*[\)\]]|\\[bB]igg?r?\s*[\)\]]|[\)\]]/
LBRACE: "{"
RBRACE: "}"
SPACING.8: /\\[,;:! ]|\\q?quad(?![a-zA-Z])|\\displaystyle(?![a-zA-Z])|&|\\\\/
WS: /\s+/
%ignore WS
%ignore SPACING
"""


class Unbound(Exception):
    """A name the lookup cannot give a value for."""


@dataclass(frozen=True)
class Node:
    """An arithmetic expression node."""


@dataclass(frozen=True)
class Num(Node):
    text: str  # the digits as printed


@dataclass(frozen=True)
class Ref(Node):
    text: str  # the name as written, e.g. net_{h_1}

    @property
    def key(self) -> str:
        return name_key(self.text)


@dataclass(frozen=True)
class Deriv(Node):
    of: Node
    wrt: Node


@dataclass(frozen=True)
class Op(Node):
    kind: str  # + - * / ^ neg
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Call(Node):
    fn: str  # exp | logistic (σ, sigmoid)
    arg: Node


@dataclass(frozen=True)
class Apply(Node):
    """``name(arg)``: a name such as O(e) or h(c), or a product — decided by the caller."""
    head: str
    arg: Node
    text: str


@dataclass(frozen=True)
class Total(Node):
    """A ``\\sum`` without explicit terms: never evaluated."""
    body: Node


def name_key(text: str) -> str:
    """A name's spelling without LaTeX decoration: ``\\text{out}_{o1}`` and ``out_o1`` both give ``outo1``."""
    text = re.sub(r"\\(?:text|mathrm|mathit|operatorname)\s*\{([^{}]*)\}", r"\1", text)
    text = re.sub(r"\\(hat|bar|tilde)\s*\{([^{}]*)\}", r"\1\2", text)
    return re.sub(r"[\s{}_\\]", "", text)


class _Build(Transformer):
    def __init__(self, source: str):
        super().__init__()
        self.source = source

    def num(self, c):
        if len(c[0]) > MAX_DIGITS:
            raise DerivcheckError(f"a number written with {len(c[0]):,} characters, more than the {MAX_DIGITS} "
                                  f"derivcheck reads")
        return Num(str(c[0]))

    def ref(self, c):
        return Ref(str(c[0]).strip())

    def apply(self, c):
        head, arg = str(c[0]).strip(), c[2]
        return Apply(head, arg, f"{head}({plain_text(arg)})")

    def call(self, c):
        fn = "exp" if "exp" in str(c[0]) else "logistic"
        return Call(fn, c[2])

    def group(self, c):
        return c[1]

    def frac(self, c):
        return Op("/", (c[2], c[5]))

    def deriv(self, c):
        return Deriv(c[3], c[7])

    def frac_digits(self, c):
        digits = re.findall(r"\d", str(c[0]))
        return Op("/", (Num(digits[0]), Num(digits[1])))

    def exponent(self, c):
        item = c[1] if len(c) == 3 else c[0]
        if isinstance(item, Token):
            return Num(str(item)) if item.type == "NUMBER" else Ref(str(item).strip())
        return item

    def pow(self, c):
        base, power = c[0], c[2]
        if base == Ref("e"):
            return Call("exp", power)
        return Op("^", (base, power))

    def add(self, c):
        return Op("+", (c[0], c[2]))

    def sub(self, c):
        return Op("-", (c[0], c[2]))

    def mul(self, c):
        return Op("*", (c[0], c[2]))

    def implicit(self, c):
        return Op("*", (c[0], c[1]))

    def div(self, c):
        return Op("/", (c[0], c[2]))

    def neg(self, c):
        return Op("neg", (c[1],))

    def pos(self, c):
        return c[1]

    def total(self, c):
        return Total(c[1])


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", maybe_placeholders=False, keep_all_tokens=True)


def _nesting(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch in "({[":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")}]":
            depth -= 1
    return deepest


def parse_arithmetic(latex: str) -> Node:
    """One side of a document equation → :class:`Node` (see the module contract)."""
    if len(latex) > MAX_LENGTH:
        raise DerivcheckError(f"the expression has {len(latex):,} characters, more than the {MAX_LENGTH:,} read")
    if _nesting(latex) > MAX_NESTING:
        raise DerivcheckError(f"the expression nests brackets more than {MAX_NESTING} deep")
    try:
        tree = _parser().parse(latex)
        return _Build(latex).transform(tree)
    except UnexpectedInput as err:
        col = getattr(err, "column", None)
        near = latex[max(0, err.pos_in_stream or 0):][:20] if getattr(err, "pos_in_stream", None) is not None else ""
        raise DerivcheckError(f"it is not arithmetic derivcheck reads (at column {col}: {shorten(near, 20)!r})") from None
    except VisitError as err:
        if isinstance(err.orig_exc, DerivcheckError):
            raise err.orig_exc from None
        raise DerivcheckError("it is not arithmetic derivcheck reads") from None
    except (LarkError, RecursionError):
        raise DerivcheckError("it is not arithmetic derivcheck reads") from None


def plain_text(node: Node) -> str:
    """A short spelling of a leaf for messages: a number or name as written, ``dX/dY``, else ``…``."""
    if isinstance(node, (Num, Ref, Apply)):
        return node.text
    if isinstance(node, Deriv):
        return f"d{plain_text(node.of)}/d{plain_text(node.wrt)}"
    return "…"


def walk(node: Node) -> Iterator[Node]:
    yield node
    for child in _children(node):
        yield from walk(child)


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Op):
        return node.args
    if isinstance(node, (Call, Apply, Total)):
        return (node.arg,) if not isinstance(node, Total) else (node.body,)
    return ()


def names_of(node: Node) -> list[Node]:
    """The names (Ref, Deriv, Apply) a node uses, outermost first, each once."""
    out: list[Node] = []
    for n in walk(node):
        if isinstance(n, (Ref, Deriv, Apply)) and n not in out:
            out.append(n)
    return out


def numbers_of(node: Node) -> list[str]:
    return [n.text for n in walk(node) if isinstance(n, Num)]


def _power(base, n):
    if isinstance(n, fmpq) and n.q == 1 and abs(int(n.p)) <= MAX_EXPONENT:
        k = int(n.p)
        if isinstance(base, fmpq):
            if base == 0 and k < 0:
                raise Unevaluable("a power of 0 with a negative exponent")
            return base ** k
        return base ** k
    if isinstance(n, fmpq) and n.q == 1:
        raise Unevaluable(f"a power with exponent {n}, beyond the {MAX_EXPONENT} derivcheck evaluates")
    b = arb(base) if isinstance(base, fmpq) else base
    if not b > 0:
        raise Unevaluable("a non-integer power of a number that is not positive")
    return (b.log() * (arb(n) if isinstance(n, fmpq) else n)).exp()


def _exp(x):
    if isinstance(x, fmpq) and x == 0:
        return fmpq(1)
    b = arb(x) if isinstance(x, fmpq) else x
    if b > 100_000:
        raise Unevaluable("e to a power over 100,000")
    return b.exp()


def evaluate(node: Node, lookup: Callable[[Node], object] | None = None):
    """The exact value of ``node`` (fmpq, or a certified arb ball at the working precision)."""
    if isinstance(node, Num):
        return exact(Fraction(node.text))
    if isinstance(node, (Ref, Deriv, Apply)):
        if lookup is None:
            raise Unbound(node)
        return lookup(node)
    if isinstance(node, Total):
        raise Unbound(node)
    if isinstance(node, Call):
        x = evaluate(node.arg, lookup)
        if node.fn == "exp":
            return _exp(x)
        return 1 / (1 + _exp(-x))
    args = [evaluate(a, lookup) for a in node.args]
    if node.kind == "+":
        return add(args)
    if node.kind == "-":
        return add([args[0], -args[1]])
    if node.kind == "*":
        return mul(args)
    if node.kind == "neg":
        return -args[0]
    if node.kind == "/":
        d = args[1]
        if (isinstance(d, fmpq) and d == 0) or (isinstance(d, arb) and d.contains(0)):
            raise Unevaluable("a division by zero")
        return args[0] / d
    return _power(args[0], args[1])
