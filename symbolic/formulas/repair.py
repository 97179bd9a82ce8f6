r"""The minimal repair of a wrong formula: which one or two small edits make it provably right.

Contract
--------
:func:`repair_formula` ``(network, latex, symbols, aliases, step=None)`` tries the edits of
:data:`symbolic.formulas.repair_edits.EDITS` on the right-hand side(s) — every single edit first,
then, only if no single edit works, every pair of edits on separate parts of the formula — and
returns a :class:`RepairSearch`: each :class:`Repair` is the corrected LaTeX (the author's text
with the edits applied) and the edits, and it is reported only once
:func:`symbolic.formulas.verify.verify_formula` has *proved* the corrected formula right. A
candidate is first screened at two points with 15-digit values read from the program
(:class:`symbolic.formulas.program_model.PointModel`); only those that agree there are proved.
The search is bounded (:data:`MAX_TRIES` candidates, :data:`MAX_SECONDS` seconds of CPU time) and says when
it gave up and after how many candidates.

:func:`verify_with_repair` is :func:`verify_formula` followed by the search for a WRONG or
``shape error`` verdict (the verdict's ``repairs`` and its message carry the result), and for
the one refusal a repair can mend — an index that is free on the right side only (a missing Σ)
— a :class:`RepairableError` whose sentence ends with the repair.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

import numpy as np

from ..spec.errors import DerivcheckError, KinkError
from ..spec.network import Network
from ..truth.program import Structured
from .nodes import (Add, Dot, EDiv, Entry, Hadamard, Juxt, MatMul, Neg, Node, Pow, Star, Sub, SumIdx, Transpose,
                    children, free_indices, rebuild, walk)
from .parser import Formula, parse_formula
from .program_model import NotInProgram, PointModel, point_env
from .proofs import sample_points
from .repair_edits import EDITS, Edit, apply_edits
from .screen import FloatPoint, Unfit
from .shapes import Ctx, ShapeMismatch, index_ranges
from .verify import FormulaVerdict, index_bindings, layer_bindings, verify_formula

__all__ = ["Repair", "RepairSearch", "RepairableError", "repair_formula", "search_edits", "verify_with_repair",
           "verify_record",
           "MAX_TRIES", "MAX_SECONDS"]

MAX_TRIES = 4000
MAX_SECONDS = 6.0
_SCREEN_DIGITS = 17
_SCREEN_TOLERANCE = 1e-8


@dataclass(frozen=True)
class Repair:
    """A corrected formula and the edits that made it from the author's."""

    latex: str
    edits: tuple[Edit, ...]

    @property
    def edit(self) -> str:
        return " and ".join(f"{e.description} (column {e.column})" for e in self.edits)

    def to_json(self) -> dict:
        return {"latex": self.latex, "edit": self.edit,
                "edits": [{"kind": e.kind, "column": e.column, "description": e.description} for e in self.edits]}


@dataclass(frozen=True)
class RepairSearch:
    """What the search found, how many candidates it tried, how long it took, and why it stopped early."""

    repairs: tuple[Repair, ...]
    tried: int
    seconds: float
    gave_up: str = ""

    def sentence(self) -> str:
        if self.repairs:
            return "It is right once " + ", or once ".join(r.edit for r in self.repairs) + "."
        if self.gave_up:
            return (f"No repair found: the search gave up after {self.tried:,} candidate edits "
                    f"({self.gave_up}).")
        return f"No single small edit or pair of them makes it right ({self.tried:,} candidates tried)."


class RepairableError(DerivcheckError):
    """A refusal (a missing Σ) that a repair mends; ``repairs`` are the corrected formulas."""

    def __init__(self, message: str, repairs: Sequence[Repair]):
        super().__init__(message)
        self.repairs = tuple(repairs)


class _Screen:
    """The formula's truth at one point (15 digits, from the program) and a float check of candidate sides."""

    def __init__(self, network: Network, formula: Formula):
        self.network = network
        self.formula = formula
        self.cases: list[tuple[Ctx, np.ndarray]] = []
        self.point: FloatPoint | None = None
        program = Structured(network)
        for point, _ in sample_points(network, count=3):
            try:
                model = PointModel(network, point_env(program, point), program, dps=_SCREEN_DIGITS)
                fp = FloatPoint(model)
                cases = []
                for lb in layer_bindings(formula, network):
                    ctx = Ctx(network, layers=lb, source=formula.source)
                    ranges = index_ranges(formula.lhs, ctx, formula.conditions)
                    for idx in index_bindings(ranges):
                        c = Ctx(network, layers=lb, idx=idx, source=formula.source)
                        cases.append((c, fp.value(formula.lhs, c)))
            except (KinkError, DerivcheckError, ShapeMismatch, Unfit, NotInProgram, ArithmeticError):
                continue
            self.point, self.cases = fp, cases
            break

    def passes(self, sides: Sequence[Node]) -> bool | None:
        """True / False, or None when the candidate cannot be screened (it must then be proved outright)."""
        if self.point is None:
            return None
        try:
            with np.errstate(all="raise"):
                for ctx, truth in self.cases:
                    for side in sides:
                        claim = self.point.value(side, ctx)
                        if claim.shape != truth.shape or \
                                not np.allclose(claim, truth, rtol=_SCREEN_TOLERANCE, atol=_SCREEN_TOLERANCE):
                            return False
        except NotInProgram:
            return None
        except (Unfit, DerivcheckError, ArithmeticError, FloatingPointError, ValueError, TypeError, KeyError):
            return False
        return True


def _disjoint(a: Edit, b: Edit) -> bool:
    return a.end <= b.start or b.end <= a.start


class _Candidates:
    """Candidate trees for sets of edits without re-reading the whole formula: each edit re-reads only the
    smallest node around it (its text with the edit applied), and that node is put in place of the old one."""

    def __init__(self, formula: Formula, sides: Sequence[Node], symbols, aliases, depth: int):
        self.formula, self.sides = formula, tuple(sides)
        self.symbols, self.aliases, self.depth = symbols, aliases, depth
        self.nodes = [n for side in self.sides for n in walk(side) if n.span is not None]
        self.parent = {id(c): n for n in self.nodes for c in children(n)}
        self._parsed: dict[tuple, Node | None] = {}

    def cover(self, edits: Sequence[Edit]) -> Node | None:
        lo, hi = min(e.start for e in edits), max(e.end for e in edits)
        best = None
        for n in self.nodes:  # parents come before children in walk order: keep the smallest, topmost one
            if n.span[0] <= lo and hi <= n.span[1] and (best is None or n.span[1] - n.span[0] < best.span[1] - best.span[0]):
                best = n
        return best

    def snippet(self, node: Node, edits: Sequence[Edit]) -> str:
        """The node's text with the edits applied."""
        local = [Edit(e.kind, e.start - node.span[0], e.end - node.span[0], e.text, e.description) for e in edits]
        return apply_edits(self.formula.source[node.span[0]:node.span[1]], local)

    def replacement(self, node: Node, edits: Sequence[Edit]) -> Node | None:
        key = (node.span, tuple((e.start, e.end, e.text) for e in edits))
        if key not in self._parsed:
            text = self.snippet(node, edits)
            try:
                self._parsed[key] = parse_formula("L = " + text, self.symbols, self.aliases, self.depth).sides[1]
            except DerivcheckError:
                self._parsed[key] = None
        return self._parsed[key]

    def sides_with(self, edits: Sequence[Edit]) -> tuple[Node, ...] | None:
        groups: list[tuple[Node, list[Edit]]] = []
        for e in edits:
            node = self.cover([e])
            if node is None:
                return None
            groups.append((node, [e]))
        if len(groups) == 2 and not _apart(groups[0][0], groups[1][0]):
            node = self.cover(edits)
            if node is None:
                return None
            groups = [(node, list(edits))]
        swap = {}
        for node, es in groups:
            while True:  # a replacement that binds more loosely than the node it replaces takes the parent
                new = self.replacement(node, es)
                if new is None:
                    return None
                if _binding(new, self.snippet(node, es)) >= _binding(node, self.formula.source[node.span[0]:node.span[1]]) or \
                        id(node) not in self.parent:
                    break
                node = self.parent[id(node)]
            swap[id(node)] = new
        return tuple(_replace(side, swap) for side in self.sides)


def _single_group(text: str) -> bool:
    """Whether ``text`` is one bracketed group: ``(…)``, ``\\left(…\\right)``, ``[…]``, ``{…}``."""
    t = text.strip()
    if not t or t[0] not in "([{" and not t.startswith("\\left"):
        return False
    depth = 0
    for k, ch in enumerate(t):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return k == len(t) - 1
    return False


def _binding(node: Node, text: str) -> int:
    """How tightly ``node`` (read from ``text``) binds: 1 + − , 2 unary minus and Σ, 3 products, 4 postfix, 5 atom."""
    if _single_group(text):
        return 5
    if isinstance(node, (Add, Sub)):
        return 1
    if isinstance(node, (Neg, SumIdx)):
        return 2
    if isinstance(node, (Juxt, Hadamard, Dot, Star, EDiv, MatMul)):
        return 3
    if isinstance(node, (Transpose, Entry, Pow)):
        return 4
    return 5


def _apart(a: Node, b: Node) -> bool:
    return a.span[1] <= b.span[0] or b.span[1] <= a.span[0]


def _replace(node: Node, swap: dict[int, Node]) -> Node:
    if id(node) in swap:
        return swap[id(node)]
    return rebuild(node, lambda c: _replace(c, swap))


def repair_formula(network: Network, latex: str, symbols: Mapping[str, str] | None = None,
                   aliases: Mapping[str, str] | None = None, step: int | None = None,
                   max_tries: int = MAX_TRIES, max_seconds: float = MAX_SECONDS) -> RepairSearch:
    """Search the edit table for one edit, then two, that make the formula provably right."""
    start = time.process_time()
    formula = parse_formula(latex, symbols, aliases, network.depth)
    source = formula.source
    sides = formula.sides[1:] if step is None else (formula.sides[step],)
    lhs_free = free_indices(formula.lhs) + [k for k in formula.conditions if k not in free_indices(formula.lhs)]
    singles: list[Edit] = []
    seen: set[tuple] = set()
    for generate in EDITS.values():
        for e in generate(source, sides, lhs_free, network.depth):
            key = (e.start, e.end, e.text)
            if key not in seen and source[e.start:e.end] != e.text:
                seen.add(key)
                singles.append(e)
    screen = _Screen(network, formula)
    candidates = _Candidates(formula, sides, symbols, aliases, network.depth)
    proved: dict[str, bool] = {}

    def attempt(edits: tuple[Edit, ...]) -> Repair | None:
        text = apply_edits(source, edits)
        if text in proved:
            return None
        new_sides = candidates.sides_with(edits)
        if new_sides is not None and screen.passes(new_sides) is False:
            proved[text] = False
            return None
        try:
            ok = verify_formula(network, text, symbols, aliases).verdict == "ok"
        except DerivcheckError:
            ok = False
        proved[text] = ok
        return Repair(text, edits) if ok else None

    return search_edits(singles, attempt, max_tries, max_seconds, start)


def search_edits(singles: Sequence[Edit], attempt, max_tries: int = MAX_TRIES, max_seconds: float = MAX_SECONDS,
                 start: float | None = None) -> RepairSearch:
    """Every single edit, then — only if none works — every pair of disjoint ones, within the bounds.

    ``attempt(edits)`` returns the proved :class:`Repair` or None; ``start`` is the search's CPU start.
    """
    start = time.process_time() if start is None else start
    tried = 0
    found: list[Repair] = []

    def bounded() -> str:
        if tried >= max_tries:
            return f"the bound of {max_tries:,} candidates"
        if time.process_time() - start > max_seconds:
            return f"the bound of {max_seconds:g} seconds of CPU time"
        return ""

    for e in singles:
        reason = bounded()
        if reason:
            return RepairSearch(tuple(found), tried, time.process_time() - start, reason)
        tried += 1
        r = attempt((e,))
        if r is not None and all(r.latex != f.latex for f in found):
            found.append(r)
    if found:
        return RepairSearch(tuple(found), tried, time.process_time() - start)
    for i, a in enumerate(singles):
        for b in singles[i + 1:]:
            if not _disjoint(a, b):
                continue
            reason = bounded()
            if reason:
                return RepairSearch(tuple(found), tried, time.process_time() - start, reason)
            tried += 1
            r = attempt((a, b))
            if r is not None and all(r.latex != f.latex for f in found):
                found.append(r)
    return RepairSearch(tuple(found), tried, time.process_time() - start)


def verify_with_repair(network: Network, latex: str, symbols: Mapping[str, str] | None = None,
                       aliases: Mapping[str, str] | None = None, max_tries: int = MAX_TRIES,
                       max_seconds: float = MAX_SECONDS) -> FormulaVerdict:
    """:func:`verify_formula`, and for a WRONG or shape-error verdict the repair search (module contract)."""
    if not 0 <= max_seconds <= 600:
        raise DerivcheckError(f"--repair-seconds {max_seconds:g} is out of range; use 0 to 600.")
    try:
        verdict = verify_formula(network, latex, symbols, aliases)
    except DerivcheckError as err:
        if "is free on the right-hand side only" not in str(err):
            raise
        search = repair_formula(network, latex, symbols, aliases, max_tries=max_tries, max_seconds=max_seconds)
        if not search.repairs:
            raise
        raise RepairableError(str(err).rstrip(".") + "; " + search.sentence()[0].lower() + search.sentence()[1:],
                              search.repairs) from None
    if verdict.verdict not in ("WRONG", "shape error"):
        return verdict
    search = repair_formula(network, latex, symbols, aliases, verdict.step, max_tries, max_seconds)
    return replace(verdict, repairs=search.repairs, repair_note=search.sentence(),
                   message=f"{verdict.message} {search.sentence()}")


def verify_record(result: FormulaVerdict | RepairableError) -> dict:
    """The JSON record of a verdict (``verdict``, ``message``, ``lhs``, ``method``, ``repairs``, ``repair_note``),
    or of a refusal a repair mends (``verdict`` "error")."""
    if isinstance(result, RepairableError):
        return {"verdict": "error", "message": str(result), "repairs": [r.to_json() for r in result.repairs]}
    return {"verdict": result.verdict, "message": result.message, "lhs": result.lhs, "method": result.method,
            "repairs": [r.to_json() for r in result.repairs], "repair_note": result.repair_note}
