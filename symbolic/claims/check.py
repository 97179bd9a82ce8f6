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

A WRONG number is passed to :func:`symbolic.claims.mistakes.diagnose`; a formula claim's diagnosis is its
verdict's (conv formulas: :mod:`symbolic.formulas.conv_diagnose`). When that search is cut short and
finds nothing (over ``MAX_DIAGNOSED_SAMPLES`` samples or ``MAX_DIAGNOSED_UPDATE_WORK`` parameter-sample-
updates; f′ and sequential-update mistakes beyond ``MISTAKE_REPLAY_UPDATES`` updates), the result's ``message`` carries the one sentence of
:func:`symbolic.claims.mistakes.undiagnosed` ("not diagnosed: …"), so the text report, the JSON report and
the pytest plugin show it.

File-level notes (``FileReport.notes``: the text report, the JSON ``notes``, the pytest plugin's summary) are
how the file's names were read, the targets its output cannot reach (:mod:`symbolic.claims.targets`) and a
pattern behind every root error (:mod:`symbolic.claims.patterns`); none changes a verdict.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .carry import Chain
from .context import ClaimContext
from .costs import FileBudget, refusal
from .derivation import Claim, Derivation, load_derivation
from ..truth.trajectory import EXACT_UPDATES, REPLAY_UPDATES
from ..spec.errors import DerivcheckError, KinkError
from .convolution_mistakes import TIE_MISTAKES
from .mistakes import diagnose, undiagnosed
from .patterns import loss_scale_pattern
from .targets import unreachable_note
from .verdict import VERDICTS, Verdict, coarse_integer, format_exact, printed_unit

__all__ = ["ClaimResult", "FileReport", "check_file", "check_derivation", "canonical_of", "EXACT_UPDATES",
           "REPLAY_UPDATES"]


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
    canonical: str = ""  # the canonical quantity ("dL/dW2[1,1]", "a1[2]"); "" for formulas
    formula: str = ""  # the LaTeX of a formula claim
    carried_from: list[int] = field(default_factory=list)  # claims whose printed numbers reproduce this one
    repairs: list[dict] = field(default_factory=list)  # a WRONG formula's repairs: {"latex", "edit"}

    @property
    def carried(self) -> bool:
        """A WRONG number reproduced from the author's own earlier WRONG numbers (not a root error)."""
        return self.verdict == Verdict.WRONG and bool(self.carried_from)

    def meets_expectation(self, strict_carry: bool = False) -> bool:
        """Whether the verdict is what the file's ``expect`` says (ok/rounding when absent; a carried error
        too, unless ``strict_carry``)."""
        if self.expect is None:
            return self.verdict in (Verdict.OK, Verdict.ROUNDING) or (self.carried and not strict_carry)
        return self.verdict == self.expect

    @property
    def as_expected(self) -> bool:
        return self.meets_expectation()

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
    notes: list[str] = field(default_factory=list)  # how the file's names were read

    def to_json(self) -> dict:
        return {"path": self.path, "title": self.title, "error": self.error, "notes": self.notes,
                "counts": self.counts(), "claims": [c.to_json() for c in self.results]}

    def counts(self) -> dict[str, int]:
        """Claims per verdict (every verdict, zeros included); carried errors are also counted apart."""
        out = {v: 0 for v in VERDICTS}
        for r in self.results:
            out[r.verdict] = out.get(r.verdict, 0) + 1
        out["carried"] = sum(1 for r in self.results if r.carried)
        return out


def canonical_of(c: Claim) -> str:
    """The canonical name of what a claim states ("" for a formula or a claim that did not resolve)."""
    if c.kind == "derivative":
        return f"d{c.quantity}/d{c.wrt}"
    return str(c.quantity) if c.kind == "value" else ""


def _claim_result(ctx: ClaimContext, c: Claim, chain: Chain) -> ClaimResult:
    base = dict(file=str(ctx.d.path), index=c.index, line=c.line, name=c.name or "formula",
                expect=c.expect, canonical=canonical_of(c), formula=c.formula or "")
    if c.error:
        return ClaimResult(**base, claimed=c.value or "", exact="", verdict=Verdict.ERROR, message=c.error)
    if c.kind == "formula":
        return _formula_result(ctx, c, base)
    try:
        exact = ctx.exact(c)
    except DerivcheckError as err:
        where = f"{ctx.d.path}{f':{c.line}' if c.line else ''}"
        # a derivative that does not exist (a tied maximum): what the author did instead, when reproduced
        # (to half a unit: with no truth there, "within one unit" explains nothing)
        diagnosis = diagnose(ctx, c, TIE_MISTAKES, accept=(Verdict.OK,)) if isinstance(err, KinkError) else ""
        instead = f" The claimed {c.value} is what follows when {diagnosis}." if diagnosis else ""
        return ClaimResult(**base, claimed=c.value, exact="", verdict=Verdict.ERROR, diagnosis=diagnosis,
                           message=f"{where}: {c.label}: {err}{instead}")
    verdict, certified = ctx.certify(c, exact)
    exact = ctx.exact(c)  # the same value, or from the trajectory certify refined
    diagnosis, carried_from = "", []
    if verdict != Verdict.OK:
        carry = chain.explain(c, within_rounding=verdict == Verdict.ROUNDING)
        # a number within one unit of the truth stays rounding even if a WRONG earlier number also gives it
        if carry is not None and (verdict == Verdict.WRONG or carry.verdict == Verdict.ROUNDING):
            verdict, diagnosis, carried_from = carry.verdict, carry.diagnosis, carry.carried_from
    cut_short = ""
    if verdict == Verdict.WRONG and not carried_from:
        seen = len(ctx.notes)
        diagnosis = diagnose(ctx, c)
        if not diagnosis:  # the search skipped (too many samples, or mistakes beyond their replay bound): say so
            cut_short = undiagnosed(ctx.notes[seen:])
    return ClaimResult(**base, claimed=c.value, exact=format_exact(exact, max(15, len(c.value) + 3)),
                       verdict=verdict, diagnosis=diagnosis, precision=ctx.precision_for(c) + certified,
                       carried_from=carried_from, message="; ".join(filter(None, (_reading(c.value), cut_short))))


def _reading(text: str) -> str:
    """What the output says about how a printed number was read, when it is not the obvious way."""
    if coarse_integer(text):
        half = printed_unit(text) / 2
        return (f"{text} is read at its coarsest precision (±{half}), as an integer with trailing zeros; "
                f"write {text}.0 to claim it to the unit")
    return ""


def _formula_result(ctx: ClaimContext, c: Claim, base: dict) -> ClaimResult:
    from ..formulas.claim_formula import verify_claim_formula  # the LaTeX readers load only for a formula claim

    try:
        result = verify_claim_formula(ctx.network, c.formula, c.symbols, ctx.d.aliases)
    except DerivcheckError as err:
        where = f"{ctx.d.path}{f':{c.line}' if c.line else ''}"
        return ClaimResult(**base, claimed="(formula)", exact="", verdict=Verdict.ERROR,
                           message=f"{where}: {c.label}: {err}",
                           repairs=[r.to_json() for r in getattr(err, "repairs", ())])
    return ClaimResult(**base, claimed=getattr(result, "lhs", "") or "(formula)", exact="",
                       verdict=result.verdict, message=result.message, precision="symbolic proof",
                       diagnosis=getattr(result, "diagnosis", ""),
                       repairs=[r.to_json() for r in result.repairs])


def check_derivation(derivation: Derivation) -> FileReport:
    """Check every claim of a loaded derivation."""
    start = time.perf_counter()
    ctx = ClaimContext(derivation)
    chain = Chain(ctx)
    report = FileReport(str(derivation.path), derivation.title, unchecked=derivation.unchecked,
                        notes=list(derivation.notes))
    samples: dict[int, ClaimContext] = {}  # per_sample claims: the network with that sample as its data
    budget = FileBudget()
    for claim in derivation.claims:
        refused = refusal(derivation, claim, budget)  # issue 21: cost guards before anything is built
        if refused:
            report.results.append(ClaimResult(str(derivation.path), claim.index, claim.line, claim.name or "formula",
                                              claim.value or "", "", Verdict.ERROR, expect=claim.expect,
                                              message=f"{derivation.path}: {claim.label}: {refused}"))
            continue
        try:
            if claim.per_sample and not claim.error:
                if claim.sample not in samples:
                    samples[claim.sample] = ClaimContext(dataclasses.replace(
                        derivation, network=derivation.network.with_data(claim.sample)))
                result = _claim_result(samples[claim.sample], dataclasses.replace(claim, sample=1), chain)
                result.file = str(derivation.path)
            else:
                result = _claim_result(ctx, claim, chain)
            report.results.append(result)
            chain.record(claim, result.verdict, result.carried_from, result.diagnosis)
        except Exception as err:  # noqa: BLE001 — issue 21: any failure of one claim is its sentence, never the run's
            # One claim's failure never loses the rest of the report.
            why = str(err) if isinstance(err, DerivcheckError) else (
                f"it could not be evaluated ({type(err).__name__}); simplify the claim or report this")
            report.results.append(ClaimResult(str(derivation.path), claim.index, claim.line, claim.name or "formula",
                                              claim.value or "", "", Verdict.ERROR, expect=claim.expect,
                                              message=f"{derivation.path}: {claim.label}: {why}"))
    unreachable = unreachable_note(str(derivation.path), derivation.network)
    if unreachable:
        report.notes.append(unreachable)
    _say_pattern(ctx, derivation, report)
    report.seconds = time.perf_counter() - start
    return report


def _say_pattern(ctx: ClaimContext, derivation: Derivation, report: FileReport) -> None:
    """A file-level pattern (every root error off by one loss factor) is said once, in the notes, and is
    each of those claims' diagnosis."""
    try:
        found = loss_scale_pattern(ctx, derivation.claims, report.results)
    except ctx.skippable:
        return
    if found is None:
        return
    sentence, numbers = found
    report.notes.append(sentence)
    for r in report.results:
        if r.index in numbers:
            r.diagnosis = f"the file-level pattern: {sentence}"


def check_file(path: str | Path) -> FileReport:
    """Load and check one file; a file that cannot be loaded is a report with ``error``."""
    try:
        derivation = load_derivation(path)
    except DerivcheckError as err:
        return FileReport(str(path), error=str(err))
    except (Exception, RecursionError) as err:  # noqa: BLE001 — issue 21: a loader failure is this file's sentence
        return FileReport(str(path), error=f"{path}: could not be read ({type(err).__name__}); report this file.")
    return check_derivation(derivation)


