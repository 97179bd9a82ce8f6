"""What learning platforms read: Gradescope's results.json, a CSV of scores, JUnit XML.

Contract
--------
* :func:`gradescope_results` ``(grade)`` — one student's ``results.json`` in the
  format of Gradescope's autograder specification
  (https://gradescope-autograders.readthedocs.io/en/latest/specs/): top-level
  ``score``, ``output``, ``visibility``, ``stdout_visibility``, ``extra_data`` and one
  test per required claim with ``name``, ``number``, ``score``, ``max_score``,
  ``status`` (``passed`` for full credit, else ``failed``), ``output`` (verdict,
  claimed, exact, reason), ``tags`` and ``visibility``; not-required and extra claims
  are named in the top-level ``output``.
* :func:`scores_csv` ``(course)`` — one row per student: ``student``, ``file``,
  ``score``, ``max_score``, ``percent``, ``status``, then one column of points per
  required claim (``claim N: label``); RFC 4180 quoting.
* :func:`file_slugs` — one distinct, safe file stem per student (for per-student files).
* :func:`junit_xml` ``(course)`` — a ``<testsuites>`` document, one ``<testsuite>``
  per student and one ``<testcase>`` per required claim; a claim without full credit
  is a ``<failure>`` (message: the reason), a file that could not be graded an
  ``<error>``; scores are ``<property>`` elements. Built with ``xml.etree`` (escaped).
"""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

from .score import StudentGrade, points_text

__all__ = ["gradescope_results", "scores_csv", "junit_xml", "VISIBILITIES", "file_slugs"]

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


def file_slugs(students: list[str]) -> list[str]:
    """A distinct, file-system-safe file stem per student name (``alice/hw3`` → ``alice__hw3``)."""
    out, used = [], set()
    for name in students:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", name.replace("/", "__").replace("\\", "__")).strip("._") or "student"
        slug, k = base[:120], 2
        while slug.lower() in used:
            slug, k = f"{base[:110]}-{k}", k + 1
        used.add(slug.lower())
        out.append(slug)
    return out


def _claim_output(c) -> str:
    lines = [f"verdict: {c.status}" + (f" ({c.verdict})" if c.verdict and c.verdict != c.status else "")]
    if c.claimed:
        lines.append(f"claimed: {c.claimed}" + (f" (line {c.line}, as {c.submitted_as})" if c.line else ""))
    if c.exact:
        lines.append(f"exact: {c.exact}")
    if c.reason:
        lines.append(f"reason: {c.reason}")
    return "\n".join(lines)


def _file_output(grade: StudentGrade) -> str:
    lines = [f"{grade.student}: {points_text(grade.score)} / {points_text(grade.max_score)} ({grade.status})"]
    if grade.message:
        lines.append(grade.message)
    for r in grade.not_required:
        lines.append(f"claim {r['index']} ({r['name']}): {r['reason']}")
    for r in grade.extra:
        lines.append(f"claim {r['index']} ({r['name']}): {r['reason']}")
    return "\n".join(lines)


def gradescope_results(grade: StudentGrade, visibility: str = "visible") -> dict:
    tests = [{"name": f"claim {c.number}: {c.label}", "number": str(c.number), "score": float(c.points),
              "max_score": float(c.max_points), "status": "passed" if c.points == c.max_points else "failed",
              "output": _claim_output(c), "tags": [c.status, *c.mistakes], "visibility": visibility}
             for c in grade.claims]
    return {"score": float(grade.score), "output": _file_output(grade), "visibility": visibility,
            "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"derivcheck": {"student": grade.student, "status": grade.status,
                                          "score": points_text(grade.score), "max_score": points_text(grade.max_score)}}}


def scores_csv(course) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    claims = course.key_info["claims"]
    writer.writerow(["student", "file", "score", "max_score", "percent", "status",
                     *(f"claim {c['number']}: {c['label']}" for c in claims)])
    for s in course.students:
        points = {c.number: points_text(c.points) for c in s.claims}
        writer.writerow([s.student, s.path, points_text(s.score), points_text(s.max_score), f"{s.percent:.2f}",
                         s.status, *(points.get(c["number"], "") for c in claims)])
    return out.getvalue()


def junit_xml(course) -> str:
    root = ET.Element("testsuites", name=str(course.key_info.get("title", "derivcheck grades")))
    total = failures = errors = 0
    for s in course.students:
        suite = ET.SubElement(root, "testsuite", name=s.student, tests=str(len(s.claims)))
        props = ET.SubElement(suite, "properties")
        for name, value in (("score", points_text(s.score)), ("max_score", points_text(s.max_score)),
                            ("status", s.status), ("file", s.path)):
            ET.SubElement(props, "property", name=name, value=value)
        f = e = 0
        for c in s.claims:
            case = ET.SubElement(suite, "testcase", name=f"claim {c.number}: {c.label}", classname=s.student)
            ET.SubElement(case, "system-out").text = _claim_output(c)
            if s.status in ("unreadable", "failed"):
                ET.SubElement(case, "error", message=s.message[:500], type=s.status).text = s.message
                e += 1
            elif c.points != c.max_points:
                ET.SubElement(case, "failure", message=f"{points_text(c.points)}/{points_text(c.max_points)}: "
                              f"{c.reason}"[:500], type=c.status).text = _claim_output(c)
                f += 1
        suite.set("failures", str(f))
        suite.set("errors", str(e))
        total, failures, errors = total + len(s.claims), failures + f, errors + e
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
