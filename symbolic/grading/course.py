"""Grading a course: submissions found, named, sharded, checked (cached, on an executor), graded and merged.

Contract
--------
:func:`find_submissions` expands the command line (files as given; a directory →
its derivation files and documents — ``.toml``, ``.md``, ``.markdown``, ``.tex``,
``.ipynb`` — at any depth, sorted; hidden folders skipped) and :func:`student_names`
names each by its path relative to the submissions' common folder, without its suffix
(``alice/hw3``) — the same on every machine of a sharded run.

:func:`grade_course` ``(key, paths, jobs=, scheduler=, cache=, shard=)`` grades
the submissions (of shard ``K/N``: positions K−1, K−1+N, … of the sorted list) and
returns a :class:`Course`. Each file's bytes are read once; a cached record
(:mod:`symbolic.grading.cache`) is used as is, identical files are checked once, the
others are checked by
:mod:`symbolic.grading.executors` (serial, ``jobs`` processes, or Dask at
``scheduler``) and stored. Students come out in position order, so a course is
identical whatever the executor, the cache or the sharding.

:meth:`Course.to_json` / :func:`load_course` are the ``grades.json`` file;
:func:`merge_courses` joins the shards of one run (same key, every shard once)
into the whole course, refusing missing, repeated or foreign shards.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..spec.errors import DerivcheckError, shorten
from .cache import RecordCache, content_key
from .executors import DEFAULT_TIME_LIMIT, run_dask, run_processes, run_serial
from .key import AnswerKey
from .record import SUBMISSION_SUFFIXES, named
from .score import StudentGrade, grade_record, points_text

__all__ = ["Course", "grade_course", "find_submissions", "student_names", "parse_shard", "load_course",
           "merge_courses", "FORMAT"]

FORMAT = "derivcheck-grades"
MAX_SUBMISSION_BYTES = 10_000_000


@dataclass
class Course:
    key: AnswerKey | None
    key_info: dict
    students: list[StudentGrade]
    positions: list[int]
    total: int  # submissions in the whole course (all shards)
    shard: tuple[int, int] | None = None
    seconds: float = 0.0
    cache_hits: int = 0
    checked: int = 0
    shards: list[tuple[int, int]] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": 1, "key": self.key_info, "total_submissions": self.total,
                "shard": list(self.shard) if self.shard else None,
                "seconds": round(self.seconds, 3), "cache_hits": self.cache_hits, "checked": self.checked,
                "students": [{"position": p, **s.to_json()} for p, s in zip(self.positions, self.students)]}


def key_info(key: AnswerKey) -> dict:
    return {"path": str(key.path), "title": key.title, "digest": key.digest, "max_score": points_text(key.max_score),
            "claims": [{"number": c.number, "label": c.label, "claim_id": c.identity,
                        "points": points_text(c.points), "carried": c.policy.carried,
                        "rounding": c.policy.rounding} for c in key.claims]}


def find_submissions(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for given in paths:
        if not str(given).strip():
            raise DerivcheckError("An empty argument is not a submission; give files or folders of them.")
        p = Path(given)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.suffix.lower() in SUBMISSION_SUFFIXES and q.is_file()
                           and not any(part.startswith(".") for part in q.relative_to(p).parts))
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise DerivcheckError(f"{shorten(str(p))} does not exist; give submission files or folders of them.")
    seen, unique = set(), []
    for p in out:
        real = os.path.realpath(p)
        if real not in seen:
            seen.add(real)
            unique.append(p)
    return unique


def student_names(files: list[Path]) -> list[str]:
    """Each file's path relative to the files' common folder, without its suffix (.toml, .md, .tex, .ipynb)."""
    if not files:
        return []
    absolute = [Path(os.path.abspath(f)) for f in files]
    root = Path(os.path.commonpath([str(a.parent) for a in absolute]))
    names = []
    for a in absolute:
        rel = a.relative_to(root)
        names.append(str(rel.with_suffix("") if rel.suffix.lower() in SUBMISSION_SUFFIXES else rel))
    return names


def parse_shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise DerivcheckError(f"--shard {shorten(text)!r} is not K/N (e.g. 2/8: the second of eight shards).") from None
    if not 1 <= k <= n or n > 100_000:
        raise DerivcheckError(f"--shard {k}/{n} is out of range; K runs from 1 to N.")
    return k, n


def _read(path: Path) -> tuple[bytes | None, str]:
    try:
        if path.stat().st_size > MAX_SUBMISSION_BYTES:
            return None, f"{path}: is larger than {MAX_SUBMISSION_BYTES // 1_000_000} MB; a submission is a few kilobytes."
        return path.read_bytes(), ""
    except OSError as err:
        return None, f"{path}: cannot be read ({err.strerror or err})."


def grade_course(key: AnswerKey, paths: list[str], *, jobs: int = 1, scheduler: str | None = None,
                 cache: RecordCache | None = None, shard: tuple[int, int] | None = None,
                 progress: Callable[[int, StudentGrade], None] | None = None,
                 time_limit: float = DEFAULT_TIME_LIMIT) -> Course:
    """Grade every submission (of ``shard``); see the module contract."""
    start = time.perf_counter()
    cache = cache or RecordCache(None)
    files = find_submissions(paths)
    if not files:
        raise DerivcheckError(f"No submissions (.toml, .md, .tex, .ipynb) found in {', '.join(map(shorten, paths))}.")
    names = student_names(files)
    positions = list(range(len(files)))
    if shard is not None:
        positions = positions[shard[0] - 1::shard[1]]
    records: dict[int, dict] = {}
    todo, keys, hits = [], {}, 0
    copies: dict[str, list[int]] = {}  # content key -> positions of identical submissions (checked once)
    for p in positions:
        data, error = _read(files[p])
        if data is None:
            records[p] = {"error": error, "claims": [], "exercise": {}, "internal": False}
            continue
        keys[p] = content_key(data)
        cached = cache.get(keys[p])
        if cached is not None:
            records[p], hits = cached, hits + 1
        elif keys[p] in copies:
            copies[keys[p]].append(p)
        else:
            copies[keys[p]] = [p]
            todo.append((p, str(files[p]), data))
    if scheduler:
        stream = run_dask(todo, scheduler)
    elif jobs > 1 and len(todo) > 1:
        stream = run_processes(todo, jobs, time_limit)
    else:
        stream = run_serial(todo, time_limit)
    grades: dict[int, StudentGrade] = {}
    for first, record in stream:
        cache.put(keys[first], record)
        for p in copies[keys[first]]:
            records[p] = record
            grades[p] = grade_record(named(record, str(files[p])), key, names[p], str(files[p]))
            if progress:
                progress(p, grades[p])
    for p in positions:
        if p not in grades:
            grades[p] = grade_record(named(records[p], str(files[p])), key, names[p], str(files[p]))
    return Course(key, key_info(key), [grades[p] for p in positions], positions, len(files), shard,
                  time.perf_counter() - start, hits, len(todo))


def load_course(path: str | Path) -> Course:
    """A ``grades.json`` written by ``grade --shard`` or ``grade -o``."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise DerivcheckError(f"{path} cannot be read ({err.strerror or err}).") from None
    except ValueError as err:
        raise DerivcheckError(f"{path} is not a derivcheck grades file (it is not JSON: {err}); give the .json files "
                              "that 'derivcheck grade --shard K/N -o FILE' wrote.") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise DerivcheckError(f"{path} is not a derivcheck grades file (written by derivcheck grade).")
    try:
        students = [StudentGrade.from_json({k: v for k, v in s.items() if k != "position"}) for s in doc["students"]]
        positions = [int(s["position"]) for s in doc["students"]]
        shard = tuple(doc["shard"]) if doc.get("shard") else None
        return Course(None, doc["key"], students, positions, int(doc["total_submissions"]), shard,
                      float(doc.get("seconds", 0)), int(doc.get("cache_hits", 0)), int(doc.get("checked", 0)))
    except (KeyError, TypeError, ValueError) as err:
        raise DerivcheckError(f"{path} is a damaged grades file ({type(err).__name__}: {err}); grade again.") from None


def merge_courses(parts: list[Course], labels: list[str]) -> Course:
    """The whole course from its shards (see the module contract)."""
    if not parts:
        raise DerivcheckError("merge needs the grades files of the shards.")
    first = parts[0]
    n = first.shard[1] if first.shard else 1
    seen: dict[int, str] = {}
    for part, label in zip(parts, labels):
        if part.key_info.get("digest") != first.key_info.get("digest"):
            raise DerivcheckError(f"{label} was graded with another key ({part.key_info.get('path')}) than "
                                  f"{labels[0]} ({first.key_info.get('path')}); merge shards of one run.")
        k, m = part.shard if part.shard else (1, 1)
        if m != n or part.total != first.total:
            raise DerivcheckError(f"{label} is shard {k}/{m} of {part.total} submissions, but {labels[0]} is of "
                                  f"{n} shards and {first.total} submissions; merge shards of one run.")
        if k in seen:
            raise DerivcheckError(f"{label} and {seen[k]} are both shard {k}/{n}; give each shard once.")
        seen[k] = label
    missing = [k for k in range(1, n + 1) if k not in seen]
    if missing:
        raise DerivcheckError(f"shard(s) {', '.join(f'{k}/{n}' for k in missing)} are missing; grade them with "
                              f"--shard and merge all {n}.")
    pairs = sorted((p, s) for part in parts for p, s in zip(part.positions, part.students))
    return Course(None, first.key_info, [s for _, s in pairs], [p for p, _ in pairs], first.total, None,
                  max(p.seconds for p in parts), sum(p.cache_hits for p in parts), sum(p.checked for p in parts),
                  sorted(part.shard or (1, 1) for part in parts))
