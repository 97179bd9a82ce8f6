"""The trees of formula claims about a conv2d layer (read by :mod:`symbolic.formulas.conv_formula`).

Contract
--------
Frozen dataclasses with the ``span`` (start, end columns) of the text they come from: :class:`CSym`
a name as written, :class:`CArr` its meaning (``X K b u delta dX dK db``), :class:`CIdx` an indexed
name (``zero_based`` for brackets), :class:`IX` an index expression Σ coef·letter + const,
:class:`COp` ∗ (``conv``) or ⋆ (``corr``) with its mode, :class:`CFn` rot / dilate / pad / crop,
:class:`CSum` a Σ (its letters, limits and ``\\substack`` conditions; no letters: the sum of a map),
:class:`CBin` + − × /, :class:`CNeg`, :class:`CNum`, :class:`CDeriv` ∂A/∂B as written;
:class:`ConvFormula` the sides with their source, layer and the ∗ convention; :func:`cwalk` every
node of a tree, parents first; :func:`crebuild` a copy with a function applied to each child.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from fractions import Fraction
from typing import Callable, Mapping

from .nodes import Spanned

__all__ = ["CNode", "CSym", "CArr", "CIdx", "IX", "COp", "CFn", "CSum", "CBin", "CNeg", "CNum", "CDeriv",
           "ConvFormula", "cwalk", "crebuild"]


@dataclass(frozen=True)
class CNode(Spanned):
    """Base class of the conv-formula nodes (``span`` from :class:`~symbolic.formulas.nodes.Spanned`)."""


@dataclass(frozen=True)
class CSym(CNode):
    text: str


@dataclass(frozen=True)
class CArr(CNode):
    name: str  # X K b u delta dX dK db


@dataclass(frozen=True)
class IX:
    """An index expression: Σ coef·letter + const."""

    terms: tuple[tuple[str, int], ...]
    const: int = 0

    def letter(self) -> str | None:
        return self.terms[0][0] if len(self.terms) == 1 and self.terms[0][1] == 1 and not self.const else None

    def value(self, env: Mapping[str, int]) -> int:
        return self.const + sum(c * env[v] for v, c in self.terms)

    def letters(self) -> list[str]:
        return [v for v, _ in self.terms]


@dataclass(frozen=True)
class CIdx(CNode):
    base: CNode
    indices: tuple[IX, ...]
    zero_based: bool


@dataclass(frozen=True)
class COp(CNode):
    kind: str  # conv | corr
    mode: str | None  # full | valid | None (the one that fits the left side)
    left: CNode
    right: CNode


@dataclass(frozen=True)
class CFn(CNode):
    name: str  # rot | dilate | pad | crop
    arg: CNode
    param: int | None = None


@dataclass(frozen=True)
class CSum(CNode):
    vars: tuple[str, ...]
    lo: tuple[tuple[str, int], ...]
    hi: tuple[tuple[str, int], ...]
    constraints: tuple[tuple[IX, IX], ...]
    body: CNode


@dataclass(frozen=True)
class CBin(CNode):
    op: str  # + - * /
    left: CNode
    right: CNode


@dataclass(frozen=True)
class CNeg(CNode):
    arg: CNode


@dataclass(frozen=True)
class CNum(CNode):
    value: Fraction


@dataclass(frozen=True)
class CDeriv(CNode):
    of: CNode
    wrt: CNode


def crebuild(node: CNode, fn: Callable[[CNode], CNode]) -> CNode:
    """``node`` with ``fn`` applied to each child node; ``node`` itself when no child changes."""
    changes = {}
    for f in fields(node):
        child = getattr(node, f.name)
        if isinstance(child, CNode):
            done = fn(child)
            if done is not child:
                changes[f.name] = done
    return replace(node, **changes) if changes else node


def cwalk(node: CNode):
    """Every node of a tree, parents first."""
    yield node
    for name in ("base", "left", "right", "arg", "body", "of", "wrt"):
        child = getattr(node, name, None)
        if isinstance(child, CNode):
            yield from cwalk(child)


@dataclass(frozen=True)
class ConvFormula:
    """The sides of ``A = B = …`` (module contract)."""

    sides: tuple[CNode, ...]
    source: str
    layer: int = 0
    convention: str = "sliding"
