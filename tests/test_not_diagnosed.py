"""A WRONG claim whose mistake search was cut short says so, in the text report, the JSON report and the plugin.

Three ways the search is skipped (issue 21 cost bounds): over ``MAX_DIAGNOSED_SAMPLES`` (500) samples, or
over ``MAX_DIAGNOSED_POINT_WORK`` (20,000) parameters × samples, the mistake table is not run at all;
after more than ``MISTAKE_REPLAY_UPDATES`` (20) updates the f′ and
sequential-update mistakes are not replayed. Then the claim carries one sentence beginning "not diagnosed".
Within the bounds (500 samples; 20 updates) the search runs in full and no such sentence appears.

The numbers, by hand:

* ``samples``: a 1-1 identity net, w = 0.5, no bias, N samples of x = 1, y = 0, ½(a − y)²: every sample
  has a = 0.5 and ½·0.25 = 0.125, so L = 0.125 for any N; the claim "0.7" is WRONG (0.575 away, far
  beyond two units of 0.1), and no mistake of the table comes within two units of it: the ½ dropped
  gives 0.25, doubled 0.0625, the sign flipped −0.125, the batch summed N·0.125 ≥ 62.5 (and a
  one-digit number is never called a typo).
* ``wide``: a 1-50 identity net, every w = 0.5, no bias, N samples of x = 1, y = 0 (50 zeros): each output
  is 0.5, so L = 50 · ½ · 0.25 = 6.25 for any N; "0.7" is WRONG, and no mistake lands within two units of it
  (½ dropped 12.5, doubled 3.125, sign −6.25, per output 6.25/50 = 0.125 or 0.25, summed N · 6.25). 50
  parameters × 401 samples is 20,050 (over the bound), × 400 is 20,000 (at it: the search runs).
* ``updates``: seed 002 (Mazur's 2-2-2 sigmoid net) after N updates: W1[1,1] stays near its start 0.15
  (it moves by less than 10^-3 per update, η = 0.5, |∂L/∂W1[1,1]| < 10^-3 at that point), so the claimed
  0.123456789 is WRONG after 20 or 21 updates, and no mistake of the table lands on those nine digits.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import symbolic.claims.check  # noqa: F401  (imported before pytester snapshots sys.modules)
import symbolic.pytest_plugin  # noqa: F401
from symbolic.cli import main
from symbolic.claims.check import check_file
from symbolic.claims.context import MISTAKE_REPLAY_UPDATES
from symbolic.claims.costs import MAX_DIAGNOSED_POINT_WORK, MAX_DIAGNOSED_SAMPLES
from symbolic.report_text import print_report

from small_nets import SEED002_NETWORK, SEED002_VALUES

pytest_plugins = ["pytester"]

SAMPLES_SENTENCE = f"not diagnosed: the mistake search is not run beyond {MAX_DIAGNOSED_SAMPLES} samples"
UPDATES_SENTENCE = ("not diagnosed for the f′ and sequential-update mistakes: the mistake search replays them up to "
                    f"{MISTAKE_REPLAY_UPDATES:,} updates only")


def _samples_file(n: int) -> str:
    return ('title = "many samples"\n[network]\nlayers = [1, 1]\nactivation = "identity"\nloss = "half_sse"\n'
            f'bias = "none"\n[data]\nx = {[[1]] * n}\ny = {[[0]] * n}\n[parameters]\nW1 = [[0.5]]\n'
            '[[claims]]\nname = "L"\nvalue = "0.7"\n')


def _wide_file(n: int) -> str:
    return ('title = "wide"\n[network]\nlayers = [1, 50]\nactivation = "identity"\nloss = "half_sse"\n'
            f'bias = "none"\n[data]\nx = {[[1]] * n}\ny = {[[0] * 50] * n}\n[parameters]\nW1 = {[[0.5]] * 50}\n'
            '[[claims]]\nname = "L"\nvalue = "0.7"\n')


def _updates_file(n: int) -> str:
    return (SEED002_NETWORK + "update_biases = false\n" + SEED002_VALUES +
            f'[[claims]]\nname = "W1[1,1]"\nvalue = "0.123456789"\nafter = {n}\n')


CASES = [  # (id, derivation text, the sentence the claim must carry, or None: the search ran in full)
    ("501 samples", _samples_file(MAX_DIAGNOSED_SAMPLES + 1), SAMPLES_SENTENCE + " (this file has 501)"),
    ("500 samples", _samples_file(MAX_DIAGNOSED_SAMPLES), None),
    ("50 x 401 parameter-samples", _wide_file(401),
     f"not diagnosed: 50 parameters x 401 sample(s) is 20,050, over the {MAX_DIAGNOSED_POINT_WORK:,} the mistake "
     "search evaluates"),
    ("50 x 400 parameter-samples", _wide_file(400), None),
    ("21 updates", _updates_file(MISTAKE_REPLAY_UPDATES + 1), UPDATES_SENTENCE),
    ("20 updates", _updates_file(MISTAKE_REPLAY_UPDATES), None),
]


def test_the_wide_rows_sit_on_the_bound():
    assert MAX_DIAGNOSED_POINT_WORK == 50 * 400  # the "wide" rows: 400 samples at the bound, 401 over it


def _write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "derivations"
    folder.mkdir(exist_ok=True)
    path = folder / "cut.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, sentence", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_claim_says_it_was_not_diagnosed_in_text_and_json(tmp_path, capsys, text, sentence):
    path = _write(tmp_path, text)
    report = check_file(path)
    (result,) = report.results
    assert result.verdict == "WRONG" and result.diagnosis == "", result
    capsys.readouterr()
    print_report(report)
    shown = capsys.readouterr().out
    assert main(["check", "--json", str(path)]) == 1
    record = json.loads(capsys.readouterr().out)["files"][0]["claims"][0]
    if sentence is None:
        assert "not diagnosed" not in result.message and "not diagnosed" not in shown
        assert "not diagnosed" not in record["message"]
    else:
        assert result.message == sentence
        assert f"   claim 1: {sentence}" in shown.splitlines()
        assert record["message"] == sentence


@pytest.mark.parametrize("text, sentence", [c[1:] for c in CASES if c[2]], ids=[c[0] for c in CASES if c[2]])
def test_the_plugin_shows_it_in_the_failure(pytester: pytest.Pytester, text, sentence):
    pytester.makepyprojecttoml("[tool.pytest.ini_options]\naddopts = \"-ra\"\n")
    _write(pytester.path, text)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark",
                                "-p", "no:xdist", "derivations")
    result.assert_outcomes(failed=1)
    assert f"  message:   {sentence}" in result.stdout.lines, result.stdout.str()
