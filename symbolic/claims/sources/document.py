"""Check one document: read it, read its network, walk its chains, and collect the findings.

Contract
--------
:func:`check_document` ``(path, network=None) -> DocumentReport`` never raises for bad
input: a document that cannot be read, or whose network block is wrong, is a report
with ``error`` (one sentence), and one equation that cannot be checked is a finding with
verdict ``error`` while the others are still checked. Equations are taken in reading
order, together with one ``name = number`` equation per ``[[prose]]`` entry of the
network block whose line has no equation of that name (the number on that line: the
one given, else the line's last number).
With no network, only the arithmetic inside equations is checked, and a note says so.
Findings are sorted by cell, line and column.
"""
from __future__ import annotations

import time
from pathlib import Path

from ...formulas.arithmetic import Unbound, name_key
from ...spec.errors import DerivcheckError, shorten
from ..check import ClaimResult
from ..verdict import Verdict
from .chains import Chain, read_chains
from .equations import Equation, Source
from .links import DocumentChecker, place
from .network import DocumentNetwork, read_network
from .prose import brace_subscripts
from .read import read_source
from .report import DocumentReport, Finding
from .values import judge_arithmetic

__all__ = ["check_document"]


def check_document(path: str | Path, network: str | Path | None = None) -> DocumentReport:
    """Read and check one document (see the module contract)."""
    start = time.perf_counter()
    report = DocumentReport(str(path))
    try:
        source = read_source(path)
        net = read_network(source, network)
    except DerivcheckError as err:
        report.error = str(err)
        return report
    report.source = source
    report.problems = list(source.problems)
    if net is None:
        report.notes.append("no network: add a ```toml derivcheck block or give --network FILE.toml; only the "
                            "arithmetic inside equations is checked")
    report.title = str(net.tables.get("title", "")) if net else ""
    checker = DocumentChecker(net, report) if net else None
    equations = sorted(source.equations + (_hinted(source, net, report) if net else []),
                       key=lambda e: (e.cell or 0, e.line, e.column))
    for eq in equations:
        for chain in read_chains(eq):
            try:
                if checker is not None:
                    checker.chain(eq, chain)
                else:
                    _arithmetic_only(report, eq, chain)
            except (DerivcheckError, RecursionError, ArithmeticError, Unbound) as err:
                report.findings.append(Finding(ClaimResult(str(path), 0, eq.line, shorten(eq.text, 60), "", "",
                                                           Verdict.ERROR, message=f"{path}:{eq.line}: {err}"),
                                               eq.column, eq.cell, "skipped", eq.text,
                                               (eq.cell, eq.line, eq.column)))
    if not source.equations:
        report.notes.append("no equation found: the document has no $…$, $$…$$, \\(…\\), \\[…\\] or math "
                            "environment, and no name=number in its text (formulas that were images are lost)")
    if checker is not None:
        try:
            checker.finish()
        except DerivcheckError as err:
            report.error = str(err)
    report.findings.sort(key=lambda f: (f.cell or 0, f.line or 0, f.column or 0))
    report.seconds = time.perf_counter() - start
    return report


def _hinted(source: Source, net: DocumentNetwork, report: DocumentReport) -> list[Equation]:
    """An equation ``name = number`` for every ``[[prose]]`` entry, at the number's place on its line."""
    lines = source.text.split("\n")
    out = []
    for hint in net.prose:
        n = hint["line"]
        if any(e.line == n and name_key(e.text.split("=")[0]) == name_key(brace_subscripts(hint["name"]))
               for e in source.equations):
            continue  # the line's own equation is read; the entry only says when it holds
        text = lines[n - 1] if 0 < n <= len(lines) else ""
        numbers = [(at, run) for at, run in _numbers(text)]
        wanted = hint.get("number")
        pick = next(((at, run) for at, run in numbers if run == wanted), None) if wanted else \
            (numbers[-1] if numbers else None)
        if pick is None:
            report.problems.append(f"{report.path}:{n}: [[prose]] names line {n}, but it holds "
                                   f"{'no number ' + wanted if wanted else 'no number'}; fix the line number.")
            continue
        out.append(Equation(f"{brace_subscripts(hint['name'])} = {pick[1]}", n, pick[0] + 1, display=False, origin="prose"))
    return out


def _numbers(text: str) -> list[tuple[int, str]]:
    """(offset, digits) of the decimal numbers of a line of prose (``10,000`` is one number, 10000)."""
    out, k = [], 0
    while k < len(text):
        if text[k].isdigit() or (text[k] == "." and text[k + 1:k + 2].isdigit()):
            start = k
            while k < len(text) and (text[k].isdigit() or text[k] in ".," and text[k + 1:k + 2].isdigit()):
                k += 1
            out.append((start, text[start:k].replace(",", "")))
        else:
            k += 1
    return out


def _arithmetic_only(report: DocumentReport, eq: Equation, chain: Chain) -> None:
    for k, part in enumerate(chain.parts):
        target = next((p for p in chain.parts[k + 1:] if p.kind == "number"), None)
        if part.kind == "numeric" and target is not None:
            verdict, exact = judge_arithmetic(target.value_text, part.node)
            line, col = place(eq, target)
            report.findings.append(Finding(ClaimResult(str(report.path), 0, line, shorten(part.text, 60),
                                                       target.value_text, exact, verdict), col, eq.cell,
                                           "arithmetic", eq.text, (eq.cell, eq.line, eq.column)))
