"""Live processes, for the tests that check no worker outlives an interrupted run (test_hardening, test_hardening_io)."""
from __future__ import annotations

from pathlib import Path

__all__ = ["processes_mentioning"]


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains ``text`` (forked workers share the parent's)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if text.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found
