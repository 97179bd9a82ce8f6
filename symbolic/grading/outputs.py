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

It returns the class report. :func:`write_atomic` is the one writer used for all of them.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..spec.errors import DerivcheckError
from .exports import file_slugs, gradescope_results, junit_xml, scores_csv
from .html import write_html_report
from .report import ClassReport, class_report

__all__ = ["write_outputs", "write_atomic", "write_json"]


def write_atomic(path: str | Path, text: str) -> None:
    path = Path(path)
    if path.is_dir():
        raise DerivcheckError(f"{path} is a directory; give a file name to write to.")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise DerivcheckError(f"{path} cannot be written ({err.strerror or err}); check that its folder exists.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: str | Path, doc: dict) -> None:
    write_atomic(path, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


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
