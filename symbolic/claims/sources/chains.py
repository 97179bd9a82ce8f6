r"""An equation read as chains ``lhs = e1 = e2 = … = value``, each side parsed and classified.

Contract
--------
:func:`read_chains` ``(equation) -> [Chain]``. The equation's text is cut, outside every
bracket and brace, at ``\\`` into rows (a row that starts with ``=`` or ``&=`` continues
the previous row's chain, as in ``aligned``), each row at top-level commas into separate
statements when every piece holds an ``=`` (``w_{11} = 0.5, w_{12} = 0.6``), and each
statement at top-level ``=`` into its sides. ``\begin{aligned}``-style wrappers and ``&``
are ignored, and ``\approx`` is a link like ``=`` (a printed number is judged by its
digits either way); ``\leftarrow``/``\gets``/``:=`` is a link too, and marks the chain
as an update (its left side is the value after the update). Every :class:`Part` keeps its text, its offset in the equation and its
parse by :func:`symbolic.formulas.arithmetic.parse_arithmetic` (or the sentence saying
why it is not arithmetic), and its kind:

* ``number`` — one printed decimal number (maybe signed): the digits are kept as printed;
* ``numeric`` — arithmetic of numbers only;
* ``name`` — a single name or derivative (``net_{h_1}``, ``\frac{\partial E}{\partial w_1}``, ``O(e)``);
* ``symbolic`` — arithmetic with names;
* ``unreadable`` — not arithmetic (a matrix formula, an inequality, prose); the formula checker may read it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...formulas.arithmetic import Apply, Deriv, Node, Num, Op, Ref, names_of, parse_arithmetic
from ...spec.errors import DerivcheckError
from .equations import Equation

__all__ = ["Part", "Chain", "read_chains", "split_top", "MAX_PARTS"]

MAX_PARTS = 200
_APPROX = re.compile(r"\\approx(?![a-zA-Z])|\u2248")
_ASSIGN = re.compile(r"\\leftarrow(?![a-zA-Z])|\\gets(?![a-zA-Z])|:=|\u2190")
_WRAPPER = re.compile(r"\\(?:begin|end)\s*\{\s*(?:aligned|split|gathered|array)\s*\}(?:\s*\{[^{}]*\})?")
_OPEN, _CLOSE = "([{", ")]}"


@dataclass
class Part:
    text: str
    offset: int
    node: Node | None = None
    error: str = ""
    kind: str = "unreadable"

    @property
    def value_text(self) -> str:
        """The printed digits of a ``number`` part (sign included)."""
        return re.sub(r"\s+", "", self.text).replace("\u2212", "-")


@dataclass
class Chain:
    equation: Equation
    parts: list[Part] = field(default_factory=list)
    offset: int = 0  # of the chain's first side in the equation's text
    update: bool = False  # written with ← (w ← w − η ∂L/∂w): the left side is the value after an update

    @property
    def text(self) -> str:
        return " = ".join(p.text for p in self.parts)


def split_top(text: str, sep: str) -> list[tuple[int, str]]:
    """(offset, piece) of ``text`` cut at ``sep`` where no bracket or brace is open (``\\{`` counts as one)."""
    out, depth, start, k = [], 0, 0, 0
    while k < len(text):
        ch = text[k]
        if ch == "\\" and k + 1 < len(text) and text[k + 1] in "{}":
            depth += 1 if text[k + 1] == "{" else -1
            k += 2
            continue
        if text.startswith("\\begin", k) or text.startswith("\\end", k):
            depth += 1 if text[k + 1] == "b" else -1
            k += 4
            continue
        if text.startswith(sep, k) and depth == 0 and not (sep == "=" and _is_relation_part(text, k)):
            out.append((start, text[start:k]))
            k += len(sep)
            start = k
            continue
        if ch == "\\" and sep == "\\\\" and text.startswith("\\\\", k):
            k += 2
            continue
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        k += 1
    out.append((start, text[start:]))
    return out


def _is_relation_part(text: str, k: int) -> bool:
    """An ``=`` that belongs to ``==``, ``<=``, ``>=``, ``!=`` or ``:=`` is not a chain link."""
    before, after = text[k - 1:k], text[k + 1:k + 2]
    return before in ("<", ">", "!", "=", ":") or after == "="


def _is_number(node: Node) -> bool:
    if isinstance(node, Num):
        return True
    return isinstance(node, Op) and node.kind == "neg" and isinstance(node.args[0], Num)


def classify(part: Part) -> None:
    stripped = part.text.strip()
    if not stripped:
        part.error, part.kind = "it is empty", "unreadable"
        return
    try:
        part.node = parse_arithmetic(stripped)
    except DerivcheckError as err:
        part.error = str(err)
        part.kind = "unreadable"
        return
    node = part.node
    if _is_number(node):
        part.kind = "number"
    elif isinstance(node, (Ref, Deriv, Apply)):
        part.kind = "name"
    elif names_of(node):
        part.kind = "symbolic"
    else:
        part.kind = "numeric"


def _pieces(text: str) -> list[tuple[int, str, bool]]:
    """(offset, statement, continues the previous chain) for every row and comma-separated statement."""
    out = []
    for row_at, row in split_top(text, "\\\\"):
        stripped = row.lstrip()
        cont = stripped.startswith("=") or stripped.startswith("&=") or stripped.startswith("& =")
        commas = split_top(row, ",")
        if len(commas) > 1 and all("=" in piece for _, piece in commas):
            out += [(row_at + at, piece, False) for at, piece in commas]
        else:
            out.append((row_at, row, cont))
    return out


def read_chains(equation: Equation) -> list[Chain]:
    """The chains of one equation (see the module contract)."""
    text = _WRAPPER.sub(lambda m: " " * len(m.group()), equation.text).replace("&", " ")
    text = _APPROX.sub(lambda m: "=".ljust(len(m.group())), text)  # a ≈ link is judged like = (by printed digits)
    chains: list[Chain] = []
    for at, piece, cont in _pieces(text):
        assign = _ASSIGN.search(piece)
        if assign:
            piece = piece[:assign.start()] + "=".ljust(len(assign.group())) + piece[assign.end():]
        sides = split_top(piece, "=")
        if cont and chains:
            sides = sides[1:] if not sides[0][1].strip() else sides
        elif not piece.strip():
            continue
        parts = [Part(side.strip(), at + off + (len(side) - len(side.lstrip()))) for off, side in sides[:MAX_PARTS]]
        for part in parts:
            classify(part)
        if cont and chains:
            chains[-1].parts += parts
        else:
            chains.append(Chain(equation, parts, at, update=bool(assign)))
    return chains
