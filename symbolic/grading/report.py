"""The class report: the score distribution, the most common mistakes, the claims most often wrong.

Contract
--------
:func:`class_report` ``(course)`` summarises a :class:`~symbolic.grading.course.Course`
into a :class:`ClassReport`:

* ``distribution``: number of students, mean, median, lowest, highest and standard
  deviation of the percentages, students per status, and :data:`BINS` histogram
  counts (0–10 %, …, 90–100 %; exactly 100 % is in the last bin);
* ``mistakes``: per mistake-table entry (``symbolic.claims.mistakes.MISTAKES``) the
  root errors it explains — claims, students, which key claims — most common first,
  with one row for WRONG numbers no entry explains;
* ``claims``: per required claim how many students got full, partial and no credit,
  and why not (WRONG, carried, rounding, missing, error), most often wrong first.

:func:`summary_text` is the plain-text form the ``grade`` command prints.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from ..claims.mistakes import MISTAKES

__all__ = ["ClassReport", "class_report", "summary_text", "BINS", "UNEXPLAINED"]

BINS = 10
UNEXPLAINED = "unexplained"
_DESCRIPTIONS = {m.key: m.description for m in MISTAKES}


@dataclass
class ClassReport:
    distribution: dict
    histogram: list[int]
    mistakes: list[dict] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"distribution": self.distribution, "histogram": self.histogram, "mistakes": self.mistakes,
                "claims": self.claims}


def _distribution(percents: list[float], statuses: list[str]) -> tuple[dict, list[int]]:
    hist = [0] * BINS
    for p in percents:
        hist[min(BINS - 1, int(p // (100 / BINS)))] += 1
    by_status: dict[str, int] = {}
    for s in statuses:
        by_status[s] = by_status.get(s, 0) + 1
    d = {"students": len(percents), "by_status": by_status}
    if percents:
        d.update(mean=round(statistics.fmean(percents), 2), median=round(statistics.median(percents), 2),
                 lowest=round(min(percents), 2), highest=round(max(percents), 2),
                 stdev=round(statistics.pstdev(percents), 2))
    return d, hist


def class_report(course) -> ClassReport:
    students = course.students
    distribution, hist = _distribution([s.percent for s in students], [s.status for s in students])
    mistakes: dict[str, dict] = {}
    claims = {c["number"]: {"number": c["number"], "label": c["label"], "points": c["points"], "full": 0,
                            "partial": 0, "none": 0, "WRONG": 0, "carried": 0, "rounding": 0, "missing": 0,
                            "error": 0} for c in course.key_info["claims"]}
    for s in students:
        for g in s.claims:
            row = claims.get(g.number)
            if row is None:
                continue
            row["full" if g.points == g.max_points else "partial" if g.points > 0 else "none"] += 1
            bucket = g.status if g.status in ("WRONG", "carried", "rounding", "missing") else (
                "error" if g.status != "ok" else None)
            if bucket:
                row[bucket] += 1
            if g.status == "WRONG":
                for k in g.mistakes or [UNEXPLAINED]:
                    m = mistakes.setdefault(k, {"key": k, "description": _DESCRIPTIONS.get(
                        k, "WRONG numbers no mistake of the table reproduces"), "claims": 0, "students": set(),
                        "key_claims": {}})
                    m["claims"] += 1
                    m["students"].add(s.student)
                    m["key_claims"][g.label] = m["key_claims"].get(g.label, 0) + 1
    rows = []
    for m in mistakes.values():
        rows.append({**m, "students": len(m["students"]),
                     "key_claims": sorted(m["key_claims"].items(), key=lambda kv: (-kv[1], kv[0]))})
    rows.sort(key=lambda m: (m["key"] == UNEXPLAINED, -m["claims"], m["key"]))
    wrong = sorted(claims.values(), key=lambda r: (-(r["partial"] + r["none"]), r["number"]))
    return ClassReport(distribution, hist, rows, wrong)


def summary_text(report: ClassReport, top: int = 5) -> str:
    d = report.distribution
    lines = [f"{d['students']} student(s)" + (f": mean {d['mean']} %, median {d['median']} %, lowest {d['lowest']} %, "
                                             f"highest {d['highest']} %" if d["students"] else "")]
    lines.append("  status: " + ", ".join(f"{v} {k}" for k, v in sorted(d["by_status"].items())))
    if report.mistakes:
        lines.append("  most common mistakes:")
        lines += [f"    {m['claims']:>4} claim(s), {m['students']:>4} student(s): {m['description']}"
                  for m in report.mistakes[:top]]
    often = [r for r in report.claims if r["partial"] + r["none"]][:top]
    if often:
        lines.append("  claims most often without full credit:")
        lines += [f"    claim {r['number']} {r['label']}: {r['none']} none, {r['partial']} partial "
                  f"(WRONG {r['WRONG']}, carried {r['carried']}, missing {r['missing']})" for r in often]
    return "\n".join(lines)
