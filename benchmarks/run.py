"""derivcheck benchmarks, side by side, in one run:  python benchmarks/run.py [--limit 60]

1. naive ``sympy.diff`` of the closed-form loss (every parameter), evaluated exactly,
   vs derivcheck's structured derivation (derive + prove + evaluate exactly), on
   3-4-2, 8-16-8 and 8-16-16-4 (sigmoid, half squared error, per-neuron biases);
   the naive one runs in a subprocess killed at ``--limit`` seconds ("> limit");
   the two answers are compared (to 50 digits).
2. derivcheck on 16-32-32-10 (1,930 parameters; sigmoid hidden, softmax +
   softmax_ce output): derive + prove all gradients, then their exact values.
3. compiled symbolic gradient vs NumPy backprop (``numeric.gradient``) per call,
   1 sample and a batch of 256; compile time for 8-16-8.
4. ``derivcheck check derivations/`` as a whole cold process: default (one worker
   per core) and ``-j 1`` (serial), side by side.
5. seed 002's 10,000 gradient-descent updates (``numeric.train``).
6. peak memory of 2 (tracemalloc of the Python heap, and the process's max RSS).

Every timed part that must be cold runs in a fresh ``python`` subprocess; timings
exclude interpreter start and imports except in 4 (a whole process). Prints the
machine, a table and the ratios; ``--json FILE`` also saves the numbers.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = ["3,4,2", "8,16,8", "8,16,16,4"]
BIG = "16,32,32,10"


# ----------------------------------------------------------------------------------- networks
def make_network(layers: list[int], big: bool = False):
    """A fixed network with rational parameters and one sample (seeded, reproducible)."""
    import numpy as np
    from symbolic.spec.network import Network

    rng = np.random.default_rng(20261123)
    q = lambda: Fraction(int(rng.integers(-50, 51)), 100)  # noqa: E731
    params = {}
    for l in range(1, len(layers)):
        params[f"W{l}"] = [[q() for _ in range(layers[l - 1])] for _ in range(layers[l])]
        params[f"b{l}"] = [q() for _ in range(layers[l])]
    x = [q() for _ in range(layers[0])]
    if big:
        acts = ["sigmoid"] * (len(layers) - 2) + ["softmax"]
        y = [Fraction(1 if k == 3 else 0) for k in range(layers[-1])]
        return Network.build(layers, acts, "softmax_ce", "per-neuron", params=params, x=x, y=y)
    y = [Fraction(int(rng.integers(0, 11)), 10) for _ in range(layers[-1])]
    return Network.build(layers, "sigmoid", "half_sse", "per-neuron", params=params, x=x, y=y)


def _parse(spec: str) -> list[int]:
    return [int(v) for v in spec.split(",")]


# --------------------------------------------------------------------------- subprocess parts
def part_naive(spec: str) -> dict:
    """Closed form, sympy.diff for every parameter, exact values (symbolic.truth.exact.evaluate)."""
    import sympy as sp
    from symbolic.truth.closed_form import closed_form
    from symbolic.truth.exact import Truth, evaluate

    net = make_network(_parse(spec))
    t0 = time.perf_counter()
    form = closed_form(net)
    t1 = time.perf_counter()
    grads = {p: sp.diff(form.loss, form.params[p]) for p in net.parameter_names()}
    t2 = time.perf_counter()
    point = Truth(net).point()
    values = {p: str(evaluate(e, point, p)) for p, e in grads.items()}
    t3 = time.perf_counter()
    return {"build": t1 - t0, "diff": t2 - t1, "evaluate": t3 - t2, "total": t3 - t0, "values": values}


def part_structured(spec: str, big: bool = False, memory: bool = False) -> dict:
    """Structured derive + prove, then exact values of every gradient entry."""
    if memory:
        import tracemalloc
        tracemalloc.start()
    from symbolic.formulas.program_proof import prove_program  # imports are not timed, as for naive
    from symbolic.truth.program import Structured, StructuredTruth

    net = make_network(_parse(spec), big)
    t0 = time.perf_counter()
    program = Structured(net)
    program.gradient_exprs()
    t1 = time.perf_counter()
    report = prove_program(program)
    t2 = time.perf_counter()
    grads = StructuredTruth(net, program=program).gradient()
    t3 = time.perf_counter()
    out = {"derive": t1 - t0, "prove": t2 - t1, "evaluate": t3 - t2, "total": t3 - t0,
           "entries_proved": report.entries, "parameters": len(grads),
           "values": {p: str(v) for p, v in grads.items()},
           "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if memory:
        import tracemalloc
        out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    return out


def part_compile(spec: str, big: bool = False) -> dict:
    """Cold compile of the gradient (structured derivation + code generation + compile)."""
    from symbolic.truth.compiled import compile_gradient

    net = make_network(_parse(spec), big)
    t0 = time.perf_counter()
    compile_gradient(net)
    return {"compile": time.perf_counter() - t0}


def _child(args) -> None:
    if args.part == "naive":
        out = part_naive(args.spec)
    elif args.part == "structured":
        out = part_structured(args.spec, args.big, args.memory)
    else:
        out = part_compile(args.spec, args.big)
    json.dump(out, sys.stdout)


def run_child(part: str, spec: str, limit: float, *extra: str) -> dict | None:
    """Run one part in a fresh interpreter; None when it exceeds ``limit`` seconds (killed)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", part, "--spec", spec, *extra]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise RuntimeError(f"{part} {spec} failed:\n{done.stderr}")
    return json.loads(done.stdout)


# ----------------------------------------------------------------------------- in-process parts
def per_call(fn, min_time: float = 0.3) -> float:
    """Best per-call seconds over 5 rounds of ≥ min_time each."""
    import timeit
    timer = timeit.Timer(fn)
    n, _ = timer.autorange()
    n = max(n, int(n * min_time / 0.2))
    return min(timer.repeat(repeat=5, number=n)) / n


def part_calls() -> list[dict]:
    import numpy as np
    import numeric
    from symbolic.truth.compiled import compile_gradient

    rows = []
    for spec, big in (("8,16,8", False), (BIG, True)):
        net = make_network(_parse(spec), big)
        compiled = compile_gradient(net)
        arch, params = net.architecture, net.numeric_params()
        arrays = [params[k] for k in compiled.arguments]
        rng = np.random.default_rng(1)
        for m in (1, 256):
            X = rng.uniform(-1, 1, (m, net.layers[0]))
            Y = np.eye(net.layers[-1])[rng.integers(0, net.layers[-1], m)] if big else \
                rng.uniform(0, 1, (m, net.layers[-1]))
            t_np = per_call(lambda: numeric.gradient(arch, params, X, Y))
            t_dict = per_call(lambda: compiled(params, X, Y))
            t_raw = per_call(lambda: compiled.batched(*arrays, X, Y))
            t_single = per_call(lambda: compiled.single(*arrays, X[0], Y[0])) if m == 1 else None
            want, got = numeric.gradient(arch, params, X, Y), compiled(params, X, Y)
            scale = max(np.max(np.abs(v)) for v in want.values())
            err = max(np.max(np.abs(got[k] - want[k])) for k in want) / scale
            rows.append({"network": spec, "m": m, "numpy": t_np, "compiled": t_dict, "compiled_raw": t_raw,
                         "compiled_single": t_single, "max_rel_diff": err})
    return rows


def part_check(runs: int = 3, jobs: list[str] | None = None) -> list[float]:
    """Whole cold processes of ``derivcheck check derivations/`` (extra options in ``jobs``)."""
    exe = shutil.which("derivcheck")
    cmd = [exe] if exe else [sys.executable, "-m", "symbolic.cli"]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(cmd + ["check", *(jobs or []), "derivations/"], capture_output=True, text=True,
                              cwd=ROOT)
        times.append(time.perf_counter() - t0)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"derivcheck check derivations/ exited {done.returncode}:\n{done.stderr}")
    return times


def part_train() -> dict:
    import numeric
    from symbolic.claims.derivation import load_derivation

    d = load_derivation(ROOT / "derivations" / "002-mazur-2-2-2-step-by-step.toml")
    net = d.network
    X, Y = net.numeric_data()
    arch, params = net.architecture, net.numeric_params()
    lr = float(net.learning_rate)
    best, result = float("inf"), None
    for _ in range(3):
        t0 = time.perf_counter()
        result = numeric.train(arch, params, X, Y, lr, 10_000, update_biases=net.update_biases, record=False)
        best = min(best, time.perf_counter() - t0)
    return {"seconds": best, "updates": result.updates,
            "loss_after": float(numeric.loss(arch, result.params, X, Y))}


# ----------------------------------------------------------------------------------- reporting
def machine() -> dict:
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
    import mpmath
    import numpy
    import sympy
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": mem, "python": platform.python_version(),
            "sympy": sympy.__version__, "numpy": numpy.__version__, "mpmath": mpmath.__version__,
            "platform": platform.platform()}


def _same(a: dict, b: dict, digits: int = 50) -> bool:
    import sympy as sp
    for k in a:
        x, y = sp.Float(a[k], 70), sp.Float(b[k], 70)
        if abs(x - y) > sp.Float(10, 70) ** -digits * max(1, abs(y)):
            return False
    return set(a) == set(b)


def _ms(s: float) -> str:
    return f"{s * 1e3:.1f} ms" if s < 10 else f"{s:.1f} s"


def _us(s: float) -> str:
    return f"{s * 1e6:.1f} µs"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=float, default=60.0, help="seconds for each naive sympy.diff run")
    ap.add_argument("--json", help="also write the numbers to this file")
    ap.add_argument("--child", choices=["naive", "structured", "compile"], dest="part", help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    ap.add_argument("--big", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.part:
        _child(args)
        return 0

    results: dict = {"machine": machine(), "limit": args.limit}
    m = results["machine"]
    print(f"machine: {m['nproc']} cores, {m['cpu']}, {m['memory']}; Python {m['python']}, SymPy {m['sympy']}, "
          f"NumPy {m['numpy']}, mpmath {m['mpmath']}")
    print()

    # 1 ------------------------------------------------------------------------------------
    print(f"1. naive sympy.diff of the closed-form loss vs derivcheck structured (limit {args.limit:.0f} s)")
    print(f"   {'network':<11} {'params':>6} {'naive':>12} {'(diff only)':>12} {'derivcheck':>11} "
          f"{'(derive/prove/eval)':>24} {'speed-up':>10}  same answer")
    part1 = []
    for spec in SIZES:
        st = run_child("structured", spec, 600)
        nv = run_child("naive", spec, args.limit)
        row = {"network": spec.replace(",", "-"), "parameters": st["parameters"], "structured": st["total"],
               "derive": st["derive"], "prove": st["prove"], "evaluate": st["evaluate"],
               "naive": None if nv is None else nv["total"], "naive_diff": None if nv is None else nv["diff"]}
        row["same"] = None if nv is None else _same(st["values"], nv["values"])
        if nv is None:
            naive, diff, ratio = f"> {args.limit:.0f} s", "", f"> {args.limit / st['total']:.0f}×"
        else:
            naive, diff, ratio = _ms(nv["total"]), _ms(nv["diff"]), f"{nv['total'] / st['total']:.0f}×"
        parts = f"{st['derive'] * 1e3:.0f}/{st['prove'] * 1e3:.0f}/{st['evaluate'] * 1e3:.0f} ms"
        same = "—" if row["same"] is None else ("yes (50 digits)" if row["same"] else "NO")
        print(f"   {row['network']:<11} {st['parameters']:>6} {naive:>12} {diff:>12} {_ms(st['total']):>11} "
              f"{parts:>24} {ratio:>10}  {same}")
        part1.append(row)
    results["naive_vs_structured"] = part1
    print()

    # 2 + 6 -------------------------------------------------------------------------------
    big = run_child("structured", BIG, 600, "--big")
    mem = run_child("structured", BIG, 600, "--big", "--memory")
    results["big"] = {k: v for k, v in big.items() if k != "values"}
    results["big"]["tracemalloc_peak_mb"] = mem["tracemalloc_peak_mb"]
    print(f"2. derivcheck on 16-32-32-10 ({big['parameters']} parameters, sigmoid/softmax + softmax_ce)")
    print(f"   derive {_ms(big['derive'])}, prove {_ms(big['prove'])} ({big['entries_proved']} entries), "
          f"derive + prove {_ms(big['derive'] + big['prove'])}; exact values of all gradients "
          f"{_ms(big['evaluate'])}; total {_ms(big['total'])}")
    print(f"6. peak memory of 2: Python heap (tracemalloc) {mem['tracemalloc_peak_mb']:.1f} MB; "
          f"process max RSS {big['maxrss_mb']:.0f} MB (interpreter + SymPy + NumPy included)")
    print()

    # 3 -----------------------------------------------------------------------------------
    comp = run_child("compile", "8,16,8", 600)
    comp_big = run_child("compile", BIG, 600, "--big")
    calls = part_calls()
    results["compile_8_16_8"] = comp["compile"]
    results["compile_16_32_32_10"] = comp_big["compile"]
    results["calls"] = calls
    print(f"3. compiled gradient vs NumPy backprop, per call (compile, cold: 8-16-8 {_ms(comp['compile'])}, "
          f"16-32-32-10 {_ms(comp_big['compile'])})")
    print(f"   {'network':<12} {'batch':>5} {'NumPy backprop':>15} {'compiled':>10} {'(raw)':>10} {'(1-D single)':>13} "
          f"{'compiled/NumPy':>15} {'max rel diff':>13}")
    for r in calls:
        single = _us(r["compiled_single"]) if r["compiled_single"] else ""
        print(f"   {r['network'].replace(',', '-'):<12} {r['m']:>5} {_us(r['numpy']):>15} {_us(r['compiled']):>10} "
              f"{_us(r['compiled_raw']):>10} {single:>13} {r['compiled'] / r['numpy']:>14.2f}× "
              f"{r['max_rel_diff']:>13.1e}")
    print()

    # 4 -----------------------------------------------------------------------------------
    check = part_check()
    serial = part_check(jobs=["-j", "1"])
    results["check_derivations"] = check
    results["check_derivations_serial"] = serial
    print(f"4. derivcheck check derivations/ (whole process, cold), default: one worker per core "
          f"({os.cpu_count()}): best {_ms(min(check))}, runs {', '.join(_ms(t) for t in check)}")
    print(f"   with -j 1 (one process, files one after another): best {_ms(min(serial))}, "
          f"runs {', '.join(_ms(t) for t in serial)}; ratio {min(check) / min(serial):.2f}×")

    # 5 -----------------------------------------------------------------------------------
    train = part_train()
    results["train"] = train
    print(f"5. seed 002, {train['updates']:,} updates (numeric.train, full batch): {_ms(train['seconds'])} "
          f"(loss after: {train['loss_after']:.9f})")
    print()

    # goals -------------------------------------------------------------------------------
    r8 = part1[1]
    goals = [
        ("8-16-8 ≥ 100× faster than naive, same answer",
         r8["naive"] is not None and r8["naive"] / r8["structured"] >= 100 and r8["same"],
         "> limit" if r8["naive"] is None else f"{r8['naive'] / r8['structured']:.0f}×"),
        ("16-32-32-10 derive + prove ≤ 3 s", big["derive"] + big["prove"] <= 3,
         _ms(big["derive"] + big["prove"])),
        ("16-32-32-10 derive + prove + exact values ≤ 3 s", big["total"] <= 3, _ms(big["total"])),
        ("16-32-32-10 peak memory ≤ 500 MB", big["maxrss_mb"] <= 500,
         f"{big['maxrss_mb']:.0f} MB RSS, {mem['tracemalloc_peak_mb']:.0f} MB heap"),
        ("compiled within 2× of NumPy backprop per call", all(r["compiled"] <= 2 * r["numpy"] for r in calls),
         f"worst {max(r['compiled'] / r['numpy'] for r in calls):.2f}×"),
        ("compile ≤ 1 s for 8-16-8", comp["compile"] <= 1, _ms(comp["compile"])),
        ("check derivations/ cold ≤ 3 s", min(check) <= 3, _ms(min(check))),
        ("10,000 updates of seed 002 ≤ 0.5 s", train["seconds"] <= 0.5, _ms(train["seconds"])),
    ]
    results["goals"] = [{"goal": g, "met": bool(ok), "measured": v} for g, ok, v in goals]
    print("goals:")
    for g, ok, v in goals:
        print(f"   {'met   ' if ok else 'MISSED'}  {g}: {v}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
