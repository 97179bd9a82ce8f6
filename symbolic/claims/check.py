"""Claim checking: every claim of a derivation file gets a verdict, an exact value and a diagnosis.

Contract
--------
:func:`check_file` loads one derivation file and returns a :class:`FileReport`;
it never raises for bad input: a file that cannot be loaded becomes a report
with ``error`` set, a claim that cannot be evaluated a result with verdict
``error`` and its sentence, and the other claims are still checked.
:func:`check_files` checks many files, in worker processes when ``jobs`` > 1,
and yields the reports in the order of the files as each becomes ready;
:func:`check_paths` expands directories (``*.toml``, sorted) and checks each.

Exact values (see DESIGN "Truth is exact"):

* values and derivatives at the file's point: :class:`symbolic.truth.exact.Truth`;
* after N updates: the parameters of :class:`symbolic.truth.trajectory.Trajectory`
  (60 digits for N ≤ ``EXACT_UPDATES``, a float64 trajectory beyond), then Truth
  at those parameters — its precision sentence ("60 digits through N update(s)",
  "float64 trajectory of N updates, then exact") is named in the result, because
  a float64 trajectory is a screen, not an exact value.

A WRONG number is passed to :func:`symbolic.claims.mistakes.diagnose`.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator

import sympy as sp

from .derivation import Claim, Derivation, load_derivation
from ..formulas.verify import verify_formula
from ..truth.trajectory import EXACT_UPDATES, REPLAY_UPDATES, Trajectory, to_fraction
from ..spec.errors import DerivcheckError, shorten
from ..truth.evaluator import DIGITS
from ..truth.exact import PRECISIONS, Truth
from .mistakes import diagnose
from ..spec.network import Network
from ..spec.names import Name, parse_name
from ..truth.replay import Mistakes, Replay
from .verdict import ROUNDING_UNITS, Verdict, format_exact, judge, judge_bounds, printed_unit
from ..truth.balls import Undecided, Undefined, Unevaluable

__all__ = ["ClaimResult", "FileReport", "check_file", "check_files", "check_paths", "default_jobs", "EXACT_UPDATES", "REPLAY_UPDATES"]


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


class _Skip(Exception):
    """A mistake that cannot be replayed here."""


class ClaimContext:
    """Everything the claim checker and the mistake table need about one derivation."""

    # a mistake that cannot be replayed here (too many updates, a kink, a non-finite value) is skipped,
    # never allowed to cost the claim its verdict
    skippable = (_Skip, DerivcheckError, ArithmeticError)

    def __init__(self, derivation: Derivation):
        self.d = derivation
        self.network: Network = derivation.network
        self.notes: list[str] = []
        self._truths: dict = {}
        self._replay: Replay | None = None
        self.trajectory = Trajectory(self.network, replay=lambda: self.replay)

    # ---------------------------------------------------------------- helpers
    def note(self, text: str) -> None:
        self.notes.append(text)

    @property
    def has_bias(self) -> bool:
        return any(b != "none" for b in self.network.bias)

    @property
    def replay(self) -> Replay:
        if self._replay is None:
            self._replay = Replay(self.network)
        return self._replay

    def display(self, canonical: str) -> str:
        return self.d.display_name(canonical)

    def _truth(self, values: dict[str, Fraction], sample: int) -> Truth:
        key = (tuple(sorted(values.items())), sample)
        if key not in self._truths:
            net = self.network.with_values(values) if values else self.network
            self._truths[key] = Truth(net, sample)
        return self._truths[key]

    # ----------------------------------------------------------- trajectories
    def parameters_after(self, with_values: dict[str, Fraction], n: int) -> dict[str, Fraction]:
        """Exact-as-possible parameter values after ``n`` true gradient-descent updates (see Trajectory)."""
        return self.trajectory.after(with_values, n)

    def _check_poison(self, key, parameter: str | None) -> None:
        """Raise if the claim needs a parameter whose trajectory crossed a kink (see Trajectory.check_poison)."""
        self.trajectory.check_poison(dict(key[0]), key[1], parameter)

    def precision_for(self, c: Claim) -> str:
        return self.trajectory.precision(c.after)

    # ----------------------------------------------------------------- truth
    def _evaluate(self, c: Claim, values: dict[str, Fraction], quantity: Name, wrt: Name | None):
        truth = self._truth(values, c.sample)
        if wrt is None:
            return truth.value(quantity)
        return truth.derivative(quantity, wrt)

    def _values(self, with_values: dict[str, Fraction], after: int, parameter: str | None = None) -> dict:
        """Parameter values at a claim's point: the file's, with ``with`` changes, after ``after`` updates.

        ``parameter`` names the one parameter a claim reads (None: the claim depends on all of them),
        so a kink that makes only other parameters' updates undefined does not refuse it.
        """
        if not after:
            return {**self.network.parameter_values(), **with_values} if with_values else {}
        values = self.parameters_after(with_values, after)
        self._check_poison((tuple(sorted(with_values.items())), after), parameter)
        return values

    @staticmethod
    def _read_parameter(c: Claim, quantity: Name | None = None) -> str | None:
        q = quantity or c.quantity
        return str(q) if c.kind == "value" and q.is_parameter else None

    def exact(self, c: Claim):
        values = self._values(c.with_values, c.after, self._read_parameter(c))
        return self._evaluate(c, values, c.quantity, c.wrt)

    def exact_for(self, c: Claim, other: str):
        """The claim's quantity with ``other`` in place of its parameter entry."""
        name = parse_name(other)
        values = self._values(c.with_values, c.after, self._read_parameter(c, name))
        if c.kind == "derivative":
            return self._evaluate(c, values, c.quantity, name)
        return self._evaluate(c, values, name, None)

    def certify(self, c: Claim, exact) -> tuple[str, str]:
        """(verdict, precision note) from the certified ball of the claim's value: the verdict every point
        of the ball gets, at the first precision of ``PRECISIONS`` whose ball lies inside one verdict region.
        A value still on a boundary at the last precision is judged from its 60 digits, and the note says so."""
        if isinstance(exact, sp.Rational):
            return judge(c.value, exact).verdict, ""
        truth = self._truth(self._values(c.with_values, c.after, self._read_parameter(c)), c.sample)
        for bits in PRECISIONS:
            lo, hi = truth.enclosure(c.quantity, c.wrt, bits)
            judgement = judge_bounds(c.value, lo, hi)
            if judgement is not None:
                return judgement.verdict, "" if bits == PRECISIONS[0] else f", certified at {bits:,} bits"
        return judge(c.value, exact).verdict, (f", within 2^-{PRECISIONS[-1]:,} of a verdict boundary: judged "
                                               f"from {DIGITS} digits")

    def near_claim(self, c: Claim, others: list[str]) -> list[str]:
        """The ``others`` whose derivative (as :meth:`exact_for` reads it) a float screen of the point
        evaluation puts within ROUNDING_UNITS + 1 units of the claimed number, in their order; only those
        can reproduce it, so only those are computed exactly (a 128×128 weight has 16,383 siblings)."""
        if c.kind != "derivative":
            return others
        point = self._truth(self._values(c.with_values, c.after), c.sample).at()
        claimed, band = float(Decimal(c.value)), float((ROUNDING_UNITS + 1) * printed_unit(c.value))
        kept = []
        for other in others:
            try:
                v = point.derivative(c.quantity, parse_name(other), c.sample)
                near = type(v) is Undefined or abs(float(v) - claimed) <= band * (1 + 1e-9)
            except (Undecided, Unevaluable, DerivcheckError, OverflowError):
                near = True  # let the exact evaluation say what it is
            if near:
                kept.append(other)
        return kept

    def exact_with(self, c: Claim, with_values: dict[str, Fraction]):
        values = self._values(with_values, c.after, self._read_parameter(c)) or self.network.parameter_values()
        return self._evaluate(c, values, c.quantity, c.wrt)

    def node_value(self, name: str, c: Claim):
        """A node's exact value at the claim's point (its 'with' changes and updates applied)."""
        return self._truth(self._values(c.with_values, c.after), c.sample).value(name)

    # ------------------------------------------------------- for the mistakes
    def sibling_entries(self, target: Name) -> list[str]:
        if target is None or target.kind not in ("W", "b") or not target.indices:
            return []
        prefix = f"{target.kind}{target.layer}"
        own = str(target)
        names = [p for p in self.network.parameter_names() if p.startswith(prefix + "[") and p != own]
        if target.kind == "W":
            transposed = f"{prefix}[{target.indices[1]},{target.indices[0]}]"
            names.sort(key=lambda p: p != transposed)
        return names

    def has_siblings(self, c: Claim) -> bool:
        target = c.wrt if c.kind == "derivative" else c.quantity
        return bool(self.sibling_entries(target)) and (c.kind == "derivative" or c.after > 0)

    def moved_changes(self, c: Claim):
        for key, value in c.with_values.items():
            for other in self.sibling_entries(parse_name(key)):
                if other in c.with_values:
                    continue
                moved = {k: v for k, v in c.with_values.items() if k != key}
                moved[other] = value
                shown = format_exact(sp.Rational(value.numerator, value.denominator)).split(" = ")[-1]
                yield moved, f" ({self.display(key)} = {shown} seems to have been applied to {self.display(other)})"

    def replay_value(self, c: Claim, m: Mistakes, after: int | None = None):
        """The claim's number when the author makes mistake ``m`` (None if it does not apply)."""
        n = c.after if after is None else after
        start = dict(c.with_values)
        if n > REPLAY_UPDATES:
            if m.fprime != "true" or m.sequential:
                raise _Skip(f"more than {REPLAY_UPDATES:,} updates with this mistake are not replayed")
            p = self._numpy_after(start, n, m)
        else:
            p = self.replay.train(self.replay.initial(start), n, self.network.learning_rate, m)
        q = c.quantity
        if c.kind == "derivative":
            if q.kind != "L" or q.indices or not c.wrt.is_parameter:
                return None
            return _fraction_value(self.replay.gradient(p, m)[str(c.wrt)])
        if q.is_parameter:
            return _fraction_value(p[str(q)])
        if q.kind == "L":
            if q.indices:
                return _fraction_value(self.replay.loss_terms(p, c.sample, m)[q.indices[0] - 1])
            return _fraction_value(self.replay.loss(p, m))
        if q.kind in ("u", "a"):
            u, a = self.replay.forward(p, c.sample)
            return _fraction_value((u if q.kind == "u" else a)[q.layer][q.indices[0] - 1])
        return None

    def _numpy_after(self, start: dict, n: int, m: Mistakes) -> dict:
        """Float64 parameters after ``n`` updates (with mistake ``m``), resuming cached runs (Trajectory.float_after)."""
        return self.trajectory.float_after(start, n, m)


def _fraction_value(v) -> sp.Rational:
    f = to_fraction(v)
    return sp.Rational(f.numerator, f.denominator)


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
        result = verify_formula(ctx.network, c.formula, c.symbols)
    except DerivcheckError as err:
        where = f"{ctx.d.path}{f':{c.line}' if c.line else ''}"
        return ClaimResult(**base, claimed="(formula)", exact="", verdict=Verdict.ERROR,
                           message=f"{where}: {c.label}: {err}")
    return ClaimResult(**base, claimed=getattr(result, "lhs", "") or "(formula)", exact="",
                       verdict=result.verdict, message=result.message, precision="symbolic proof")


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


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; directories → their ``*.toml`` files, sorted. Missing paths raise."""
    out: list[Path] = []
    for given in paths:
        if not str(given).strip():  # Path("") would silently mean the current folder
            raise DerivcheckError("An empty argument is not a file or folder name; give a derivation file or a "
                                  "directory of them (. for the current one).")
        p = Path(given)
        try:
            if p.is_dir():
                out.extend(sorted(p.glob("*.toml")))
                continue
            exists = p.exists()
        except OSError as err:  # e.g. a name too long for the file system
            shown = shorten(str(p))
            raise DerivcheckError(f"{shown} cannot be read ({err.strerror or err}).") from None
        if exists:
            out.append(p)
        else:
            raise DerivcheckError(f"{p} does not exist; give a derivation file or a directory of them.")
    return out


def default_jobs(files: int) -> int:
    """One worker per core, never more than there are files."""
    return max(1, min(files, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def check_files(files: list[Path], jobs: int = 1) -> Iterator[FileReport]:
    """The report of each file, in the files' order, checked by up to ``jobs`` worker processes.

    Workers are forked (they start with every module already imported) and only
    from a process running a single Python thread, where forking is safe;
    anywhere else, or with one file or ``jobs`` = 1, files are checked here, one
    after another. Workers ignore Ctrl-C: the caller gets the KeyboardInterrupt
    and the workers are stopped.
    """
    jobs = min(jobs, len(files))
    if jobs <= 1 or threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(check_file, files)
        return
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"), initializer=_ignore_sigint)
    try:
        yield from pool.map(check_file, files)
    finally:
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()  # an interrupted or abandoned run leaves no worker checking on
        pool.shutdown(wait=True, cancel_futures=True)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def check_paths(paths: Iterable[str | Path], jobs: int = 1) -> list[FileReport]:
    return list(check_files(expand_paths(paths), jobs))
