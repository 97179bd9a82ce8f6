"""Move draft derivation files of issue 19 out of drafts/ once their layer kind is on main.

Usage (from the repository root, with PYTHONPATH at the tree): ``python tests/data/tutorials/drafts/promote.py
020-tiny-tanh-rnn-bptt 024-cs231n-maxpool-forward-fixture:here …``. A plain stem goes to derivations/ (its
"# DRAFT" header dropped); ``stem:here`` goes beside its witness in tests/data/tutorials/ (checked by
tests/test_tutorials.py, not compiled to LaTeX by test_document.py). Each stem leaves test_tutorials.py's
PENDING table, and README's errata table is regenerated from derivations/ (test_readme.py compares it).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

__all__ = ["promote"]

ROOT = Path(__file__).resolve().parents[4]
HERE_NOTE = ["# Kept beside its witness, not in derivations/: its LaTeX document does not compile within",
             "# test_document.py's bounds yet (the conv document writes the 48-number data lines unbroken;",
             "# /work/notes/issue-19-examples.md). tests/test_tutorials.py checks it against the witness."]


def promote(arg: str) -> None:
    stem, _, where = arg.partition(":")
    src = ROOT / "tests/data/tutorials/drafts" / f"{stem}.toml"
    dst = (ROOT / "tests/data/tutorials" if where == "here" else ROOT / "derivations") / f"{stem}.toml"
    subprocess.run(["git", "-C", str(ROOT), "mv", str(src), str(dst)], check=True)
    lines = dst.read_text().split("\n")
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    dst.write_text("\n".join((HERE_NOTE if where == "here" else []) + lines))
    table = ROOT / "tests/test_tutorials.py"
    text = table.read_text()
    changed = re.sub(rf'    "{re.escape(stem)}": "[a-z0-9]+",\n', "", text)
    if changed == text:
        raise SystemExit(f"{stem} is not in test_tutorials.py's PENDING table")
    table.write_text(changed)


def _errata() -> None:
    from symbolic.errata import errata_table
    readme = ROOT / "README.md"
    table = errata_table([str(ROOT / "derivations")]).replace(str(ROOT) + "/", "")
    readme.write_text(re.sub(r"(<!-- errata:start -->\n)(.*?)(\n<!-- errata:end -->)",
                             lambda m: m.group(1) + table + m.group(3), readme.read_text(), flags=re.S))


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        promote(argument)
    _errata()
