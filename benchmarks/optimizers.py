"""Optimizer benchmarks (issue 17), run by benchmarks/run.py or alone: ``python benchmarks/optimizers.py``.

Rows (best of 3, after imports, in a fresh process):

* 10,000 Adam updates of seed 002's network in float64 through the trajectory's float engine
  (``TrainedTrajectory.float_after``: the generated plain-float update) — goal ≤ 0.2 s; the NumPy
  twin ``numeric.optimizers.optimize`` for information, and the two runs' largest relative difference;
* 100 exact Adam updates (certified balls, ``Trajectory.after`` of a fresh trajectory: generating and
  compiling the update code included, as a file check pays it) against 100 exact plain gradient descent
  updates (certified balls, ``Trajectory.after``) of the same network — goal ratio ≤ 2×. The two are timed
  alternately, best of ``PAIRS`` each, in CPU time of this process (``time.process_time``: on the shared
  2-core machine the wall time of a 10 ms call doubles whenever another process takes the core; the CPU
  time does not), the wall-time ratio printed beside it; the parts (compiling the ball code; running the
  100 updates) are measured the same way and printed too.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_002 = ROOT / "derivations" / "002-mazur-2-2-2-step-by-step.toml"
FLOAT_UPDATES = 10_000
EXACT = 100
PAIRS = 9

__all__ = ["measure", "rows", "ms"]


def _best(fn, runs: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def measure() -> dict:
    sys.path.insert(0, str(ROOT))
    import numeric
    from numeric.optimizers import Settings, optimize
    from symbolic.claims.derivation import load_derivation
    from symbolic.spec.optimizers import parse_training
    from symbolic.truth.ball_update import compile_ball_update
    from symbolic.truth.trajectory import BALL_PRECISIONS, Trajectory

    base = load_derivation(SEED_002).network
    opt, reg = parse_training({"name": "adam"}, None, base.parameter_names())
    adam = replace(base, optimizer=opt, regularization=reg)
    Trajectory(adam).trained.float_after({}, 1)  # compile outside the timing
    t_float, (params, _) = _best(lambda: Trajectory(adam).trained.float_after({}, FLOAT_UPDATES))
    settings = Settings("adam", float(base.learning_rate), update_biases=base.update_biases)
    t_numpy, run = _best(lambda: optimize(base.architecture, base.numeric_params(), *base.numeric_data(), settings,
                                          FLOAT_UPDATES))
    twin = numeric.flatten(base.architecture, run.params)
    diff = max(abs(params[k] - twin[k]) / max(abs(twin[k]), 1e-300) for k in twin)
    gd_traj, adam_traj = Trajectory(base), Trajectory(adam)
    gd_traj.after({}, EXACT), adam_traj.after({}, EXACT)
    gd_code, adam_code = gd_traj._balls[base.update_biases], adam_traj.trained._ball_code
    values = base.parameter_values()
    pairs = {"exact_gd": lambda: Trajectory(base).after({}, EXACT), "exact_adam": lambda: Trajectory(adam).after({}, EXACT),
             "compile_gd": lambda: compile_ball_update(base), "compile_adam": lambda: compile_ball_update(adam, trained=True),
             "run_gd": lambda: gd_code.run(values, EXACT, base.learning_rate, BALL_PRECISIONS[0]),
             "run_adam": lambda: _adam_run(adam_traj)}
    best = dict.fromkeys(pairs, float("inf"))
    for key in pairs:
        best[f"{key}_wall"] = float("inf")
    for _ in range(PAIRS):
        for key, fn in pairs.items():
            w, c = time.perf_counter(), time.process_time()
            fn()
            best[key] = min(best[key], time.process_time() - c)
            best[f"{key}_wall"] = min(best[f"{key}_wall"], time.perf_counter() - w)
    precision = Trajectory(adam).describe({}, EXACT)
    return {"float_adam": t_float, "numpy_adam": t_numpy, "float_vs_numpy_max_rel_diff": diff, **best,
            "exact_adam_precision": precision, "pairs": PAIRS}


def _adam_run(traj) -> None:
    """The 100 certified Adam updates alone (the compiled code kept, its result cache emptied)."""
    traj.trained._balls.clear()
    traj.trained.balls({}, EXACT)


def ms(m: dict, key: str) -> str:
    return f"{m[key] * 1000:.1f} ms" if key in m else "—"


def rows(m: dict) -> list[list[str]]:
    """Table rows: what, measured, reference, ratio, goal, status."""
    def secs(s: float) -> str:
        return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"
    ratio = m["exact_adam"] / m["exact_gd"]
    wall = m["exact_adam_wall"] / m["exact_gd_wall"] if "exact_gd_wall" in m else float("nan")
    return [
        [f"seed 002 {FLOAT_UPDATES:,} Adam updates, float64 (generated plain-float update)", secs(m["float_adam"]),
         f"NumPy twin {secs(m['numpy_adam'])}; max rel. diff {m['float_vs_numpy_max_rel_diff']:.1e}", "—", "≤ 0.2 s",
         "met" if m["float_adam"] <= 0.2 else f"MISSED by {m['float_adam'] / 0.2:.2f}×"],
        [f"seed 002 {EXACT} exact Adam updates vs {EXACT} exact plain-GD updates (CPU)", ms(m, "exact_adam"),
         f"plain GD {ms(m, 'exact_gd')}, best of {m.get('pairs', 3)} alternating; wall {ms(m, 'exact_adam_wall')} vs "
         f"{ms(m, 'exact_gd_wall')} ({wall:.2f}×); compile {ms(m, 'compile_adam')} vs {ms(m, 'compile_gd')}, run "
         f"{ms(m, 'run_adam')} vs {ms(m, 'run_gd')} ({m['exact_adam_precision']})",
         f"{ratio:.2f}×", "≤ 2×", "met" if ratio <= 2 else f"MISSED by {ratio / 2:.2f}×"],
    ]


def main() -> int:
    if "--child" in sys.argv:
        print(json.dumps(measure()))
        return 0
    out = subprocess.run([sys.executable, __file__, "--child"], capture_output=True, text=True, check=True)
    m = json.loads(out.stdout.strip().splitlines()[-1])
    headers = ["what", "measured", "reference", "ratio", "goal", "status"]
    table = [headers] + rows(m)
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
