"""The errata table: every claim the tool finds wrong in a set of derivation files, as Markdown.

Contract
--------
:func:`errata_table` checks the files and returns a Markdown table with one
row per claim whose verdict is not ok/rounding (file, claim, claimed, exact,
verdict, diagnosis). ``python -m symbolic.errata derivations/`` prints it;
README's "Errata the tool found in the seeds" section is this output, and a
test keeps the two identical.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .claims.running import check_paths

__all__ = ["errata_table"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _short(message: str) -> str:
    """A formula counterexample without its full point (``derivcheck check`` prints the point)."""
    return re.sub(r"^Counterexample at the test point .*?\]: ", "Counterexample: ", message, flags=re.S)


def errata_table(paths: list[str]) -> str:
    lines = ["| seed | claim | claimed | exact | verdict | diagnosis |", "|---|---|---|---|---|---|"]
    for report in check_paths(paths):
        for r in report.results:
            if r.verdict in ("ok", "rounding"):
                continue
            what = r.name + (f" (line {r.line})" if r.line else "")
            detail = r.diagnosis or _short(r.message) or "no known mistake reproduces it"
            lines.append("| " + " | ".join(_cell(c) for c in (
                Path(report.path).stem.split("-")[0], what, r.claimed, r.exact, r.verdict, detail)) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m symbolic.errata [PATH …]``: print the table (the README's errata section)."""
    parser = argparse.ArgumentParser(prog="python -m symbolic.errata",
                                     description="Print the Markdown errata table of derivation files (README's section).")
    parser.add_argument("paths", nargs="*", default=["derivations"], help="derivation files or folders (default: derivations)")
    args = parser.parse_args(argv)
    print(errata_table(args.paths))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
