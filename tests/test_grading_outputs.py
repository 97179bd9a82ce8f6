"""The files a course's platforms read: Gradescope results.json (validated against the documented format),
the CSV of scores, JUnit XML, and the HTML class report opened in headless chromium.

GRADESCOPE_SCHEMA encodes the results.json format of Gradescope's autograder
specification, https://gradescope-autograders.readthedocs.io/en/latest/specs/
("Output format"): top-level score (required unless every test has one),
execution_time, output, output_format / test_output_format / test_name_format,
visibility, stdout_visibility, extra_data, tests (score, max_score, status, name,
name_format, number, output, output_format, tags, visibility, extra_data) and
leaderboard (name, value, order); visibility is one of hidden, after_due_date,
after_published, visible; a test's status is passed or failed; formats are text,
html, simple_format, md, ansi.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from symbolic.grading.cache import RecordCache
from symbolic.grading.course import grade_course
from symbolic.grading.exports import file_slugs, gradescope_results
from symbolic.grading.key import load_key
from symbolic.grading.outputs import write_outputs

ROOT = Path(__file__).resolve().parents[1]
SEED_000 = (ROOT / "derivations" / "000-linear-3-2-1.toml").read_text(encoding="utf-8")
HEAD = SEED_000[:SEED_000.index("[[claims]]")]
CLAIMS = SEED_000[SEED_000.index("[[claims]]"):].replace('value  = "3.293"', 'value  = "3.327"').replace(
    'expect = "WRONG"\n', "")

VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
GRADESCOPE_TEST = {
    "type": "object", "additionalProperties": False,
    "properties": {"score": {"type": "number"}, "max_score": {"type": "number"},
                   "status": {"enum": ["passed", "failed"]}, "name": {"type": "string"}, "name_format": FORMAT,
                   "number": {"type": "string"}, "output": {"type": "string"}, "output_format": FORMAT,
                   "tags": {"type": "array", "items": {"type": "string"}}, "visibility": VISIBILITY,
                   "extra_data": {"type": "object"}}}
GRADESCOPE_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {"score": {"type": "number"}, "execution_time": {"type": "number"}, "output": {"type": "string"},
                   "output_format": FORMAT, "test_output_format": FORMAT, "test_name_format": FORMAT,
                   "visibility": VISIBILITY, "stdout_visibility": VISIBILITY, "extra_data": {"type": "object"},
                   "tests": {"type": "array", "items": GRADESCOPE_TEST},
                   "leaderboard": {"type": "array", "items": {
                       "type": "object", "required": ["name", "value"], "additionalProperties": False,
                       "properties": {"name": {"type": "string"}, "value": {"type": ["number", "string"]},
                                      "order": {"enum": ["asc", "desc"]}}}}},
    "anyOf": [{"required": ["score"]},
              {"required": ["tests"], "properties": {"tests": {"items": {"required": ["score"]}}}}],
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("outputs")
    key_path = tmp / "key.toml"
    key_path.write_text(HEAD + '\n[grading]\npoints = 2\ntitle = "Quiz <1> & friends"\n\n' + CLAIMS, encoding="utf-8")
    subs = tmp / "subs"
    (subs / "group a").mkdir(parents=True)
    (subs / "alice.toml").write_text(HEAD + CLAIMS, encoding="utf-8")
    (subs / "group a" / "bob <script>.toml").write_text(HEAD + CLAIMS.replace('value = "2.98"', 'value = "3.5"'),
                                                        encoding="utf-8")
    (subs / "zoe.toml").write_text("[network", encoding="utf-8")
    course = grade_course(load_key(key_path), [str(subs)], cache=RecordCache(None))
    write_outputs(tmp / "out", course)
    return course, tmp / "out"


def test_gradescope_results_follow_the_documented_format(graded):
    course, out = graded
    # the scores by hand: alice 4 × 2 points; bob's 3.5 for 2.98 is 5.2 units of 0.1 off (WRONG): 6; zoe's file is broken
    expected = {"alice": (8.0, ["passed"] * 4), "group a/bob <script>": (6.0, ["passed", "passed", "failed", "passed"]),
                "zoe": (0.0, ["failed"] * 4)}
    for student, slug in zip(course.students, file_slugs([s.student for s in course.students])):
        doc = json.loads((out / "gradescope" / f"{slug}.json").read_text(encoding="utf-8"))
        jsonschema.validate(doc, GRADESCOPE_SCHEMA)
        assert doc == gradescope_results(student)
        score, statuses = expected[student.student]
        assert doc["score"] == score == sum(t["score"] for t in doc["tests"])
        assert [t["status"] for t in doc["tests"]] == statuses
        assert all(0 <= t["score"] <= t["max_score"] == 2.0 for t in doc["tests"])
    bob = json.loads((out / "gradescope" / "group_a__bob_script.json").read_text(encoding="utf-8"))
    assert "claimed: 3.5" in bob["tests"][2]["output"] and "exact: 149/50 = 2.98" in bob["tests"][2]["output"]


def test_the_schema_rejects_what_gradescope_rejects():
    for bad in ({"tests": [{"name": "no score anywhere"}]}, {"score": 1, "visibility": "public"},
                {"score": 1, "tests": [{"score": 1, "status": "ok"}]}, {"score": "1"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, GRADESCOPE_SCHEMA)


def test_scores_csv_and_junit_xml(graded):
    course, out = graded
    rows = list(csv.DictReader(io.StringIO((out / "scores.csv").read_text(encoding="utf-8"))))
    assert [(r["student"], r["score"], r["max_score"], r["percent"], r["status"]) for r in rows] == [
        ("alice", "8", "8", "100.00", "graded"), ("group a/bob <script>", "6", "8", "75.00", "graded"),
        ("zoe", "0", "8", "0.00", "unreadable")]
    assert rows[1]["claim 3: a''_1"] == "0" and rows[1]["claim 1: a'_1"] == "2"
    root = ET.fromstring((out / "junit.xml").read_text(encoding="utf-8"))
    assert root.tag == "testsuites" and (root.get("tests"), root.get("failures"), root.get("errors")) == ("12", "1", "4")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["alice", "group a/bob <script>", "zoe"]
    failure = suites[1].findall("testcase")[2].find("failure")
    assert failure is not None and failure.get("type") == "WRONG" and "0/2" in failure.get("message")
    props = {p.get("name"): p.get("value") for p in suites[1].find("properties")}
    assert (props["score"], props["max_score"]) == ("6", "8")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.bars, self.rows = [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("class") == "student":
            self.links.append(a["href"])
        if tag == "rect" and a.get("class") == "bar":
            self.bars.append(int(a["data-count"]))
        if tag == "tr":
            self.rows += 1


def _chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


def _dom(browser: str, page: Path) -> str:
    run = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                          "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def test_the_html_report_opens_in_headless_chromium_with_every_student_linked(graded):
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it)")
    course, out = graded
    dom = _Links()
    dom.feed(_dom(browser, out / "report" / "index.html"))
    assert len(dom.links) == len(course.students) == 3
    assert sorted(dom.bars) == [0] * 7 + [1, 1, 1] and sum(dom.bars) == 3  # 0 %, 75 %, 100 %
    for href in dom.links:
        assert (out / "report" / href).is_file(), href
    page = _Links()
    text = _dom(browser, out / "report" / dom.links[1])
    page.feed(text)
    assert page.rows == 1 + 4  # the header and one row per required claim
    assert "bob &lt;script&gt;" in text and "<script>" not in text.split("<body>")[1]
