r"""The nodes of a formula about a normalization layer: as read (names), and resolved (quantities).

Contract
--------
:mod:`symbolic.formulas.layer_reading` builds trees of :class:`Name`, :class:`Sub` (a subscript:
indices, or the batch mark ``_B`` of μ_B and σ_B²), :class:`Num`, :class:`Bin` (``+ - * /``; ⊙,
``\cdot``, ``\times`` and juxtaposition are ``*``), :class:`Neg`, :class:`Power` (a rational
exponent), :class:`Sqrt`, :class:`Sum` (Σ over an index, or over an axis when written without one)
and :class:`Deriv` (∂X/∂V). :mod:`symbolic.formulas.layer_symbols` replaces every name by a
:class:`Quantity` — a role of the layer (``input``, ``output``, ``xhat``, ``mu``, ``var``, ``std``,
``gamma``, ``beta``, ``eps``, ``count``), or ∂L/∂ of one (``deriv``), with its indices given per
axis (``"s"`` the sample, ``"f"`` the feature) — and a derivative of the loss by the quantity it is
taken with respect to. Nodes compare by value; ``span`` (source columns) takes no part in it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .nodes import Spanned

__all__ = ["LNode", "Name", "Sub", "Num", "Bin", "PRODUCTS", "Neg", "Power", "Sqrt", "Transpose", "Sum", "Deriv", "Quantity", "Index",
           "lchildren", "lwalk"]

Index = int | str  # a fixed 1-based index or an index letter


@dataclass(frozen=True)
class LNode(Spanned):
    """Base class of the layer-formula nodes (``span`` from :class:`~symbolic.formulas.nodes.Spanned`)."""


@dataclass(frozen=True)
class Name(LNode):
    """A symbol as written, as its lookup key: ``dx``, ``\\gamma``, ``\\hat{x}``, ``L``."""

    text: str


@dataclass(frozen=True)
class Sub(LNode):
    """``base`` with a subscript: its indices, or only the batch mark (``\\mu_B``)."""

    base: LNode
    indices: tuple[Index, ...]
    batch: bool = False


@dataclass(frozen=True)
class Num(LNode):
    value: Fraction


PRODUCTS = ("*", "⊙", "·", "×")


@dataclass(frozen=True)
class Bin(LNode):
    op: str  # "+", "-", "/", or one of PRODUCTS
    left: LNode
    right: LNode


@dataclass(frozen=True)
class Neg(LNode):
    arg: LNode


@dataclass(frozen=True)
class Transpose(LNode):
    arg: LNode


@dataclass(frozen=True)
class Power(LNode):
    """``base^{exponent}``; ``caret`` is the source column of its ``^`` (where a repair rewrites it)."""

    base: LNode
    exponent: Fraction
    caret: int | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Sqrt(LNode):
    arg: LNode


@dataclass(frozen=True)
class Sum(LNode):
    """Σ_{var=lo}^{hi} body; ``var`` None: over the axis the body has and the left side lacks."""

    var: str | None
    lo: int | None
    hi: int | str | None
    body: LNode


@dataclass(frozen=True)
class Deriv(LNode):
    of: LNode
    wrt: LNode


@dataclass(frozen=True)
class Quantity(LNode):
    """A role of the layer (or ∂L/∂ it, ``deriv``) with its indices per axis (``(("s", "i"),)``)."""

    role: str
    deriv: bool = False
    axes: tuple[tuple[str, Index], ...] = ()


def lchildren(n: LNode) -> tuple[LNode, ...]:
    if isinstance(n, Bin):
        return (n.left, n.right)
    if isinstance(n, (Neg, Sqrt, Transpose)):
        return (n.arg,)
    if isinstance(n, (Power, Sub)):
        return (n.base,)
    if isinstance(n, Sum):
        return (n.body,)
    if isinstance(n, Deriv):
        return (n.of, n.wrt)
    return ()


def lwalk(n: LNode):
    """Every node, parents first (iterative)."""
    stack = [n]
    while stack:
        x = stack.pop()
        yield x
        stack.extend(reversed(lchildren(x)))
