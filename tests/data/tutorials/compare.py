"""Compare derivcheck's exact values with the independent witnesses, claim by claim.

Contract
--------
``python tests/data/tutorials/compare.py`` loads every ``*_reference.py`` beside
this file (pure mpmath), runs ``derivcheck check --json`` on the derivation file
of the same stem (derivations/, else beside this file), and prints one line per
file: claims compared, the worst relative difference between derivcheck's
``exact`` and the witness (derivcheck prints 15 significant digits, so about
1e-15 is agreement), and the claims derivcheck could not evaluate. Exit status
1 when a printed value or a claim count differs, or a difference exceeds 1e-12.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from mpmath import mp, mpf, nstr

__all__ = ["compare"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def _rows(reference: Path) -> list:
    spec = importlib.util.spec_from_file_location(reference.stem.replace("-", "_"), reference)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.rows()


def compare(reference: Path) -> tuple[str, bool]:
    stem = reference.name.removesuffix("_reference.py")
    toml = ROOT / "derivations" / f"{stem}.toml"
    toml = toml if toml.exists() else HERE / f"{stem}.toml"
    run = subprocess.run(["derivcheck", "check", "--json", str(toml)], capture_output=True, text=True, cwd=ROOT)
    claims = json.loads(run.stdout)["files"][0]["claims"]
    rows = _rows(reference)
    if len(rows) != len(claims):
        return f"{stem}: {len(rows)} witness rows but {len(claims)} claims", False
    worst, skipped, good = mpf(0), [], True
    for row, claim in zip(rows, claims):
        good &= row.printed == claim["claimed"]
        if not claim["exact"]:
            skipped.append(f"{row.n} ({claim['verdict']})")
            continue
        exact = mpf(claim["exact"].split("=")[-1])
        worst = max(worst, abs(exact - row.true) / max(abs(row.true), mpf("1e-30")))
    good &= worst < mpf("1e-12")
    rest = f"; not evaluated: {', '.join(skipped)}" if skipped else ""
    return f"{stem}: {len(claims) - len(skipped)} compared, worst relative difference {nstr(worst, 3)}{rest}", good


if __name__ == "__main__":
    mp.dps = 50
    results = [compare(r) for r in sorted(HERE.glob("*_reference.py"))]
    print("\n".join(line for line, _ in results))
    sys.exit(0 if all(ok for _, ok in results) else 1)
