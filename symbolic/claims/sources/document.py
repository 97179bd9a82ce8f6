"""Check one document: read it, read its network, walk its chains, and collect the findings.

Contract
--------
:func:`check_document` ``(path, network=None) -> DocumentReport`` never raises for bad
input: a document that cannot be read, or whose network block is wrong, is a report
with ``error`` (one sentence), and one equation that cannot be checked is a finding with
verdict ``error`` while the others are still checked. Equations are taken in reading
order, with the network block's ``[[prose]]`` entries applied: a display without ``=``
on the entry's line is read as ``name = display`` (the left side the prose gives), and a
line without an equation of that name gets ``name = number`` (the number given, else the
line's last number).
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
from .chains import Chain, read_chains, split_top
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
    equations = _hinted(source, net, report) if net else list(source.equations)
    equations.sort(key=lambda e: (e.cell or 0, e.line, e.column))
    for eq in equations:
        for chain in read_chains(eq):
            try:
                if checker is not None:
                    checker.chain(eq, chain)
                else:
                    _arithmetic_only(report, eq, chain)
            except (DerivcheckError, RecursionError, ArithmeticError, Unbound, ValueError, TypeError, OverflowError,
                    MemoryError) as err:  # one equation's failure never loses the rest of the report
                why = str(err) if isinstance(err, DerivcheckError) else (
                    f"it could not be checked ({type(err).__name__}); simplify it or report this")
                report.findings.append(Finding(ClaimResult(str(path), 0, eq.line, shorten(eq.text, 60), "", "",
                                                           Verdict.ERROR, message=f"{path}:{eq.line}: {why}"),
                                               eq.column, eq.cell, "skipped", eq.text,
                                               (eq.cell, eq.line, eq.column)))
    if not source.equations:
        why = ("no equation found: the document has no $…$, $$…$$, \\(…\\), \\[…\\] or math environment, and no "
               "name=number in its text (formulas that were images or were lost in extraction cannot be read)")
        report.results.append(Finding(ClaimResult(str(path), 0, 1, "(document)", "", "", "skipped", why), 1, None,
                                      "skipped", "", (None, 1, 1)))
    if checker is not None:
        try:
            checker.finish()
        except DerivcheckError as err:
            report.error = str(err)
    report.findings.sort(key=lambda f: (f.cell or 0, f.line or 0, f.column or 0))
    report.seconds = time.perf_counter() - start
    return report


def _hinted(source: Source, net: DocumentNetwork, report: DocumentReport) -> list[Equation]:
    """The document's equations with the ``[[prose]]`` entries applied: a display without ``=`` on the entry's
    line becomes ``name = display``; a line without an equation of that name gets ``name = number``."""
    lines = source.text.split("\n")
    out = list(source.equations)
    for hint in net.prose:
        n, name = hint["line"], brace_subscripts(hint["name"])
        if any(e.line == n and name_key(e.text.split("=")[0]) == name_key(name) for e in out):
            continue  # the line's own equation is read; the entry only says when it holds
        bare = next((e for e in out if e.line == n and e.display and len(split_top(e.text, "=")) == 1), None)
        if bare is not None and "number" not in hint:
            out[out.index(bare)] = Equation(f"{name} = {bare.text}", n, bare.column, display=True, origin="math",
                                            cell=bare.cell, prefix=len(name) + 3)
            continue
        text = lines[n - 1] if 0 < n <= len(lines) else ""
        numbers = [(at, run) for at, run in _numbers(text)]
        wanted = hint.get("number")
        pick = next(((at, run) for at, run in numbers if run == wanted), None) if wanted else \
            (numbers[-1] if numbers else None)
        if pick is None:
            report.problems.append(f"{report.path}:{n}: [[prose]] names line {n}, but it holds "
                                   f"{'no number ' + wanted if wanted else 'no number'}; fix the line number.")
            continue
        out.append(Equation(f"{name} = {pick[1]}", n, pick[0] + 1, display=False, origin="prose"))
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
