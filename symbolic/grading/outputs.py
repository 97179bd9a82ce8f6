"""Writing a graded course to a folder: grades.json, class.json, scores.csv, junit.xml, Gradescope files, HTML.

Contract
--------
:func:`write_outputs` ``(directory, course)`` writes, each file atomically (a
temporary file renamed, so an interrupted run leaves no half-written file):

* ``grades.json`` — the course (:meth:`symbolic.grading.course.Course.to_json`), the
  input of ``derivcheck merge``;
* ``class.json`` — the class report (:mod:`symbolic.grading.report`);
* ``scores.csv``, ``junit.xml`` — :mod:`symbolic.grading.exports`;
* ``gradescope/SLUG.json`` — each student's Gradescope ``results.json``;
* ``report/index.html`` and ``report/students/SLUG.html`` — :mod:`symbolic.grading.html`.

It returns the class report. Every file goes through :func:`symbolic.grading.files.write_atomic`.
"""
from __future__ import annotations

from pathlib import Path

from ..spec.errors import DerivcheckError
from .exports import file_slugs, gradescope_results, junit_xml, scores_csv
from .html import write_html_report
from .files import write_atomic, write_json
from .report import ClassReport, class_report

__all__ = ["write_outputs"]


def write_outputs(directory: str | Path, course) -> ClassReport:
    directory = Path(directory)
    try:
        (directory / "gradescope").mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DerivcheckError(f"-o {directory} cannot be created ({err.strerror or err}).") from None
    report = class_report(course)
    write_json(directory / "grades.json", course.to_json())
    write_json(directory / "class.json", report.to_json())
    write_atomic(directory / "scores.csv", scores_csv(course))
    write_atomic(directory / "junit.xml", junit_xml(course))
    for s, slug in zip(course.students, file_slugs([s.student for s in course.students])):
        write_json(directory / "gradescope" / f"{slug}.json", gradescope_results(s))
    write_html_report(directory / "report", course, report)
    return report
