"""Claim checking: every claim of a derivation file gets a verdict, an exact value and a diagnosis.

Contract
--------
:func:`check_file` loads one derivation file and returns a :class:`FileReport`;
it never raises for bad input: a file that cannot be loaded becomes a report
with ``error`` set, a claim that cannot be evaluated a result with verdict
``error`` and its sentence, and the other claims are still checked.
:func:`check_derivation` does the same for a loaded derivation. Many files and
folders: :mod:`symbolic.claims.running`.

Exact values (see DESIGN "Truth is exact") come from the claim context
(:class:`symbolic.claims.context.ClaimContext`):

* values and derivatives at the file's point: :class:`symbolic.truth.exact.Truth`;
* after N updates: the parameters of :class:`symbolic.truth.trajectory.Trajectory`
  (certified balls; 60 digits for relu networks up to ``EXACT_UPDATES``), then Truth
  at those parameters — its precision sentence is named in the result; a claim finer
  than the certified balls gets a sentence, not a verdict.

A WRONG number is passed to :func:`symbolic.claims.mistakes.diagnose`.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .context import ClaimContext
from .derivation import Claim, Derivation, load_derivation
from ..formulas.repair import verify_with_repair
from ..truth.trajectory import EXACT_UPDATES, REPLAY_UPDATES
from ..spec.errors import DerivcheckError
from .mistakes import diagnose
from .verdict import Verdict, format_exact

__all__ = ["ClaimResult", "FileReport", "check_file", "check_derivation", "EXACT_UPDATES", "REPLAY_UPDATES"]


@dataclass
class ClaimResult:
    file: str
    index: int
    line: int | None
    name: str
    claimed: str
    exact: str
    verdict: str
    diagnosis: str = ""
    precision: str = ""
    expect: str | None = None
    message: str = ""
    formula: str = ""                                    # the LaTeX of a formula claim, else ""
    repairs: list[dict] = field(default_factory=list)    # a WRONG formula's repairs: {"latex", "edit"}

    @property
    def as_expected(self) -> bool:
        """Whether the verdict is what the file's ``expect`` says (ok/rounding when absent)."""
        if self.expect is None:
            return self.verdict in (Verdict.OK, Verdict.ROUNDING)
        return self.verdict == self.expect

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class FileReport:
    path: str
    title: str = ""
    results: list[ClaimResult] = field(default_factory=list)
    error: str | None = None
    unchecked: str = ""
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.verdict] = out.get(r.verdict, 0) + 1
        return out


def _claim_result(ctx: ClaimContext, c: Claim) -> ClaimResult:
    base = dict(file=str(ctx.d.path), index=c.index, line=c.line, name=c.name or "formula",
                expect=c.expect)
    if c.error:
        return ClaimResult(**base, claimed=c.value or "", exact="", verdict=Verdict.ERROR, message=c.error)
    if c.kind == "formula":
        return _formula_result(ctx, c, base)
    try:
        exact = ctx.exact(c)
    except DerivcheckError as err:
        where = f"{ctx.d.path}{f':{c.line}' if c.line else ''}"
        return ClaimResult(**base, claimed=c.value, exact="", verdict=Verdict.ERROR,
                           message=f"{where}: {c.label}: {err}")
    verdict, certified = ctx.certify(c, exact)
    diagnosis = diagnose(ctx, c) if verdict == Verdict.WRONG else ""
    return ClaimResult(**base, claimed=c.value, exact=format_exact(exact, max(15, len(c.value) + 3)),
                       verdict=verdict, diagnosis=diagnosis, precision=ctx.precision_for(c) + certified)


def _formula_result(ctx: ClaimContext, c: Claim, base: dict) -> ClaimResult:
    try:
        result = verify_with_repair(ctx.network, c.formula, c.symbols, ctx.d.aliases)
    except DerivcheckError as err:
        where = f"{ctx.d.path}{f':{c.line}' if c.line else ''}"
        return ClaimResult(**base, claimed="(formula)", exact="", verdict=Verdict.ERROR,
                           message=f"{where}: {c.label}: {err}", formula=c.formula,
                           repairs=[r.to_json() for r in getattr(err, "repairs", ())])
    return ClaimResult(**base, claimed=getattr(result, "lhs", "") or "(formula)", exact="",
                       verdict=result.verdict, message=result.message, precision="symbolic proof",
                       formula=c.formula, repairs=[r.to_json() for r in result.repairs])


def check_derivation(derivation: Derivation) -> FileReport:
    """Check every claim of a loaded derivation."""
    start = time.perf_counter()
    ctx = ClaimContext(derivation)
    report = FileReport(str(derivation.path), derivation.title, unchecked=derivation.unchecked)
    for claim in derivation.claims:
        try:
            report.results.append(_claim_result(ctx, claim))
        except (DerivcheckError, RecursionError, MemoryError, OverflowError, ArithmeticError) as err:
            # One claim's failure never loses the rest of the report.
            why = str(err) if isinstance(err, DerivcheckError) else (
                f"it could not be evaluated ({type(err).__name__}); simplify the claim or report this")
            report.results.append(ClaimResult(str(derivation.path), claim.index, claim.line, claim.name or "formula",
                                              claim.value or "", "", Verdict.ERROR, expect=claim.expect,
                                              message=f"{derivation.path}: {claim.label}: {why}"))
    report.seconds = time.perf_counter() - start
    return report


def check_file(path: str | Path) -> FileReport:
    """Load and check one file; a file that cannot be loaded is a report with ``error``."""
    try:
        derivation = load_derivation(path)
    except DerivcheckError as err:
        return FileReport(str(path), error=str(err))
    return check_derivation(derivation)


