"""Compiling a LaTeX document to PDF with real LaTeX (latexmk + pdflatex, no shell escape).

Contract
--------
:func:`compile_pdf` ``(tex_path, out_dir=None) -> Path`` runs ``latexmk -norc -pdf``
(pdflatex with ``-no-shell-escape`` and ``openin_any=p`` / ``openout_any=p``, in a
temporary directory, at most :data:`LATEX_TIMEOUT` seconds), writes ``NAME.pdf``
(atomically) and the LaTeX log ``NAME.log`` into ``out_dir`` (default: the
source's directory) and returns the PDF's path. A missing ``latexmk`` or
``pdflatex``, an unreadable source, a timeout or a failed run is a
:class:`DerivcheckError` naming the first error line of the log.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..spec.errors import DerivcheckError
from ..spec.files import write_atomic

__all__ = ["compile_pdf", "LATEX_TIMEOUT"]

LATEX_TIMEOUT = 120  # seconds for one latexmk run


def _first_error(log: str) -> str:
    """The first ``!`` line of a LaTeX log, with the .tex line it points at."""
    lines = log.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("!"):
            where = next((s.strip().split(" ", 1)[0] for s in lines[k + 1:k + 15] if s.startswith("l.")), "")
            where = f" at line {where[2:]} of the .tex" if where[2:].isdigit() else ""
            return (line.strip().rstrip(".") + where)[:300]
    return "no error line in the log"


def compile_pdf(tex_path: str | Path, out_dir: str | Path | None = None) -> Path:
    """Compile a ``.tex`` file with latexmk/pdflatex (no shell escape) and return the PDF's path."""
    tex_path = Path(tex_path)
    out_dir = Path(out_dir) if out_dir is not None else tex_path.parent
    latexmk = shutil.which("latexmk")
    if latexmk is None or shutil.which("pdflatex") is None:
        raise DerivcheckError("latexmk/pdflatex is not installed; install the Debian packages latexmk, "
                              "texlive-latex-base, texlive-latex-recommended, texlive-latex-extra and "
                              "texlive-pictures (as .ci/run does) to make PDFs.")
    try:
        source = tex_path.read_text(encoding="utf-8")
    except OSError as err:
        raise DerivcheckError(f"{tex_path} cannot be read ({err.strerror or err}).") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="derivcheck-latex-") as tmp:
        work = Path(tmp) / "document.tex"
        work.write_text(source, encoding="utf-8")
        env = dict(os.environ, openin_any="p", openout_any="p", shell_escape="f", TEXMFOUTPUT=tmp)
        cmd = [latexmk, "-norc", "-pdf", "-interaction=nonstopmode", "-halt-on-error",
               "-pdflatex=pdflatex -no-shell-escape -interaction=nonstopmode -halt-on-error %O %S",
               "document.tex"]
        try:
            run = subprocess.run(cmd, cwd=tmp, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                 text=True, timeout=LATEX_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise DerivcheckError(f"LaTeX did not finish {tex_path} within {LATEX_TIMEOUT} s.") from None
        log_path = Path(tmp) / "document.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
        pdf = Path(tmp) / "document.pdf"
        if run.returncode != 0 or not pdf.exists():
            if log:
                write_atomic(out_dir / (tex_path.stem + ".log"), log, (tex_path,), "the log")
            raise DerivcheckError(f"LaTeX failed on {tex_path}: {_first_error(log or run.stdout + run.stderr)}.")
        # issue 21: the .log and the PDF are written atomically, never through a symlink or over a non-regular file
        write_atomic(out_dir / (tex_path.stem + ".log"), log, (tex_path,), "the log")
        target = out_dir / (tex_path.stem + ".pdf")
        write_atomic(target, pdf.read_bytes(), (tex_path,), "the PDF")
    return target
