"""The ``grade``, ``merge`` and ``variant`` commands: options checked, work done by the grading modules, text printed.

Contract
--------
:func:`run` ``(args)`` runs the command ``args.grading`` names and returns the exit
status: 0 when every submission was graded (whatever its score), 1 when derivcheck
itself could not grade some submission (status ``failed``), 2 (via
:class:`DerivcheckError` from the CLI) for a bad key, option or output. Per student
one line (score, status, and what cost points) unless ``--quiet``; then the class
summary (:func:`symbolic.grading.report.summary_text`).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..claims.running import default_jobs
from ..spec.errors import DerivcheckError
from .cache import RecordCache
from .course import Course, find_submissions, grade_course, load_course, merge_courses, parse_shard
from .exports import gradescope_results
from .key import load_key
from .files import write_json
from .outputs import write_outputs
from .report import class_report, summary_text
from .score import points_text
from .variant import write_variant

__all__ = ["run", "default_cache"]


def default_cache() -> Path:
    given = os.environ.get("DERIVCHECK_CACHE")
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "derivcheck" / "records"


def _print_students(course: Course) -> None:
    for s in course.students:
        lost = [f"{c.number} {c.status}" for c in s.claims if c.points != c.max_points]
        extra = f"; {len(s.not_required)} not required" if s.not_required else ""
        extra += f"; {len(s.extra)} extra" if s.extra else ""
        print(f"{s.student}: {points_text(s.score)}/{points_text(s.max_score)} ({s.percent:.1f} %) {s.status}"
              + (f" — lost: {', '.join(lost[:8])}{' …' if len(lost) > 8 else ''}" if lost else "") + extra)
        if s.message:
            print(f"   {s.message}")


def _finish(course: Course, quiet: bool) -> int:
    if not quiet:
        _print_students(course)
    print(summary_text(class_report(course)))
    return 1 if any(s.status == "failed" for s in course.students) else 0


def _grade(args) -> int:
    jobs = args.jobs
    if jobs is not None and jobs < 1:
        raise DerivcheckError(f"--jobs is {jobs}; give 1 or more worker processes.")
    if args.no_cache and args.cache:
        raise DerivcheckError("--cache and --no-cache contradict each other; give one.")
    shard = parse_shard(args.shard) if args.shard else None
    if shard and not args.output:
        raise DerivcheckError("--shard needs -o FILE.json: the shard's grades, which 'derivcheck merge' joins.")
    if shard and args.gradescope:
        raise DerivcheckError("--gradescope writes one submission's results; it cannot be combined with --shard.")
    key = load_key(args.key)
    for warning in key.warnings():
        print(f"derivcheck: warning: {warning}", file=sys.stderr)
    files = find_submissions(args.submissions)
    if args.gradescope and len(files) != 1:
        raise DerivcheckError("--gradescope writes the results.json of one submission; give exactly one "
                              "(use -o FOLDER for a whole course: it writes gradescope/STUDENT.json per student).")
    cache = RecordCache(None if args.no_cache else Path(args.cache) if args.cache else default_cache())
    if jobs is None:
        jobs = default_jobs(len(files))
    course = grade_course(key, [str(f) for f in files], jobs=jobs, scheduler=args.scheduler, cache=cache, shard=shard,
                          time_limit=args.time_limit)
    if shard:
        out = Path(args.output)
        write_json(out, course.to_json())
        print(f"wrote {out} (shard {shard[0]}/{shard[1]}: {len(course.students)} of {course.total} submissions)")
    elif args.output:
        write_outputs(args.output, course)
        print(f"wrote {args.output}/ (grades.json, class.json, scores.csv, junit.xml, gradescope/, report/index.html)")
    if args.gradescope:
        write_json(args.gradescope, gradescope_results(course.students[0]))
        print(f"wrote {args.gradescope}")
    print(f"{len(course.students)} submission(s) in {course.seconds:.2f} s: {course.checked} checked, "
          f"{course.cache_hits} from the cache")
    return _finish(course, args.quiet)


def _merge(args) -> int:
    parts = [load_course(p) for p in args.shards]
    course = merge_courses(parts, list(args.shards))
    write_outputs(args.output, course)
    print(f"merged {len(parts)} shard(s), {len(course.students)} submission(s) → {args.output}/")
    return _finish(course, args.quiet)


def _variant(args) -> int:
    for path in write_variant(args.key, args.seed, Path(args.output), pdf=args.pdf):
        print(f"wrote {path}")
    return 0


def run(args) -> int:
    return {"grade": _grade, "merge": _merge, "variant": _variant}[args.grading](args)
