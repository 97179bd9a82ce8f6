"""The table of a derivation's claims, with verdicts and diagnoses, for the LaTeX document.

Contract
--------
:func:`claims_table` writes a ``longtable`` of a check report's results: number,
claim (with its line), claimed value, exact value, verdict and diagnosis (or
message); WRONG, shape-error and error rows are highlighted red, rounding rows
yellow, an expected non-ok verdict says so; then a summary of the counts. A
report that could not be checked is one sentence. Every cell is user text and
goes through :func:`symbolic.formulas.printers.escape_text`; :func:`breakable`
adds break points to long runs so narrow columns never overflow.
"""
from __future__ import annotations

from ..claims.check import FileReport
from ..claims.verdict import Verdict
from ..formulas.printers import escape_text
from .writer import Writer

__all__ = ["claims_table", "breakable"]


def claims_table(w: Writer, report: FileReport) -> None:
    """The claims table of ``report`` (or the sentence saying why the claims could not be checked)."""
    if report.error:
        w.text("The claims could not be checked: " + escape_text(report.error))
        return
    w.add("{\\small", "\\begin{longtable}{@{}r>{\\raggedright}p{3.1cm}>{\\raggedright}p{2.3cm}"
          ">{\\raggedright}p{3.0cm}>{\\raggedright}p{1.7cm}>{\\raggedright\\arraybackslash}p{4.1cm}@{}}",
          "\\toprule", "\\# & claim & claimed & exact & verdict & diagnosis \\\\", "\\midrule", "\\endhead")
    for r in report.results:
        claim = r.name + (f" (line {r.line})" if r.line else "")
        note = r.diagnosis or (r.message if r.verdict != Verdict.OK else "")
        if r.expect and r.verdict == r.expect and r.verdict != Verdict.OK:
            note = (note + " " if note else "") + f"(expected {r.expect})"
        verdict = escape_text(r.verdict)
        color = ""
        if r.verdict in (Verdict.WRONG, Verdict.SHAPE, Verdict.ERROR):
            verdict = f"\\wrong{{{verdict}}}"
            color = "\\rowcolor{red!12}"
        elif r.verdict == Verdict.ROUNDING:
            color = "\\rowcolor{yellow!15}"
        w.add(f"{color}{r.index} & {breakable(claim)} & {breakable(r.claimed, 12)} & {breakable(r.exact, 12)} & "
              f"{verdict} & {escape_text(note)} \\\\")
    w.add("\\bottomrule", "\\end{longtable}", "}", "")
    counts = ", ".join(f"{v} {escape_text(k)}" for k, v in sorted(report.counts().items()))
    w.text(f"Summary: {counts}.")
    if report.notes:  # the check's file-level notes (names read, targets the output cannot reach, a pattern)
        prefix = f"{report.path}: "
        items = [f"\\item {escape_text(n[len(prefix):] if n.startswith(prefix) else n)}" for n in report.notes]
        w.add("Notes from the check:", "\\begin{itemize}", *items, "\\end{itemize}", "")


def breakable(text: str, run_length: int = 16) -> str:
    """Escaped text with break points in long runs (numbers, names) so narrow columns never overflow:
    after / = _ , and after every ``run_length`` other characters (12 fit the 2.3 cm claimed column)."""
    out, run = [], 0
    for ch in str(text):
        out.append(escape_text(ch))
        run = 0 if ch == " " else run + 1
        if ch in "/=_," or run >= run_length:
            out.append("\\allowbreak{}")
            run = 0
    return "".join(out)
