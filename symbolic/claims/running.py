"""Running the checker over files and folders, in worker processes when asked.

Contract
--------
:func:`expand_paths` turns the command line's files and folders into derivation
files (a folder → its ``*.toml``, sorted); :func:`check_files` yields each file's
:class:`~symbolic.claims.check.FileReport` in the files' order, checked by up to
``jobs`` forked workers; :func:`check_paths` does both. A file that cannot be
loaded is a report with ``error``; no file's failure loses another's report.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Iterable, Iterator

from ..spec.errors import DerivcheckError, shorten
from .check import FileReport, check_file

__all__ = ["expand_paths", "default_jobs", "check_files", "check_paths"]


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; directories → their ``*.toml`` files, sorted. Missing paths raise."""
    out: list[Path] = []
    for given in paths:
        if not str(given).strip():  # Path("") would silently mean the current folder
            raise DerivcheckError("An empty argument is not a file or folder name; give a derivation file or a "
                                  "directory of them (. for the current one).")
        p = Path(given)
        try:
            if p.is_dir():
                out.extend(sorted(p.glob("*.toml")))
                continue
            exists = p.exists()
        except OSError as err:  # e.g. a name too long for the file system
            shown = shorten(str(p))
            raise DerivcheckError(f"{shown} cannot be read ({err.strerror or err}).") from None
        if exists:
            out.append(p)
        else:
            raise DerivcheckError(f"{p} does not exist; give a derivation file or a directory of them.")
    return out


def default_jobs(files: int) -> int:
    """One worker per core, never more than there are files."""
    return max(1, min(files, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def check_files(files: list[Path], jobs: int = 1) -> Iterator[FileReport]:
    """The report of each file, in the files' order, checked by up to ``jobs`` worker processes.

    Workers are forked (they start with every module already imported) and only
    from a process running a single Python thread, where forking is safe;
    anywhere else, or with one file or ``jobs`` = 1, files are checked here, one
    after another. Workers ignore Ctrl-C: the caller gets the KeyboardInterrupt
    and the workers are stopped.
    """
    jobs = min(jobs, len(files))
    if jobs <= 1 or threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(check_file, files)
        return
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"), initializer=_ignore_sigint)
    try:
        yield from pool.map(check_file, files)
    finally:
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()  # an interrupted or abandoned run leaves no worker checking on
        pool.shutdown(wait=True, cancel_futures=True)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # issue 21: the parent's SIGTERM handler is not inherited


def check_paths(paths: Iterable[str | Path], jobs: int = 1) -> list[FileReport]:
    return list(check_files(expand_paths(paths), jobs))
