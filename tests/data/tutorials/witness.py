"""The independent witness for the transcribed tutorials: 50-digit mpmath, never derivcheck.

Contract
--------
Each ``*_reference.py`` beside this module recomputes one tutorial from the
tutorial's own formulas with mpmath at 50 digits (it imports nothing of
derivcheck) and lists its printed numbers as :class:`Row` records, in the
tutorial's order and numbered as the claims of the derivation file of the
same stem (in derivations/, or beside this module while it waits for a feature). A row holds the printed text, the true value and, where the author
computed the number from earlier printed numbers, that recomputation
(``author``, from claims ``uses``). :func:`classify` gives each row one of

* ``ok``       — within ½ unit of the last printed digit of the true value;
* ``rounding`` — within 1 unit, or within 1 unit of the recomputation from
  the author's earlier printed numbers when none of them is wrong;
* ``carried``  — within 1 unit of the recomputation from earlier printed
  numbers of which at least one is root WRONG or carried;
* ``root WRONG`` — none of these (``why`` says the mistake; ``mistake``, when
  given, is the number that mistake gives, and is shown when it reproduces the
  printed one; ``diagnosed``, when given, are words derivcheck's diagnosis of the
  claim must contain — the mistake's parts, named by the reference script from
  the author's own formulas).

:func:`table` prints the Markdown table of /work/notes/tutorials.md; running a
reference script prints its table.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from mpmath import exp, mp, mpf, nstr

mp.dps = 50

__all__ = ["Row", "sigmoid", "relu", "unit", "units_off", "classify", "table", "mpf"]


def sigmoid(u):
    return 1 / (1 + exp(-u))


def relu(u):
    return u if u > 0 else mpf(0)


def unit(printed: str):
    """One unit of the last printed digit: "0.1360" → 0.0001, "-0.3" → 0.1, "0" → 1."""
    mantissa, _, exponent = printed.strip().lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return mpf(10) ** (int(exponent or 0) - decimals)


def units_off(printed: str, value) -> mpf:
    return abs(mpf(printed) - value) / unit(printed)


@dataclass
class Row:
    n: int                      # claim number in the derivation file (1-based)
    name: str                   # the tutorial's name
    printed: str                # exactly as printed
    true: object                # mpf, the exact value at 50 digits
    author: object = None       # mpf recomputed from the author's earlier printed numbers, if they did that
    uses: tuple = ()            # the claim numbers whose printed values ``author`` uses
    why: str = ""               # the mistake, for a root WRONG; or any remark
    mistake: object = None      # mpf: the number the mistake in ``why`` gives (a root WRONG it reproduces)
    diagnosed: tuple = ()       # words derivcheck's diagnosis of this root WRONG must contain (tests/test_tutorials.py)
    verdict: str = field(default="", init=False)
    root: int = field(default=0, init=False)  # for a carried row: the root WRONG claim of its chain
    detail: str = field(default="", init=False)


def classify(rows: list[Row]) -> list[Row]:
    """Fill ``verdict`` and ``detail`` for each row, in order (a carried row needs its sources' verdicts)."""
    by_n: dict[int, Row] = {}
    for row in rows:
        off = units_off(row.printed, row.true)
        if off <= mpf(1) / 2:
            row.verdict, row.detail = "ok", ""
        elif row.author is not None and units_off(row.printed, row.author) <= 1:
            bad = [n for n in row.uses if by_n[n].verdict in ("root WRONG", "carried")]
            shown = ", ".join(f"claim {n} = {by_n[n].printed}" for n in row.uses)
            again = f"from {shown}: {nstr(row.author, 8)}"
            if bad:
                source = by_n[bad[0]]
                row.root = source.root or source.n
                root = f" (root: claim {row.root})" if row.root != source.n else ""
                row.verdict, row.detail = "carried", f"carried from claim {bad[0]}{root}; {again}"
            elif off <= 1:
                row.verdict, row.detail = "rounding", f"{nstr(off, 2)} unit off; also {again}"
            else:
                row.verdict, row.detail = "rounding", f"{nstr(off, 2)} units off the truth; reproduced {again}"
        elif off <= 1:
            row.verdict, row.detail = "rounding", f"{nstr(off, 2)} unit off"
        else:
            row.verdict, row.detail = "root WRONG", f"{nstr(off, 3)} units off"
            if row.mistake is not None and units_off(row.printed, row.mistake) <= 1:
                row.detail += f"; the mistake reproduces it: {nstr(row.mistake, 8)}"
        if row.why:
            row.detail = f"{row.detail}; {row.why}" if row.detail else row.why
        by_n[row.n] = row
    return rows


def table(rows: list[Row]) -> str:
    lines = ["| # | name | printed | true (12 digits) | classification | how |", "|---|---|---|---|---|---|"]
    for r in classify(rows):
        true = nstr(r.true, 12) if r.true != 0 else "0"
        lines.append(f"| {r.n} | {r.name} | {r.printed} | {true} | {r.verdict} | {r.detail} |")
    return "\n".join(lines)
