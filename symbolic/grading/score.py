"""Scoring one submission against an answer key, claim by claim, with the reason for every point.

Contract
--------
:func:`grade_record` ``(record, key, student)`` turns a submission's check record
(:mod:`symbolic.grading.record`, already :func:`~symbolic.grading.record.named`) into a
:class:`StudentGrade`. For each required claim of the key (matched by identity, the
first submission claim of that identity counts):

* ``ok`` → full points;
* ``rounding`` → the claim's ``rounding`` credit (``full`` or ``half``), whether the
  digits are truncated or computed from the student's own rounded numbers
  (``carried_from`` set — the reason names those claims);
* ``WRONG`` with ``carried_from`` (a carried error: the number follows from the
  student's own earlier wrong numbers) → the claim's ``carried`` credit;
* ``WRONG`` otherwise, ``shape error``, ``error`` → 0, the diagnosis or message as reason;
* not claimed → 0, ``missing``.

Claims repeating an identity already claimed are ``extra`` (not graded); claims the
key does not name are ``not required`` (checked, shown, not graded). A file that
cannot be loaded scores 0 with its sentence as the reason of every claim; a file
that changes the exercise (network, data, parameters) scores 0 with the fields it
changes. Root mistakes are mapped to mistake-table entries (:data:`MISTAKES` keys) by
the descriptions the diagnosis is made of. Scores are exact fractions.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction

from ..claims.mistakes import MISTAKES
from .key import AnswerKey, KeyClaim

__all__ = ["ClaimGrade", "StudentGrade", "grade_record", "mistake_keys", "points_text"]


@dataclass
class ClaimGrade:
    number: int  # the key's claim number
    label: str
    identity: str
    max_points: Fraction
    points: Fraction
    status: str  # ok | rounding | carried | WRONG | error | shape error | missing | not graded
    claimed: str = ""
    exact: str = ""
    verdict: str = ""
    reason: str = ""
    line: int | None = None
    submitted_as: str = ""
    carried_from: list[int] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)


@dataclass
class StudentGrade:
    student: str
    path: str
    status: str  # graded | unreadable | wrong exercise | failed
    score: Fraction
    max_score: Fraction
    claims: list[ClaimGrade]
    extra: list[dict] = field(default_factory=list)
    not_required: list[dict] = field(default_factory=list)
    message: str = ""
    title: str = ""

    @property
    def percent(self) -> float:
        return float(100 * self.score / self.max_score) if self.max_score else 0.0

    def to_json(self) -> dict:
        out = asdict(self)
        out["score"], out["max_score"] = points_text(self.score), points_text(self.max_score)
        for c in out["claims"]:
            c["points"], c["max_points"] = points_text(c["points"]), points_text(c["max_points"])
        return out

    @classmethod
    def from_json(cls, doc: dict) -> "StudentGrade":
        claims = [ClaimGrade(**{**c, "points": Fraction(c["points"]), "max_points": Fraction(c["max_points"])})
                  for c in doc["claims"]]
        return cls(**{**doc, "claims": claims, "score": Fraction(doc["score"]),
                      "max_score": Fraction(doc["max_score"])})


def points_text(value: Fraction) -> str:
    """A score as text: ``2``, ``1.5``, or ``1/3`` when it has no short decimal."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    for digits in range(1, 7):
        if (value * 10 ** digits).denominator == 1:
            return f"{float(value):.{digits}f}"
    return f"{value.numerator}/{value.denominator}"


def mistake_keys(diagnosis: str) -> list[str]:
    """The mistake-table entries a diagnosis names, in the order it names them (a table description starts a part)."""
    parts = [p.strip() for p in diagnosis.split("; ")] if diagnosis else []
    keys = [m.key for p in parts for m in MISTAKES if p.startswith(m.description)]
    return list(dict.fromkeys(keys))


def _claimed_list(numbers: list[int], by_index: dict[int, dict]) -> str:
    named = [f"{k} ({by_index[k]['name']} = {by_index[k]['claimed']})" if k in by_index else str(k) for k in numbers]
    return ("your claim " if len(named) == 1 else "your claims ") + ", ".join(named)


def _grade_claim(kc: KeyClaim, r: dict, by_index: dict[int, dict]) -> ClaimGrade:
    verdict, carried = r["verdict"], list(r.get("carried_from") or [])
    g = ClaimGrade(kc.number, kc.label, kc.identity, kc.points, Fraction(0), verdict, r["claimed"], r["exact"], verdict,
                   line=r.get("line"), submitted_as=r["name"], carried_from=carried)
    truth = f"the exact value is {r['exact']}" if r["exact"] else ""
    if verdict == "ok":
        g.points, g.reason = kc.points, "correct"
    elif verdict == "rounding":
        g.points = kc.points * kc.policy.credit("rounding")
        how = f"computed from {_claimed_list(carried, by_index)}" if carried else "off in the last digits"
        g.reason = f"rounding: {how}; {truth} ({kc.policy.rounding} credit for rounding)"
    elif verdict == "WRONG" and carried:
        g.status, g.points = "carried", kc.points * kc.policy.credit("carried")
        g.reason = (f"carried error: it follows from {_claimed_list(carried, by_index)}; {truth} "
                    f"({kc.policy.carried} credit for a carried error)")
    elif verdict == "WRONG":
        g.mistakes = mistake_keys(r.get("diagnosis", ""))
        g.reason = (r.get("diagnosis") or "WRONG, no known mistake reproduces it") + (f"; {truth}" if truth else "")
    else:
        g.reason = r.get("message") or verdict
    return g


def _exercise_changes(record: dict, key: AnswerKey) -> list[str]:
    mine = record.get("exercise") or {}
    return [f"{k} ({key.exercise[k]} in the key, {mine.get(k, 'missing')} here)"
            for k in key.exercise if mine.get(k) != key.exercise[k]]


def _zero(key: AnswerKey, reason: str) -> list[ClaimGrade]:
    return [ClaimGrade(kc.number, kc.label, kc.identity, kc.points, Fraction(0), "not graded", reason=reason)
            for kc in key.claims]


def grade_record(record: dict, key: AnswerKey, student: str, path: str) -> StudentGrade:
    """The grade of one (named) check record; see the module contract."""
    total = key.max_score
    if record.get("error"):
        status = "failed" if record.get("internal") else "unreadable"
        return StudentGrade(student, path, status, Fraction(0), total, _zero(key, record["error"]),
                            message=record["error"])
    changes = _exercise_changes(record, key)
    if changes:
        shown = "; ".join(changes[:4]) + (f"; and {len(changes) - 4} more" if len(changes) > 4 else "")
        message = (f"{path} changes the exercise: {shown}. Keep [network], [data] and [parameters] as handed out "
                   "and resubmit.")
        return StudentGrade(student, path, "wrong exercise", Fraction(0), total, _zero(key, message),
                            message=message, title=record.get("title", ""))
    claims = record["claims"]
    by_index = {r["index"]: r for r in claims}
    first: dict[str, dict] = {}
    extra, not_required = [], []
    required = {kc.identity for kc in key.claims}
    for r in claims:
        ident = r["claim_id"]
        if ident and ident in first:
            extra.append({**r, "reason": f"claims {ident} again (claim {first[ident]['index']} already does); "
                                         "only the first claim of a quantity is graded"})
        elif ident:
            first[ident] = r
            if ident not in required:
                not_required.append({**r, "reason": "not required by the key"})
        else:  # a claim that cannot be read: its sentence says why
            not_required.append({**r, "reason": r.get("message") or "cannot be read"})
    grades = []
    for kc in key.claims:
        r = first.get(kc.identity)
        grades.append(_grade_claim(kc, r, by_index) if r is not None else
                      ClaimGrade(kc.number, kc.label, kc.identity, kc.points, Fraction(0), "missing",
                                 reason="not claimed in the submission"))
    score = sum((g.points for g in grades), Fraction(0))
    return StudentGrade(student, path, "graded", score, total, grades, extra, not_required,
                        title=record.get("title", ""))
