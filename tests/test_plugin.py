"""The pytest plugin, driven through pytester: collection, outcomes, failure text, broken files, xdist.

The derivation files here are tiny (a 2-1 sigmoid net at u = 0, so every
exact value is a small rational worked out by hand: a = 1/2,
L = 1/2·(1/2)² = 1/8, dL/dw1 = (a − y)·a(1 − a)·x1 = 1/8, one update with
η = 1/2 moves w1 to −1/16).
"""
from __future__ import annotations

import re
import textwrap

import pytest

import symbolic.claims.check  # noqa: F401  (imported before pytester snapshots sys.modules)
import symbolic.gradcheck  # noqa: F401
import symbolic.pytest_plugin  # noqa: F401

pytest_plugins = ["pytester"]

NETWORK = """\
title = "tiny 2-1 sigmoid"

[network]
layers = [2, 1]
activation = "sigmoid"
loss = "half_sse"
bias = "none"
learning_rate = 0.5

[data]
x = [1, 0]
y = [0]

[parameters]
W1 = [[0, 0.5]]

[aliases]
w1 = "W1[1,1]"
w2 = "W1[1,2]"
out = "a1[1]"
"""

# (name, value, extra keys, verdict by hand)
CLAIMS = [
    ("out", "0.5", "", "ok"),                                 # claim 1, exactly 1/2
    ("out", "0.51", "", "rounding"),                          # claim 2, one unit off
    ("dL/dw1", "0.125", "", "ok"),                            # claim 3
    ("dL/dw1", "0.25", "", "WRONG"),                          # claim 4, the ½ dropped
    ("L", "0.5", 'expect = "WRONG"\nnote = "printed without the 1/2"', "WRONG"),  # claim 5
    ("w1", "-0.0625", "after = 1", "ok"),                     # claim 6
]


def derivation(claims=CLAIMS) -> str:
    parts = [NETWORK]
    for name, value, extra, _ in claims:
        parts.append(f'\n[[claims]]\nname = "{name}"\nvalue = "{value}"\n{extra}\n')
    return "".join(parts)


# Unrelated plugins of this environment only slow the inner runs down (≈ 1 s each).
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*QUIET, "-p", "no:xdist", *args)


def claim_line(text: str, k: int) -> int:
    """1-based line of the k-th [[claims]] header."""
    lines = [n for n, line in enumerate(text.splitlines(), 1) if line.strip() == "[[claims]]"]
    return lines[k - 1]


@pytest.fixture
def folder(pytester: pytest.Pytester):
    """A project with a derivations/ folder holding the tiny file (and a pyproject.toml of its own)."""
    pytester.makepyprojecttoml("[tool.pytest.ini_options]\naddopts = \"-ra\"\n")
    (pytester.path / "derivations").mkdir()
    (pytester.path / "derivations" / "tiny.toml").write_text(derivation(), encoding="utf-8")
    return pytester


IDS = ["out[#1]", "out[#2]", "dL/dw1[#3]", "dL/dw1[#4]", "L", "w1[after=1]"]


def test_collects_one_item_per_claim_with_readable_unique_ids(folder):
    result = run(folder, "--collect-only", "-q", "derivations")
    collected = [line for line in result.outlines if "::" in line]
    assert collected == [f"derivations/tiny.toml::{i}" for i in IDS]


def test_ids_select_single_claims(folder):
    result = run(folder, "derivations/tiny.toml::dL/dw1[#3]", "derivations/tiny.toml::w1[after=1]")
    result.assert_outcomes(passed=2)
    result = run(folder, "-k", "after")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("options, outcomes", [
    ((), dict(passed=4, failed=1, xfailed=1)),                                  # rounding passes
    (("--derivcheck-strict",), dict(passed=3, failed=2, xfailed=1)),           # rounding fails
    (("-o", "derivcheck_strict=true"), dict(passed=3, failed=2, xfailed=1)),    # the same from the ini
])
def test_outcomes_default_and_strict(folder, options, outcomes):
    result = run(folder, *options)
    result.assert_outcomes(**outcomes)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    failed = {m.group(1) for m in re.finditer(r"^FAILED derivations/tiny\.toml::(\S+)", result.stdout.str(), re.M)}
    assert failed == ({"dL/dw1[#4]", "out[#2]"} if options else {"dL/dw1[#4]"})
    result.stdout.fnmatch_lines(["XFAIL derivations/tiny.toml::L - expected WRONG*"])


def test_all_good_file_passes_and_summarises(folder):
    good = [c for c in CLAIMS if c[3] == "ok"]
    (folder.path / "derivations" / "tiny.toml").write_text(derivation(good), encoding="utf-8")
    result = run(folder)
    result.assert_outcomes(passed=3)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["derivcheck: 3 claims: 3 ok"])


def test_expect_wrong_is_a_strict_xfail(folder):
    """Still WRONG → xfail; once the tool finds it right → a failure saying so (XPASS(strict))."""
    claims = [("L", "0.5", 'expect = "WRONG"', "WRONG"), ("L", "0.125", 'expect = "WRONG"', "ok")]
    (folder.path / "derivations" / "tiny.toml").write_text(derivation(claims), encoding="utf-8")
    result = run(folder)
    result.assert_outcomes(xfailed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*claim 2 (L): XPASS(strict): the file expects WRONG, but derivcheck now finds it ok; update or remove expect",
        "*verdict:   ok  (expected WRONG)",
        "derivcheck: 2 claims: 1 ok, 1 WRONG (expected)",
    ])



def test_expect_ok_and_rounding_must_match_exactly(folder):
    """An expected rounding passes even under strict; expect = "ok" on a rounding claim fails."""
    claims = [("out", "0.51", 'expect = "rounding"', "rounding"), ("out", "0.51", 'expect = "ok"', "rounding"),
              ("out", "0.5", 'expect = "ok"', "ok")]
    (folder.path / "derivations" / "tiny.toml").write_text(derivation(claims), encoding="utf-8")
    result = run(folder, "--derivcheck-strict")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*claim 2 (out): the file expects ok, but derivcheck finds it rounding"])

def test_failure_text_shows_claim_values_verdict_diagnosis_and_line(folder):
    text = derivation()
    result = run(folder)
    line = claim_line(text, 4)
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        f"*_ tiny.toml:{line} claim 4: dL/dw1[[]#4[]] _*",
        f"derivations/tiny.toml:{line}: claim 4 (dL/dw1): the claim is WRONG",
        "  claimed:   0.25",
        "  exact:     1/8 = 0.125",
        "  verdict:   WRONG",
        "  diagnosis: the ½ of the half squared error was dropped*",
    ])
    result.stdout.fnmatch_lines(["FAILED derivations/tiny.toml::dL/dw1[[]#4[]] - claimed 0.25, exact 1/8 = 0.125*"])
    # no traceback of the plugin's internals
    assert "Traceback" not in out and "pytest_plugin.py" not in out and "raise " not in out


def test_strict_rounding_failure_and_note_are_shown(folder):
    result = run(folder, "--derivcheck-strict")
    result.stdout.fnmatch_lines([
        f"derivations/tiny.toml:{claim_line(derivation(), 2)}: claim 2 (out): only rounding-correct, "
        "which fails under --derivcheck-strict",
        "  claimed:   0.51",
        "  exact:     1/2 = 0.5",
        "  verdict:   rounding",
    ])


def test_a_broken_file_is_one_collection_error_and_the_others_still_run(folder):
    (folder.path / "derivations" / "broken.toml").write_text('title = "x"\n[network\nlayers = [2, 1]\n')
    (folder.path / "derivations" / "also-good.toml").write_text(derivation(CLAIMS[:1]))
    result = run(folder)
    result.assert_outcomes(errors=1, passed=5, failed=1, xfailed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*ERROR collecting derivations/broken.toml*",
        "derivations/broken.toml: is not valid TOML (*); fix the syntax there.",
    ])
    out = result.stdout.str()
    assert "Interrupted" not in out and "Traceback" not in out
    assert out.count("ERROR collecting") == 1


def test_a_bad_claim_fails_alone_with_the_loaders_sentence(folder):
    claims = CLAIMS[:1] + [("nonsense_name", "1.0", "", "error")] + CLAIMS[2:3]
    (folder.path / "derivations" / "tiny.toml").write_text(derivation(claims))
    result = run(folder)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*claim 2 (nonsense_name): could not be checked",
                                 "*verdict:   error",
                                 "*message:   derivations/tiny.toml:*'nonsense_name' is neither an alias*"])


def test_only_derivation_files_are_collected(folder):
    """pyproject.toml and TOML outside a derivations/ folder are left alone; an explicit file is collected."""
    (folder.path / "config").mkdir()
    (folder.path / "config" / "settings.toml").write_text('[tool]\nname = "x"\n')
    (folder.path / "config" / "example.toml").write_text(derivation(CLAIMS[:1]))
    result = run(folder, "--collect-only", "-q")
    collected = [line for line in result.outlines if "::" in line]
    assert all(line.startswith("derivations/tiny.toml::") for line in collected) and len(collected) == 6
    assert "pyproject" not in result.stdout.str() and "settings" not in result.stdout.str()
    result = run(folder, "--collect-only", "-q", "config/example.toml")
    assert [line for line in result.outlines if "::" in line] == ["config/example.toml::out"]
    result = run(folder, "--collect-only", "-q", "pyproject.toml")  # even explicitly: nothing to collect
    assert not [line for line in result.outlines if "::" in line]
    assert result.ret != pytest.ExitCode.OK and "is not valid TOML" not in result.stdout.str()


def test_patterns_are_configurable(pytester: pytest.Pytester):
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\nderivcheck_patterns = ["checks/*.toml"]\n')
    for folder_name in ("checks", "derivations"):
        (pytester.path / folder_name).mkdir()
        (pytester.path / folder_name / "one.toml").write_text(derivation(CLAIMS[:1]))
    result = run(pytester, "--collect-only", "-q")
    assert [line for line in result.outlines if "::" in line] == ["checks/one.toml::out"]


def test_the_projects_own_testpaths_collection_is_unchanged(pytester: pytest.Pytester):
    """Like this repository: testpaths = tests, derivations/ beside it — a plain run collects tests only."""
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_one.py").write_text("def test_one():\n    pass\n")
    (pytester.path / "derivations").mkdir()
    (pytester.path / "derivations" / "tiny.toml").write_text(derivation())
    result = run(pytester, "--collect-only", "-q")
    assert [line for line in result.outlines if "::" in line] == ["tests/test_one.py::test_one"]
    with_plugin = run(pytester, "-q")
    without = run(pytester, "-q", "-p", "no:derivcheck")
    with_plugin.assert_outcomes(passed=1)
    without.assert_outcomes(passed=1)


def test_parallel_under_xdist_checks_each_file_once(folder, tmp_path, monkeypatch):
    """-n 2: same outcomes and summary as a serial run, and every file is checked by one worker only."""
    (folder.path / "derivations" / "second.toml").write_text(derivation(CLAIMS[:3]))
    log = tmp_path / "checked.log"
    folder.makeconftest(textwrap.dedent("""
        import os
        import symbolic.claims.check

        _original = symbolic.claims.check.check_file

        def _counting(path):
            with open(os.environ["DERIVCHECK_TEST_LOG"], "a") as fh:
                fh.write(f"{os.getpid()} {path}\\n")
            return _original(path)

        symbolic.claims.check.check_file = _counting
    """))
    monkeypatch.setenv("DERIVCHECK_TEST_LOG", str(log))
    result = folder.runpytest_subprocess("-n", "2", "-p", "xdist", *QUIET)
    result.assert_outcomes(passed=7, failed=1, xfailed=1)
    result.stdout.fnmatch_lines(["2 workers [[]9 items[]]", "derivcheck: 9 claims: 5 ok, 2 rounding, "
                                 "1 WRONG (expected), 1 WRONG"])
    checked = [line.split(" ", 1)[1] for line in log.read_text().splitlines()]
    assert sorted(checked) == sorted({*checked}) and len(checked) == 2


def test_fixtures_and_helpers_in_a_users_test_file(pytester: pytest.Pytester):
    """The README's user test file: fixtures from the plugin, helpers from symbolic.gradcheck."""
    pytester.makepyfile(test_my_backprop=USER_TEST_FILE + WRONG_ON_PURPOSE)
    result = run(pytester, "-q")
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(["*my_grad_fn_transposed disagrees with the exact gradient at the network's own point*",
                                 "*dL/dW2[[]1,2[]]: yours *that is the exact dL/dW2[[]2,1[]] (wrong index?)*"])


USER_TEST_FILE = '''
import numpy as np
import pytest
from symbolic.gradcheck import assert_gradients_match, gradcheck


def sigmoid(u):
    return 1 / (1 + np.exp(-u))


def my_grad_fn(params, x, y):
    """Hand-written backprop for a 2-layer sigmoid net, half squared error, shared biases."""
    h = sigmoid(params["W1"] @ x + params["b1"])
    o = sigmoid(params["W2"] @ h + params["b2"])
    d2 = (o - y) * o * (1 - o)
    d1 = (params["W2"].T @ d2) * h * (1 - h)
    return {"W1": np.outer(d1, x), "b1": d1.sum(), "W2": np.outer(d2, h), "b2": d2.sum()}


def test_my_backprop_is_exact(mazur_network):
    assert_gradients_match(mazur_network, my_grad_fn, n_random=5, seed=1)


def test_transposed_gradient_is_caught(mazur_network):
    def transposed(params, x, y):
        g = my_grad_fn(params, x, y)
        return {**g, "W2": g["W2"].T}
    with pytest.raises(AssertionError, match=r"dL/dW2\\[1,2\\]"):
        assert_gradients_match(mazur_network, transposed)


@pytest.mark.parametrize("method", ["central", "complex", "richardson"])
def test_gradcheck(method):
    x, y = np.array([0.05, 0.10]), np.array([0.01, 0.99])
    p = {"W1": np.array([[0.15, 0.20], [0.25, 0.30]]), "b1": np.array(0.35),
         "W2": np.array([[0.40, 0.45], [0.50, 0.55]]), "b2": np.array(0.60)}

    def loss(q):
        o = sigmoid(q["W2"] @ sigmoid(q["W1"] @ x + q["b1"]) + q["b2"])
        return 0.5 * np.sum((y - o) ** 2)

    gradcheck(loss, p, analytic=lambda q: my_grad_fn(q, x, y), method=method)

'''

WRONG_ON_PURPOSE = '''

def test_wrong_on_purpose(derivcheck_network):
    def my_grad_fn_transposed(params, x, y):
        g = my_grad_fn(params, x, y)
        return {**g, "W2": g["W2"].T}
    assert_gradients_match(derivcheck_network("mazur"), my_grad_fn_transposed)
'''


@pytest.mark.parametrize("options, outcomes", [((), dict(failed=1, xfailed=1)),
                                               (("--derivcheck-strict-carry",), dict(failed=2))])
def test_a_carried_error_is_reported_as_carried_unless_strict(folder, options, outcomes):
    """out = σ(0) = 0.5 by hand; the author's out = 0.7 is a root error (2 units), and their
    L = ½·0.7² = 0.245 is carried from it: an expected failure saying so, a failure with the option."""
    claims = [("out", "0.7", "", "WRONG"), ("L", "0.245", "", "WRONG")]
    (folder.path / "derivations" / "tiny.toml").write_text(derivation(claims), encoding="utf-8")
    result = run(folder, "-rx", *options)
    result.assert_outcomes(**outcomes)
    if not options:
        result.stdout.fnmatch_lines(["*carried: carried from claim 1 (out = 0.7, itself WRONG*"])
