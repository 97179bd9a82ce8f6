"""The text of ``derivcheck check``'s report: the verdict table per file and the verdict counts (a face).

Contract
--------
:func:`table` lays out rows under headers in padded columns; :func:`print_report` prints one
file's report (title, how names were read, the claims table, the messages and precision notes
that matter, the counts that are not zero); :func:`total_counts` adds the counts of many reports.
Every user text goes through :func:`symbolic.terminal.visible` (control characters shown escaped).
It imports nothing heavy of the library, so the command line starts fast.
"""
from __future__ import annotations

from .terminal import visible

__all__ = ["table", "print_report", "total_counts"]


def table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    out = [line.rstrip(), "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(out)


def print_report(report) -> None:
    v = visible  # every user text escaped per cell: no control character acts on the terminal (issue 21)
    print(f"== {v(report.path)}" + (f" — {v(report.title)}" if report.title else ""))
    if report.error:
        print(f"   error: {v(report.error)}")
        return
    for note in report.notes:
        print(f"   note: {v(note)}.")
    rows, notes = [], []
    for r in report.results:
        expected = "" if r.expect is None else f" (expected {v(r.expect)})"
        rows.append([str(r.index), v(r.name), v(r.claimed), v(r.exact), v(r.verdict) + expected, v(r.diagnosis)])
        if r.message and r.verdict != "ok":
            notes.append(f"   claim {r.index}: {v(r.message)}")
    print(table(rows, ["#", "claim", "claimed", "exact", "verdict", "diagnosis"]))
    for n in notes:
        print(n)
    counts = report.counts()
    print("   " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()) if n) + f"  ({report.seconds:.2f} s)")
    print()


def total_counts(reports) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in reports:
        for k, v in r.counts().items():
            counts[k] = counts.get(k, 0) + v
    return counts
