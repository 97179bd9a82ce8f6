"""Executors that check submissions: here, in local worker processes, or on a Dask distributed cluster.

Contract
--------
Every executor takes ``items`` — ``(position, name, data)`` triples — and yields
``(position, record)`` pairs as each check finishes, in any order, one per item:
the record is :func:`symbolic.grading.record.check_submission` ``(name, data)``, so
the records are the same whatever executor computed them (the caller orders them by
position). An executor never stops on a submission:

* :func:`run_serial` checks in this process;
* :func:`run_processes` uses ``jobs`` forked worker processes; when a worker dies
  (killed, out of memory) the unfinished submissions are re-run in a new pool, and a
  submission that was being checked when workers died :data:`MAX_ATTEMPTS` times gets
  a record saying so instead of a verdict — the others go on;
* :func:`run_dask` submits to the scheduler at ``address`` (``distributed.Client``);
  the bytes travel with the task, so workers need no shared file system; the
  scheduler re-runs the tasks of a worker that dies, and a task that kills workers
  repeatedly (``distributed``'s ``KilledWorker``) or fails gets a record saying so.

``distributed`` is optional (the ``dask`` extra); :func:`run_dask` without it is a
:class:`DerivcheckError` saying what to install.
"""
from __future__ import annotations

import multiprocessing
import signal
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Iterable, Iterator

from ..spec.errors import DerivcheckError
from .record import RECORD_VERSION, check_submission

try:  # the optional `dask` extra
    import distributed
except ImportError:  # pragma: no cover - exercised where distributed is absent
    distributed = None

__all__ = ["run_serial", "run_processes", "run_dask", "MAX_ATTEMPTS", "failure_record", "have_dask"]

MAX_ATTEMPTS = 2
Item = tuple[int, str, bytes]


def have_dask() -> bool:
    return distributed is not None


def failure_record(name: str, why: str) -> dict:
    """The record of a submission no worker could finish (never cached)."""
    return {"error": f"{name}: not graded: {why}; check it alone with 'derivcheck check {name}' and report it.",
            "title": "", "exercise": {}, "claims": [], "internal": True, "version": RECORD_VERSION}


def run_serial(items: Iterable[Item]) -> Iterator[tuple[int, dict]]:
    for position, name, data in items:
        yield position, check_submission(name, data)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_processes(items: Iterable[Item], jobs: int) -> Iterator[tuple[int, dict]]:
    """Check in ``jobs`` forked workers, re-running what a dead worker left unfinished."""
    pending = {position: (name, data) for position, name, data in items}
    attempts = dict.fromkeys(pending, 0)
    # fork only from a single-threaded process, where it is safe (workers then start with everything imported)
    single = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if single else "spawn")
    while pending:
        pool = ProcessPoolExecutor(max(1, min(jobs, len(pending))), mp_context=context, initializer=_ignore_sigint)
        futures = {pool.submit(check_submission, name, data): position for position, (name, data) in pending.items()}
        broken = False
        try:
            waiting = set(futures)
            while waiting:
                done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                for future in done:
                    position = futures[future]
                    try:
                        record = future.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    del pending[position]
                    yield position, record
                if broken:
                    for future in waiting:  # those handed to a worker when it died are charged an attempt
                        if future.running():
                            attempts[futures[future]] += 1
                    for future in done:
                        if futures[future] in pending:
                            attempts[futures[future]] += 1
                    break
        finally:
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
        for position in [p for p in pending if attempts[p] >= MAX_ATTEMPTS]:
            name, _ = pending.pop(position)
            yield position, failure_record(name, f"the worker process checking it died {MAX_ATTEMPTS} times "
                                                 "(killed, or out of memory)")


def run_dask(items: Iterable[Item], address: str) -> Iterator[tuple[int, dict]]:
    """Check on the Dask distributed cluster whose scheduler is at ``address``."""
    if distributed is None:
        raise DerivcheckError("--scheduler needs Dask distributed; install it with pip install 'derivcheck[dask]'.")
    items = list(items)
    try:
        client = distributed.Client(address, timeout=30, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise DerivcheckError(f"No Dask scheduler answers at {address} ({err}); start one (dask scheduler) "
                              "or give its address as tcp://HOST:8786.") from None
    try:
        futures = {client.submit(check_submission, name, data, pure=False, key=f"derivcheck-{position}-{id(items)}"):
                   (position, name) for position, name, data in items}
        for future in distributed.as_completed(list(futures)):
            position, name = futures[future]
            try:
                record = future.result()
            except Exception as err:  # noqa: BLE001 — KilledWorker, a lost task: this one only
                record = failure_record(name, f"the cluster could not finish it ({type(err).__name__}: {err})")
            yield position, record
            future.release()
    finally:
        client.close()
