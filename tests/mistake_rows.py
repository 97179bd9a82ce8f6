"""One body for the table-driven mistake tests: a file with a wrong and a right claim of one quantity.

:func:`assert_diagnosed` writes ``header`` plus the two claims (printed to 9 significant digits) to
``path``, checks it, and asserts that the first is WRONG with ``description`` in its diagnosis and the
second ok with none.
"""
from __future__ import annotations

from pathlib import Path

from symbolic.claims.check import check_file

__all__ = ["assert_diagnosed"]


def assert_diagnosed(path: Path, header: str, name: str, wrong, right, description: str) -> None:
    claims = "".join(f'\n[[claims]]\nname = "{name}"\nvalue = "{float(v):.9g}"\n' for v in (wrong, right))
    path.write_text(header + claims, encoding="utf-8")
    report = check_file(path)
    assert report.error is None, report.error
    bad, good = report.results
    assert (bad.verdict, good.verdict) == ("WRONG", "ok"), (bad, good)
    assert description in bad.diagnosis, bad.diagnosis
    assert good.diagnosis == ""
