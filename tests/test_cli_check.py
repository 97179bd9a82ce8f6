"""``derivcheck check``: verdict tables, exit status 0/1/2, ``--json`` and ``-o``, bad input without tracebacks."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from small_nets import DATA, NETWORK
from symbolic.cli import main

ROOT = Path(__file__).resolve().parent.parent

NET = NETWORK + DATA + """
[aliases]
net_h1 = "u1[1]"
E = "L"
"""


def claim(name: str, value: str) -> str:
    return f'\n[[claims]]\nname = "{name}"\nvalue = "{value}"\n'


FILES = {
    "ok.toml": NET + claim("net_h1", "0.1") + claim("E", "0.13005"),
    "rounding.toml": NET + claim("E", "0.13006"),           # 1 unit of 1e-5 off: rounding, still exit 0
    "wrong.toml": NET + claim("net_h1", "0.1") + claim("E", "0.26010"),  # 2·L: the ½ dropped
    "claim_error.toml": NET + claim("net_h1", "0.1") + claim("w9", "0.5"),
    "mixed/a.toml": NET + claim("net_h1", "0.1"),
    "mixed/b_broken.toml": NET.replace("[data]", "[data"),
    "mixed/c.toml": NET + claim("E", "0.13005"),
    "mixed/notes.txt": "not a derivation",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (tmp_path / "empty").mkdir()
    return tmp_path


# (id, arguments (paths relative to the tree), exit status, stdout fragments, stderr fragments)
CASES = [
    ("all-ok", ["ok.toml"], 0, ["ok.toml", "net_h1", "0.1", "E", "0.13005", "2 ok", "1 file(s), 2 claim(s)"], []),
    ("rounding-is-ok", ["rounding.toml"], 0, ["rounding", "1 file(s), 1 claim(s): 1 rounding"], []),
    ("wrong", ["wrong.toml"], 1, ["WRONG", "the ½ of the half squared error was dropped", "1 WRONG, 1 ok"], []),
    ("ok-and-wrong", ["ok.toml", "wrong.toml"], 1, ["ok.toml", "wrong.toml", "2 file(s), 4 claim(s)"], []),
    ("claim-error", ["claim_error.toml"], 2, ["net_h1", "1 ok", "claim 2 (w9)", "'w9' is neither an alias"], []),
    ("broken-among-good", ["mixed"], 2,
     ["a.toml", "c.toml", "b_broken.toml", "not valid TOML", "net_h1", "0.13005",
      "3 file(s), 2 claim(s): 2 ok; 1 file(s) could not be read"], []),
    ("nonexistent", ["nope.toml"], 2, [], ["nope.toml does not exist"]),
    ("nonexistent-after-good", ["ok.toml", "nope"], 2, [], ["nope does not exist"]),
    ("empty-directory", ["empty"], 2, [], ["No derivation files"]),
]


@pytest.mark.parametrize("args, status, out_parts, err_parts", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check(tree: Path, capsys, args, status, out_parts, err_parts):
    code = main(["check", *(str(tree / a) for a in args)])
    out, err = capsys.readouterr()
    assert code == status, (out, err)
    for part in out_parts:
        assert part in out, (part, out)
    for part in err_parts:
        assert part in err, (part, err)
    assert "Traceback" not in err
    if status == 2 and err_parts:  # bad input on the command line: one sentence, nothing on stdout
        assert out == "" and len(err.strip().splitlines()) == 1


def test_broken_file_does_not_hide_good_rows(tree: Path, capsys):
    """Every claim of the good files has its own table row, the broken file its sentence."""
    main(["check", str(tree / "mixed")])
    out = capsys.readouterr().out
    sections = out.split("== ")[1:]
    assert [s.split()[0] for s in sections] == [str(tree / "mixed" / n) for n in ("a.toml", "b_broken.toml", "c.toml")]
    assert any(line.split()[:5] == ["1", "net_h1", "0.1", "1/10", "="] for line in sections[0].splitlines())
    assert f"error: {tree / 'mixed' / 'b_broken.toml'}: is not valid TOML" in sections[1]
    assert any(line.split()[:3] == ["1", "E", "0.13005"] and " ok" in line for line in sections[2].splitlines())


CLAIM_KEYS = {"file", "index", "name", "claimed", "exact", "verdict", "diagnosis"}


def _claims(doc: dict) -> list[dict]:
    return [c for f in doc["files"] for c in f["claims"]]


def test_json(tree: Path, capsys):
    code = main(["check", "--json", str(tree / "ok.toml"), str(tree / "wrong.toml")])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in err
    doc = json.loads(out)
    claims = _claims(doc)
    assert all(CLAIM_KEYS <= set(c) for c in claims)
    got = [(Path(c["file"]).name, c["index"], c["name"], c["claimed"], c["verdict"]) for c in claims]
    assert got == [("ok.toml", 1, "net_h1", "0.1", "ok"), ("ok.toml", 2, "E", "0.13005", "ok"),
                   ("wrong.toml", 1, "net_h1", "0.1", "ok"), ("wrong.toml", 2, "E", "0.26010", "WRONG")]
    assert "½" in claims[3]["diagnosis"] and claims[0]["diagnosis"] == ""
    assert claims[1]["exact"].startswith("2601/20000")


def test_json_reports_broken_files(tree: Path, capsys):
    code = main(["check", "--json", str(tree / "mixed")])
    out, _ = capsys.readouterr()
    assert code == 2
    files = json.loads(out)["files"]
    assert [Path(f["path"]).name for f in files] == ["a.toml", "b_broken.toml", "c.toml"]
    assert [f["error"] is None for f in files] == [True, False, True]
    assert "not valid TOML" in files[1]["error"]
    assert [c["verdict"] for c in _claims({"files": files})] == ["ok", "ok"]


def test_json_to_file(tree: Path, capsys):
    target = tree / "out.json"
    code = main(["check", "--json", "-o", str(target), str(tree / "ok.toml")])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "ok.toml" not in out  # the report went to the file
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert [(c["name"], c["verdict"]) for c in _claims(doc)] == [("net_h1", "ok"), ("E", "ok")]
    assert all(CLAIM_KEYS <= set(c) for c in _claims(doc))
    assert [p.name for p in tree.iterdir() if p.name.startswith(".out.json")] == []  # no temporary left behind


def test_no_paths_is_a_usage_error(capsys):
    assert main(["check"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_real_command(tree: Path):
    exe = shutil.which("derivcheck")
    command = [exe] if exe else [sys.executable, "-m", "symbolic.cli"]
    run = subprocess.run([*command, "check", str(tree / "mixed"), str(tree / "wrong.toml")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run
    assert "Traceback" not in run.stderr
    assert "not valid TOML" in run.stdout and "the ½ of the half squared error was dropped" in run.stdout
    assert "4 file(s), 4 claim(s): 1 WRONG, 3 ok; 1 file(s) could not be read" in run.stdout
    missing = subprocess.run([*command, "check", str(tree / "nope.toml")], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.strip().splitlines() == [f"derivcheck: {tree / 'nope.toml'} does not exist; "
                                                   "give a derivation file or a directory of them."]


def test_worker_processes_give_the_serial_report(tree: Path):
    """``-j 2`` forks workers (a real process has one thread); its report is the serial one, in file order."""
    exe = shutil.which("derivcheck")
    command = [exe] if exe else [sys.executable, "-m", "symbolic.cli"]
    paths = [str(tree / "mixed"), str(tree / "wrong.toml"), str(ROOT / "derivations")]
    runs = [subprocess.run([*command, "check", "--json", "-j", jobs, *paths], capture_output=True, text=True,
                           timeout=300) for jobs in ("1", "2")]
    reports = [json.loads(run.stdout) for run in runs]
    for report in reports:
        for f in report["files"]:
            for c in f["claims"]:
                c.pop("seconds", None)
    assert [r.returncode for r in runs] == [2, 2]
    assert reports[0] == reports[1]
    last = sorted((ROOT / "derivations").glob("*.toml"))[-1].name  # the folder's files come in sorted order
    assert [f["path"] for f in reports[1]["files"]][-1].endswith(last)


def test_zero_jobs_is_refused(tree: Path, capsys):
    assert main(["check", "-j", "0", str(tree / "wrong.toml")]) == 2
    assert "argument -j/--jobs: 0 is out of range; the number of worker processes is 1 to 1,024" in \
        capsys.readouterr().err


@pytest.mark.parametrize("target", ["missing-dir/out.json", "empty"], ids=["in-missing-directory", "is-a-directory"])
def test_json_to_unwritable_target(tree: Path, capsys, target):
    code = main(["check", "--json", "-o", str(tree / target), str(tree / "ok.toml")])
    _, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_output_without_json_is_refused(tree: Path, capsys):
    code = main(["check", "-o", str(tree / "out.json"), str(tree / "ok.toml")])
    _, err = capsys.readouterr()
    assert code == 2
    assert "add --json" in err and not (tree / "out.json").exists()
