"""The result of checking a document: findings at line:column, as a table and as JSON records.

Contract
--------
A :class:`Finding` is one checked (or skipped) link: the claims layer's
:class:`symbolic.claims.check.ClaimResult` (verdict, exact, diagnosis, precision,
message, and whatever fields that result gains) plus ``column``, ``cell`` (notebooks),
``link`` (``value``, ``arithmetic``, ``substitution``, ``equality``, ``formula`` or
``skipped``) and the equation's text. :meth:`Finding.to_json` is a flat record with
``line``, ``column``, ``claimed`` (the printed text), ``verdict``, ``exact`` and
``diagnosis`` among its keys.

:class:`DocumentReport` is a :class:`symbolic.claims.check.FileReport` whose ``results``
are findings, with the document's bindings, notes and reading problems;
:meth:`DocumentReport.table` is the text report (one row per finding that is not
skipped, then the skipped ones grouped by reason). ``skipped`` is a verdict of its own:
it never counts as WRONG.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ...spec.errors import shorten
from ..check import ClaimResult, FileReport
from .equations import Equation, Source

__all__ = ["Finding", "DocumentReport", "SKIPPED", "LINKS"]

SKIPPED = "skipped"
LINKS = ("value", "arithmetic", "substitution", "equality", "formula", "skipped")
_CONDITION = re.compile(r"^\s*([a-z])\s*=\s*(\d+)\s*$")


class Finding:
    """One link's result at its place in the document."""

    def __init__(self, result: ClaimResult, column: int | None, cell: int | None, link: str, equation: str,
                 place: tuple | None = None):
        self.result, self.column, self.cell, self.link, self.equation = result, column, cell, link, equation
        self.place = place  # (cell, line, column) of the equation the finding belongs to

    def __getattr__(self, name: str) -> Any:
        if name == "result":
            raise AttributeError(name)
        return getattr(self.result, name)

    @property
    def where(self) -> str:
        cell = f"cell {self.cell} " if self.cell is not None else ""
        return f"{cell}{self.result.line}:{self.column}"

    @property
    def as_expected(self) -> bool:
        return self.result.verdict == SKIPPED or self.result.as_expected

    def to_json(self) -> dict:
        out = dict(self.result.to_json())
        out.update(column=self.column, cell=self.cell, link=self.link, equation=self.equation)
        return out


@dataclass
class DocumentReport(FileReport):
    source: Source | None = None
    bindings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    draft: str = ""

    @property
    def findings(self) -> list[Finding]:
        return self.results

    def condition_for(self, eq: Equation) -> str:
        r"""``\quad (i = 1)`` when one inline ``$i = 1$`` (and no other) stands at most two lines before the display."""
        if self.source is None or not eq.display:
            return ""
        before = [e for e in self.source.equations if e.cell == eq.cell and not e.display
                  and eq.line - 2 <= e.line <= eq.line and (e.line, e.column) < (eq.line, eq.column)]
        found = [m for m in (_CONDITION.match(e.text) for e in before) if m]
        if len(found) != 1:  # none, or several ("for i = 3 and i = 4"): no one index value is meant
            return ""
        return f" \\quad ({found[0].group(1)} = {found[0].group(2)})"

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.verdict] = out.get(r.verdict, 0) + 1
        return out

    def to_json(self) -> dict:
        return {"path": self.path, "title": self.title, "error": self.error, "kind": "document",
                "claims": [f.to_json() for f in self.results], "bindings": self.bindings, "notes": self.notes,
                "problems": self.problems, "counts": self.counts()}

    def table(self, table_fn) -> str:
        """The text report; ``table_fn(rows, headers)`` lays out the columns."""
        lines = [f"== {self.path}" + (f" — {self.title}" if self.title else "")]
        if self.error:
            return "\n".join(lines + [f"   error: {self.error}"])
        rows = []
        for f in self.results:
            if f.verdict == SKIPPED:
                continue
            rows.append([f.where, f.link, shorten(f.name, 40), f.claimed, shorten(f.exact, 40), f.verdict,
                         shorten(f.diagnosis or (f.message if f.verdict != "ok" else ""), 160)])
        if rows:
            lines.append(table_fn(rows, ["line:col", "link", "equation side", "claimed", "exact", "verdict",
                                         "diagnosis"]))
        skipped: dict[str, list[str]] = {}
        for f in self.results:
            if f.verdict == SKIPPED:
                skipped.setdefault(shorten(f.diagnosis, 200), []).append(f.where)
        for why, places in skipped.items():
            shown = ", ".join(places[:8]) + (f" and {len(places) - 8} more" if len(places) > 8 else "")
            lines.append(f"   skipped at {shown}: {why}")
        lines += [f"   {b}" for b in self.bindings]
        lines += [f"   note: {n}" for n in self.notes]
        lines += [f"   problem: {p}" for p in self.problems]
        counts = self.counts()
        lines.append("   " + (", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "nothing checked")
                     + f"  ({self.seconds:.2f} s)")
        return "\n".join(lines) + "\n"
