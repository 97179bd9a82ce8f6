"""Cost guards: refuse or bound a derivation's work before it is built, each with one sentence.

Contract
--------
The exact checker's cost grows with the network (depth, width, parameters), the samples,
the number of ``with`` variants and the formulas' nesting. These guards run *before* any
value is computed and name the size they found and the limit:

* :func:`network_cost` — a network deeper than ``MAX_DEPTH`` layers or with more than
  ``MAX_SAMPLES`` samples (2,000: measured, the exact sweep costs ~0.1 ms per sample of a 2-2-1 sigmoid net
  in Python ball arithmetic, so 5,000 samples took 0.7–1.3 s of CPU per claim and 10,000 1.6 s, over the
  fuzz run's 1 s per claim; 2,000 samples take ~0.6 s for a one-claim file), or whose exact sweep (parameters × samples) is over
  ``MAX_SWEEP_WORK``: the sentence every claim of the file gets (None when it is fine).
* :func:`formula_cost` — a formula whose integer exponents multiply to more than
  ``MAX_FORMULA_DEGREE`` (``((x₁+x₂+x₃)^{64})^{64})^{64}`` is a polynomial of degree up to
  262,144: SymPy's expansion takes minutes and its rationals exceed Python's 4,300-digit
  printing limit), whose ``\\sum`` ranges multiply to more than ``MAX_SUM_TERMS`` terms, or that
  uses exp more than ``MAX_EXP`` times.
* :class:`FileBudget` — a per-file CPU budget (``FILE_BUDGET_SECONDS``): once it is spent the
  remaining claims are not started, each gets the sentence saying so, and the file's report
  ends normally (a claim already running is finished: checks are not interrupted midway).
* :data:`MAX_DIAGNOSED_SAMPLES` — over this many samples a WRONG claim gets its exact value but the
  mistake table is not run (each of its entries re-evaluates the whole batch: 5,000 samples of a
  2-2-1 net cost ~4 s per WRONG claim); the claim context's notes say so.
* :data:`MAX_DIAGNOSED_POINT_WORK` — nor over this many parameters × samples (each entry is one more
  exact batch gradient: 8-16-8-4 at 200 samples, 63,200, cost ~1.5 s per WRONG claim).
* :data:`TRUTH_CACHE` — how many points (``with`` variants × updates × samples) the claim
  context keeps evaluated at once; older ones are dropped (memory bounded, recomputed if
  asked again).
"""
from __future__ import annotations

import re
import time

from ..spec.network import Network

__all__ = ["MAX_DEPTH", "MAX_SAMPLES", "MAX_SWEEP_WORK", "MAX_FORMULA_DEGREE", "MAX_SUM_TERMS", "MAX_EXP",
           "FILE_BUDGET_SECONDS", "TRUTH_CACHE", "MAX_DIAGNOSED_SAMPLES", "MAX_DIAGNOSED_POINT_WORK",
           "MAX_DIAGNOSED_UPDATE_WORK", "network_cost", "sample_bound", "raw_sample_bound", "formula_cost", "FileBudget", "refusal"]

MAX_DEPTH = 100  # layers after the input
MAX_SAMPLES = 2_000  # each sample is its own exact sweep: 2-2-1 sigmoid, 2,000 samples ~0.6 s of CPU per file
MAX_SWEEP_WORK = 20_000_000  # parameters x samples of one exact sweep (~40 s of ball arithmetic)
MAX_FORMULA_DEGREE = 4_096
MAX_SUM_TERMS = 1_000
MAX_EXP = 10  # \exp / e^{…} occurrences: nested, each one squares the magnitudes
FILE_BUDGET_SECONDS = 300.0
TRUTH_CACHE = 32
MAX_DIAGNOSED_SAMPLES = 500
MAX_DIAGNOSED_POINT_WORK = 20_000  # parameters x samples of a diagnosed claim (each mistake: one batch gradient)
MAX_DIAGNOSED_UPDATE_WORK = 250_000  # parameters x samples x updates of a diagnosed claim (~0.2 s of float runs)

_EXPONENT = re.compile(r"\^\s*\{\s*(\d{1,12})\s*\}|\^\s*(\d)")
_BOUNDS = re.compile(r"\\(?:sum|prod)\s*_\s*\{[^{}]*\}\s*\^\s*(?:\{[^{}]*\}|\S)")
_SUM = re.compile(r"\\sum\s*_\s*\{[^{}]*?=\s*(-?\d{1,12})\s*\}\s*\^\s*\{?\s*(-?\d{1,12})")


def network_cost(network: Network) -> str | None:
    """Why this network is refused before anything is built (None: it is within every bound)."""
    depth = len(network.layers) - 1
    if depth > MAX_DEPTH:
        return (f"the network has {depth:,} layers; derivcheck checks at most {MAX_DEPTH} (each layer is one step of "
                f"the exact sweep; a derivation by hand has a few).")
    m = len(network.x) if network.x is not None else 0
    if m > MAX_SAMPLES:
        return sample_bound(m)
    work = len(network.parameter_names()) * max(m, 1)
    if work > MAX_SWEEP_WORK:
        return (f"the exact sweep would cover {work:,} parameter-samples ({len(network.parameter_names()):,} parameters "
                f"x {max(m, 1):,} samples); the limit is {MAX_SWEEP_WORK:,} — use fewer samples or a smaller network.")
    return None


def sample_bound(m: int) -> str:
    """The sentence for a [data] of ``m`` > ``MAX_SAMPLES`` samples (the loader says it for the whole file, before
    the rows are converted; :func:`network_cost` for a network built otherwise)."""
    return (f"[data] has {m:,} samples; derivcheck checks at most {MAX_SAMPLES:,} exactly (each sample is its own "
            f"exact sweep; a worked example has a few): check a subset of the samples.")


def raw_sample_bound(rows) -> str | None:
    """:func:`sample_bound` for a file's raw [data] x (a list of rows, as read), or None: the loader says it for
    the whole file before the rows are converted (20,000 rows to Fractions: 0.4 s of CPU)."""
    if isinstance(rows, list) and len(rows) > MAX_SAMPLES and all(isinstance(r, list) for r in rows):
        return sample_bound(len(rows))
    return None


def formula_cost(formula: str) -> str | None:
    """Why this formula is refused before it is parsed and proved (None: within the bounds)."""
    terms = 1
    for lo, hi in _SUM.findall(formula):
        terms = min(terms * max(1, int(hi) - int(lo) + 1), 10 ** 30)
    if terms > MAX_SUM_TERMS:
        return (f"its sums run over {terms:,} terms in all (limit {MAX_SUM_TERMS:,}); sums over a layer's neurons "
                f"need a few.")
    degree = 1
    for braced, single in _EXPONENT.findall(_BOUNDS.sub("", formula)):  # a sum's upper bound is no power
        degree = min(degree * max(1, int(braced or single)), 10 ** 30)
    if degree > MAX_FORMULA_DEGREE:
        shown = f"more than {10 ** 30:,}" if degree >= 10 ** 30 else f"{degree:,}"
        return (f"its exponents multiply to {shown} (limit {MAX_FORMULA_DEGREE:,}): a polynomial of up to that "
                f"degree cannot be expanded and proved in reasonable time; write the power as it is used.")
    exps = formula.count("\\exp") + len(re.findall(r"\be\s*\^", formula))
    if exps > MAX_EXP:
        return f"it uses exp {exps} times (limit {MAX_EXP}); nested exponentials overflow any finite evaluation."
    return None


class FileBudget:
    """The CPU time one file may take (see the module contract)."""

    def __init__(self, seconds: float = FILE_BUDGET_SECONDS):
        self.seconds = seconds
        self.start = time.process_time()

    def spent(self) -> bool:
        return time.process_time() - self.start > self.seconds

    def sentence(self) -> str:
        return (f"not checked: the file's budget of {self.seconds:.0f} s of CPU was spent on the claims before it; "
                f"split the file or check this claim on its own.")


def refusal(derivation, claim, budget: FileBudget) -> str | None:
    """The sentence a claim gets instead of being checked (None: check it): the file's budget, the network's
    cost (said for every claim of the file), or the claim's formula."""
    if budget.spent():
        return budget.sentence()
    network = getattr(derivation, "network", None)
    if network is not None and getattr(network, "params", None) is not None and hasattr(network, "layers"):
        try:
            why = network_cost(network)
        except Exception:  # noqa: BLE001 — a network kind without these attributes is not guarded here
            why = None
        if why and claim.kind != "formula":
            return why
    if claim.kind == "formula" and getattr(claim, "formula", None):
        return formula_cost(claim.formula)
    return None
