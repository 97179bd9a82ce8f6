r"""The table of small edits the repair search tries on a wrong formula, one entry per kind of slip.

Contract
--------
:data:`EDITS` maps an edit's name to a generator ``(source, sides, lhs_free, depth) -> Iterator[Edit]``:
``source`` is the formula's (cleaned) LaTeX, ``sides`` the parsed right-hand sides (nodes with
source spans), ``lhs_free`` the free indices of the left side, ``depth`` the network's depth.
An :class:`Edit` replaces the source columns ``[start, end)`` by ``text`` and says what it did in
the author's own notation (``(W^{(2)})^T replaces W^{(2)}``); edits are text edits, so the repaired
formula is the author's formula with one change, and it is read and proved again from scratch.

The entries:

``transpose``   a transpose added to or removed from one factor;
``layer``       one symbol's layer number one up or one down (``W^{(1)}`` for ``W^{(2)}``, ``z_2`` → ``z_1``);
``swap``        the two indices of one entry swapped (``w_{ji}`` for ``w_{ij}``);
``index``       a fixed index replaced by a free index of the left side (``u_i^{(1)}`` for ``u_1^{(1)}``);
``f-prime``     f' moved to another layer: its argument's layers shifted by one, or the factor
                ``⊙ f'(…)`` moved out of the group it stands in (``((W^{(2)})^T (…)) ⊙ f'(u^{(1)})``);
``product``     ⊙ replaced by a matrix product, or a product by ⊙;
``factor``      a factor ½ or 2 put in front of a right side, or one taken away;
``sum``         a Σ over an index the right side uses but the left side does not;
``sign``        a right side negated, a leading minus dropped, or a difference turned round.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterator, Sequence

from ..spec.errors import shorten
from .nodes import (Apply, Const, Dot, EDiv, Entry, Hadamard, Juxt, MatMul, Neg, Node, Star, Sub, SumIdx, Transpose,
                    Var, children, free_indices, walk)

__all__ = ["Edit", "EDITS", "apply_edits"]


@dataclass(frozen=True)
class Edit:
    kind: str          # the EDITS entry
    start: int         # source columns replaced, [start, end)
    end: int
    text: str          # the replacement
    description: str   # what it did, in the author's notation

    @property
    def column(self) -> int:
        return self.start + 1


def apply_edits(source: str, edits: Sequence[Edit]) -> str:
    """``source`` with the (non-overlapping) edits applied, latest first so columns stay valid."""
    out = source
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        out = out[:e.start] + e.text + out[e.end:]
    return out


def _text(source: str, node: Node) -> str:
    return source[node.span[0]:node.span[1]] if node.span else ""


def _squash(text: str) -> str:
    """The author's text on one line, cut to 48 characters for a sentence."""
    return shorten(re.sub(r"\s+", " ", text).strip(), 48)


def _edit(kind: str, source: str, start: int, end: int, text: str, what: str | None = None) -> Edit:
    old = _squash(source[start:end])
    desc = what or (f"{_squash(text)} replaces {old}" if old else f"{_squash(text)} is inserted")
    return Edit(kind, start, end, text, desc)


def _nodes(sides: Sequence[Node]) -> Iterator[Node]:
    for side in sides:
        for n in walk(side):
            if n.span is not None:
                yield n


_PRODUCTS = (Juxt, Hadamard, MatMul, Dot, Star, EDiv)


# ------------------------------------------------------------------------------------------ edits
def _transpose(source: str, sides, lhs_free, depth) -> Iterator[Edit]:
    parents = {id(c): n for n in _nodes(sides) for c in children(n)}
    for n in _nodes(sides):
        t = _text(source, n)
        if isinstance(n, Transpose):
            if n.arg.span and n.arg.span != n.span:
                yield _edit("transpose", source, n.span[0], n.span[1], _text(source, n.arg).strip())
            else:
                m = re.search(r"(\^\s*\{\s*[\(\[][^{}]*[\)\]])\s*(?:T|\\top|\\intercal)\s*\}", t)
                if m:
                    new = t[:m.start()] + m.group(1) + "}" + t[m.end():]
                    yield _edit("transpose", source, n.span[0], n.span[1], new)
            continue
        if isinstance(parents.get(id(n)), Transpose):
            continue
        is_factor = isinstance(n, Var) and n.kind not in ("L",) or \
            (isinstance(parents.get(id(n)), _PRODUCTS) and t.lstrip().startswith(("(", "\\left", "[")))
        if is_factor and not isinstance(parents.get(id(n)), Entry):
            yield _edit("transpose", source, n.span[0], n.span[1], f"\\left({t.strip()}\\right)^T"
                        if not t.lstrip().startswith(("(", "\\left")) else f"{t.strip()}^T")


_LAYER_SPELLINGS = (re.compile(r"\^\s*\{\s*[\(\[]\s*(\d+)"), re.compile(r"\^\s*\{?\s*(\d+)"),
                    re.compile(r"_\s*\{?\s*(\d)\s*\}?\s*$"))


def _layer(source: str, sides, lhs_free, depth) -> Iterator[Edit]:
    seen = set()
    for n in _nodes(sides):
        if not isinstance(n, Var) or not isinstance(n.layer, int) or n.span in seen:
            continue
        seen.add(n.span)
        t = _text(source, n)
        for pattern in _LAYER_SPELLINGS:
            m = pattern.search(t)
            if m and int(m.group(1)) == n.layer:
                lo = 0 if n.kind == "a" else 1
                for new in (n.layer - 1, n.layer + 1):
                    if lo <= new <= depth:
                        text = t[:m.start(1)] + str(new) + t[m.end(1):]
                        yield _edit("layer", source, n.span[0], n.span[1], text)
                break


def _swap(source: str, sides, lhs_free, depth) -> Iterator[Edit]:
    for n in _nodes(sides):
        if isinstance(n, Entry) and len(n.indices) == 2 and n.indices[0] != n.indices[1]:
            t = _text(source, n)
            m = re.search(r"_\s*\{\s*(\w)\s*(,?)\s*(\w)\s*\}", t)
            if m:
                text = t[:m.start()] + "_{" + m.group(3) + m.group(2) + m.group(1) + "}" + t[m.end():]
                yield _edit("swap", source, n.span[0], n.span[1], text)


def _index(source: str, sides, lhs_free, depth) -> Iterator[Edit]:
    for n in _nodes(sides):
        if isinstance(n, Entry) and isinstance(n.base, Var) and len(n.indices) == 1 and isinstance(n.indices[0], int):
            t = _text(source, n)
            m = re.search(r"_\s*\{?\s*(\d)\s*\}?", t)
            if m:
                for letter in lhs_free:
                    text = t[:m.start()] + "_" + letter + t[m.end():]
                    yield _edit("index", source, n.span[0], n.span[1], text)


def _f_prime(source: str, sides, lhs_free, depth) -> Iterator[Edit]:
    for n in _nodes(sides):
        if isinstance(n, Apply) and n.prime:
            t = _text(source, n)
            layers = [int(m.group(1)) for m in re.finditer(r"\^\s*\{\s*[\(\[]\s*(\d+)", t)]
            for step in (-1, 1):
                if layers and all(0 <= v + step <= depth for v in layers):
                    text = re.sub(r"(\^\s*\{\s*[\(\[]\s*)(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + step), t)
                    yield _edit("f-prime", source, n.span[0], n.span[1], text)
    # ⊙ f'(…) moved out of the parenthesized group it stands in
    groups = [n for n in _nodes(sides) if _text(source, n).lstrip().startswith(("(", "\\left("))]
    for n in _nodes(sides):
        if isinstance(n, Hadamard) and isinstance(n.right, Apply) and n.right.prime and n.left.span:
            inner = [g for g in groups if g.span[0] < n.span[0] and n.span[1] <= g.span[1] and g is not n]
            if not inner:
                continue
            group = min(inner, key=lambda g: g.span[1] - g.span[0])
            cut = source[n.left.span[1]:n.right.span[1]]
            if group.span[1] == n.right.span[1]:
                continue
            start, end = n.left.span[1], group.span[1]
            text = source[n.right.span[1]:group.span[1]] + " " + cut.strip()
            moved = re.sub(r"^\\odot\s*|^\\circ\s*", "", cut.strip())
            yield Edit("f-prime", start, end, text,
                       f"{_squash(moved)} moves out of the parentheses closing at column {group.span[1]}")


def _product(source: str, sides, lhs_free, depth) -> Iterator[Edit]:
    for n in _nodes(sides):
        if isinstance(n, (Hadamard, Juxt, Star)) and n.left.span and n.right.span:
            gap = source[n.left.span[1]:n.right.span[0]]
            if isinstance(n, (Hadamard, Star)):
                yield Edit("product", n.left.span[1], n.right.span[0], " ",
                           f"a matrix product replaces {_squash(gap)} between {_squash(_text(source, n.left))} and "
                           f"{_squash(_text(source, n.right))}")
            elif not isinstance(n.left, Const) and not isinstance(n.right, Const):
                yield Edit("product", n.left.span[1], n.right.span[0], " \\odot ",
                           f"⊙ joins {_squash(_text(source, n.left))} and {_squash(_text(source, n.right))}")


def _factor(source: str, sides, lhs_free, depth) -> Iterator[Edit]:
    for side in sides:
        if not side.span:
            continue
        t = _text(source, side).strip()
        start, end = side.span
        yield _edit("factor", source, start, end, f"\\frac{{1}}{{2}} \\left({t}\\right)",
                    f"the right side {_squash(t)} is halved")
        yield _edit("factor", source, start, end, f"2 \\left({t}\\right)", f"the right side {_squash(t)} is doubled")
    for n in _nodes(sides):
        if isinstance(n, (Juxt, Dot)) and isinstance(n.left, Const) and n.left.value in (Fraction(1, 2), 2) \
                and n.left.span and n.right.span:
            yield Edit("factor", n.left.span[0], n.right.span[0], "",
                       f"the factor {_squash(_text(source, n.left))} is taken away")


def _sum(source: str, sides, lhs_free, depth) -> Iterator[Edit]:
    for side in sides:
        if not side.span:
            continue
        bound = {n.var for n in walk(side) if isinstance(n, SumIdx)}
        for k in free_indices(side):
            if k not in lhs_free and k not in bound:
                t = _text(source, side).strip()
                yield _edit("sum", source, side.span[0], side.span[1], f"\\sum_{{{k}}} \\left({t}\\right)",
                            f"a sum over {k} is put in front of {_squash(t)}")


def _sign(source: str, sides, lhs_free, depth) -> Iterator[Edit]:
    for side in sides:
        if not side.span:
            continue
        t = _text(source, side).strip()
        if isinstance(side, Neg) and side.arg.span:
            yield _edit("sign", source, side.span[0], side.span[1], _text(source, side.arg).strip(),
                        f"the leading minus of {_squash(t)} is dropped")
        else:
            yield _edit("sign", source, side.span[0], side.span[1], f"-\\left({t}\\right)",
                        f"the right side {_squash(t)} is negated")
    for n in _nodes(sides):
        if isinstance(n, Sub) and n.left.span and n.right.span:
            a, b = _text(source, n.left).strip(), _text(source, n.right).strip()
            yield _edit("sign", source, n.left.span[0], n.right.span[1], f"{b} - {a}")


EDITS: dict[str, Callable[..., Iterator[Edit]]] = {  # tried in this order
    "factor": _factor,
    "sign": _sign,
    "transpose": _transpose,
    "layer": _layer,
    "swap": _swap,
    "index": _index,
    "f-prime": _f_prime,
    "product": _product,
    "sum": _sum,
}
