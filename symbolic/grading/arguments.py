"""The command-line options of ``derivcheck grade``, ``variant`` and ``merge`` (argparse only, nothing heavy).

Contract
--------
:func:`add_grading_commands` ``(sub, run)`` adds the three sub-commands to the
``derivcheck`` parser's sub-parsers ``sub``; each calls ``run(args)`` (the CLI's lazy
dispatch into :mod:`symbolic.grading.commands`). Importing this module imports only argparse and
the CLI's option types (symbolic.options), so the CLI starts as fast as before. Options are documented in docs/grading.md.
"""
from __future__ import annotations

import argparse
from typing import Callable

from ..options import whole_number

__all__ = ["add_grading_commands", "DEFAULT_CACHE"]

DEFAULT_CACHE = "~/.cache/derivcheck/records (or $DERIVCHECK_CACHE)"


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:60]!r} is not a number of seconds") from None
    if not 0 <= value <= 86_400:
        raise argparse.ArgumentTypeError(f"{text[:60]} is out of range; give 0 (no limit) to 86400 seconds")
    return value


def add_grading_commands(sub, run: Callable) -> None:
    p = sub.add_parser("grade", help="grade submissions against an answer key (scores, reasons, class report)")
    p.add_argument("key", help="the answer key: a derivation file with points (docs/grading.md)")
    p.add_argument("submissions", nargs="+", help="submissions (.toml derivation files, .md/.tex/.ipynb documents) or folders of them")
    p.add_argument("-o", "--output", help="folder for grades.json, scores.csv, junit.xml, gradescope/, report/ "
                                          "(with --shard: the shard's grades .json file)")
    p.add_argument("-j", "--jobs", type=int, help="worker processes (default: one per core)")
    p.add_argument("--scheduler", help="check on a Dask distributed cluster, e.g. tcp://scheduler:8786")
    p.add_argument("--shard", help="grade only shard K of N (K/N), for merge")
    p.add_argument("--cache", help=f"record cache folder (default {DEFAULT_CACHE})")
    p.add_argument("--no-cache", action="store_true", dest="no_cache", help="check every submission afresh")
    p.add_argument("--gradescope", help="with one submission: write its Gradescope results.json to this file")
    p.add_argument("--time-limit", type=_seconds, default=300.0, dest="time_limit",  # executors.DEFAULT_TIME_LIMIT
                   help="seconds one submission's check may take (default 300; 0: no limit); a submission over it "
                        "is reported as not graded and the others go on")
    p.add_argument("--quiet", action="store_true", help="print only the class summary")
    p.set_defaults(func=run, grading="grade")
    p = sub.add_parser("merge", help="merge the grades of shards (grade --shard K/N -o FILE.json) into one course")
    p.add_argument("shards", nargs="+", help="the shards' grades .json files")
    p.add_argument("-o", "--output", required=True, help="folder for the course's outputs (as grade -o)")
    p.add_argument("--quiet", action="store_true", help="print only the class summary")
    p.set_defaults(func=run, grading="merge")
    p = sub.add_parser("variant", help="a new exercise from a key: fresh parameter values, answer key, solution PDF")
    p.add_argument("key", help="the answer key (its [grading.variant] states the ranges)")
    p.add_argument("--seed", type=whole_number(0, 2 ** 63 - 1, "a seed"), required=True, help="the same seed gives the same variant")
    p.add_argument("-o", "--output", required=True, help="folder for the variant's key, handout and solution")
    p.add_argument("--pdf", action="store_true", help="also compile the solution document (latexmk)")
    p.set_defaults(func=run, grading="variant")
