"""Documents (.md, .tex, .ipynb) and their --network sidecar are read like derivation files (issue 21).

Only regular files are read: a FIFO (which would block the run forever), a directory, a device behind a
symlink are refused by their type before opening; a file over the 5 MB document bound is refused
(without reading it: a sparse file of 6 MB); a file that is not UTF-8 is one sentence. Each case is one
sentence naming the file, no traceback, for every document kind, and the CLI goes on with the other files.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from symbolic.claims.sources.document import check_document

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT))
GOOD_MD = "# Sum\n\n$$ 0.1 + 0.2 = 0.3 $$\n"


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _directory(path: Path) -> None:
    path.mkdir()


def _device(path: Path) -> None:
    os.symlink("/dev/zero", path)


def _huge(path: Path) -> None:
    with open(path, "wb") as f:  # sparse: 6 MB long, nothing written
        f.truncate(6_000_000)


def _latin1(path: Path) -> None:
    path.write_bytes("$$ café = 1 $$\n".encode("latin-1"))


CASES = [  # (how the file is made, what the sentence says)
    (_fifo, "is a FIFO (named pipe), not a regular file"),
    (_directory, "is a directory, not a regular file"),
    (_device, "is a character device, not a regular file"),
    (_huge, "is more than the 5 MB derivcheck reads as a document"),
    (_latin1, "is not UTF-8 text; save it as UTF-8"),
]


@pytest.mark.parametrize("suffix", [".md", ".tex", ".ipynb"])
@pytest.mark.parametrize("make, sentence", CASES)
def test_a_document_that_is_not_a_small_regular_utf8_file_is_one_sentence(tmp_path, suffix, make, sentence):
    path = tmp_path / f"doc{suffix}"
    make(path)
    started = time.monotonic()
    report = check_document(path)
    assert time.monotonic() - started < 30  # a FIFO is never opened for a blocking read
    assert report.error == f"{path}: {sentence}." or report.error.startswith(f"{path}: {sentence}"), report.error
    assert "\n" not in report.error


@pytest.mark.parametrize("make, sentence", CASES[:1] + CASES[2:3])
def test_a_network_sidecar_that_is_not_a_regular_file_is_one_sentence(tmp_path, make, sentence):
    doc, side = tmp_path / "doc.md", tmp_path / "net.toml"
    doc.write_text(GOOD_MD, encoding="utf-8")
    make(side)
    report = check_document(doc, side)
    assert report.error and sentence in report.error and "\n" not in report.error, report.error


def test_the_cli_reports_the_other_documents_beside_a_fifo(tmp_path):
    good, fifo = tmp_path / "good.md", tmp_path / "pipe.md"
    good.write_text(GOOD_MD, encoding="utf-8")
    os.mkfifo(fifo)
    run = subprocess.run([sys.executable, "-m", "symbolic.cli", "check", str(fifo), str(good)], capture_output=True,
                         env=ENV, timeout=120, stdin=subprocess.DEVNULL)
    out = run.stdout.decode() + run.stderr.decode()
    assert "Traceback" not in out and run.returncode == 2, out
    assert "pipe.md: is a FIFO (named pipe), not a regular file" in out and "good.md" in out
