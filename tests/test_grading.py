"""Grading: answer keys, the points of each claim under each policy, and the CLI's grade command on a small key.

The scoring table feeds hand-written check records (the verdicts the check would
give) to the scorer, so each row's expected points are the policy arithmetic
written in the row; the key-error table feeds broken keys and expects one sentence.
"""
from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from symbolic.grading.cache import RecordCache
from symbolic.grading.course import find_submissions, grade_course, parse_shard, student_names
from symbolic.grading.key import load_key
from symbolic.grading.score import grade_record, mistake_keys, points_text
from symbolic.spec.errors import DerivcheckError

ROOT = Path(__file__).resolve().parents[1]
SEED_000 = (ROOT / "derivations" / "000-linear-3-2-1.toml").read_text(encoding="utf-8")
HEAD = SEED_000[:SEED_000.index("[[claims]]")]
# seed 000's four claims: a'_1 = 2.2, a'_2 = 1.8, a''_1 = 2.98, and a''_1 = 3.327 with the w31 change
CLAIMS = SEED_000[SEED_000.index("[[claims]]"):].replace('value  = "3.293"', 'value  = "3.327"').replace(
    'expect = "WRONG"\n', "")


def _key(tmp_path: Path, grading: str = "", claim_extra: str = "") -> Path:
    text = HEAD + "\n[grading]\n" + grading + "\n" + CLAIMS.replace('value = "2.98"', 'value = "2.98"\n' + claim_extra, 1)
    path = tmp_path / "key.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _record(key, verdicts: dict[int, tuple[str, list[int]]], drop=()) -> dict:
    """A check record claiming each key claim, with the verdict (and carried_from) given per claim number."""
    claims = []
    for kc in key.claims:
        if kc.number in drop:
            continue
        verdict, carried = verdicts.get(kc.number, ("ok", []))
        claims.append({"index": kc.number, "line": None, "name": kc.label, "claim_id": kc.identity, "claimed": "1",
                       "exact": "2", "verdict": verdict, "diagnosis": "", "message": "bad" if verdict == "error" else "",
                       "precision": "", "carried_from": carried})
    return {"error": None, "title": "", "exercise": dict(key.exercise), "claims": claims, "internal": False}


# policy ([grading] lines), claim 3's verdict and carried_from, expected total of the 4 claims at 2 points each
SCORING = [
    ("all ok", "", ("ok", []), Fraction(8)),
    ("rounding, full credit by default", "", ("rounding", []), Fraction(8)),
    ("rounding, half", 'rounding = "half"', ("rounding", []), Fraction(6 + 1)),
    ("rounding from rounded numbers, half", 'rounding = "half"', ("rounding", [1]), Fraction(6 + 1)),
    ("carried error, half by default", "", ("WRONG", [1, 2]), Fraction(6 + 1)),
    ("carried error, full", 'carried = "full"', ("WRONG", [1]), Fraction(8)),
    ("carried error, none", 'carried = "none"', ("WRONG", [1]), Fraction(6)),
    ("root error", 'carried = "full"', ("WRONG", []), Fraction(6)),
    ("claim error", "", ("error", []), Fraction(6)),
    ("shape error", "", ("shape error", []), Fraction(6)),
    ("points = 3 each, carried half", "points = 3", ("WRONG", [2]), Fraction(9 + Fraction(3, 2))),
]


@pytest.mark.parametrize("policy, verdict, expected", [row[1:] for row in SCORING], ids=[row[0] for row in SCORING])
def test_points_per_policy(tmp_path, policy, verdict, expected):
    key = load_key(_key(tmp_path, "points = 2\n" + policy if "points" not in policy else policy), check=False)
    grade = grade_record(_record(key, {3: verdict}), key, "s", "s.toml")
    assert grade.score == expected
    assert grade.max_score == (12 if "points = 3" in policy else 8)
    c3 = grade.claims[2]
    if verdict[0] == "WRONG" and verdict[1]:
        assert c3.status == "carried" and "follows from your claim" in c3.reason
    assert grade.status == "graded"


def test_claim_overrides_and_optional_claims(tmp_path):
    key = load_key(_key(tmp_path, 'points = 2\ncarried = "none"', 'points = 5\ncarried = "full"'), check=False)
    assert [c.points for c in key.claims] == [2, 2, 5, 2] and key.max_score == 11
    assert key.claims[2].policy.carried == "full" and key.claims[0].policy.carried == "none"
    grade = grade_record(_record(key, {3: ("WRONG", [1]), 4: ("WRONG", [3])}), key, "s", "s.toml")
    assert grade.score == 2 + 2 + 5 + 0  # claim 3 carried with full credit, claim 4 carried with none


def test_missing_extra_and_not_required(tmp_path):
    key = load_key(_key(tmp_path, "points = 2"), check=False)
    record = _record(key, {}, drop=(2,))
    again = {**record["claims"][0], "index": 9, "verdict": "WRONG"}
    other = {**record["claims"][0], "index": 10, "claim_id": "dL/dW1[1,1]"}
    broken = {**record["claims"][0], "index": 11, "claim_id": "", "verdict": "error", "message": "no such name"}
    record["claims"] += [again, other, broken]
    grade = grade_record(record, key, "s", "s.toml")
    assert grade.score == 6 and grade.claims[1].status == "missing"
    assert [r["index"] for r in grade.extra] == [9] and "only the first" in grade.extra[0]["reason"]
    assert [r["index"] for r in grade.not_required] == [10, 11]
    assert grade.not_required[1]["reason"] == "no such name"


def test_unreadable_and_changed_exercise_score_zero(tmp_path):
    key = load_key(_key(tmp_path, "points = 2"), check=False)
    unreadable = grade_record({"error": "s.toml: is not valid TOML.", "claims": []}, key, "s", "s.toml")
    assert (unreadable.score, unreadable.status) == (0, "unreadable")
    assert all(c.reason == "s.toml: is not valid TOML." for c in unreadable.claims)
    record = _record(key, {})
    assert "W2[1,1]" in record["exercise"]
    record["exercise"]["W2[1,1]"] = "1/2"
    changed = grade_record(record, key, "s", "s.toml")
    assert (changed.score, changed.status) == (0, "wrong exercise")
    assert "W2[1,1]" in changed.message and "as handed out" in changed.message


KEY_ERRORS = [
    ('carried = "halve"', "did you mean 'half'"),
    ('rounding = "none"', "use one of 'full', 'half'"),
    ("point = 2", "did you mean 'points'"),
    ("points = -1", "out of range"),
    ('points = "two"', "is not a number"),
]


@pytest.mark.parametrize("grading, sentence", KEY_ERRORS, ids=[e[0] for e in KEY_ERRORS])
def test_bad_keys_are_one_sentence(tmp_path, grading, sentence):
    with pytest.raises(DerivcheckError, match=sentence.replace("(", r"\(")) as err:
        load_key(_key(tmp_path, grading), check=False)
    assert str(err.value).startswith(str(tmp_path))


def test_a_key_claiming_one_quantity_twice_is_refused(tmp_path):
    path = _key(tmp_path)
    path.write_text(path.read_text() + '\n[[claims]]\nname = "a\'_1"\nvalue = "2.2"\n', encoding="utf-8")
    with pytest.raises(DerivcheckError, match="again"):
        load_key(path, check=False)


def test_a_wrong_answer_in_the_key_is_reported(tmp_path):
    path = _key(tmp_path)
    path.write_text(path.read_text().replace('value = "2.98"', 'value = "3.01"'), encoding="utf-8")
    (warning,) = load_key(path).warnings()
    assert "claim 3" in warning and "WRONG" in warning and "149/50" in warning


def test_mistake_keys_come_from_the_table():
    assert mistake_keys("one update too few") == ["one_update_fewer"]
    assert mistake_keys("a transcription typo: correctly rounded it reads 0.29950229 (one digit mistyped); "
                        "one update too many") == ["typo", "one_update_more"]
    assert mistake_keys("") == []


@pytest.mark.parametrize("value, text", [(Fraction(2), "2"), (Fraction(3, 2), "1.5"), (Fraction(1, 3), "1/3"),
                                         (Fraction(1, 8), "0.125")])
def test_points_text(value, text):
    assert points_text(value) == text


def test_student_names_and_shards(tmp_path):
    for rel in ("a/hw.toml", "b/hw.toml", "b/.hidden/x.toml", "c.toml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("", encoding="utf-8")
    files = find_submissions([str(tmp_path)])
    assert student_names(files) == ["a/hw", "b/hw", "c"]
    assert parse_shard("2/8") == (2, 8)
    for bad in ("0/2", "3/2", "x", "1/2/3"):
        with pytest.raises(DerivcheckError, match="--shard"):
            parse_shard(bad)


def test_cache_skips_unchanged_submissions(tmp_path):
    key = load_key(_key(tmp_path, "points = 2"))
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.toml").write_text(HEAD + CLAIMS, encoding="utf-8")
    (subs / "bob.toml").write_text(HEAD + CLAIMS.replace('value = "2.2"', 'value = "2.5"'), encoding="utf-8")
    cache = RecordCache(tmp_path / "cache")
    first = grade_course(key, [str(subs)], cache=cache)
    assert (first.checked, first.cache_hits) == (2, 0)
    assert [s.score for s in first.students] == [8, 6]  # 2.5 for 2.2 is 3 units off: WRONG
    (subs / "bob.toml").write_text("# bob\n" + HEAD + CLAIMS, encoding="utf-8")  # bob fixes his claim: only he is checked
    (tmp_path / "cache" / "zz").mkdir()
    second = grade_course(key, [str(subs)], cache=RecordCache(tmp_path / "cache"))
    assert (second.checked, second.cache_hits) == (1, 1)
    assert [s.score for s in second.students] == [8, 8]
    for entry in (tmp_path / "cache").rglob("*.json"):  # a damaged entry is a miss, never an error
        entry.write_text("{", encoding="utf-8")
    third = grade_course(key, [str(subs)], cache=RecordCache(tmp_path / "cache"))
    assert (third.checked, [s.score for s in third.students]) == (2, [8, 8])
    (subs / "bob.toml").write_text(HEAD + CLAIMS, encoding="utf-8")  # the same bytes as alice's: one entry serves both
    fourth = grade_course(key, [str(subs)], cache=RecordCache(tmp_path / "cache"))
    assert (fourth.checked, fourth.cache_hits) == (0, 2)
    assert fourth.students[1].path.endswith("bob.toml") and fourth.students[1].student == "bob"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symbolic.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_grade_command_writes_every_output_and_names_bad_input(tmp_path):
    key = _key(tmp_path, "points = 2")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.toml").write_text(HEAD + CLAIMS, encoding="utf-8")
    (subs / "broken.toml").write_text("[network", encoding="utf-8")
    run = _cli("grade", str(key), str(subs), "-o", str(tmp_path / "out"), "--no-cache", "-j", "1", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "alice: 8/8 (100.0 %) graded" in run.stdout and "broken: 0/8 (0.0 %) unreadable" in run.stdout
    for name in ("grades.json", "class.json", "scores.csv", "junit.xml", "gradescope/alice.json",
                 "report/index.html", "report/students/broken.html"):
        assert (tmp_path / "out" / name).is_file(), name
    grades = json.loads((tmp_path / "out" / "grades.json").read_text())
    assert [s["score"] for s in grades["students"]] == ["8", "0"]
    for args, sentence in [(("grade", str(key), str(subs), "--shard", "1/2"), "--shard needs -o"),
                           (("grade", str(key), str(subs / "nobody.toml")), "does not exist"),
                           (("grade", str(key), str(subs), "--gradescope", "r.json"), "exactly one"),
                           (("grade", str(subs / "broken.toml"), str(subs)), "not valid TOML"),
                           (("grade", str(key), str(subs), "--scheduler", "not an address"), "not a scheduler address"),
                           (("grade", str(key), str(subs), "--time-limit", "-1"), "give 0 (no limit) to 86400"),
                           (("grade", str(key), str(subs), "--time-limit", "soon"), "is not a number of seconds"),
                           (("variant", str(key), "--seed", "-1", "-o", str(tmp_path / "v")), "a seed is 0 to"),
                           (("merge", str(key), "-o", str(tmp_path / "m")), "not a derivcheck grades file")]:
        bad = _cli(*args, cwd=tmp_path)
        assert bad.returncode == 2 and sentence in bad.stderr and "Traceback" not in bad.stderr, (args, bad.stderr)
