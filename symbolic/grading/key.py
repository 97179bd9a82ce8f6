"""Answer keys: a derivation file that names the required claims, their points and the credit policy.

Contract
--------
:func:`load_key` reads a key file — an ordinary derivation file (DESIGN "Derivation
files") with these grading keys (docs/grading.md):

* a top-level ``[grading]`` table: ``points`` (default points of a required claim, 1),
  ``carried`` (credit for a carried error: ``"full"``, ``"half"`` or ``"none"``;
  default ``"half"``), ``rounding`` (credit for a ``rounding`` verdict: ``"full"`` or
  ``"half"``; default ``"full"``), ``title`` (the assignment's name), and
  ``[grading.variant]`` (the ranges of :mod:`symbolic.grading.variant`);
* on each ``[[claims]]``: ``points``, ``carried``, ``rounding`` overriding the defaults;
  ``points = 0`` makes a claim optional (graded and shown, worth nothing).

Every claim of the key is required. A claim is identified by :func:`claim_identity`
(quantity, derivative, ``after``, ``with`` and ``sample``), so a submission may use
its own names through its own ``[aliases]``. The key's own values are the teacher's
answers; the grade never uses them (the truth comes from the check), but
:func:`load_key` returns the key's check so a wrong answer in the key is reported.

A key that cannot be used (not loadable, a claim with an error, a bad policy value)
is a :class:`DerivcheckError` naming the file, the claim and what to write, with a
"did you mean" for a misspelt key.
"""
from __future__ import annotations

import difflib
import hashlib
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..claims.check import FileReport, check_derivation
from ..claims.derivation import Claim, Derivation, load_derivation
from ..spec.errors import DerivcheckError, brief, shorten

__all__ = ["AnswerKey", "KeyClaim", "Policy", "load_key", "claim_identity", "CARRIED", "ROUNDING",
           "GRADING_KEYS", "CLAIM_GRADING_KEYS", "exercise_of"]

CARRIED = ("full", "half", "none")
ROUNDING = ("full", "half")
GRADING_KEYS = ("points", "carried", "rounding", "title", "variant")
CLAIM_GRADING_KEYS = ("points", "carried", "rounding")
CREDIT = {"full": Fraction(1), "half": Fraction(1, 2), "none": Fraction(0)}
MAX_POINTS = 10_000


@dataclass(frozen=True)
class Policy:
    """The credit a claim gets for a carried error and for a rounding verdict."""

    carried: str = "half"
    rounding: str = "full"

    def credit(self, which: str) -> Fraction:
        return CREDIT[self.carried if which == "carried" else self.rounding]


@dataclass(frozen=True)
class KeyClaim:
    """One required claim: its identity, how the key names it, its points and policy."""

    number: int  # 1-based position among the key's claims
    identity: str
    label: str
    points: Fraction
    policy: Policy


@dataclass
class AnswerKey:
    path: Path
    title: str
    derivation: Derivation
    claims: list[KeyClaim]
    exercise: dict[str, str]
    variant: dict[str, Any] = field(default_factory=dict)
    report: FileReport | None = None
    digest: str = ""

    @property
    def max_score(self) -> Fraction:
        return sum((c.points for c in self.claims), Fraction(0))

    def warnings(self) -> list[str]:
        """Sentences for the key's own claims that the check finds WRONG (the grade uses the truth)."""
        out = []
        for r in (self.report.results if self.report else []):
            if r.verdict not in ("ok", "rounding") and r.expect is None:
                out.append(f"{self.path}: the key's claim {r.index} ({shorten(r.name)}) is {r.verdict} against the "
                           f"truth{f' (exact {r.exact})' if r.exact else ''}; grades use the truth, but fix the key's value.")
        return out


def claim_identity(c: Claim) -> str:
    """What a claim claims, in canonical names: ``dL/dW2[1,1] after 1 with W1[1,1]=3/20 sample 2``."""
    if c.kind == "formula":
        return f"formula {c.name or c.formula}"
    text = f"d{c.quantity}/d{c.wrt}" if c.kind == "derivative" else str(c.quantity)
    if c.after:
        text += f" after {c.after}"
    if c.with_values:
        text += " with " + ",".join(f"{k}={v}" for k, v in sorted(c.with_values.items()))
    if c.sample != 1:
        text += f" sample {c.sample}"
    return text


def exercise_of(d: Derivation) -> dict[str, str]:
    """The exercise a derivation poses (network, data, parameter values) as comparable text per field."""
    n = d.network
    out = {"layers": "-".join(map(str, n.layers)), "activation": ",".join(n.activations), "loss": n.loss,
           "bias": ",".join(n.bias), "learning_rate": str(n.learning_rate), "update_biases": str(n.update_biases),
           "x": str([[str(v) for v in row] for row in n.x]) if n.x is not None else "",
           "y": str([[str(v) for v in row] for row in n.y]) if n.y is not None else ""}
    if n.params is not None:
        out.update({k: str(v) for k, v in n.parameter_values().items()})
    return out


def _did_you_mean(word: str, allowed: tuple[str, ...]) -> str:
    near = difflib.get_close_matches(word, allowed, n=1)
    return f" (did you mean {near[0]!r}?)" if near else ""


def _points(value: Any, where: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise DerivcheckError(f"{where}: points = {brief(value)} is not a number; write e.g. points = 2.")
    try:
        number = Fraction(Decimal(str(value).strip()))
    except (InvalidOperation, ValueError):
        raise DerivcheckError(f"{where}: points = {brief(value)} is not a number; write e.g. points = 2.") from None
    if not 0 <= number <= MAX_POINTS:
        raise DerivcheckError(f"{where}: points = {brief(value)} is out of range; give 0 to {MAX_POINTS:,}.")
    return number


def _choice(table: dict, name: str, allowed: tuple[str, ...], default: str, where: str) -> str:
    value = table.get(name, default)
    if value not in allowed:
        raise DerivcheckError(f"{where}: {name} = {brief(value)}; use one of {', '.join(map(repr, allowed))}"
                              f"{_did_you_mean(str(value), allowed)}.")
    return value


def _raw_tables(path: Path) -> tuple[dict, list]:
    """The key's [grading] table and raw [[claims]] tables (the derivation loader has validated the file)."""
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    grading = doc.get("grading", {})
    if not isinstance(grading, dict):
        raise DerivcheckError(f"{path}: grading must be a table, written [grading].")
    return grading, doc.get("claims", [])


def load_key(path: str | Path, check: bool = True) -> AnswerKey:
    """Load, validate and (when ``check``) check an answer key; see the module contract."""
    path = Path(path)
    derivation = load_derivation(path)
    grading, raw_claims = _raw_tables(path)
    where = f"{path}: [grading]"
    for name in grading:
        if name not in GRADING_KEYS:
            raise DerivcheckError(f"{where} has unknown key {shorten(name)!r}{_did_you_mean(name, GRADING_KEYS)}; "
                                  f"allowed are {', '.join(GRADING_KEYS)}.")
    default_points = _points(grading.get("points", 1), where)
    default = Policy(_choice(grading, "carried", CARRIED, "half", where),
                     _choice(grading, "rounding", ROUNDING, "full", where))
    variant = grading.get("variant", {})
    if not isinstance(variant, dict):
        raise DerivcheckError(f"{where}: variant must be a table, written [grading.variant].")
    if not derivation.claims:
        raise DerivcheckError(f"{path} has no [[claims]]; a key names the required claims (with their answers).")
    claims, seen = [], {}
    for c, raw in zip(derivation.claims, raw_claims):
        here = f"{path}{f':{c.line}' if c.line else ''}: {c.label}"
        if c.error:
            raise DerivcheckError(f"{c.error} A key's claims must all be usable; fix this one.")
        identity = claim_identity(c)
        if identity in seen:
            raise DerivcheckError(f"{here} claims {identity} again (claim {seen[identity]} already does); a key names "
                                  f"each required claim once.")
        seen[identity] = c.index
        points = _points(raw["points"], here) if "points" in raw else default_points
        policy = Policy(_choice(raw, "carried", CARRIED, default.carried, here),
                        _choice(raw, "rounding", ROUNDING, default.rounding, here))
        label = (c.name or "formula") + (f" (after {c.after})" if c.after else "") + (
            " (with " + ", ".join(f"{derivation.display_name(k)} = {v}" for k, v in c.with_values.items()) + ")"
            if c.with_values else "") + (f" (sample {c.sample})" if c.sample != 1 else "")
        claims.append(KeyClaim(c.index, identity, label, points, policy))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    report = check_derivation(derivation) if check else None
    title = str(grading.get("title", derivation.title))
    return AnswerKey(path, title, derivation, claims, exercise_of(derivation), variant, report, digest)
