"""derivcheck benchmarks: the speed goals, as ratios measured side by side in one run.

    python benchmarks/run.py [--limit 600] [--runs 3] [--quick] [--json FILE] [--extra] [--formulas] [--optimizers] [--grading N]
                             [--small] [--recurrent] [--conv]

Prints ONE goal table first (a row per goal: what, measured, reference, ratio, goal,
met / MISSED by how much), then the details behind it. The machine is shared and
noisy, so every time is divided by a reference measured in the same run:

* reference: the whole process ``python -c "import sympy"``, 5 runs at the start and 5
  at the end of the run; the MEDIAN wall and the median CPU time of the 10 are used;
* whole-process checks: ``python -m symbolic.cli check FILE`` (what the ``derivcheck``
  entry point runs; ``-m`` with the repository as working directory, so the code
  measured is the code of the tree this script is in), MEDIAN of ``--runs`` runs (a
  row whose first run takes more than 20 s is run once); wall time, and CPU time
  (user + system of the child and the workers it waited for, from ``os.wait4``, the
  per-child form of ``getrusage(RUSAGE_CHILDREN)``), and max RSS;
  each run is killed at ``--limit`` seconds: the row then prints "> limit" and its ratio
  is a lower bound. Every net check is also validated: its summary must be
  "1 WRONG, 4 ok" and the output must name the entry the WRONG number belongs to
  (else the row is INVALID, however fast);
* growth: least-squares slope of log(wall) against log(P) over the softmax family
  from 8-16-16-4 up (the smallest nets measure start-up, not growth);
* certified gradients: ``Truth(net).gradient()`` for 16-32-32-10 in a fresh
  subprocess after all imports (first call), against "the arb floor": a minimal
  reverse sweep in python-flint written below (``arb_floor``; arb_mat at 300 bits),
  best of 5; both results are compared;
* formulas: ``python -m symbolic.cli verify`` of a depth-3 formula (∇W^{(1)} of a 3-4-4-2 sigmoid
  net written out through all three layers), one right and one WRONG (repair search off:
  ``--repair-seconds 0``), as whole processes against the same reference; the verdict is validated
  (``--formulas`` measures only these two rows and the reference);
* small networks (issue 21): ``check`` of each of the 30 files of ``benchmarks/small_population.py``
  (≤ 50 parameters, claims up to 2,000 updates, nearly all WRONG so the mistake table runs), one run each;
  goal: the worst ≤ 5×, judged on CPU time (``--small`` measures only these rows and the reference);
* recurrent (``--recurrent`` measures only it): benchmarks/recurrent.py — a 10-step rnn of hidden size 8,
  all gradients exact, as a whole process against ``import sympy`` measured beside it;
* convolution: benchmarks/conv_bench.py — ``check`` of a 1×8×8 image through two 3×3 conv layers, all
  131 gradients exact, ≤ 10× (``--conv`` measures only its rows and the reference);
* 10,000 updates of seed 002: ``numeric.train`` and, when the module exists,
  ``symbolic.truth.trajectory.Trajectory(net).float_after({}, 10_000)`` (a fresh
  object each run); best of 3, in a fresh subprocess
  after imports. Absolute times (the goal is absolute).

``--grading N`` runs only the grading benchmark (``grading_benchmark``): N generated
seed-002 submissions graded serially, with 2 workers, on a local Dask cluster, and
re-run from the cache.

The benchmark networks are benchmarks/nets/*.toml, written by benchmarks/make_nets.py.
``--quick`` skips 64-128-128-10 and the growth sizes above 16-32-32-10. ``--json FILE``
saves every number. ``--extra`` adds the compiled-gradient-vs-NumPy per-call comparison
of the earlier benchmark. A row that errors prints its error in one line; the run goes on.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

import conv_bench  # benchmarks/conv_bench.py (issue 19: the 1x8x8 two-conv network)
from optimizers import rows as optimizer_rows  # benchmarks/optimizers.py (this folder is sys.path[0])
from small_population import population  # benchmarks/small_population.py (issue 21's small-network goal)
from recurrent import measure as measure_recurrent, rows as recurrent_rows  # benchmarks/recurrent.py (issue 19)

ROOT = Path(__file__).resolve().parent.parent
NETS = ROOT / "benchmarks" / "nets"
CLI = [sys.executable, "-m", "symbolic.cli"]
REFERENCE = [sys.executable, "-c", "import sympy"]
SEED_002 = ROOT / "derivations" / "002-mazur-2-2-2-step-by-step.toml"
SEED_003 = ROOT / "derivations" / "003-sigai-3-4-2-matrix-form.toml"
SLOW = 20.0  # a row whose first run takes longer is run once
DEPTH3_NET = ["--layers", "3,4,4,2", "--activation", "sigmoid", "--loss", "half_sse"]
DEPTH3_FORMULAS = {  # ∇W^{(1)} written out through all three layers; the WRONG one has f'(u^{(2)}) for f'(u^{(1)})
    "ok": (r"\nabla_{W^{(1)}} L = \left(\left(W^{(2)}\right)^T \left(\left(\left(W^{(3)}\right)^T ((a^{(3)} - y) "
           r"\odot f'(u^{(3)}))\right) \odot f'(u^{(2)})\right)\right) \odot f'(u^{(1)}) x^T", "ok"),
    "WRONG": (r"\nabla_{W^{(1)}} L = \left(\left(W^{(2)}\right)^T \left(\left(\left(W^{(3)}\right)^T ((a^{(3)} - y) "
              r"\odot f'(u^{(3)}))\right) \odot f'(u^{(2)})\right)\right) \odot f'(u^{(2)}) x^T", "WRONG"),
}
UPDATES = 10_000

# family, layers, role: "goal" rows, "growth" points (softmax family), "quick" = kept by --quick
SOFTMAX = [(4, 8, 8, 4), (8, 16, 16, 4), (16, 32, 32, 10), (32, 64, 64, 10), (64, 128, 128, 10)]
SSE = [(4, 8, 4), (8, 16, 8)]
GROWTH_MIN_P = 400  # growth fit over the softmax sizes with at least this many parameters
BIG = (16, 32, 32, 10)
LARGEST = (64, 128, 128, 10)


def net_file(family: str, layers) -> Path:
    return NETS / f"{family}-{'-'.join(map(str, layers))}.toml"


def parameter_count(layers) -> int:
    return sum(layers[l] * layers[l - 1] + layers[l] for l in range(1, len(layers)))


def dashed(layers) -> str:
    return "-".join(map(str, layers))


# ------------------------------------------------------------------------------ processes
@dataclass
class Run:
    wall: float
    cpu: float
    maxrss_mb: float
    returncode: int | None
    timed_out: bool
    output: str


def run_process(cmd: list[str], limit: float) -> Run:
    """One whole process (own session, killed with its workers at ``limit`` s)."""
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        state = {"done": False, "killed": False}
        lock = threading.Lock()

        def kill():
            with lock:
                if state["done"]:
                    return
                state["killed"] = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

        timer = threading.Timer(limit, kill)
        timer.start()
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        finally:
            with lock:
                state["done"] = True
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if state["killed"]:  # workers left over from a killed check: end them too (same session)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return Run(wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, proc.returncode, state["killed"], text)


@dataclass
class Measured:
    runs: list[Run]

    @property
    def timed_out(self) -> bool:
        return any(r.timed_out for r in self.runs)

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def maxrss_mb(self) -> float:
        return max(r.maxrss_mb for r in self.runs)

    @property
    def last(self) -> Run:
        return self.runs[-1]

    def to_json(self) -> dict:
        return {"wall": self.wall, "cpu": self.cpu, "maxrss_mb": self.maxrss_mb, "timed_out": self.timed_out,
                "runs": [{k: v for k, v in asdict(r).items() if k != "output"} for r in self.runs]}


def measure(cmd: list[str], runs: int, limit: float) -> Measured:
    first = run_process(cmd, limit)
    done = [first]
    if not first.timed_out and first.wall <= SLOW:
        done += [run_process(cmd, limit) for _ in range(runs - 1)]
    return Measured(done)


def summary_line(text: str) -> str:
    """The check's last summary line ('1 file(s), 5 claim(s): 1 WRONG, 4 ok')."""
    lines = [l for l in text.splitlines() if re.match(r"^\d+ file\(s\), \d+ claim\(s\):", l)]
    return lines[-1] if lines else ""


def last_error_line(text: str) -> str:
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    return lines[-1][:200] if lines else "(no output)"


# ------------------------------------------------------------------------------ children
def _import_everything() -> None:
    """Import every module of symbolic and numeric (timings in children start after imports)."""
    import importlib
    import pkgutil

    for top in ("numeric", "symbolic"):
        pkg = importlib.import_module(top)
        for info in pkgutil.walk_packages(pkg.__path__, top + "."):
            if info.name.endswith(("__main__", ".cli", "pytest_plugin")):
                continue
            try:
                importlib.import_module(info.name)
            except Exception:  # a half-built module during the rebuild: it is simply not pre-imported
                pass


def arb_floor(net) -> dict:
    """All dL/dθ of ``net`` with rigorous error bounds: a minimal reverse sweep in python-flint.

    arb_mat at 300 bits: forward u = W a + b, activation entry by entry (sigmoid through
    arb exp), loss; backward δ = (Wᵀ δ) ⊙ f'(u) with f' from the forward values; gradients
    δ aᵀ and δ, averaged over the samples. Per-neuron biases; activations identity,
    sigmoid, tanh, softmax; losses half_sse, sse, softmax_ce.
    """
    import flint

    flint.ctx.prec = 300
    arb, fmpq, mat = flint.arb, flint.fmpq, flint.arb_mat
    q = lambda v: arb(fmpq(v.numerator, v.denominator))  # noqa: E731
    depth = net.depth
    if any(mode != "per-neuron" for mode in net.bias):
        raise ValueError("arb_floor handles per-neuron biases only")
    W = {l: mat([[q(v) for v in row] for row in net.params[f"W{l}"]]) for l in range(1, depth + 1)}
    WT = {l: W[l].transpose() for l in W}
    b = {l: mat([[q(v)] for v in net.params[f"b{l}"]]) for l in range(1, depth + 1)}
    m = len(net.x)
    gW = {l: None for l in W}
    gb = {l: None for l in W}
    one = arb(1)
    for xs, ys in zip(net.x, net.y):
        a = {0: mat([[q(v)] for v in xs])}
        y = [q(v) for v in ys]
        for l in range(1, depth + 1):
            u = W[l] * a[l - 1] + b[l]
            n = u.nrows()
            act = net.activations[l - 1]
            if act == "sigmoid":
                a[l] = mat([[one / (one + (-u[i, 0]).exp())] for i in range(n)])
            elif act == "tanh":
                a[l] = mat([[u[i, 0].tanh()] for i in range(n)])
            elif act == "identity":
                a[l] = u
            elif act == "softmax":
                e = [u[i, 0].exp() for i in range(n)]
                s = sum(e[1:], e[0])
                a[l] = mat([[v / s] for v in e])
            else:
                raise ValueError(f"arb_floor does not handle activation {act}")
        out = [a[depth][i, 0] for i in range(a[depth].nrows())]
        if net.loss == "softmax_ce":
            g = [-yk / ak for ak, yk in zip(out, y)]
        elif net.loss == "half_sse":
            g = [ak - yk for ak, yk in zip(out, y)]
        elif net.loss == "sse":
            g = [2 * (ak - yk) for ak, yk in zip(out, y)]
        else:
            raise ValueError(f"arb_floor does not handle loss {net.loss}")
        for l in range(depth, 0, -1):
            act = net.activations[l - 1]
            al = [a[l][i, 0] for i in range(a[l].nrows())]
            if act == "sigmoid":
                d = [gk * ak * (one - ak) for gk, ak in zip(g, al)]
            elif act == "tanh":
                d = [gk * (one - ak * ak) for gk, ak in zip(g, al)]
            elif act == "identity":
                d = g
            else:  # softmax: δ_k = a_k (g_k − Σ_j g_j a_j)
                dot = sum((gk * ak for gk, ak in zip(g, al)), arb(0))
                d = [ak * (gk - dot) for gk, ak in zip(g, al)]
            delta = mat([[v] for v in d])
            dW, db = delta * a[l - 1].transpose(), delta
            gW[l] = dW if gW[l] is None else gW[l] + dW
            gb[l] = db if gb[l] is None else gb[l] + db
            if l > 1:
                back = WT[l] * delta
                g = [back[i, 0] for i in range(back.nrows())]
    out = {}
    for l in range(1, depth + 1):
        for i in range(gW[l].nrows()):
            for j in range(gW[l].ncols()):
                out[f"W{l}[{i + 1},{j + 1}]"] = gW[l][i, j] / m
        for i in range(gb[l].nrows()):
            out[f"b{l}[{i + 1}]"] = gb[l][i, 0] / m
    return out


def child_gradient(path: str) -> dict:
    import mpmath
    import sympy as sp

    _import_everything()
    from symbolic.claims.derivation import load_derivation
    from symbolic.truth.exact import Truth

    from symbolic.truth.point import Point

    net = load_derivation(path).network
    t0 = time.perf_counter()
    truth = Truth(net).gradient()
    t_truth = time.perf_counter() - t0
    point_runs = []  # the certified balls themselves (one forward + one reverse sweep), warm, best of 5
    for _ in range(5):
        t0 = time.perf_counter()
        balls = Point(net).gradient()
        point_runs.append(time.perf_counter() - t0)
    floor_runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        floor = arb_floor(net)
        floor_runs.append(time.perf_counter() - t0)
    mpmath.mp.dps = 70
    worst_diff, worst_rad = 0.0, 0.0
    for k, v in floor.items():
        if k not in truth:
            raise RuntimeError(f"Truth(net).gradient() has no {k}")
        t = mpmath.mpf(str(sp.N(truth[k], 65)))
        f = mpmath.mpf(v.mid().str(75, radius=False))
        scale = max(abs(t), mpmath.mpf(10) ** -30)
        worst_diff = max(worst_diff, float(abs(t - f) / scale))
        worst_rad = max(worst_rad, float(mpmath.mpf(v.rad().str(20, radius=False)) / scale))
    for k, v in floor.items():  # the point evaluation's balls and the floor's must overlap
        if not (balls[k] - v).contains(0):
            raise RuntimeError(f"Point(net).gradient()[{k}] and the arb floor's ball do not overlap")
    return {"parameters": len(floor), "truth": t_truth, "point": min(point_runs), "point_runs": point_runs,
            "floor": min(floor_runs), "floor_runs": floor_runs,
            "max_rel_diff": worst_diff, "max_rel_radius": worst_rad, "same_keys": set(floor) == set(truth)}


def child_updates() -> dict:
    import importlib.util

    _import_everything()
    import numeric
    from symbolic.claims.derivation import load_derivation

    net = load_derivation(SEED_002).network
    X, Y = net.numeric_data()
    arch, params = net.architecture, net.numeric_params()
    lr = float(net.learning_rate)
    out: dict = {}
    best, result = float("inf"), None
    for _ in range(3):
        t0 = time.perf_counter()
        result = numeric.train(arch, params, X, Y, lr, UPDATES, update_biases=net.update_biases, record=False)
        best = min(best, time.perf_counter() - t0)
    out["numeric_train"] = {"seconds": best, "loss_after": float(numeric.loss(arch, result.params, X, Y))}
    # HOOK: the fast float trajectory (symbolic/truth/trajectory.py). Its contract at the time of writing:
    # Trajectory(network).float_after(start, n) -> {canonical name: mpf}, float_engine(start) names the engine.
    # If the API changes, adapt this block; an error here is reported as the row's one-line error.
    if importlib.util.find_spec("symbolic.truth.trajectory") is None:
        out["trajectory"] = {"absent": True}
    else:
        try:
            from symbolic.truth.trajectory import Trajectory

            best, values, engine = float("inf"), None, None
            for _ in range(3):
                t0 = time.perf_counter()
                traj = Trajectory(net)
                values = traj.float_after({}, UPDATES)
                best = min(best, time.perf_counter() - t0)
                engine = traj.float_engine({}) if hasattr(traj, "float_engine") else None
            ref = {k: float(v) for k, v in _entries(net, result.params).items()}
            diff = max(abs(float(values[k]) - ref[k]) / max(abs(ref[k]), 1e-300) for k in ref)
            out["trajectory"] = {"seconds": best, "engine": engine, "max_rel_diff_vs_numeric_train": diff}
        except Exception as err:  # noqa: BLE001
            out["trajectory"] = {"error": f"{type(err).__name__}: {err}"[:300]}
    return out


def _entries(net, arrays) -> dict:
    """Canonical scalar names → float values of NumPy parameter arrays."""
    import numpy as np

    out = {}
    for name in net.parameter_names():
        m = re.match(r"^([Wb]\d+)(?:\[(\d+)(?:,(\d+))?\])?$", name)
        arr = np.asarray(arrays[m.group(1)])
        idx = tuple(int(g) - 1 for g in m.groups()[1:] if g is not None)
        out[name] = float(arr[idx]) if idx else float(arr)
    return out


def child_calls() -> list[dict]:
    """--extra: compiled symbolic gradient vs NumPy backprop, per call (the earlier part 3)."""
    import timeit

    import numpy as np
    import numeric
    from symbolic.claims.derivation import load_derivation
    from symbolic.truth.compiled import compile_gradient

    def per_call(fn):
        timer = timeit.Timer(fn)
        n, _ = timer.autorange()
        return min(timer.repeat(repeat=5, number=max(n, 1))) / max(n, 1)

    rows = []
    for family, layers in (("sse", (8, 16, 8)), ("softmax", BIG)):
        net = load_derivation(net_file(family, layers)).network
        t0 = time.perf_counter()
        compiled = compile_gradient(net)
        t_compile = time.perf_counter() - t0
        arch, params = net.architecture, net.numeric_params()
        rng = np.random.default_rng(1)
        for m in (1, 256):
            X = rng.uniform(-1, 1, (m, net.layers[0]))
            Y = np.eye(net.layers[-1])[rng.integers(0, net.layers[-1], m)] if family == "softmax" else \
                rng.uniform(0, 1, (m, net.layers[-1]))
            t_np = per_call(lambda: numeric.gradient(arch, params, X, Y))
            t_c = per_call(lambda: compiled(params, X, Y))
            want, got = numeric.gradient(arch, params, X, Y), compiled(params, X, Y)
            scale = max(np.max(np.abs(v)) for v in want.values())
            err = max(np.max(np.abs(got[k] - want[k])) for k in want) / scale
            rows.append({"network": dashed(layers), "m": m, "compile": t_compile, "numpy": t_np, "compiled": t_c,
                         "max_rel_diff": float(err)})
    return rows


def measure_formulas(runs: int, limit: float) -> dict:
    """``verify`` of the depth-3 formulas as whole processes; each verdict must be the expected one."""
    out = {}
    for key, (formula, want) in DEPTH3_FORMULAS.items():
        try:
            m = measure(CLI + ["verify", *DEPTH3_NET, "--repair-seconds", "0", "--formula", formula], runs, limit)
            got = "" if m.timed_out else m.last.output.split(":", 1)[0].strip()
            out[key] = {"m": m, "valid": "" if m.timed_out or got == want else f"verdict {got!r}, not {want}"}
        except Exception as err:  # noqa: BLE001
            out[key] = {"error": err}
    return out


def measure_small(limit: float) -> list[tuple[str, Run]]:
    """One whole ``check`` process per generated small network (benchmarks/small_population.py)."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in population():
            path = Path(tmp) / name
            path.write_text(text, encoding="utf-8")
            out.append((name, run_process(CLI + ["check", str(path)], limit)))
    return out


def small_rows(small: list[tuple[str, Run]], ref: dict, limit: float) -> list[Row]:
    """The goal row: the worst file by CPU time, judged on its CPU ratio (on a machine shared by several
    sessions wall time is stretched several-fold by the load, CPU time far less); the worst by wall time
    beside it, for information. Every check must end with exit 1 (its claims are WRONG) and no traceback,
    else the goal row is INVALID."""
    bad = [f"{n}: exit {r.returncode}" for n, r in small if not r.timed_out and
           (r.returncode != 1 or "Traceback" in r.output)]
    name, worst = max(small, key=lambda nr: nr[1].cpu)
    rc, rw = worst.cpu / ref["cpu"], worst.wall / ref["wall"]
    status = (f"INVALID: {'; '.join(bad[:3])}" if bad else "unknown (timed out)" if worst.timed_out else
              "met" if rc <= 5 else f"MISSED by {by(rc / 5)}")
    rows = [Row(f"{len(small)} small nets (≤ 50 P, ≤ 2,000 updates, WRONG claims): worst CPU ({name})",
                f"{secs(worst.cpu)} CPU / {secs(worst.wall)}", f"sympy {secs(ref['cpu'])} CPU / {secs(ref['wall'])}",
                f"{times(rc)} CPU / {times(rw)}", "≤ 5× CPU", status,
                {**Measured([worst]).to_json(), "ratio_wall": rw, "ratio_cpu": rc})]
    name, worst = max(small, key=lambda nr: nr[1].wall)
    rows.append(Row(f"{len(small)} small nets: worst wall ({name})", f"{secs(worst.wall)} / {secs(worst.cpu)} CPU",
                    f"sympy {secs(ref['wall'])}", times(worst.wall / ref["wall"]), "(information)",
                    "within 5×" if worst.wall / ref["wall"] <= 5 else "over 5×"))
    return rows


def print_small(small: list[tuple[str, Run]], ref: dict) -> None:
    walls = sorted(r.wall / ref["wall"] for _, r in small)
    cpus = sorted(r.cpu / ref["cpu"] for _, r in small)
    print(f"{len(small)} small networks (benchmarks/small_population.py): wall ratio median {times(statistics.median(walls))}, "
          f"worst {times(walls[-1])}; CPU ratio median {times(statistics.median(cpus))}, worst {times(cpus[-1])}")
    print("  " + ", ".join(f"{n.removesuffix('.toml')} {secs(r.cpu)}" for n, r in small) + " (CPU)")


def run_child(kind: str, limit: float, *args: str):
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, *args]
    r = run_process(cmd, limit)
    if r.timed_out:
        raise TimeoutError(f"> {limit:.0f} s (killed)")
    if r.returncode != 0:
        raise RuntimeError(last_error_line(r.output))
    return json.loads(r.output.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ formatting
def secs(s: float) -> str:
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s" if s < 100 else f"{s:.0f} s"


def by(x: float) -> str:
    """How far over the goal: 1.03× (two decimals just above 1), 3.4×, 29×."""
    return f"{x:.2f}×" if x < 1.1 else (f"{x:.1f}×" if x < 100 else f"{x:,.0f}×")


def times(x: float) -> str:
    return f"{x:.1f}×" if x < 100 else f"{x:,.0f}×"


@dataclass
class Row:
    what: str
    measured: str = ""
    reference: str = ""
    ratio: str = ""
    goal: str = ""
    status: str = ""
    data: dict | None = None


def ratio_row(what: str, m: Measured, ref: dict, goal: float, limit: float, valid: str = "") -> Row:
    """A whole-process row: wall and CPU against the reference's median wall and CPU."""
    rw, rc = m.wall / ref["wall"], m.cpu / ref["cpu"]
    goal_s = f"≤ {goal:g}×"
    if m.timed_out:
        lower = limit / ref["wall"]
        return Row(what, f"> {secs(limit)} (limit)", f"sympy {secs(ref['wall'])}", f"> {times(lower)}", goal_s,
                   f"MISSED by > {by(lower / goal)}" if lower > goal else "unknown (timed out)",
                   {**m.to_json(), "ratio_wall_lower_bound": lower})
    measured = f"{secs(m.wall)} / {secs(m.cpu)} CPU"
    ratio = f"{times(rw)} / {times(rc)} CPU"
    if valid:
        status = f"INVALID: {valid}"
    else:
        status = "met" if rw <= goal else f"MISSED by {by(rw / goal)}"
    return Row(what, measured, f"sympy {secs(ref['wall'])} / {secs(ref['cpu'])}", ratio, goal_s, status,
               {**m.to_json(), "ratio_wall": rw, "ratio_cpu": rc})


def error_row(what: str, goal: str, err: BaseException) -> Row:
    msg = f"{type(err).__name__}: {err}".replace("\n", " ")
    return Row(what, "ERROR", "", "", goal, msg[:160], {"error": msg})


def print_table(headers: list[str], rows: list[list[str]], indent: str = "") -> None:
    widths = [max(len(h), *(len(r[k]) for r in rows)) if rows else len(h) for k, h in enumerate(headers)]
    print(indent + "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    print(indent + "  ".join("-" * w for w in widths))
    for r in rows:
        print(indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def fit_exponent(points: list[tuple[int, float]]) -> float:
    xs = [math.log(p) for p, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def machine() -> dict:
    from importlib import metadata

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, IndexError, ValueError):
        pass
    versions = {}
    for dist in ("sympy", "numpy", "mpmath", "python-flint"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "absent"
    commit = "unknown"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                timeout=10).stdout.strip() or "not a git tree"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "symbolic", "numeric"],
                               cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        if dirty:
            commit += " + uncommitted changes in symbolic/ or numeric/"
    except (OSError, subprocess.SubprocessError):
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": mem, "python": platform.python_version(),
            **versions, "commit": commit, "root": str(ROOT)}


LEGEND = """\
   measured: wall / CPU (user + system, workers included) of the whole process; ratio: wall / CPU, each divided
   by the same figure of `python -c "import sympy"` ("sympy wall / CPU"); met/MISSED judged on the wall ratio.
   1-3: python -m symbolic.cli check benchmarks/nets/<file> (5 claims: L, one output, dL/dW1[i,j], dL/db2[k],
   and a WRONG dL/dW2[i,j] printed with the value of the last W2 entry, which the index-swap diagnosis must
   name); softmax = sigmoid hidden + softmax output + softmax_ce, sse = sigmoid + half_sse. "> limit": killed,
   the ratio is a lower bound. 4: least-squares slope of log(wall) on log(P); a timed-out size counts at the
   limit, which makes that fit a lower bound, so the fit over the sizes that finished is shown too.
   5: Point(net).gradient() — the certified balls of every partial, one forward + one reverse sweep at 320 bits
   (best of 5, warm) — vs a minimal python-flint arb reverse sweep at 300 bits written here (best of 5); their
   balls must overlap. 6: Truth(net).gradient(), first call after imports (rule compilation, 60-digit SymPy
   numbers), for information. 9-10: best of 3, after imports, absolute (the goal is absolute; 9 is NumPy's
   independent witness, 10 the truth side's float path). 11: max RSS of that check process."""


def print_goals_alone(rows: list, ref_runs: list, ref: dict) -> int:
    """The goal table of a run that measured only some rows (--formulas, --optimizers) and the reference."""
    print(f"GOALS (ratios to the whole process `python -c \"import sympy\"`: median of {len(ref_runs)} runs "
          f"{secs(ref['wall'])} wall, {secs(ref['cpu'])} CPU; best {secs(ref['best_wall'])})")
    print_table(["#", "what", "measured", "reference", "ratio", "goal", "status"],
                [[str(k), r.what, r.measured, r.reference, r.ratio, r.goal, r.status] for k, r in enumerate(rows, 1)])
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


def optimizer_goal_rows(limit: float) -> list:
    """benchmarks/optimizers.py's rows (issue 17), measured in a fresh process."""
    try:
        opt_run = run_process([sys.executable, str(Path(__file__).resolve().parent / "optimizers.py"), "--child"], limit)
        opt_m = json.loads(opt_run.output.strip().splitlines()[-1])
        return [Row(*cells, data=opt_m) for cells in optimizer_rows(opt_m)]
    except Exception as err:  # noqa: BLE001
        return [error_row("optimizer updates (benchmarks/optimizers.py)", "≤ 0.2 s; ≤ 2×", err)]


# ------------------------------------------------------------------------------ grading (issue 20)
def grading_benchmark(n: int, limit: float) -> int:
    """``--grading N``: N generated seed-002 submissions (tests/grading_course.py, every file different) graded
    by the whole ``grade`` process serially (-j 1), with 2 workers (-j 2), on a local Dask cluster of 2 worker
    processes (started here, before the clock; --scheduler), cold and re-run from the cache, and after one file
    changed; submissions per second and the ratio of each wall time to ``import sympy`` (5 runs before, 5 after,
    median). Each run's output must grade all N (else INVALID)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from grading_course import KEY, write_course

    info = machine()
    print(f"machine: {info['nproc']} cores, {info['cpu']}; Python {info['python']}; code {info['commit']}; load "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    ref_runs = [run_process(REFERENCE, limit) for _ in range(5)]
    with tempfile.TemporaryDirectory(prefix="derivcheck-grading-bench-") as tmp:
        subs, cache = Path(tmp) / "submissions", Path(tmp) / "cache"
        write_course(subs, n=n, signed=True)
        base = CLI + ["grade", str(KEY), str(subs), "--quiet"]
        measured: list[tuple[str, Run]] = []

        def run(label: str, *extra: str) -> None:
            r = run_process(base + list(extra), limit)
            graded = re.search(rf"^{n} submission\(s\) in [0-9.]+ s: (\d+) checked, (\d+) from the cache", r.output, re.M)
            r.output = graded.group(0) if graded and r.returncode == 0 else f"INVALID: exit {r.returncode}: " \
                + last_error_line(r.output)
            measured.append((label, r))
            print(f"  {label}: {secs(r.wall)} — {r.output}", flush=True)

        run("serial (-j 1, no cache)", "-j", "1", "--no-cache")
        run("2 worker processes (-j 2, no cache)", "-j", "2", "--no-cache")
        try:
            import distributed

            with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                          dashboard_address=":0", silence_logs=50) as cluster:
                run("local Dask cluster, 2 workers (no cache)", "--scheduler", cluster.scheduler_address, "--no-cache")
        except ImportError:
            print("  local Dask cluster: not measured (distributed is not installed)")
        run("cold cache (-j 2, fills it)", "-j", "2", "--cache", str(cache))
        run("re-run, nothing changed (-j 2, cache)", "-j", "2", "--cache", str(cache))
        first = sorted(subs.glob("*.toml"))[0]
        first.write_bytes(first.read_bytes() + b"\n# changed\n")
        run("re-run, one file changed (-j 2, cache)", "-j", "2", "--cache", str(cache))
    ref_runs += [run_process(REFERENCE, limit) for _ in range(5)]
    ref = statistics.median(r.wall for r in ref_runs)
    serial = measured[0][1].wall
    rows = [[label, secs(r.wall), f"{n / r.wall:,.1f}", times(r.wall / ref), f"{serial / r.wall:.2f}×", r.output]
            for label, r in measured]
    print(f"\ngrading {n:,} seed-002 submissions (31 claims each) on {info['nproc']} cores; reference: "
          f"python -c 'import sympy' median {secs(ref)}")
    print_table(["run", "wall", "submissions/s", "÷ import sympy", "speed-up vs serial", "output"], rows)
    return 0


# ------------------------------------------------------------------------------ main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=float, default=600.0, help="seconds before one process is killed (default 600)")
    ap.add_argument("--runs", type=int, default=3, help="runs per whole-process row, median taken (default 3)")
    ap.add_argument("--quick", action="store_true", help="skip 64-128-128-10 and growth sizes above 16-32-32-10")
    ap.add_argument("--extra", action="store_true", help="also: compiled gradient vs NumPy backprop per call")
    ap.add_argument("--json", help="also write every number to this file")
    ap.add_argument("--grading", type=int, metavar="N", help="only the grading benchmark, with N submissions")
    ap.add_argument("--formulas", action="store_true", help="only the formula rows (verify of a depth-3 formula)")
    ap.add_argument("--optimizers", action="store_true", help="only the optimizer rows (benchmarks/optimizers.py)")
    ap.add_argument("--recurrent", action="store_true", help="only the recurrent row (benchmarks/recurrent.py)")
    ap.add_argument("--conv", action="store_true", help="only the convolution rows (benchmarks/conv_bench.py)")
    ap.add_argument("--small", action="store_true", help="only the small-network population rows (issue 21)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        fn = {"gradient": lambda: child_gradient(args.rest[0]), "updates": child_updates, "calls": child_calls}
        print(json.dumps(fn[args.child](), default=str))
        return 0
    if args.grading:
        return grading_benchmark(args.grading, args.limit)

    limit, runs = args.limit, max(1, args.runs)
    if args.recurrent:  # the rnn goal alone, with its own side-by-side reference
        print_table(["what", "measured", "reference", "ratio", "goal", "status"], recurrent_rows(measure_recurrent(runs)))
        return 0
    started = time.perf_counter()
    load_before = os.getloadavg()
    info = machine()
    results: dict = {"machine": info, "limit": limit, "runs": runs, "quick": args.quick,
                     "load_before": load_before}
    print(f"machine: {info['nproc']} cores, {info['cpu']}, {info['memory']}; Python {info['python']}, "
          f"SymPy {info['sympy']}, NumPy {info['numpy']}, mpmath {info['mpmath']}, python-flint {info['python-flint']}")
    print(f"code: {info['root']} at {info['commit']}; load average before: "
          + " ".join(f"{v:.2f}" for v in load_before))
    print(f"limit {limit:.0f} s per process; whole-process rows: median of {runs} run(s) (once if > {SLOW:.0f} s)"
          + ("; --quick" if args.quick else ""))
    print("measuring…", flush=True)

    # reference, first half ------------------------------------------------------------------
    ref_runs = [run_process(REFERENCE, limit) for _ in range(5)]
    if args.conv:  # the convolution goal alone: reference, the conv rows, reference
        conv = conv_bench.measure_all(measure, run_process, runs, limit)
        ref_runs += [run_process(REFERENCE, limit) for _ in range(5)]
        ref = {"wall": statistics.median(r.wall for r in ref_runs), "cpu": statistics.median(r.cpu for r in ref_runs)}
        print(f"GOALS (ratios to the whole process `python -c \"import sympy\"`: median of {len(ref_runs)} runs "
              f"{secs(ref['wall'])} wall, {secs(ref['cpu'])} CPU)")
        print_table(["#", "what", "measured", "reference", "ratio", "goal", "status"],
                    [[str(k), r.what, r.measured, r.reference, r.ratio, r.goal, r.status] for k, r in
                     enumerate(conv_bench.rows(conv, ref, ratio_row, error_row, Row, secs, limit), 1)])
        print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        return 0
    if args.formulas or args.small:  # one goal alone: reference, its rows, reference
        formulas = measure_formulas(runs, limit) if args.formulas else {}
        small = measure_small(limit) if args.small else []
        ref_runs += [run_process(REFERENCE, limit) for _ in range(5)]
        ref = {"wall": statistics.median(r.wall for r in ref_runs), "cpu": statistics.median(r.cpu for r in ref_runs),
               "best_wall": min(r.wall for r in ref_runs)}
        rows = [error_row(f"verify a depth-3 formula, 3-4-4-2 sigmoid ({k})", "≤ 3×", v["error"]) if "error" in v
                else ratio_row(f"verify a depth-3 formula, 3-4-4-2 sigmoid ({k})", v["m"], ref, 3, limit, v["valid"])
                for k, v in formulas.items()] + (small_rows(small, ref, limit) if small else [])
        print_goals_alone(rows, ref_runs, ref)
        if small:
            print_small(small, ref)
        return 0

    if args.optimizers:  # the optimizer goals alone: reference, benchmarks/optimizers.py's rows, reference
        rows = optimizer_goal_rows(limit)
        ref_runs += [run_process(REFERENCE, limit) for _ in range(5)]
        ref = {"wall": statistics.median(r.wall for r in ref_runs), "cpu": statistics.median(r.cpu for r in ref_runs),
               "best_wall": min(r.wall for r in ref_runs)}
        return print_goals_alone(rows, ref_runs, ref)

    # whole-process checks of the benchmark nets ----------------------------------------------
    nets = [("sse", l) for l in SSE] + [("softmax", l) for l in SOFTMAX]
    if args.quick:
        nets = [(f, l) for f, l in nets if parameter_count(l) <= parameter_count(BIG)]
    checks: dict[str, dict] = {}
    for family, layers in nets:
        path = net_file(family, layers)
        key = f"{family} {dashed(layers)}"
        try:
            if not path.exists():
                raise FileNotFoundError(f"{path.relative_to(ROOT)} missing; run python benchmarks/make_nets.py")
            m = measure(CLI + ["check", str(path.relative_to(ROOT))], runs, limit)
            valid = ""
            if not m.timed_out:
                out = m.last.output
                summary = summary_line(out)
                last = f"W2[{layers[2]},{layers[1]}]"
                if m.last.returncode != 1 or not summary.endswith(": 1 WRONG, 4 ok"):
                    valid = f"exit {m.last.returncode}, summary {summary or last_error_line(out)!r}"
                elif last not in out:
                    valid = f"the WRONG claim's diagnosis does not name {last}"
            else:
                summary = ""
            checks[key] = {"family": family, "layers": list(layers), "P": parameter_count(layers), "m": m,
                           "valid": valid, "summary": summary}
        except Exception as err:  # noqa: BLE001
            checks[key] = {"family": family, "layers": list(layers), "P": parameter_count(layers), "error": err}

    # seeds ------------------------------------------------------------------------------------
    def seed_check(target: list[str]) -> dict:
        try:
            m = measure(CLI + ["check", *target], runs, limit)
            bad = "" if m.timed_out or m.last.returncode in (0, 1) else \
                f"exit {m.last.returncode}: {last_error_line(m.last.output)}"
            return {"m": m, "valid": bad, "summary": "" if m.timed_out else summary_line(m.last.output)}
        except Exception as err:  # noqa: BLE001
            return {"error": err}

    deriv_serial = seed_check(["-j", "1", "derivations/"])
    seed3 = seed_check([str(SEED_003.relative_to(ROOT))])
    formulas = measure_formulas(runs, limit)
    deriv_default = seed_check(["derivations/"])
    conv = conv_bench.measure_all(measure, run_process, runs, limit)

    # in-process children ------------------------------------------------------------------------
    try:
        grad = run_child("gradient", limit, str(net_file("softmax", BIG)))
    except Exception as err:  # noqa: BLE001
        grad = {"error": err}
    try:
        upd = run_child("updates", limit)
    except Exception as err:  # noqa: BLE001
        upd = {"error": err}
    calls = None
    if args.extra:
        try:
            calls = run_child("calls", limit)
        except Exception as err:  # noqa: BLE001
            calls = {"error": err}

    # reference, second half -------------------------------------------------------------------
    ref_runs += [run_process(REFERENCE, limit) for _ in range(5)]
    ref = {"wall": statistics.median(r.wall for r in ref_runs), "cpu": statistics.median(r.cpu for r in ref_runs),
           "best_wall": min(r.wall for r in ref_runs), "walls": [r.wall for r in ref_runs],
           "cpus": [r.cpu for r in ref_runs]}
    results["reference"] = ref
    load_after = os.getloadavg()
    results["load_after"] = load_after

    # the goal table ---------------------------------------------------------------------------
    rows: list[Row] = []

    def net_row(family, layers, goal, label):
        key = f"{family} {dashed(layers)}"
        what = f"check {dashed(layers)} ({parameter_count(layers):,} P, {label})"
        c = checks.get(key)
        if c is None:
            return Row(what, "skipped (--quick)", "", "", f"≤ {goal:g}×", "not measured")
        if "error" in c:
            return error_row(what, f"≤ {goal:g}×", c["error"])
        return ratio_row(what, c["m"], ref, goal, limit, c["valid"])

    rows.append(net_row("softmax", BIG, 4, "softmax"))
    rows.append(net_row("sse", (8, 16, 8), 4, "sse"))
    rows.append(net_row("softmax", LARGEST, 20, "softmax"))

    # growth
    what = "growth of a check in P (softmax, wall)"
    pts = [(c["P"], c["m"]) for k, c in checks.items()
           if c["family"] == "softmax" and c["P"] >= GROWTH_MIN_P and "m" in c and not c["valid"]]
    pts.sort(key=lambda t: t[0])
    if len(pts) >= 2:
        walls = [(p, limit if m.timed_out else m.wall) for p, m in pts]
        finished = [(p, m.wall) for p, m in pts if not m.timed_out]
        cpus = [(p, m.cpu) for p, m in pts if not m.timed_out]
        e_wall = fit_exponent(walls)  # timed-out sizes counted at the limit: a lower bound
        e_fin = fit_exponent(finished) if len(finished) >= 2 else None
        e_cpu = fit_exponent(cpus) if len(cpus) >= 2 else None
        lower = any(m.timed_out for _, m in pts)
        sizes = ", ".join(f"{p:,}" for p, _ in pts)
        cpu_s = f" (CPU P^{e_cpu:.2f})" if e_cpu is not None else ""
        if not lower:
            measured = f"P^{e_wall:.2f}{cpu_s}"
            status = "met" if e_wall <= 0.8 else f"MISSED by +{e_wall - 0.8:.2f} in the exponent"
        else:
            top = max(p for p, _ in finished) if finished else 0
            measured = (f"P^{e_fin:.2f} up to {top:,} P{cpu_s}; " if e_fin is not None else "") + \
                f"≥ P^{e_wall:.2f} with timed-out sizes at the limit"
            if e_wall > 0.8:
                status = f"MISSED by > +{e_wall - 0.8:.2f} in the exponent"
            elif e_fin is not None and e_fin > 0.8:
                status = f"MISSED where measured (+{e_fin - 0.8:.2f} up to {top:,} P); larger sizes timed out"
            else:
                status = "unknown (sizes timed out)"
        rows.append(Row(what, measured, f"P = {sizes}", "", "≤ P^0.8", status,
                        {"exponent_wall": e_wall, "exponent_wall_finished": e_fin, "exponent_cpu_finished": e_cpu,
                         "lower_bound": lower, "points": [{"P": p, "wall": w} for p, w in walls]}))
    else:
        rows.append(Row(what, "not enough sizes", "", "", "≤ P^0.8", "not measured"))

    # certified gradients
    what = "16-32-32-10 certified gradients, in-process"
    if "error" in grad:
        rows.append(error_row(what, "≤ 3× floor", grad["error"]))
    else:
        r = grad["point"] / grad["floor"]
        agree = f"agree to {-math.log10(max(grad['max_rel_diff'], 1e-99)):.0f} digits" if grad["same_keys"] else "KEYS DIFFER"
        rows.append(Row(what + " (Point.gradient, balls)", secs(grad["point"]),
                        f"arb floor {secs(grad['floor'])} ({agree})", times(r),
                        "≤ 3× floor", "met" if r <= 3 else f"MISSED by {by(r / 3)}", grad))
        r2 = grad["truth"] / grad["floor"]
        rows.append(Row(what + " (Truth.gradient, first call, 60-digit SymPy numbers)", secs(grad["truth"]),
                        f"arb floor {secs(grad['floor'])}", times(r2), "(information)", "", grad))

    # seeds
    for label, res, goal in (("check derivations/ -j 1, cold", deriv_serial, 5),
                             ("seed 003 formula claims (check 003-…)", seed3, 3),
                             *((f"verify a depth-3 formula, 3-4-4-2 sigmoid ({k})", v, 3) for k, v in formulas.items())):
        if "error" in res:
            rows.append(error_row(label, f"≤ {goal}×", res["error"]))
        else:
            rows.append(ratio_row(label, res["m"], ref, goal, limit, res["valid"]))
    rows += conv_bench.rows(conv, ref, ratio_row, error_row, Row, secs, limit)

    # updates
    if "error" in upd:
        rows.append(error_row(f"seed 002 {UPDATES:,} updates", "≤ 0.1 s", upd["error"]))
    else:
        t = upd["numeric_train"]["seconds"]
        rows.append(Row(f"seed 002 {UPDATES:,} updates: numeric.train", secs(t), "—", "—",
                        "≤ 0.1 s", "met" if t <= 0.1 else f"MISSED by {by(t / 0.1)}", upd["numeric_train"]))
        tr = upd["trajectory"]
        what = f"seed 002 {UPDATES:,} updates: Trajectory.float_after"
        if tr.get("absent"):
            rows.append(Row(what, "module absent", "", "", "≤ 0.1 s", "not measured (hook in child_updates)"))
        elif "error" in tr:
            rows.append(Row(what, "ERROR", "", "", "≤ 0.1 s", f"{tr['error'][:120]} (adapt the HOOK in child_updates)", tr))
        else:
            t = tr["seconds"]
            rows.append(Row(what, secs(t), f"engine: {tr['engine']}; vs numeric.train {tr['max_rel_diff_vs_numeric_train']:.1e}",
                            "—", "≤ 0.1 s", "met" if t <= 0.1 else f"MISSED by {by(t / 0.1)}", tr))

    rows += optimizer_goal_rows(limit)  # optimizers (issue 17)

    # small networks (issue 21): benchmarks/small_population.py's generated files, one check each
    try:
        small = measure_small(limit)
        rows += small_rows(small, ref, limit)
    except Exception as err:  # noqa: BLE001
        small = []
        rows.append(error_row("small nets (benchmarks/small_population.py)", "≤ 5×", err))
    try:  # recurrent (issue 19): benchmarks/recurrent.py, whole processes with their own reference
        rec_m = measure_recurrent(runs)
        rows += [Row(*cells, data=rec_m) for cells in recurrent_rows(rec_m)]
    except Exception as err:  # noqa: BLE001
        rows.append(error_row("rnn 10 steps × hidden 8, all gradients (benchmarks/recurrent.py)", "≤ 10×", err))

    # memory
    mem_key = f"softmax {dashed(BIG if args.quick else LARGEST)}"
    what = f"peak memory, {mem_key.split()[1]} check"
    c = checks.get(mem_key)
    if c is None or "error" in c:
        rows.append(error_row(what, "≤ 500 MB", c["error"]) if c else Row(what, "not measured", "", "", "≤ 500 MB", ""))
    else:
        mb = c["m"].maxrss_mb
        if c["m"].timed_out:
            rows.append(Row(what, f"≥ {mb:.0f} MB (killed at the limit)", "", "", "≤ 500 MB",
                            "MISSED" if mb > 500 else "unknown (timed out)", {"maxrss_mb": mb, "timed_out": True}))
        else:
            rows.append(Row(what, f"{mb:.0f} MB", "", f"{mb / 500:.2f} of goal", "≤ 500 MB",
                            "met" if mb <= 500 else f"MISSED by {by(mb / 500)}", {"maxrss_mb": mb}))

    print()
    print(f"GOALS (ratios to the whole process `python -c \"import sympy\"`: median of {len(ref_runs)} runs "
          f"{secs(ref['wall'])} wall, {secs(ref['cpu'])} CPU; best {secs(ref['best_wall'])})")
    print_table(["#", "what", "measured", "reference", "ratio", "goal", "status"],
                [[str(k), r.what, r.measured, r.reference, r.ratio, r.goal, r.status] for k, r in enumerate(rows, 1)])
    print(LEGEND)
    results["goals"] = [{k: v for k, v in asdict(r).items()} for r in rows]

    # details ----------------------------------------------------------------------------------
    print()
    print("whole-process checks of benchmarks/nets/ (python -m symbolic.cli check FILE; median of the runs)")
    table = []
    for key, c in checks.items():
        name = f"{key.split()[0]}-{key.split()[1]}.toml"
        if "error" in c:
            table.append([name, f"{c['P']:,}", "", "ERROR", "", "", "", "", f"{c['error']}"[:100]])
            continue
        m = c["m"]
        wall = f"> {secs(limit)}" if m.timed_out else secs(m.wall)
        rw = f"> {times(limit / ref['wall'])}" if m.timed_out else times(m.wall / ref["wall"])
        rc = "" if m.timed_out else times(m.cpu / ref["cpu"])
        verdict = "timed out" if m.timed_out else (f"INVALID: {c['valid']}" if c["valid"] else c["summary"].split(": ", 1)[-1])
        table.append([name, f"{c['P']:,}", str(len(m.runs)), wall, secs(m.cpu), rw, rc, f"{m.maxrss_mb:.0f} MB", verdict])
    print_table(["file", "P", "runs", "wall", "CPU", "wall ratio", "CPU ratio", "max RSS", "verdicts"], table, "  ")
    results["checks"] = {k: {kk: (vv.to_json() if isinstance(vv, Measured) else
                                  (str(vv) if isinstance(vv, BaseException) else vv)) for kk, vv in c.items()}
                         for k, c in checks.items()}
    small = [c for c in checks.values() if c["family"] == "softmax" and c["P"] < GROWTH_MIN_P]
    if small:
        print(f"  growth fit: softmax sizes with P ≥ {GROWTH_MIN_P}; {', '.join(str(c['P']) for c in small)} P "
              "shown for information only (too small for a growth fit)")
    print()
    for label, res in (("check derivations/ -j 1", deriv_serial), ("check derivations/ (default -j, one worker per core)", deriv_default),
                       ("check 003-sigai-3-4-2-matrix-form.toml", seed3)):
        if "error" in res:
            print(f"{label}: ERROR {res['error']}")
            continue
        m = res["m"]
        runs_s = ", ".join(secs(r.wall) for r in m.runs)
        print(f"{label}: median {secs(m.wall)} wall ({runs_s}), {secs(m.cpu)} CPU, "
              f"{times(m.wall / ref['wall'])} wall / {times(m.cpu / ref['cpu'])} CPU of import sympy; "
              f"{res['summary'] or res['valid'] or 'timed out'}")
    results["derivations_serial"] = {k: (v.to_json() if isinstance(v, Measured) else str(v)) for k, v in deriv_serial.items()}
    results["derivations_default"] = {k: (v.to_json() if isinstance(v, Measured) else str(v)) for k, v in deriv_default.items()}
    results["seed_003"] = {k: (v.to_json() if isinstance(v, Measured) else str(v)) for k, v in seed3.items()}
    if "error" not in grad:
        print(f"certified gradients, 16-32-32-10 ({grad['parameters']:,} entries): Point(net).gradient() best of 5 "
              f"{secs(grad['point'])}; Truth(net).gradient() "
              f"{secs(grad['truth'])} (first call, after imports); arb floor best of 5 {secs(grad['floor'])} "
              f"(runs {', '.join(secs(t) for t in grad['floor_runs'])}); max relative difference "
              f"{grad['max_rel_diff']:.1e}, widest arb ball ±{grad['max_rel_radius']:.1e} relative")
    results["gradient"] = {k: str(v) if isinstance(v, BaseException) else v for k, v in grad.items()}
    if "error" not in upd:
        print(f"seed 002, {UPDATES:,} updates: numeric.train {secs(upd['numeric_train']['seconds'])} "
              f"(loss after {upd['numeric_train']['loss_after']:.9f})")
    results["updates"] = {k: str(v) if isinstance(v, BaseException) else v for k, v in upd.items()}
    if calls is not None:
        print()
        if isinstance(calls, dict):
            print(f"--extra compiled vs NumPy: ERROR {calls['error']}")
        else:
            print("--extra: compiled gradient (symbolic.truth.compiled) vs NumPy backprop (numeric.gradient), per call")
            print_table(["network", "batch", "compile", "NumPy", "compiled", "compiled/NumPy", "max rel diff"],
                        [[r["network"], str(r["m"]), secs(r["compile"]), f"{r['numpy'] * 1e6:.1f} µs",
                          f"{r['compiled'] * 1e6:.1f} µs", f"{r['compiled'] / r['numpy']:.2f}×",
                          f"{r['max_rel_diff']:.1e}"] for r in calls], "  ")
        results["calls"] = calls if isinstance(calls, list) else {"error": str(calls["error"])}
    if small:
        print_small(small, ref)
    print()
    print(f"reference runs (python -c \"import sympy\"), wall: {', '.join(secs(t) for t in ref['walls'])}")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in load_after)}; whole run {secs(time.perf_counter() - started)}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        raise SystemExit(130)
    except Exception:  # the report must never die silently: show where
        traceback.print_exc()
        raise SystemExit(1)
