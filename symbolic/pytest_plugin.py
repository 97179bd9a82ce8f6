"""pytest plugin: every claim of every derivation file is a test; gradient fixtures for users' tests.

Contract
--------
Registered through the ``pytest11`` entry point (``derivcheck``), so installing
the package is enough.

Collection
  A ``.toml`` file becomes a :class:`DerivationFile` when it matches one of
  the ``derivcheck_patterns`` ini globs (default ``derivations/*.toml``: a
  TOML file in a directory named ``derivations``; a pattern matches the end
  of the path, or the whole path relative to the rootdir) or when it is
  given explicitly on the command line. ``pyproject.toml`` is never
  collected. Documents (``.md``, ``.tex``, ``.ipynb``) given on the command line or
  matching ``derivcheck_document_patterns`` are collected by :mod:`symbolic.document_tests`. Each claim is one :class:`ClaimItem` named after the claim
  (``dE_total/dw5``), with ``[after=N]``, ``[sample=N]`` or ``[with=…]`` for
  values under other parameters, and ``#K`` (the claim's number) where two
  claims would otherwise share an id. A file that cannot be loaded is one
  collection error carrying the loader's sentence; other files still run
  (when every collection error is a derivation file's, the session goes on
  as under ``--continue-on-collection-errors``; the exit status is still 1).

Outcome of a claim (verdicts from :func:`symbolic.claims.check.check_file`)
  * no ``expect``: passes on ``ok``; on ``rounding`` unless
    ``--derivcheck-strict`` (or ini ``derivcheck_strict = true``); fails on
    ``WRONG``, ``shape error`` or ``error``;
  * ``expect = "WRONG"`` / ``"shape error"``: *xfail* while the verdict is
    still that, a failure ("XPASS(strict)") once it is not;
  * ``expect = "ok"`` / ``"rounding"``: passes when the verdict is exactly
    that (an expected rounding also passes under strict);
  * a claim that cannot be evaluated (verdict ``error``) always fails.
  A failure shows the claim's ``file:line``, claimed and exact values,
  verdict, diagnosis and note — no traceback.

Each file is checked once per run: reports are cached per file; under
pytest-xdist the controller hands workers a shared directory where the
first worker to need a file checks it under a file lock and the others read
its result. ``--dist loadgroup`` additionally keeps a file's claims on one
worker (each item carries an ``xdist_group`` mark named after its file).

File-level notes (how names were read, targets the output cannot reach, a pattern behind every root
error) change no outcome; the terminal summary prints each once, after the verdict counts
(``derivcheck: note: derivations/029-….toml: y[2] = 1.25 (step 2) cannot be reached: …``).

Fixtures
  ``derivcheck_network`` (factory: a standard network's name, a derivation
  file, or layers plus options for :func:`symbolic.gradcheck.make_network`),
  ``mazur_network`` (2-2-2, seed 002), ``sigai_network`` (3-4-2, seed 003),
  ``lagou_network`` (2-2-1, seed 004).
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterator

import pytest

__all__ = [
    "DerivationFile", "ClaimItem", "ClaimFailure", "DEFAULT_PATTERNS",
    "derivcheck_network", "mazur_network", "sigai_network", "lagou_network",
]

DEFAULT_PATTERNS = ["derivations/*.toml"]
NEVER_COLLECTED = ("pyproject.toml",)

_REPORTS = pytest.StashKey["_ReportCache"]()
_SHARED_DIR = pytest.StashKey[str]()
_BROKEN = pytest.StashKey[set]()


# ------------------------------------------------------------------ options
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("derivcheck", "derivcheck: derivation files as tests")
    group.addoption("--derivcheck-strict", action="store_true", default=False,
                    help="derivcheck: a claim whose verdict is 'rounding' fails (unless it says expect = \"rounding\").")
    parser.addini("derivcheck_patterns", type="args", default=list(DEFAULT_PATTERNS),
                  help="derivcheck: glob patterns of derivation files to collect (default: derivations/*.toml).")
    parser.addini("derivcheck_strict", type="bool", default=False,
                  help="derivcheck: like --derivcheck-strict.")
    group.addoption("--derivcheck-strict-carry", action="store_true", default=False,
                    help="derivcheck: a carried error (a WRONG number the author's earlier WRONG numbers reproduce) "
                         "fails like a root error; by default it is reported as an expected failure, carried.")
    parser.addini("derivcheck_document_patterns", type="args", default=[],
                  help="derivcheck: glob patterns of documents (.md, .tex, .ipynb) to check (default: none).")


def _strict(config: pytest.Config) -> bool:
    return bool(config.getoption("derivcheck_strict") or config.getini("derivcheck_strict"))


def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    shared = workerinput.get("derivcheck_shared") if workerinput else None
    config.stash[_REPORTS] = _ReportCache(Path(shared) if shared else None)
    if workerinput is None:
        config.pluginmanager.register(_Summary(), "derivcheck-summary")


def pytest_unconfigure(config: pytest.Config) -> None:
    shared = config.stash.get(_SHARED_DIR, None)
    if shared:
        shutil.rmtree(shared, ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist (controller): give every worker the same scratch directory for file reports."""
    config = node.config
    if _SHARED_DIR not in config.stash:
        config.stash[_SHARED_DIR] = tempfile.mkdtemp(prefix="derivcheck-")
    node.workerinput["derivcheck_shared"] = config.stash[_SHARED_DIR]


# --------------------------------------------------------------- collection
def _matches(file_path: Path, config: pytest.Config) -> bool:
    try:
        relative = file_path.relative_to(config.rootpath).as_posix()
    except ValueError:
        relative = file_path.as_posix()
    for pattern in config.getini("derivcheck_patterns"):
        if file_path.match(pattern) or fnmatch.fnmatch(relative, pattern):
            return True
    return False


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> "DerivationFile | None":
    if file_path.suffix.lower() in (".md", ".markdown", ".tex", ".ipynb"):  # documents: symbolic/document_tests.py
        patterns = parent.config.getini("derivcheck_document_patterns")
        if parent.session.isinitpath(file_path) or any(file_path.match(p) for p in patterns):
            from .document_tests import collect_document

            return collect_document(file_path, parent)
        return None
    if file_path.suffix != ".toml" or file_path.name in NEVER_COLLECTED:
        return None
    if parent.session.isinitpath(file_path) or (_matches(file_path, parent.config) and _is_derivation(file_path)):
        return DerivationFile.from_parent(parent, path=file_path)
    return None


_DERIVATION_TABLE = re.compile(r"^[ \t]*\[{1,2}[ \t]*(network|claims|parameters|data)\b|^#[ \t]*derivcheck\b", re.M)


def _is_derivation(path: Path) -> bool:
    """A derivation file: a ``[network]``/``[[claims]]``/``[parameters]``/``[data]`` table (even a broken one, which
    is then reported) or a ``# derivcheck`` comment line; other TOML (ruff.toml, Cargo.toml) is not collected.
    Only the first 64 kB of a regular file are looked at (a FIFO or device is left to the loader's sentence)."""
    if not path.is_file():
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(65_536).decode("utf-8", errors="replace")
    except OSError:
        return True  # unreadable: the loader says why
    return bool(_DERIVATION_TABLE.search(head))


def _display(path: Path, config: pytest.Config) -> str:
    """The path as the user would write it: relative to where pytest was started, if inside."""
    try:
        return os.path.relpath(path, config.invocation_params.dir) if path.is_relative_to(
            config.invocation_params.dir) else str(path)
    except ValueError:
        return str(path)


def _item_names(derivation) -> list[str]:
    names = []
    for c in derivation.claims:
        qualifiers = []
        if c.after:
            qualifiers.append(f"after={c.after}")
        if c.sample != 1:
            qualifiers.append(f"sample={c.sample}")
        if c.with_values:
            qualifiers.append("with=" + ",".join(derivation.display_name(k) for k in c.with_values))
        names.append((c.name or "formula", qualifiers))
    ids = [base + (f"[{','.join(q)}]" if q else "") for base, q in names]
    out = []
    for c, (base, q), ident in zip(derivation.claims, names, ids):
        if ids.count(ident) > 1:
            ident = f"{base}[{','.join(q + [f'#{c.index}'])}]"
        out.append(ident)
    return out


class DerivationFile(pytest.File):
    """One derivation file; its claims are the test items."""

    def collect(self) -> Iterator["ClaimItem"]:
        from .claims.derivation import load_derivation
        from .spec.errors import DerivcheckError

        try:
            derivation = load_derivation(self.path)
        except DerivcheckError as err:
            self.config.stash.setdefault(_BROKEN, set()).add(self.nodeid)
            raise self.CollectError(str(err).replace(str(self.path), _display(self.path, self.config))) from None
        group = None
        if self.config.pluginmanager.hasplugin("xdist"):
            group = pytest.mark.xdist_group(self.path.name)
        for claim, name in zip(derivation.claims, _item_names(derivation)):
            item = ClaimItem.from_parent(self, name=name, claim_index=claim.index, claim_line=claim.line,
                                         claim_note=claim.note)
            if group is not None:
                item.add_marker(group)
            yield item

    def report(self):
        """This file's :class:`symbolic.claims.check.FileReport`, checked once per run."""
        return self.config.stash[_REPORTS].get(self.path)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """A broken derivation file is one error, not a reason to skip every other file's claims."""
    broken = session.config.stash.get(_BROKEN, set())
    if broken and session.testsfailed == len(broken):
        session.config.option.continue_on_collection_errors = True


# ------------------------------------------------------------------- items
class ClaimFailure(Exception):
    """A claim that did not come out as expected; carries the text shown for it."""

    def __init__(self, lines: list[str], summary: str):
        super().__init__(summary)
        self.lines = lines
        self.summary = summary


class _CrashLine:
    def __init__(self, path: str, lineno: int, message: str):
        self.path, self.lineno, self.message = path, lineno, message

    def toterminal(self, tw) -> None:
        tw.line(f"{self.path}:{self.lineno}: {self.message}")


class ClaimFailureRepr:
    """The failure text of a claim (duck-typed as a pytest TerminalRepr)."""

    def __init__(self, lines: list[str], crash: _CrashLine):
        self.lines = lines
        self.reprcrash = crash
        self.sections: list = []

    def toterminal(self, tw) -> None:
        for line in self.lines:
            tw.line(line)

    def __str__(self) -> str:
        return "\n".join(self.lines)


class ClaimItem(pytest.Item):
    """One claim of a derivation file."""

    def __init__(self, *, claim_index: int, claim_line: int | None, claim_note: str = "", **kw):
        super().__init__(**kw)
        self.claim_index = claim_index
        self.claim_line = claim_line
        self.claim_note = claim_note

    @property
    def where(self) -> str:
        shown = _display(self.path, self.config)
        return f"{shown}:{self.claim_line}" if self.claim_line else shown

    def _fail(self, result, problem: str) -> None:
        lines = [f"{self.where}: claim {self.claim_index} ({result.name if result else self.name}): {problem}"]
        summary = problem
        if result is not None:
            if result.claimed:
                lines.append(f"  claimed:   {result.claimed}")
            if result.exact:
                precision = f"   ({result.precision})" if result.precision and result.precision != "exact" else ""
                lines.append(f"  exact:     {result.exact}{precision}")
            lines.append(f"  verdict:   {result.verdict}" + (f"  (expected {result.expect})" if result.expect else ""))
            if result.diagnosis:
                lines.append(f"  diagnosis: {result.diagnosis}")
            if result.message:
                message = result.message.replace(str(self.path), _display(self.path, self.config))
                lines.append(f"  message:   {message}")
            if result.claimed and result.exact:
                summary = f"claimed {result.claimed}, exact {result.exact}: {problem}"
        if self.claim_note:
            lines.append(f"  note:      {self.claim_note}")
        raise ClaimFailure(lines, summary)

    def runtest(self) -> None:
        from .claims.verdict import Verdict

        report = self.parent.report()
        if report.error:
            self._fail(None, report.error.replace(str(self.path), _display(self.path, self.config)))
        result = next((r for r in report.results if r.index == self.claim_index), None)
        if result is None:
            self._fail(None, "the file changed while the tests ran; this claim is no longer in it")
        self.user_properties.append(("derivcheck_verdict", result.verdict))
        self.user_properties.append(("derivcheck_expect", result.expect or ""))
        if report.notes:  # the file-level notes, said once in the summary (they change no verdict)
            shown = _display(self.path, self.config)
            self.user_properties.append(("derivcheck_notes", [
                n.replace(str(self.path), shown) if n.startswith(str(self.path)) else f"{shown}: {n}"
                for n in report.notes]))
        verdict, expect = result.verdict, result.expect
        if verdict == Verdict.ERROR:
            self._fail(result, "could not be checked")
        if expect is None:
            if verdict == Verdict.OK:
                return
            if verdict == Verdict.ROUNDING:
                if _strict(self.config):
                    self._fail(result, "only rounding-correct, which fails under --derivcheck-strict")
                return
            if result.carried and not self.config.getoption("derivcheck_strict_carry", False):
                pytest.xfail(f"carried: {result.diagnosis}")
            self._fail(result, f"the claim is {verdict}")
        if expect in (Verdict.WRONG, Verdict.SHAPE):
            if verdict == expect:
                reason = result.diagnosis or result.message or "still found wrong, as the file expects"
                pytest.xfail(f"expected {expect}: {reason}")
            self._fail(result, f"XPASS(strict): the file expects {expect}, but derivcheck now finds it {verdict}; "
                               f"update or remove expect")
        if verdict != expect:
            self._fail(result, f"the file expects {expect}, but derivcheck finds it {verdict}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None):
        if isinstance(excinfo.value, ClaimFailure):
            err = excinfo.value
            return ClaimFailureRepr(err.lines, _CrashLine(_display(self.path, self.config),
                                                          self.claim_line or 0, err.summary))
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = self.claim_line - 1 if self.claim_line else None
        where = f"{self.path.name}:{self.claim_line}" if self.claim_line else self.path.name
        return self.path, line, f"{where} claim {self.claim_index}: {self.name}"


# ------------------------------------------------------------ report cache
def _report_from_json(data: dict):
    from .claims.check import ClaimResult, FileReport

    results = [ClaimResult(**r) for r in data.pop("results")]
    return FileReport(**data, results=results)


class _ReportCache:
    """File reports by path: in memory, and across xdist workers through ``shared`` (if given)."""

    def __init__(self, shared: Path | None):
        self.shared = shared
        self.memory: dict[str, Any] = {}

    def get(self, path: Path):
        key = str(path)
        if key not in self.memory:
            try:
                self.memory[key] = self._shared(path) if self.shared else self._check(path)
            except Exception as err:  # a bug, not bad input: shown (with its traceback) on every claim, raised once
                self.memory[key] = err
        found = self.memory[key]
        if isinstance(found, Exception):
            raise found
        return found

    @staticmethod
    def _check(path: Path):
        from .claims.check import check_file

        return check_file(path)

    def _shared(self, path: Path):
        try:
            import fcntl
        except ImportError:  # no advisory locks (Windows): every worker checks for itself
            return self._check(path)
        try:
            content = path.read_bytes()
        except OSError:
            return self._check(path)  # the loader words the problem
        digest = hashlib.sha256(str(path).encode() + b"\0" + content).hexdigest()
        target = self.shared / f"{digest}.json"
        with open(self.shared / f"{digest}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if target.exists():
                    return _report_from_json(json.loads(target.read_text(encoding="utf-8")))
                report = self._check(path)
                try:
                    text = json.dumps(asdict(report))
                except (TypeError, ValueError):  # not JSON-able: the other workers check for themselves
                    return report
                scratch = target.with_suffix(".tmp")
                scratch.write_text(text, encoding="utf-8")
                scratch.replace(target)
                return report
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


# ----------------------------------------------------------------- summary
class _Summary:
    """Counts verdicts from the reports (on the controller under xdist) and prints one line."""

    ORDER = ("ok", "rounding", "WRONG (expected)", "shape error (expected)", "WRONG", "shape error", "error")

    def __init__(self) -> None:
        self.tally: dict[str, int] = {}
        self.notes: dict[str, None] = {}  # the files' notes, in order, each once

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties or ())
        verdict = props.get("derivcheck_verdict")
        if report.when != "call" or verdict is None:
            return
        self.notes.update(dict.fromkeys(props.get("derivcheck_notes", ())))
        key = verdict
        if props.get("derivcheck_expect") == verdict and verdict not in ("ok", "rounding"):
            key += " (expected)"
        self.tally[key] = self.tally.get(key, 0) + 1

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.tally:
            return
        keys = [k for k in self.ORDER if k in self.tally] + [k for k in self.tally if k not in self.ORDER]
        parts = ", ".join(f"{self.tally[k]} {k}" for k in keys)
        terminalreporter.write_line(f"derivcheck: {sum(self.tally.values())} claims: {parts}")
        for note in self.notes:
            terminalreporter.write_line(f"derivcheck: note: {note}.")


# ----------------------------------------------------------------- fixtures
@pytest.fixture
def derivcheck_network():
    """Factory for networks: ``derivcheck_network("mazur")`` (or ``"sigai"``, ``"lagou"``),
    ``derivcheck_network("derivations/002-….toml")`` (a derivation file's network), or
    ``derivcheck_network([2, 3, 1], activation="tanh", loss="half_sse", bias="per-neuron", seed=0,
    params=None, x=None, y=None)`` — values not given are reproducible two-decimal numbers."""
    from .gradcheck import STANDARD_NETWORKS, make_network, standard_network

    def build(spec: Any, /, **options: Any):
        if isinstance(spec, (str, os.PathLike)):
            if options:
                raise TypeError("options (activation, seed, …) apply when building from layers, "
                                "not to a standard network or a derivation file")
            if isinstance(spec, str) and spec in STANDARD_NETWORKS:
                return standard_network(spec)
            from .claims.derivation import load_derivation

            return load_derivation(spec).network
        return make_network(spec, **options)

    return build


@pytest.fixture(scope="session")
def mazur_network():
    """Seed 002's 2-2-2 sigmoid network with shared biases, at the article's weights and data."""
    from .gradcheck import standard_network

    return standard_network("mazur")


@pytest.fixture(scope="session")
def sigai_network():
    """Seed 003's 3-4-2 sigmoid network (per-neuron biases; the seed prints no numbers, these are ours)."""
    from .gradcheck import standard_network

    return standard_network("sigai")


@pytest.fixture(scope="session")
def lagou_network():
    """Seed 004's 2-2-1 sigmoid network without biases, at the lesson's weights and data."""
    from .gradcheck import standard_network

    return standard_network("lagou")
