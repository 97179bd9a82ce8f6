"""pytest collection of documents (.md, .tex, .ipynb): every checked link of every equation is a test.

Contract
--------
:func:`collect_document` ``(file_path, parent)`` is called by the plugin
(:mod:`symbolic.pytest_plugin`) for a document given on the command line or matching an
ini glob of ``derivcheck_document_patterns`` (none by default: a repository's README is
not a derivation). The document is checked once (:func:`symbolic.claims.sources.document.check_document`,
its own network block); each finding that is not ``skipped`` becomes one
:class:`DocumentItem` named ``line:column link side`` (``cell N`` first in a notebook). It
passes on ``ok``, on ``rounding`` unless ``--derivcheck-strict``, and fails on ``WRONG``,
``shape error`` and ``error`` with the place, claimed and exact values and the diagnosis.
A document that cannot be read, or has nothing to check, is one collection error with
its sentence.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from .claims.sources.document import check_document
from .claims.sources.report import SKIPPED, DocumentReport

__all__ = ["collect_document", "DocumentFile", "DocumentItem", "DOCUMENT_PATTERNS_INI"]

DOCUMENT_PATTERNS_INI = "derivcheck_document_patterns"


class DocumentFile(pytest.File):
    """One document; its findings are the test items."""

    report: DocumentReport | None = None

    def collect(self) -> Iterator["DocumentItem"]:
        report = check_document(self.path)
        if report.error:
            raise self.CollectError(report.error)
        self.report = report
        shown = [f for f in report.results if f.verdict != SKIPPED]
        if not shown:
            reasons = sorted({f.diagnosis for f in report.results})[:3]
            raise self.CollectError(f"{self.path}: nothing in it can be checked ({'; '.join(reasons)})")
        seen: dict[str, int] = {}
        for k, finding in enumerate(shown):
            base = f"{finding.where} {finding.link} {finding.name}"
            seen[base] = seen.get(base, 0) + 1
            name = base if seen[base] == 1 else f"{base} #{seen[base]}"
            yield DocumentItem.from_parent(self, name=name, finding_index=k)


class DocumentItem(pytest.Item):
    """One checked link of a document."""

    def __init__(self, *, finding_index: int, **kw):
        super().__init__(**kw)
        self.finding_index = finding_index

    def runtest(self) -> None:
        finding = [f for f in self.parent.report.results if f.verdict != SKIPPED][self.finding_index]
        self.user_properties.append(("derivcheck_verdict", finding.verdict))
        if finding.verdict == "ok":
            return
        strict = self.config.getoption("derivcheck_strict", False) or self.config.getini("derivcheck_strict")
        if finding.verdict == "rounding" and not strict:
            return
        lines = [f"{self.path}:{finding.where}: {finding.link} {finding.name}: {finding.verdict}"]
        for label, value in (("claimed", finding.claimed), ("exact", finding.exact),
                             ("diagnosis", finding.diagnosis), ("message", finding.message)):
            if value:
                lines.append(f"  {label + ':':<10} {value}")
        raise AssertionError("\n".join(lines))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, AssertionError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.name} {self.name}"


def collect_document(file_path: Path, parent: pytest.Collector) -> DocumentFile:
    return DocumentFile.from_parent(parent, path=file_path)
