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
__all__ = ["AnswerKey", "load_key", "Course", "grade_course", "merge_courses", "StudentGrade", "grade_record"]


def __getattr__(name: str):
    """The public names are imported on first use (PEP 562), so that ``derivcheck check`` — whose parser
    imports only :mod:`.arguments` — does not load the course, executor and Dask machinery at start-up."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .course import Course, grade_course, merge_courses
    from .key import AnswerKey, load_key
    from .score import StudentGrade, grade_record

    found = locals()
    globals().update({k: found[k] for k in __all__})
    return found[name]


def __dir__():
    return sorted(set(globals()) | set(__all__))
