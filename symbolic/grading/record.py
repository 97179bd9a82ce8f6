"""A submission's check record: what :mod:`symbolic.claims.check` says about one submitted file, as JSON.

Contract
--------
A submission is a derivation file (``.toml``) or a document (``.md``, ``.tex``,
``.ipynb``: :func:`symbolic.claims.sources.document.check_document`, whose value links
are claims identified through the claims draft it builds, and whose arithmetic,
substitution, equality and formula links are claims no key requires).
:func:`check_submission` ``(name, data)`` checks the bytes ``data`` of a submission
called ``name`` (its path as given) and returns a JSON-able record — the same for
the same bytes on any machine and whatever the name, which is what the cache stores and what executors
send back:

* ``error``: the file-level sentence when the file cannot be loaded (else None);
* ``title`` and ``exercise`` (the network, data and parameter values the file poses,
  :func:`symbolic.grading.key.exercise_of`);
* ``claims``: per claim its ``index``, ``line``, ``name``, ``claim_id``
  (:func:`symbolic.grading.key.claim_identity`), ``claimed``, ``exact``, ``verdict``,
  ``diagnosis``, ``message``, ``precision`` and ``carried_from`` — all from the check
  records (``getattr(result, "carried_from", [])`` until the check has that field);
* ``internal``: True only when derivcheck itself failed on the file (such a record is
  never cached, and the sentence says to report it).

The bytes are checked from a private temporary file, so what is checked is exactly
what was hashed; its path is written :data:`PLACEHOLDER` in the record, and
:func:`named` puts the submission's name back. Nothing here raises for any input.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ..claims.check import check_derivation
from ..claims.derivation import load_derivation, parse_derivation
from ..claims.sources.document import check_document
from ..claims.sources.equations import DOCUMENT_SUFFIXES
from ..spec.errors import DerivcheckError
from .key import claim_identity, exercise_of

__all__ = ["check_submission", "named", "PLACEHOLDER", "RECORD_VERSION", "SUBMISSION_SUFFIXES"]

SUBMISSION_SUFFIXES = (".toml", *DOCUMENT_SUFFIXES)

PLACEHOLDER = "\u0000submission\u0000"
RECORD_VERSION = 1


def _strip(value: Any, path: str) -> Any:
    if isinstance(value, str):
        return value.replace(path, PLACEHOLDER)
    if isinstance(value, list):
        return [_strip(v, path) for v in value]
    if isinstance(value, dict):
        return {k: _strip(v, path) for k, v in value.items()}
    return value


def named(record: dict, name: str) -> dict:
    """The record with the submission's own name where the checked temporary file's path stood."""
    def put(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(PLACEHOLDER, name)
        if isinstance(value, list):
            return [put(v) for v in value]
        if isinstance(value, dict):
            return {k: put(v) for k, v in value.items()}
        return value
    return put(record)


def _claim(r, claim_id: str) -> dict:
    return {"index": r.index, "line": r.line, "name": r.name, "claim_id": claim_id, "claimed": r.claimed,
            "exact": r.exact, "verdict": r.verdict, "diagnosis": r.diagnosis, "message": r.message,
            "precision": r.precision, "carried_from": [int(k) for k in (getattr(r, "carried_from", None) or [])]}


def _identities(derivation) -> dict[int, str]:
    return {c.index: claim_identity(c) for c in derivation.claims if not c.error}


def _empty(error: str) -> dict:
    return {"error": error, "title": "", "exercise": {}, "claims": []}


def _check_derivation_file(path: Path) -> dict:
    try:
        derivation = load_derivation(path)
    except DerivcheckError as err:
        return _empty(str(err))
    report = check_derivation(derivation)
    ids = _identities(derivation)
    return {"error": None, "title": derivation.title, "exercise": exercise_of(derivation),
            "claims": [_claim(r, ids.get(r.index, "")) for r in report.results]}


def _check_document_file(path: Path) -> dict:
    """A document's value links become claims (identified through the claims draft the document check built);
    its other checked links (arithmetic, substitutions, equalities, formulas) are claims no key requires."""
    report = check_document(path)
    if report.error:
        return _empty(report.error)
    if not report.draft:
        return _empty(f"{path}: no claimed value could be read with a network; add a ```toml derivcheck block with "
                      "the exercise's [network], [data] and [parameters] (as handed out) and write each result as "
                      "name = value.")
    derivation = parse_derivation(report.draft, path)
    ids = _identities(derivation)
    claims = [_claim(f.result, ids.get(f.result.index, "") if f.link == "value" else f"{f.link} at {f.where}")
              for f in report.findings if f.result.verdict != "skipped"]
    return {"error": None, "title": report.title, "exercise": exercise_of(derivation), "claims": claims}


def _check_file(path: Path) -> dict:
    if path.suffix.lower() in DOCUMENT_SUFFIXES:
        return _check_document_file(path)
    return _check_derivation_file(path)


def check_submission(name: str, data: bytes) -> dict:
    """The check record of one submission's bytes (see the module contract)."""
    base = os.path.basename(name) or "submission.toml"
    with tempfile.TemporaryDirectory(prefix="derivcheck-grade-") as tmp:
        path = Path(tmp) / base
        try:
            path.write_bytes(data)
            record = _check_file(path)
            internal = False
        except (DerivcheckError, OSError) as err:
            record, internal = {"error": f"{path}: cannot be checked ({err}).", "title": "", "exercise": {},
                                "claims": []}, False
        except Exception as err:  # noqa: BLE001 — one submission's failure never stops the course
            record = {"error": f"{path}: derivcheck failed on this file ({type(err).__name__}: {str(err)[:200]}); "
                               "this is a bug in derivcheck, please report it with the file.",
                      "title": "", "exercise": {}, "claims": []}
            internal = True
        record = _strip(record, str(path))
    record["internal"] = internal
    record["version"] = RECORD_VERSION
    return record
