"""Executors that check submissions: here, in local worker processes, or on a Dask distributed cluster.

Contract
--------
Every executor takes ``items`` — ``(position, name, data)`` triples — and yields
``(position, record)`` pairs as each check finishes, in any order, one per item:
the record is :func:`symbolic.grading.record.check_submission` ``(name, data)``, so
the records are the same whatever executor computed them (the caller orders them by
position). An executor never stops on a submission:

* :func:`run_serial` checks in this process;
* :func:`run_processes` uses ``jobs`` worker processes (forked from a single-threaded
  parent, else spawned), each given one submission at a time; when a worker dies
  (killed, out of memory) its submission is re-run on a new worker, and one that kills
  :data:`MAX_ATTEMPTS` workers gets a record saying so instead of a verdict — no other
  submission is lost or stopped;
* :func:`run_dask` submits to the scheduler at ``address`` (``distributed.Client``);
  the bytes travel with the task, so workers need no shared file system; the
  scheduler re-runs the tasks of a worker that dies, and a task that kills workers
  repeatedly (``distributed``'s ``KilledWorker``) or fails gets a record saying so.

``time_limit`` (seconds, 0 = none) bounds one submission's check in this process and in
worker processes (a ``SIGALRM`` timer in the checking thread; a long single C call of the
arithmetic library is interrupted when it returns): a submission over it gets a record
saying so (never cached) and the others go on. Dask runs tasks in worker threads, where no
timer can interrupt them: there the limit is the cluster's own (``distributed``'s worker
``--lifetime`` / resource limits), as docs/grading.md says.

``distributed`` is optional (the ``dask`` extra); :func:`run_dask` without it is a
:class:`DerivcheckError` saying what to install.
"""
from __future__ import annotations

import multiprocessing
import re
import signal
import threading
from collections import deque
from multiprocessing import connection
from typing import Iterable, Iterator

from ..spec.errors import DerivcheckError, shorten
from .record import RECORD_VERSION, check_submission

try:  # the optional `dask` extra
    import distributed
except ImportError:  # pragma: no cover - exercised where distributed is absent
    distributed = None

__all__ = ["run_serial", "run_processes", "run_dask", "MAX_ATTEMPTS", "DEFAULT_TIME_LIMIT", "failure_record",
           "have_dask", "check_within"]

MAX_ATTEMPTS = 2
DEFAULT_TIME_LIMIT = 300.0  # seconds for one submission's check (grade --time-limit)
CONNECT_TIMEOUT = 20  # seconds to reach the scheduler
_ADDRESS = re.compile(r"(?:tcp|tls|ucx|ws|wss|inproc)://[^\s/]+(?::\d+)?|[A-Za-z0-9_.\[\]:-]+:\d+")
Item = tuple[int, str, bytes]


def have_dask() -> bool:
    return distributed is not None


def failure_record(name: str, why: str) -> dict:
    """The record of a submission no worker could finish (never cached)."""
    return {"error": f"{name}: not graded: {why}; check it alone with 'derivcheck check {name}' and report it.",
            "title": "", "exercise": {}, "claims": [], "internal": True, "version": RECORD_VERSION}


class _OverTime(BaseException):
    """Raised by the timer inside a check that ran past its limit (a BaseException: no catch-all takes it)."""


def _alarm(signum, frame) -> None:
    raise _OverTime


def check_within(name: str, data: bytes, time_limit: float = DEFAULT_TIME_LIMIT) -> dict:
    """:func:`check_submission`, or a failure record when it takes longer than ``time_limit`` seconds."""
    if not time_limit or threading.current_thread() is not threading.main_thread():
        return check_submission(name, data)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, time_limit)
    try:
        return check_submission(name, data)
    except _OverTime:
        return failure_record(name, f"its check took longer than {time_limit:g} s (grade --time-limit)")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_serial(items: Iterable[Item], time_limit: float = DEFAULT_TIME_LIMIT) -> Iterator[tuple[int, dict]]:
    for position, name, data in items:
        yield position, check_within(name, data, time_limit)


def _worker(conn, time_limit: float) -> None:
    """A worker process: check the submissions sent on ``conn`` one at a time until it sends None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which stops the workers
    while True:
        task = conn.recv()
        if task is None:
            return
        position, name, data = task
        conn.send((position, check_within(name, data, time_limit)))


def run_processes(items: Iterable[Item], jobs: int, time_limit: float = DEFAULT_TIME_LIMIT
                  ) -> Iterator[tuple[int, dict]]:
    """Check in ``jobs`` worker processes, each given one submission at a time, so the parent knows which
    submission a worker was checking when it died: that one is re-run (up to MAX_ATTEMPTS), no other is lost."""
    queue = deque(items)
    attempts: dict[int, int] = {}
    # fork only from a single-threaded process, where it is safe (workers then start with everything imported)
    single = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if single else "spawn")
    busy: dict = {}  # connection -> [process, task or None]

    def start() -> None:
        parent, child = context.Pipe()
        proc = context.Process(target=_worker, args=(child, time_limit), daemon=True)
        proc.start()
        child.close()
        busy[parent] = [proc, None]

    def feed(conn) -> None:
        if queue:
            busy[conn][1] = queue.popleft()
            conn.send(busy[conn][1])
        else:
            busy[conn][1] = None

    try:
        for _ in range(max(1, min(jobs, len(queue)))):
            start()
        for conn in list(busy):
            feed(conn)
        while any(task is not None for _, task in busy.values()):
            sentinels = {proc.sentinel: conn for conn, (proc, task) in busy.items() if task is not None}
            for ready in connection.wait([*sentinels, *(c for c, (_, t) in busy.items() if t is not None)]):
                conn = sentinels.get(ready, ready)
                if conn not in busy or busy[conn][1] is None:
                    continue
                proc, task = busy[conn]
                try:
                    position, record = conn.recv() if conn.poll() else (None, None)
                except (EOFError, OSError):
                    position = None
                if position is not None:
                    yield position, record
                    feed(conn)
                    continue
                if proc.is_alive():
                    continue
                del busy[conn]  # the worker died while checking ``task``
                conn.close()
                attempts[task[0]] = attempts.get(task[0], 0) + 1
                if attempts[task[0]] >= MAX_ATTEMPTS:
                    yield task[0], failure_record(task[1], f"the worker process checking it died {MAX_ATTEMPTS} "
                                                           "times (killed, or out of memory)")
                else:
                    queue.appendleft(task)
                if queue:
                    start()
                    feed(list(busy)[-1])
    finally:
        for conn, (proc, _) in busy.items():
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
            proc.join(timeout=0.2)
            if proc.is_alive():
                proc.terminate()
                proc.join()


def run_dask(items: Iterable[Item], address: str) -> Iterator[tuple[int, dict]]:
    """Check on the Dask distributed cluster whose scheduler is at ``address``."""
    if distributed is None:
        raise DerivcheckError("--scheduler needs Dask distributed; install it with pip install 'derivcheck[dask]'.")
    items = list(items)
    if not _ADDRESS.fullmatch(address):
        raise DerivcheckError(f"--scheduler {shorten(address)!r} is not a scheduler address; give it as "
                              "tcp://HOST:PORT (e.g. tcp://scheduler:8786).")
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise DerivcheckError(f"No Dask scheduler answers at {address} ({err}); start one (dask scheduler) "
                              "or give its address as tcp://HOST:8786.") from None
    try:
        futures = {client.submit(check_submission, name, data, pure=False, key=f"derivcheck-{position}-{id(items)}"):
                   (position, name) for position, name, data in items}
        for future in distributed.as_completed(list(futures), loop=client.loop):
            position, name = futures[future]
            try:
                record = future.result()
            except Exception as err:  # noqa: BLE001 — KilledWorker, a lost task: this one only
                record = failure_record(name, f"the cluster could not finish it ({type(err).__name__}: {err})")
            yield position, record
            future.release()
    finally:
        client.close()
