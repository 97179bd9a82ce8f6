"""A synthetic course (tests/grading_course.py): 200 submissions of seed 002 graded with known expected scores,
identical serially, with two worker processes, sharded and merged, and on a local Dask cluster; workers that
die lose no submission.

Expected scores, statuses and mistake-table entries come from the generator's own rules
(the key's points and policy written there, the planted numbers from its own float
backprop); the grader must reproduce them submission by submission.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from symbolic.grading import executors
from symbolic.grading.cache import RecordCache
from symbolic.grading.course import grade_course, merge_courses
from symbolic.grading.key import load_key
from symbolic.grading.record import check_submission
from symbolic.grading.report import class_report

sys.path.insert(0, str(Path(__file__).parent))
from grading_course import KEY, ROOT_MISTAKES, write_course  # noqa: E402



@pytest.fixture(scope="module")
def course(tmp_path_factory):
    folder = tmp_path_factory.mktemp("course")
    planted = write_course(folder / "submissions")
    key = load_key(KEY)
    cache = folder / "cache"
    serial = grade_course(key, [str(folder / "submissions")], jobs=1, cache=RecordCache(cache))
    return {"folder": folder, "planted": planted, "key": key, "serial": serial, "cache": cache}


def _outcome(course) -> list[tuple]:
    return [(s.student, s.status, s.score, [(c.number, c.status, c.points, c.reason) for c in s.claims],
             len(s.extra), len(s.not_required)) for s in course.students]


def _same(course, reference) -> None:
    """The two courses are identical, student by student (the first difference is shown)."""
    for mine, theirs in zip(_outcome(course), _outcome(reference)):
        assert mine == theirs, (course.students[_outcome(course).index(mine)].message, mine, theirs)
    assert len(course.students) == len(reference.students)


def _expected_rows(planted, carried: bool):
    return [p for p in planted if bool(p.carried) == carried]


def test_scores_statuses_and_mistakes_follow_the_course_rules(course):
    planted, serial = course["planted"], course["serial"]
    distinct = len({p.data for p in planted})  # identical files (copied homework) are checked once
    assert len(planted) == len(serial.students) == 200 and serial.checked == distinct < 100
    by_name = {s.student + ".toml": s for s in serial.students}
    for p in _expected_rows(planted, carried=False):
        s = by_name[p.name]
        found = sorted({m for c in s.claims for m in c.mistakes})
        assert (s.score, s.status, found, len(s.extra), len(s.not_required)) == (
            p.score, p.status, sorted(p.mistakes), p.extra, p.not_required), (p.kind, p.name, s.message)
    report = class_report(serial)
    counts = {m["key"]: m["claims"] for m in report.mistakes}
    for kind, (number, _, entry) in ROOT_MISTAKES.items():
        assert counts[entry] == sum(1 for p in planted if entry in p.mistakes), entry
    # broken TOML, not UTF-8 and empty files (2 each) are unreadable; 2 change the exercise's W1
    assert report.distribution["by_status"] == {"graded": 192, "unreadable": 6, "wrong exercise": 2}


def test_carried_errors_get_the_keys_follow_through_credit(course):
    by_name = {s.student + ".toml": s for s in course["serial"].students}
    carried = _expected_rows(course["planted"], carried=True)
    assert carried
    for p in carried:
        s = by_name[p.name]
        assert [c.number for c in s.claims if c.status == "carried"] == p.carried, p.name
        assert s.score == p.score, p.name


def test_two_worker_processes_give_the_same_course(course):
    again = grade_course(course["key"], [str(course["folder"] / "submissions")], jobs=2, cache=RecordCache(None))
    assert again.checked == course["serial"].checked
    _same(again, course["serial"])


def test_shards_merge_into_the_same_course(course):
    parts = [grade_course(course["key"], [str(course["folder"] / "submissions")], shard=(k, 3),
                          cache=RecordCache(course["cache"])) for k in (1, 2, 3)]
    assert sorted(len(p.students) for p in parts) == [66, 67, 67] and all(p.cache_hits == len(p.students) for p in parts)
    merged = merge_courses([parts[2], parts[0], parts[1]], ["3", "1", "2"])
    _same(merged, course["serial"])
    with pytest.raises(Exception, match="shard\\(s\\) 2/3 are missing"):
        merge_courses([parts[0], parts[2]], ["1", "3"])
    with pytest.raises(Exception, match="both shard 1/3"):
        merge_courses([parts[0], parts[0], parts[1], parts[2]], ["1", "1b", "2", "3"])


def _dying(name: str, data: bytes) -> dict:
    """check_submission, except that the worker checking a 'poison' file dies, and the first one checking
    student-0005 dies once (the test's marker file says it happened)."""
    marker = Path(os.environ["DERIVCHECK_TEST_MARKER"])
    if "poison" in name:
        os._exit(3)
    if "student-0005" in name and not marker.exists():
        marker.write_text("died", encoding="utf-8")
        os.kill(os.getpid(), signal.SIGKILL)
    return check_submission(name, data)


def test_dying_workers_lose_no_submission_and_a_poison_file_stops_nothing(course, tmp_path, monkeypatch):
    folder = tmp_path / "subs"
    signed = write_course(folder, n=12, signed=True)  # twelve different files
    (folder / "poison.toml").write_bytes(b"# poison\n" + signed[0].data)
    monkeypatch.setenv("DERIVCHECK_TEST_MARKER", str(tmp_path / "marker"))
    monkeypatch.setattr(executors, "check_submission", _dying)  # forked workers inherit the patched module
    result = grade_course(course["key"], [str(folder)], jobs=2, cache=RecordCache(None))
    assert (tmp_path / "marker").exists()  # a worker did die on student-0005
    names = [s.student for s in result.students]
    assert names == ["poison"] + sorted(p.name[:-5] for p in signed)
    poison = result.students[0]
    assert poison.status == "failed" and "died 2 times" in poison.message
    assert [(s.score, s.status) for s in result.students[1:]] == [(p.score, p.status) for p in signed]


def _hanging(name: str, data: bytes) -> dict:
    """check_submission, except that a 'hang' file never finishes (the test's stand-in for a pathological input)."""
    if "hang" in name:
        time.sleep(3600)
    return check_submission(name, data)


def test_a_check_over_the_time_limit_gives_a_failure_record_in_this_process(monkeypatch):
    monkeypatch.setattr(executors, "check_submission", _hanging)
    started = time.monotonic()
    record = executors.check_within("hang.toml", b"", 0.5)
    assert time.monotonic() - started < 60 and record["internal"]
    assert "hang.toml: not graded: its check took longer than 0.5 s" in record["error"]


def test_a_submission_over_the_time_limit_is_not_graded_and_stops_nothing(course, tmp_path, monkeypatch):
    folder = tmp_path / "subs"
    signed = write_course(folder, n=3, signed=True)
    (folder / "hang.toml").write_bytes(b"# hang\n" + signed[0].data)
    monkeypatch.setattr(executors, "check_submission", _hanging)  # forked workers inherit the patched module
    cache = RecordCache(tmp_path / "cache")
    started = time.monotonic()
    result = grade_course(course["key"], [str(folder)], jobs=2, cache=cache, time_limit=10)
    assert time.monotonic() - started < 600  # the hour-long check was cut off
    hang = result.students[0]
    assert hang.student == "hang" and hang.status == "failed" and "took longer than 10 s" in hang.message
    assert [(s.score, s.status) for s in result.students[1:]] == [(p.score, p.status) for p in signed]
    assert result.checked == 4 and grade_course(course["key"], [str(folder)], jobs=2, cache=cache,
                                                 time_limit=0.001).checked == 1  # only the cut-off one is re-run


def test_a_local_dask_cluster_gives_the_same_course_and_survives_a_killed_worker(course):
    distributed = pytest.importorskip("distributed", reason="Dask distributed is not installed (pip install "
                                      "'derivcheck[dask]'); the cluster executor is not tested here")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=50) as cluster, distributed.Client(cluster, set_as_default=False) as client:
        pids = list(client.run(os.getpid).values())
        killed = []

        def kill_one(position, grade):
            if not killed and position >= 20:  # a worker dies mid-run: its tasks are re-run elsewhere
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        on_dask = grade_course(course["key"], [str(course["folder"] / "submissions")], scheduler=cluster.scheduler_address,
                               cache=RecordCache(None), progress=kill_one)
    assert killed and on_dask.checked == course["serial"].checked
    _same(on_dask, course["serial"])
