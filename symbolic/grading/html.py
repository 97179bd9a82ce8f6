"""The HTML class report: a summary page linking one page per student, a histogram, the mistake table.

Contract
--------
:func:`write_html_report` ``(directory, course, report)`` writes ``index.html`` and
``students/SLUG.html`` (one per student, :func:`symbolic.grading.exports.file_slugs`)
and returns the index's path. The summary holds the distribution, an inline SVG
histogram of the percentages (one bar per bin, each with its count), the mistake
table (mistake-table entry, description, claims, students, which claims), the claims
most often without full credit, and the students' table (score, percent, status,
link). A student page holds the score, one row per required claim (points, verdict,
claimed, exact, reason) and the not-required and extra claims. Pages are static
(no script, no external resource: they open offline), UTF-8, written atomically, and every piece of
user text goes through :func:`html.escape`.
"""
from __future__ import annotations

import html
from pathlib import Path

from .exports import file_slugs
from .files import write_atomic
from .report import BINS, ClassReport
from .score import StudentGrade, points_text

__all__ = ["write_html_report", "histogram_svg"]

_STYLE = """body{font-family:sans-serif;margin:2em;max-width:72em}table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#eee}
tr.none td{background:#fde8e8}tr.partial td{background:#fff6d6}.num{text-align:right}"""


def _page(title: str, body: list[str]) -> str:
    return "\n".join(["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
                      f"<title>{html.escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
                      *body, "</body>", "</html>", ""])


def _table(headers: list[str], rows: list[list[str]], classes: list[str] | None = None, id_: str = "") -> list[str]:
    out = [f'<table{f" id={chr(34)}{id_}{chr(34)}" if id_ else ""}>',
           "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>"]
    for k, row in enumerate(rows):
        cls = f' class="{classes[k]}"' if classes and classes[k] else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    out.append("</table>")
    return out


def histogram_svg(counts: list[int]) -> str:
    """Bars of the percentage histogram, labelled with their bins and counts."""
    width, height, bar = 40 * len(counts) + 40, 220, 32
    top = max(counts) if counts and max(counts) else 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="histogram" width="{width}" height="{height}" '
             f'role="img" aria-label="score distribution">']
    for k, n in enumerate(counts):
        h = round(150 * n / top)
        x = 30 + 40 * k
        lo = k * 100 // BINS
        parts.append(f'<rect class="bar" data-bin="{lo}" data-count="{n}" x="{x}" y="{170 - h}" width="{bar}" '
                     f'height="{h}" fill="#4a7bb7"><title>{lo}–{lo + 100 // BINS} %: {n}</title></rect>')
        parts.append(f'<text x="{x + bar / 2}" y="{165 - h}" font-size="11" text-anchor="middle">{n}</text>')
        parts.append(f'<text x="{x + bar / 2}" y="186" font-size="10" text-anchor="middle">{lo}</text>')
    parts.append('<text x="30" y="210" font-size="11">percent of the maximum score</text></svg>')
    return "".join(parts)


def _student_page(s: StudentGrade, title: str) -> str:
    e = html.escape
    body = ['<p><a href="../index.html">class report</a></p>', f"<h1>{e(s.student)}</h1>",
            f'<p id="score">{e(points_text(s.score))} / {e(points_text(s.max_score))} ({s.percent:.1f} %), '
            f"{e(s.status)} — {e(s.path)}</p>"]
    if s.message:
        body.append(f'<p class="message">{e(s.message)}</p>')
    rows, classes = [], []
    for c in s.claims:
        rows.append([str(c.number), e(c.label), f"{e(points_text(c.points))} / {e(points_text(c.max_points))}",
                     e(c.status), e(c.claimed), e(c.exact), e(c.reason)])
        classes.append("" if c.points == c.max_points else "partial" if c.points > 0 else "none")
    body += ["<h2>Required claims</h2>",
             *_table(["#", "claim", "points", "verdict", "claimed", "exact", "reason"], rows, classes, "claims")]
    for heading, items in (("Claims the key does not require", s.not_required), ("Extra claims", s.extra)):
        if items:
            body += [f"<h2>{heading}</h2>", *_table(["#", "claim", "claimed", "verdict", "exact", "note"], [
                [str(r["index"]), e(r["name"]), e(r["claimed"]), e(r["verdict"]), e(r["exact"]),
                 e(r.get("diagnosis") or r["reason"])] for r in items])]
    return _page(f"{s.student} — {title}", body)


def write_html_report(directory: str | Path, course, report: ClassReport) -> Path:
    e = html.escape
    directory = Path(directory)
    (directory / "students").mkdir(parents=True, exist_ok=True)
    title = str(course.key_info.get("title", "derivcheck"))
    slugs = file_slugs([s.student for s in course.students])
    for s, slug in zip(course.students, slugs):
        write_atomic(directory / "students" / f"{slug}.html", _student_page(s, title))
    d = report.distribution
    body = [f"<h1>{e(title)}</h1>",
            f'<p id="distribution">{d["students"]} student(s)' + (
                f"; mean {d['mean']} %, median {d['median']} %, lowest {d['lowest']} %, highest {d['highest']} %, "
                f"standard deviation {d['stdev']} %" if d["students"] else "") + "; " +
            e(", ".join(f"{v} {k}" for k, v in sorted(d["by_status"].items()))) + "</p>",
            "<h2>Distribution</h2>", histogram_svg(report.histogram),
            "<h2>Most common mistakes</h2>"]
    body += _table(["entry", "mistake", "claims", "students", "where"], [
        [e(m["key"]), e(m["description"]), str(m["claims"]), str(m["students"]),
         e(", ".join(f"{label} ({n})" for label, n in m["key_claims"]))] for m in report.mistakes], id_="mistakes")
    body.append("<h2>Claims most often without full credit</h2>")
    body += _table(["#", "claim", "points", "full", "partial", "none", "WRONG", "carried", "rounding", "missing",
                    "error"], [[str(r["number"]), e(r["label"]), e(r["points"]), *(str(r[k]) for k in (
                        "full", "partial", "none", "WRONG", "carried", "rounding", "missing", "error"))]
                               for r in report.claims], id_="claims")
    body.append("<h2>Students</h2>")
    body += _table(["student", "score", "percent", "status"], [
        [f'<a class="student" href="students/{e(slug)}.html">{e(s.student)}</a>',
         f"{e(points_text(s.score))} / {e(points_text(s.max_score))}", f"{s.percent:.1f}", e(s.status)]
        for s, slug in zip(course.students, slugs)], id_="students")
    index = directory / "index.html"
    write_atomic(index, _page(title, body))
    return index
