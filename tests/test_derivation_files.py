"""Every transcribed derivation gets, claim by claim, the verdict its ``expect`` records.

A claim without ``expect`` must be ok or rounding; a claim known to be wrong
carries ``expect = "WRONG"`` and the tool must still find it wrong. Each file
is checked once per test session (seed 002's 10,000-update claim costs seconds).
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from symbolic.claims.check import FileReport, check_file

DERIVATIONS = Path(__file__).resolve().parent.parent / "derivations"
FILES = sorted(DERIVATIONS.glob("*.toml"))
SEED002 = DERIVATIONS / "002-mazur-2-2-2-step-by-step.toml"


@cache
def checked(path: Path) -> FileReport:
    return check_file(path)


def test_there_are_derivations():
    assert SEED002 in FILES


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_claim_as_expected(path: Path):
    report = checked(path)
    assert report.error is None, report.error
    assert report.results, f"{path.name} has no claims"
    unexpected = [f"claim {r.index} ({r.name}, line {r.line}): claimed {r.claimed}, exact {r.exact}, "
                  f"verdict {r.verdict}, expected {r.expect or 'ok or rounding'} {r.message}"
                  for r in report.results if not r.as_expected]
    assert not unexpected, "\n".join(unexpected)
    assert all(r.verdict != "error" for r in report.results)


# Seed 002 (Mazur): the claims the issue requires, as (name, after) → the verdict the exact value gives.
SEED002_REQUIRED = {
    # forward pass
    ("net_h1", 0): "ok", ("out_h1", 0): "ok", ("out_h2", 0): "ok", ("net_o1", 0): "ok", ("out_o1", 0): "ok",
    ("out_o2", 0): "ok", ("E_o1", 0): "ok", ("E_o2", 0): "ok", ("E_total", 0): "ok",
    # output layer: the chain-rule factors and the gradient for w5
    ("dE_total/dout_o1", 0): "ok", ("dout_o1/dnet_o1", 0): "ok", ("dnet_o1/dw5", 0): "ok", ("dE_total/dw5", 0): "ok",
    # hidden layer: the factors and the gradient for w1
    ("dE_o1/dnet_o1", 0): "ok", ("dnet_o1/dout_h1", 0): "ok", ("dE_o1/dout_h1", 0): "ok",
    ("dE_o2/dout_h1", 0): "rounding",  # −0.019049119 vs −0.01904911826: 0.74 of a unit
    ("dE_total/dout_h1", 0): "ok", ("dout_h1/dnet_h1", 0): "ok", ("dnet_h1/dw1", 0): "ok", ("dE_total/dw1", 0): "ok",
    # the single update
    ("w5", 1): "ok", ("w6", 1): "ok", ("w7", 1): "ok", ("w8", 1): "ok",
    ("w1", 1): "ok", ("w2", 1): "ok", ("w3", 1): "ok",
    ("w4", 1): "WRONG",  # printed 0.29950299, exact 0.29950229 (one digit mistyped)
    # after training
    ("E_total", 1): "WRONG",  # the famous 0.291027924; exact 0.291027774
    ("E_total", 10000): "WRONG",
}


def test_seed002_claims_present_and_checked():
    from symbolic.claims.derivation import load_derivation

    claims = {(c.name, c.after): c.index for c in load_derivation(SEED002).claims}
    missing = sorted(set(SEED002_REQUIRED) - set(claims))
    assert not missing, f"seed 002 lacks {missing}"
    results = {r.index: r for r in checked(SEED002).results}
    got = {key: results[claims[key]].verdict for key in SEED002_REQUIRED}
    assert got == SEED002_REQUIRED
    assert all(results[claims[key]].exact for key in SEED002_REQUIRED)


def test_seed002_diagnoses():
    """The recorded errors come with the mistake that explains them.

    Checked independently with the float hand-backprop of tests/test_mistakes.py: one step that sends
    the hidden error back through the already-updated w5..w8 gives E_total = 0.291027924 (the
    tutorial's figure), and 9,999 true updates give 0.0000351085 (its 10,000-update figure).
    """
    results = {(r.name, r.claimed): r for r in checked(SEED002).results}
    assert "one digit mistyped" in results["w4", "0.29950299"].diagnosis
    assert "correctly rounded it reads 0.29950229" in results["w4", "0.29950299"].diagnosis
    assert "updated before the hidden-layer gradients" in results["E_total", "0.291027924"].diagnosis
    long_run = results["E_total", "0.0000351085"]
    assert "one update too few" in long_run.diagnosis
    assert long_run.precision.startswith("certified ball arithmetic through 10,000 update(s)")
