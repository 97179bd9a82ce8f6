"""The reader's raw nodes: letters as written, before the resolver gives them a meaning, and how they combine.

Contract
--------
:class:`RawName` (a letter or word as written, with its layer superscript, subscript text,
primes and digit superscript), :class:`RawSup` (``base^{expr}`` that is neither a layer, a
transpose nor a power), :class:`RawCall` (a function call, ``bare`` for ``\\log x``),
:class:`RawPrime` (``X'`` on a non-function) and :class:`RawDeriv` (a derivative written with
``d``) are what :class:`symbolic.formulas.reading.TreeBuilder` builds and
:class:`symbolic.formulas.resolution.Resolver` resolves. :func:`combine` builds a product and lets
an open ``\\frac{d}{dV}`` take the product that follows it; :func:`after_d` strips the
differential d from ``d X``; :func:`rightmost_bare` finds a bare call a juxtaposition would
continue (``\\log x y``: refused as ambiguous); :func:`accent_name` spells an accent one way.
:class:`ReadFailure` is a refusal with its source position; :func:`parse_indices` reads a
subscript (``ij``, ``12``, ``i,j``) into indices.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .nodes import Dot, EDiv, Hadamard, Juxt, Layer, Node, Star

__all__ = ["RawName", "RawSup", "RawCall", "RawPrime", "RawDeriv", "ReadFailure", "parse_indices", "combine",
           "after_d", "is_d", "leftmost", "rightmost_bare", "accent_name", "with_span"]


@dataclass(frozen=True)
class RawName(Node):
    """A letter as written, before the symbols map gives it a meaning."""

    letter: str
    layer: Layer = None
    indices: tuple | None = None
    sub_text: str | None = None
    primes: int = 0
    transposed_layer: bool = False
    power: int | None = None      # a digit superscript (W^2): a layer or a power, decided by the resolver
    layer_written: str = "paren"  # how the layer was written: paren ^{(2)}, bare ^l / ^{l+1}


@dataclass(frozen=True)
class RawSup(Node):
    """base^{expr} that is neither a layer, a transpose nor an integer power (e^{…})."""

    base: Node
    exponent: Node


@dataclass(frozen=True)
class RawCall(Node):
    fn: str
    arg: Node
    prime: bool
    layer: Layer
    bare: bool = False  # \log x without parentheses


@dataclass(frozen=True)
class RawPrime(Node):
    """X' on something that is not a function name: a transpose only where the claim's symbols say so."""

    arg: Node


@dataclass(frozen=True)
class RawDeriv(Node):
    """A derivative written with d (\frac{dL}{dW}); ``of`` is None for the operator \frac{d}{dV} until it takes
    the product that follows it (``open`` while it still does)."""

    of: Node | None
    wrt: Node
    open: bool = False
    d_pos: int | None = None


_ACCENTS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde", "widetilde": "tilde"}


def accent_name(command: str, letter: str) -> str:
    """``\\hat y``, ``\\widehat{y}``, ``\\hat{\\mathbf{y}}`` → ``\\hat{y}`` (one spelling per accent)."""
    kind = _ACCENTS[re.match(r"\\(\w+)", command.strip()).group(1)]
    return f"\\{kind}{{{letter.strip()}}}"


_PRODUCTS = (Juxt, Hadamard, EDiv, Dot, Star)


def combine(cls: type, left: Node, right: Node, span) -> Node:
    """``cls(left, right)``; an open \\frac{d}{dV} on the left takes the product that follows it."""
    if isinstance(left, RawDeriv) and left.open:
        of = right if left.of is None else cls(left.of, right, span=(left.of.span[0], right.span[1])
                                               if left.of.span and right.span else None)
        return RawDeriv(of, left.wrt, open=True, d_pos=left.d_pos, span=span)
    if isinstance(left, _PRODUCTS) and isinstance(left.right, RawDeriv) and left.right.open:
        return type(left)(left.left, combine(cls, left.right, right, span), span=span)
    return cls(left, right, span=span)


def rightmost_bare(node: Node) -> "RawCall | None":
    """The bare call (\\log x) a juxtaposition would continue, if any."""
    while isinstance(node, Juxt):
        node = node.right
    return node if isinstance(node, RawCall) and node.bare else None


def is_d(node: Node) -> bool:
    return isinstance(node, RawName) and node.letter == "d" and node.layer is None and node.indices is None \
        and not node.primes and node.power is None


def leftmost(node: Node) -> Node:
    while isinstance(node, Juxt):
        node = node.left
    return node


def after_d(node: Node) -> Node | None:
    """``d X`` (a juxtaposition starting with the letter d) → X; anything else → None."""
    if not isinstance(node, Juxt):
        return None
    if is_d(node.left):
        return node.right
    rest = after_d(node.left)
    if rest is None:
        return None
    span = (rest.span[0], node.right.span[1]) if rest.span and node.right.span else None
    return Juxt(rest, node.right, span=span)


def with_span(node: Node, span) -> Node:
    """The same node with a wider source span (parentheses included)."""
    if span is None:
        return node
    return replace(node, span=span)


class ReadFailure(Exception):
    def __init__(self, message: str, pos: int | None):
        super().__init__(message)
        self.message, self.pos = message, pos


def parse_indices(text: str, want: int, pos: int | None) -> tuple:
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
                raise ReadFailure(f"The subscript {p} is not a valid index (indices start at 1)", pos)
            out.append(v)
        elif re.fullmatch(r"[a-z]", p):
            out.append(p)
        else:
            raise ReadFailure(f"The subscript {p!r} is not an index; write digits or single letters like i, j", pos)
    return tuple(out)
