"""Documents as submissions: the seed-002 tutorial as Markdown (tests/data/documents/) graded against the
seed-002 key, like its TOML transcription.

Expected points by hand: the key gives 2 points per claim, 4 to E_total after one
update, 64 in all; the published tutorial is right everywhere but at its three errata
(README, "Errata the tool found in the seeds"): w4 after one update (2 points),
E_total after one update (4) and after 10,000 (2), so 64 − 8 = 56. Mistyping out_h1
(0.593269992 → 0.603269992, four places) also loses out_h1 (claim 2, 2 points) and
half of dnet_o1/dw5 (claim 12, which is out_h1 again: the same wrong number, carried from
claim 2, gets the key's default half credit for a carried error, 1 point): 56 − 3 = 53.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from symbolic.grading.cache import RecordCache
from symbolic.grading.course import grade_course
from symbolic.grading.key import load_key

ROOT = Path(__file__).resolve().parents[1]
KEY = ROOT / "tests" / "data" / "grading" / "key-002.toml"
DOCUMENT = ROOT / "tests" / "data" / "documents" / "002-mazur-2-2-2-step-by-step.md"


def test_a_markdown_document_is_graded_like_its_toml_transcription(tmp_path):
    shutil.copy(DOCUMENT, tmp_path / "mazur.md")
    shutil.copy(ROOT / "derivations" / "002-mazur-2-2-2-step-by-step.toml", tmp_path / "mazur-transcribed.toml")
    text = DOCUMENT.read_text(encoding="utf-8")
    assert text.count("0.593269992") == 4
    (tmp_path / "typo.md").write_text(text.replace("0.593269992", "0.603269992"), encoding="utf-8")
    course = grade_course(load_key(KEY), [str(tmp_path)], cache=RecordCache(None))
    by_name = {s.student: s for s in course.students}
    document, transcribed, typo = by_name["mazur"], by_name["mazur-transcribed"], by_name["typo"]
    assert (document.status, document.score, transcribed.score, typo.score) == ("graded", 56, 56, 53)
    lost = lambda s: [c.number for c in s.claims if c.points != c.max_points]  # noqa: E731
    assert lost(document) == lost(transcribed) == [29, 30, 31]
    assert lost(typo) == [2, 12, 29, 30, 31]
    claim12 = next(c for c in typo.claims if c.number == 12)
    assert (claim12.points, claim12.carried_from) == (1, [2]) and "follows from your claim 2" in claim12.reason
    assert "one update too few" in document.claims[30].reason
    assert document.not_required and all(r["reason"] == "not required by the key" for r in document.not_required)
