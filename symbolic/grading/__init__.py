"""The grading layer (a face, on top of documents): answer keys, scores with reasons, class reports, exports.

Modules: :mod:`.key` (answer keys and claim identities), :mod:`.record` (a submission's
check record), :mod:`.score` (points per claim), :mod:`.cache` (content-hash cache),
:mod:`.executors` (serial, processes, Dask), :mod:`.course` (finding, sharding, grading,
merging), :mod:`.report` (class statistics), :mod:`.exports` (Gradescope, CSV, JUnit),
:mod:`.html` (the HTML class report), :mod:`.outputs` (writing them all), :mod:`.files`
(atomic writes),
:mod:`.variant` (exercise variants), :mod:`.arguments` and :mod:`.commands` (the CLI's
``grade``, ``merge`` and ``variant``). See docs/grading.md.
"""
from importlib import import_module

__all__ = ["AnswerKey", "load_key", "Course", "grade_course", "merge_courses", "StudentGrade", "grade_record"]

# Imported on first use (PEP 562), so that ``derivcheck check`` (which imports only .arguments) does not
# load the course, executor and Dask machinery at start-up.
_LAZY = {"Course": "course", "grade_course": "course", "merge_courses": "course", "AnswerKey": "key",
         "load_key": "key", "StudentGrade": "score", "grade_record": "score"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
