"""Fuzzing the three doors user text comes through: the TOML loader, the LaTeX parser, the CLI.

For each target hypothesis generates inputs; the contract checked is the same:
only :class:`DerivcheckError` escapes (from ``main``: an exit code 0/1/2, never an
exception), no input takes over a second of CPU time (and none over ``MAX_WALL``
seconds of wall time: the machines are shared, and a loaded one stretches wall
time several-fold — a first long run saw one 4.6 s wall outlier for a formula that
takes 0.03 s), and the run counts its inputs (asserted, and printed as
``fuzz <target>: N inputs, max … s CPU``).

The default run is small (``CI_EXAMPLES`` per target; the slow-input target ``SLOW_CI_EXAMPLES``);
``pytest --fuzz-long`` runs ``LONG_EXAMPLES`` per target. ``--fuzz-seeds A:B`` runs the long run in pieces
(in parallel, or one after another): seed s (A <= s < B) is one piece of ``PIECE_EXAMPLES`` inputs per
target drawn by hypothesis from that seed (not derandomized), so ``0:20`` is 10,000 inputs and ``0:10`` plus
``10:20`` (two processes) are the same 10,000. Each piece prints its own count line. The slow-input target (issue 21) checks
inputs built to be expensive under the same contract, per claim.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from symbolic.cli import main
from symbolic.claims.derivation import load_derivation
from symbolic.spec.errors import DerivcheckError

CI_EXAMPLES = 150
LONG_EXAMPLES = 10_000
PIECE_EXAMPLES = 500  # inputs per target of one --fuzz-seeds piece
MAX_SECONDS = 1.0  # CPU time per input
MAX_WALL = 10.0  # wall time per input: catches a blocking wait, which uses no CPU
ROOT = Path(__file__).resolve().parent.parent

HOSTILE_TEXT = [
    "__import__('os').system('touch CANARY')",
    "W1[1,1]); import os",
    "\\input{/etc/passwd}",
    "\\def\\x{\\x}\\x",
    "\\write18{touch CANARY}",
    "\\immediate\\write18{touch CANARY}",
    "${(touch CANARY)}",
    "`touch CANARY`",
    "exec('import os')",
    "lambda: 0",
    "W1[1,1]",
    "a1[99999999999999999999]",
    "a" + "1" * 5000 + "[1]",
    "dL/dW1[1,1]",
    "∂L/∂W2[1,1]",
    "L[0]",
    "b0",
    "",
    " ",
    "\u202e\u200b\ufeff",
    "é" * 100,
    "\U0001f600",
    "1e999999",
    "1e-999999999",
    "nan",
    "-inf",
    "1/0",
    "9" * 5000,
    "0." + "1" * 100_000,
    "x" * 1_000_000,
]


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (``check -j`` workers are joined)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _n_examples(request, ci: int | None = None) -> int:
    """Inputs per target in all: ``ci`` (``CI_EXAMPLES``), ``LONG_EXAMPLES`` with --fuzz-long, or
    ``PIECE_EXAMPLES`` per seed with --fuzz-seeds."""
    seeds = request.config.getoption("--fuzz-seeds")
    if seeds is not None:
        return PIECE_EXAMPLES * len(seeds)
    return LONG_EXAMPLES if request.config.getoption("--fuzz-long") else (CI_EXAMPLES if ci is None else ci)


def _pieces(request, ci: int | None = None) -> list[tuple[int | None, int]]:
    """(hypothesis seed or None for the derandomized default, inputs) of each piece of a target's run."""
    seeds = request.config.getoption("--fuzz-seeds")
    if seeds is not None:
        return [(s, PIECE_EXAMPLES) for s in seeds]
    return [(None, _n_examples(request, ci))]


def _run_pieces(request, strategies: tuple, body, ci: int | None = None, **extra) -> None:
    """Run ``body`` under ``@given(*strategies)`` once per piece (a fresh test each: its own count, and its
    seed when --fuzz-seeds gives one)."""
    for s, n in _pieces(request, ci):
        test = _fuzz_settings(n, derandomize=s is None, **extra)(given(*strategies)(body))
        (seed(s)(test) if s is not None else test)()
        if s is not None:
            print(f"fuzz seed {s}: {n} inputs drawn")


class _Counter:
    def __init__(self, name: str):
        self.name, self.count, self.worst, self.worst_input, self.worst_wall = name, 0, 0.0, None, 0.0

    @contextlib.contextmanager
    def timed(self, what):
        self.count += 1
        start, wall = _cpu(), time.perf_counter()
        yield
        seconds, wall = _cpu() - start, time.perf_counter() - wall
        if seconds > self.worst:
            self.worst, self.worst_input = seconds, what
        self.worst_wall = max(self.worst_wall, wall)
        assert seconds < MAX_SECONDS, f"{self.name}: input took {seconds:.2f} s of CPU: {str(what)[:300]!r}"
        assert wall < MAX_WALL, f"{self.name}: input took {wall:.2f} s of wall time: {str(what)[:300]!r}"

    def report(self, wanted: int | None) -> None:
        """Print (and with DERIVCHECK_FUZZ_REPORT append as JSON) the count and the slowest input; ``wanted``
        None: a run that failed part-way (its count so far, nothing asserted)."""
        line = (f"fuzz {self.name}: {self.count} inputs, max {self.worst:.3f} s CPU "
                f"({self.worst_wall:.3f} s wall)")
        print(line)
        print(f"  slowest: {str(self.worst_input)[:200]!r}")
        out = os.environ.get("DERIVCHECK_FUZZ_REPORT")
        if out:
            with open(out, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"target": self.name, "inputs": self.count, "max_cpu_seconds": self.worst,
                                     "max_wall_seconds": self.worst_wall,
                                     "slowest_input": str(self.worst_input)[:2000],
                                     "completed": wanted is not None}) + "\n")
        if wanted is not None:
            assert self.count >= wanted, line


def _fuzz_settings(n: int, derandomize: bool = True, **extra):
    return settings(max_examples=n, deadline=None, database=None, derandomize=derandomize,
                    suppress_health_check=list(HealthCheck), **extra)


# ----------------------------------------------------------------------- TOML writer
class Raw(str):
    """TOML text inserted verbatim (deep nesting, 4300+ digit integers, …)."""


def _toml_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF:
            out.append("\\u%04x" % (ord(ch) if ord(ch) < 0xD800 else 0xFFFD))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(v) -> str:
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _toml_string(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_string(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def toml_document(doc: dict) -> str:
    lines = []
    for k, v in doc.items():
        if not isinstance(v, (dict, list)) or k not in ("network", "data", "parameters", "aliases", "claims"):
            lines.append(f"{_toml_string(k)} = {_toml_value(v)}")
    for k in ("network", "data", "parameters", "aliases"):
        if isinstance(doc.get(k), dict):
            lines.append(f"[{k}]")
            lines += [f"{_toml_string(kk)} = {_toml_value(vv)}" for kk, vv in doc[k].items()]
        elif k in doc:
            lines.append(f"{k} = {_toml_value(doc[k])}")
    claims = doc.get("claims")
    if isinstance(claims, list) and all(isinstance(c, dict) for c in claims):
        for c in claims:
            lines.append("[[claims]]")
            lines += [f"{_toml_string(kk)} = {_toml_value(vv)}" for kk, vv in c.items()]
    elif "claims" in doc:
        lines.append(f"claims = {_toml_value(claims)}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ hostile values
_scalars = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30),
    st.sampled_from([0, -1, 10**9, 10**18, -(10**18), 2**63 - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1000.0, -1000.0, 1e300, -1e300, 1e-300, 5e-324, -0.0]),
    st.text(max_size=40),
    st.sampled_from(HOSTILE_TEXT),
    st.booleans(),
    st.builds(Raw, st.integers(1, 3000).map(lambda d: "[" * d + "]" * d)),
    st.builds(Raw, st.integers(4290, 4400).map(lambda n: "9" * n)),
    st.builds(Raw, st.sampled_from(["1979-05-27T07:32:00Z", "07:32:00", "1979-05-27", "0x7fffffff", "0o777",
                                    "0b101", "1e999", "-1e999", "+nan", "{}", "[]"])),
)
hostile = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=3)), max_leaves=8)


def _either(good, bad=hostile):
    return st.one_of(st.just(good), bad) if not isinstance(good, st.SearchStrategy) else st.one_of(good, bad)


_canonical = st.sampled_from(["W1[1,1]", "W2[1,2]", "b1", "b2", "u1[1]", "a2[2]", "x[1]", "y[2]", "L", "L[1]",
                              "a0[1]", "W3[1,1]", "b1[1]", "u1[3]"])
_claim_name = st.one_of(_canonical, _canonical.map(lambda n: f"dL/d{n}"), st.sampled_from(["out_h1", "w5"]),
                        st.text(max_size=30), st.sampled_from(HOSTILE_TEXT))
_claim = st.fixed_dictionaries(
    {"name": _either(_claim_name)},
    optional={
        "value": _either(st.sampled_from(["0.593269992", "0.35891648", "1", "-0.5", "3.51e-5", "0.40"]),
                         st.one_of(hostile, st.decimals(allow_nan=False).map(str))),
        "after": _either(st.integers(0, 3), st.one_of(hostile, st.integers())),
        "with": _either(st.dictionaries(st.one_of(_canonical, st.text(max_size=10)), st.one_of(
            st.floats(-2, 2), hostile), max_size=2)),
        "sample": _either(1),
        "expect": _either(st.sampled_from(["ok", "rounding", "WRONG", "shape error"])),
        "formula": _either(st.sampled_from([r"\delta^{(2)} = a^{(2)} - y", r"\nabla_{W^{(2)}} L = \delta^{(2)} (a^{(1)})^T"]),
                           st.one_of(hostile, st.text(max_size=60))),
        "symbols": _either({"z": "y"}),
        "note": hostile,
        "unknown key": hostile,
    })
_network = st.fixed_dictionaries(
    {"layers": _either([2, 2, 2], st.one_of(hostile, st.lists(st.integers(-3, 10**7), max_size=4)))},
    optional={
        "activation": _either(st.sampled_from(["sigmoid", "tanh", "relu", "identity", ["sigmoid", "softmax"]])),
        "loss": _either(st.sampled_from(["half_sse", "sse", "mse", "bce", "softmax_ce"])),
        "bias": _either(st.sampled_from(["shared", "per-neuron", "none"])),
        "learning_rate": _either(0.5),
        "update_biases": _either(False),
        "extra": hostile,
    })
_parameters = st.fixed_dictionaries(
    {"W1": _either([[0.15, 0.20], [0.25, 0.30]], st.one_of(hostile, st.lists(st.lists(hostile, max_size=3), max_size=3))),
     "b1": _either(0.35),
     "W2": _either([[0.40, 0.45], [0.50, 0.55]]),
     "b2": _either(0.60)},
    optional={"W3": hostile, "b9": hostile})
documents = st.fixed_dictionaries(
    {"network": _either(_network)},
    optional={
        "title": hostile,
        "source": hostile,
        "data": _either(st.fixed_dictionaries({"x": _either([0.05, 0.10]), "y": _either([0.01, 0.99])})),
        "parameters": _either(_parameters),
        "aliases": _either(st.dictionaries(st.one_of(st.text(max_size=20), st.sampled_from(HOSTILE_TEXT)),
                                           st.one_of(_canonical, hostile), max_size=3)),
        "claims": _either(st.lists(_claim, max_size=4)),
        "unchecked": hostile,
        "bogus": hostile,
    })


def test_fuzz_toml_loader(request, tmp_path):
    """Structurally valid derivation files with hostile values: a Derivation or one DerivcheckError."""
    n = _n_examples(request)
    counter = _Counter("TOML loader")
    path = tmp_path / "fuzz.toml"

    def run(doc):
        text = toml_document(doc)
        path.write_text(text, encoding="utf-8")
        with counter.timed(text):
            try:
                d = load_derivation(path)
            except DerivcheckError as err:
                assert str(err).startswith(str(path)) and len(str(err)) < 2000, str(err)[:500]
                return
            for c in d.claims:  # a claim's own problem is one bounded sentence too
                assert c.error is None or len(c.error) < 2000

    _run_pieces(request, (documents,), run)
    counter.report(n)


# ----------------------------------------------------------------------- LaTeX parser
_TOKENS = [r"\frac", r"\partial", r"\nabla", r"\odot", r"\oslash", r"\cdot", r"\times", r"\left(", r"\right)",
           r"\left[", r"\right]", r"\delta", r"\sigma", r"\sum", r"\exp", r"\log", r"\tanh", r"\operatorname{softmax}",
           r"\mathbf", r"\hat", r"\text", r"\quad", r"\\", "&=", r"\begin{aligned}", r"\end{aligned}",
           r"\begin{bmatrix}", r"\end{bmatrix}", "{", "}", "(", ")", "[", "]", "^", "_", "'", "T", r"\top", "=", "+",
           "-", ",", " ", "W", "w", "b", "u", "a", "x", "y", "z", "L", "f", "l", "i", "j", "k", "1", "2", "(2)",
           "^{(2)}", "_{ij}", "^T", r"\input{/etc/passwd}", r"\def", r"\write18{touch CANARY}", r"\csname",
           r"\catcode", "__import__('os')", "%", "#", "~", "$", "\x00", "é", "∂", "⊙"]
formulas = st.one_of(
    st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join),
    st.text(max_size=80),
    st.sampled_from(HOSTILE_TEXT),
    st.integers(1, 20_000).map(lambda d: "(" * d + "a^{(1)}" + ")" * d + " = a^{(1)}"),
    st.integers(1, 20_000).map(lambda d: "{" * d + "W" + "}" * d + " = W^{(2)}"),
    st.integers(1, 3_000).map(lambda d: r"\left(" * d + "x" + r"\right)" * d + " = x"),
    st.integers(1, 2_000).map(lambda d: "x" + "^{x" * d + "}" * d + " = x"),
    st.just(r"\delta^{(2)} = " + " + ".join(["a^{(2)}"] * 200_000)),
)
_symbols = st.one_of(st.just({}), st.just({"z": "y", "y": "a1"}),
                     st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(HOSTILE_TEXT)),
                                     st.one_of(_canonical, st.text(max_size=12), st.sampled_from(HOSTILE_TEXT)),
                                     max_size=3))


def test_fuzz_latex_parser(request):
    """Generated LaTeX (token soup, garbage, deep nesting, 1 MB): a Formula or one DerivcheckError."""
    parser = pytest.importorskip("symbolic.formulas.parser")
    n = _n_examples(request)
    counter = _Counter("LaTeX parser")

    def run(text, symbols):
        with counter.timed(text):
            try:
                parser.parse_formula(text, symbols)
            except DerivcheckError as err:
                assert len(str(err)) < 2000, f"a {len(str(err))}-character message for {text[:80]!r}"

    _run_pieces(request, (formulas, _symbols), run)
    counter.report(n)


LONG = "a" + "1" * 5000 + "[1]"


@pytest.mark.parametrize("formula, symbols", [
    ("a^{(1)} = a^{(1)}", {"z": LONG}),           # a symbols value
    ("a^{(1)} = a^{(1)}", {" " * 5000: "a1"}),    # a symbols key
    ("a^{(1)} = a^{(1)}", {"z": 10 ** 5000}),    # a value that is not text (too long even for repr)
    ("a^{(1)} = q" + "q" * 5000, None),            # an unknown letter run in the formula
    ("a^{(1)} = a^{(" + "9" * 5000 + ")}", None),  # a layer number
    ("a^{(1)} = " + "(" * 5000, None),             # an unclosed formula
])
def test_parser_messages_are_bounded(formula, symbols):
    parser = pytest.importorskip("symbolic.formulas.parser")
    with pytest.raises(DerivcheckError) as err:
        parser.parse_formula(formula, symbols)
    assert len(str(err.value)) < 2000


# ------------------------------------------------------------------------------- CLI
_GOOD = str(ROOT / "derivations" / "002-mazur-2-2-2-step-by-step.toml")
_safe_text = st.one_of(st.text(max_size=30), st.sampled_from(HOSTILE_TEXT[:25])).filter(
    lambda t: not t.startswith("-"))  # an option is only ever one of ours: no "--output=/etc/…" by prefix
_DIR = str(ROOT / "derivations")
_files = st.sampled_from([_GOOD, _DIR, "missing.toml", "/etc/passwd", "/dev/null", "/", ".",
                          "broken.toml", "hostile.toml", "empty.toml"])
_layers = st.one_of(st.lists(st.integers(1, 2), min_size=2, max_size=3).map(lambda v: ",".join(map(str, v))),
                    st.lists(st.integers(-10**12, 10**12), max_size=4).map(lambda v: ",".join(map(str, v))),
                    _safe_text, st.sampled_from(["1000000,1", "100000,100000", "2,,2", "2;2", ",".join(["1"] * 5000)]))
_numbers = st.one_of(st.integers(-10**12, 1000).map(str), _safe_text,
                     st.sampled_from(["1e999999", "10**100000", "nan", "inf", "-0", "0x10", "1_000"]))
_option_values = {
    "--layers": _layers,
    "--activation": st.one_of(st.sampled_from(["sigmoid", "relu,softmax", "tanh,identity"]), _safe_text),
    "--loss": st.one_of(st.sampled_from(["half_sse", "softmax_ce", "bce"]), _safe_text),
    "--bias": st.one_of(st.sampled_from(["none", "shared", "per-neuron,none"]), _safe_text),
    "--learning-rate": _numbers,
    "--seed": _numbers,
    "--updates": _numbers,
    "--batch-size": _numbers,
    "--formula": st.one_of(formulas.filter(lambda t: len(t) < 5000 and not t.startswith("-")), _safe_text),
    "--symbol": _safe_text,
    "--digits": _numbers,
    "-o": st.sampled_from(["out.json", "out.tex", "out.txt", "sub/none.tex", ".", "out"]),
}
_flags = ["--json", "--latex", "--no-claims", "--help"]


@st.composite
def argvs(draw):
    command = draw(st.sampled_from(["check", "gradcheck", "train", "verify", "latex", "derive", "bogus", ""]))
    argv = [command] if command else []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            argv.append(draw(_files))
        elif kind == 1:
            option = draw(st.sampled_from(sorted(_option_values)))
            argv += [option, draw(_option_values[option])]
        elif kind == 2:
            argv.append(draw(st.sampled_from(_flags)))
        else:
            argv.append(draw(_safe_text))
    return argv


def test_fuzz_cli(request, tmp_path, monkeypatch):
    """Generated argument lists: ``main`` returns 0, 1 or 2 (never raises), quickly."""
    n = _n_examples(request)
    counter = _Counter("CLI")
    monkeypatch.chdir(tmp_path)  # every -o target is a plain name inside this folder
    (tmp_path / "broken.toml").write_text("[network\nlayers = [2,", encoding="utf-8")
    (tmp_path / "hostile.toml").write_text(
        "title = '\\write18{touch CANARY}'\n[network]\nlayers = " + "[" * 2000 + "]" * 2000 + "\n", encoding="utf-8")
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")

    def run(argv):
        # gradcheck (four witnesses), verify (a wrong formula's repair search, bounded at 6 s of CPU) and
        # anything on the real derivation files (formula proofs) are seconds of honest work, not a hang:
        # they get a 120 s bound; the 1 s bound applies to everything else
        slow = argv[:1] in (["gradcheck"], ["verify"]) or any(a in (_GOOD, _DIR) for a in argv)
        out, err = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            if slow:
                counter.count += 1
                rc = main(argv)
            else:
                with counter.timed(argv):
                    rc = main(argv)
        assert rc in (0, 1, 2), (argv, rc)
        if rc == 2:
            assert "Traceback" not in err.getvalue()
        assert time.perf_counter() - start < 120, argv
        assert not (tmp_path / "CANARY").exists() and not Path("CANARY").exists()

    _run_pieces(request, (argvs(),), run)
    counter.report(n)


# ----------------------------------------------------------------------- slow inputs (issue 21)
def _dense(layers: list[int], act: str, samples: int, claims: list[dict], rng_seed: int) -> dict:
    """A derivation file of the given shape: hundredths in [−0.9, 0.9] drawn from ``rng_seed`` (short, exact)."""
    import random
    rng = random.Random(rng_seed)
    q = lambda: rng.randint(-90, 90) / 100 or 0.05  # noqa: E731
    params = {}
    for l in range(1, len(layers)):
        params[f"W{l}"] = [[q() for _ in range(layers[l - 1])] for _ in range(layers[l])]
        params[f"b{l}"] = [q() for _ in range(layers[l])]
    x = [[q() for _ in range(layers[0])] for _ in range(samples)]
    y = [[rng.randint(5, 95) / 100 for _ in range(layers[-1])] for _ in range(samples)]
    return {"network": {"layers": layers, "activation": act, "loss": "half_sse", "bias": "per-neuron",
                        "learning_rate": 0.1},
            "data": {"x": x if samples > 1 else x[0], "y": y if samples > 1 else y[0]}, "parameters": params,
            "claims": claims}


_seed = st.integers(0, 10**6)
_wrong = st.sampled_from(["0.123456789", "-0.5", "7.77", "1.5e-3", "0"])
slow_inputs = st.one_of(
    # relu MLPs (4-8-8-1 took > 90 s: SymPy grind), a WRONG gradient claim on each
    st.builds(lambda w, s, v: _dense([4, w, w, 1], "relu", 1, [{"name": "L", "value": v},
                                                                {"name": "dL/dW1[1,1]", "value": v}], s),
              st.integers(2, 12), _seed, _wrong),
    # one neuron per layer, 2 to 150 layers (10 layers took 17 s, 100 a RecursionError)
    st.builds(lambda d, act, s, v: _dense([1] * (d + 1), act, 1, [{"name": "dL/dW1[1,1]", "value": v}], s),
              st.integers(2, 150), st.sampled_from(["sigmoid", "tanh", "relu"]), _seed, _wrong),
    # updates on a mid-size net (after = 1 on 8-16-8-4 took > 500 s), up to 10^5 (over the ball bound)
    st.builds(lambda n, s, v: _dense([8, 16, 8, 4], "sigmoid", 1, [{"name": "L", "value": v, "after": n}], s),
              st.sampled_from([1, 2, 3, 50, 2_001, 10_000, 100_000]), _seed, _wrong),
    # many samples (1,000 took 49 s), on both sides of the sample bound (costs.MAX_SAMPLES = 2,000: over it every
    # claim gets the bound's sentence; before it 5,000 samples cost 0.7–1.3 s of CPU per claim), with one claim
    # (the file's fixed cost on one claim) or two
    st.builds(lambda m, k, s, v: _dense([2, 2, 1], "sigmoid", m, [{"name": "L", "value": v},
                                                                 {"name": "dL/dW2[1,1]", "value": v}][:k], s),
              st.sampled_from([2, 10, 100, 1_000, 1_999, 2_000, 2_001, 5_000, 10_000, 10_001, 20_000]),
              st.integers(1, 2), _seed, _wrong),
    # `with` variants on one file (200 on a 1,930-parameter net grew past 3.6 GB)
    st.builds(lambda k, s: _dense([4, 8, 4], "tanh", 1, [{"name": "L", "value": "0.5", "with": {"W1[1,1]": j / 100}}
                                                        for j in range(k)], s),
              st.integers(1, 60), _seed),
    # a WRONG gradient on a 32-wide layer (the index-swap search: ~1,000 candidates)
    st.builds(lambda s, v: _dense([32, 32, 2], "sigmoid", 1, [{"name": "dL/dW1[2,5]", "value": v}], s), _seed, _wrong),
    # formulas built to be expensive: nested powers, long sums, nested exp
    st.builds(lambda f: {"network": {"layers": [2, 2, 2], "activation": "sigmoid", "loss": "half_sse"},
                         "claims": [{"formula": f}]},
              st.one_of(st.integers(1, 6).map(lambda d: r"\delta^{(2)} = " + "(" * d + "a^{(2)} - y" + ")^{64}" * d),
                        st.integers(1, 14).map(lambda d: r"\delta^{(2)} = " + r"\exp(" * d + "a^{(2)}" + ")" * d),
                        st.integers(2, 10**6).map(lambda n: r"\delta^{(2)} = \sum_{k=1}^{" + str(n) + "} a^{(2)}"))),
)


SLOW_CI_EXAMPLES = 25  # each slow input is up to a second per claim; the CI run stays within a minute


def test_fuzz_slow_inputs(request, tmp_path):
    """Inputs built to be expensive (the shapes of issue 21 that took minutes, sized on both sides of every cost
    guard): each file is checked whole (``check_file``: load, guards, verdicts, diagnoses); every claim gets a
    verdict or one bounded sentence, and the CPU time is at most ``MAX_SECONDS`` per claim (a file of 60
    ``with`` variants is 60 claims' work). ``--fuzz-long`` runs ``LONG_EXAMPLES`` inputs; no shrinking (a
    slow input is reported as drawn)."""
    from hypothesis import Phase

    from symbolic.claims.check import check_file
    n = _n_examples(request, SLOW_CI_EXAMPLES)
    counter = _Counter("slow inputs")
    path = tmp_path / "slow.toml"

    def run(doc):
        text = toml_document(doc)
        path.write_text(text, encoding="utf-8")
        counter.count += 1
        start, wall = _cpu(), time.perf_counter()
        report = check_file(path)
        seconds, wall = _cpu() - start, time.perf_counter() - wall
        claims = max(1, len(report.results))
        if seconds / claims > counter.worst:
            counter.worst, counter.worst_input = seconds / claims, text[:300]
        counter.worst_wall = max(counter.worst_wall, wall / claims)
        assert seconds / claims < MAX_SECONDS, f"{seconds:.2f} s of CPU for {claims} claim(s): {text[:300]!r}"
        assert report.error is None or "\n" not in report.error, report.error
        assert report.results or report.error, text[:300]
        for r in report.results:
            assert r.verdict in ("ok", "rounding", "WRONG", "error", "shape error"), r
            assert r.verdict != "error" or (r.message and len(r.message) < 2000 and "\n" not in r.message), r

    try:
        _run_pieces(request, (slow_inputs,), run, SLOW_CI_EXAMPLES,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate])
    except BaseException:
        counter.report(None)  # the inputs tried before the failing one, and the slowest of them
        raise
    counter.report(n)  # "max" is CPU seconds per claim here
