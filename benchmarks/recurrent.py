"""Recurrent benchmark (issue 19), run by benchmarks/run.py or alone: ``python benchmarks/recurrent.py``.

One goal: a 10-step rnn of hidden size 8 (4 inputs and 2 outputs per step, tanh, a loss at every step,
one sample) with **all gradients exact** — the 122 shared parameters' totals (certified, 60 digits, through
``LayeredTruth.gradient``), every step's contribution to each of them (1,220) and every node adjoint of the
unrolled graph, from the program's reverse sweep — in ≤ 10× ``python -c "import sympy"``. Both are whole
processes (imports included), median of ``runs``; the child also compares the totals with the NumPy twin
(numeric/recurrent.py) and reports the largest relative difference.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HIDDEN, INPUTS, STEPS, OUTPUTS = 8, 4, 10, 2
GOAL = 10.0

__all__ = ["measure", "rows", "network_tables"]


def _number(i: int) -> Fraction:
    return Fraction((i * 37) % 21 - 10, 40)  # in [−0.25, 0.25], deterministic


def network_tables() -> tuple[dict, list, dict, dict]:
    """([network], [[layer]], [parameters], [data]) of the benchmark rnn."""
    counter = iter(range(10 ** 6))

    def matrix(rows: int, cols: int) -> list:
        return [[_number(next(counter)) for _ in range(cols)] for _ in range(rows)]

    params = {"Wx1": matrix(HIDDEN, INPUTS), "Wh1": matrix(HIDDEN, HIDDEN), "b1": matrix(1, HIDDEN)[0],
              "Wy1": matrix(OUTPUTS, HIDDEN), "by1": matrix(1, OUTPUTS)[0]}
    data = {"x": [[_number(3 * i + 1) for i in range(STEPS * INPUTS)]],
            "y": [[_number(5 * i + 2) for i in range(STEPS * OUTPUTS)]]}
    layer = {"kind": "rnn", "hidden": HIDDEN, "steps": STEPS, "outputs": OUTPUTS}
    return {"inputs": STEPS * INPUTS, "loss": "half_sse"}, [layer], params, data


def child() -> dict:
    """All gradients of the benchmark rnn (timed by the parent as a whole process)."""
    sys.path.insert(0, str(ROOT))
    import numpy as np
    from numeric.layers import gradient
    from symbolic.spec.layers import build_layered
    from symbolic.spec.names import parse_name
    from symbolic.truth.layered import LayeredTruth

    t0 = time.perf_counter()
    net = build_layered(*network_tables())
    truth = LayeredTruth(net)
    totals = truth.gradient()
    sweep = truth.at().sweep(parse_name("L"))
    steps = [k for k in sweep.grads if "_t" in k]
    nodes = sum(len(v) for v in sweep.g_nodes.get(1, {}).values())
    seconds = time.perf_counter() - t0
    twin, _ = gradient(net.numeric_layers(), net.loss, net.numeric_params(), np.array(net.x, dtype=float),
                       np.array(net.y, dtype=float))
    worst = 0.0
    for name, value in totals.items():
        array, idx = name.split("[")[0], tuple(int(i) - 1 for i in name[:-1].split("[")[1].split(","))
        ref = float(twin[array][idx])
        worst = max(worst, abs(float(value) - ref) / max(abs(ref), 1e-300))
    return {"totals": len(totals), "step_contributions": len(steps), "node_adjoints": nodes,
            "after_imports_s": seconds, "max_rel_diff_vs_numpy": worst}


def _wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t0


def measure(runs: int = 3) -> dict:
    """Whole-process walls: the reference (import sympy, before and after) and the child, medians."""
    ref = [_wall([sys.executable, "-c", "import sympy"]) for _ in range(runs)]
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child"], check=True, capture_output=True,
                         text=True, cwd=ROOT).stdout
    walls = [_wall([sys.executable, str(Path(__file__).resolve()), "--child"]) for _ in range(runs)]
    ref += [_wall([sys.executable, "-c", "import sympy"]) for _ in range(runs)]
    return {"reference_s": statistics.median(ref), "wall_s": statistics.median(walls),
            **json.loads(out.strip().splitlines()[-1])}


def rows(m: dict) -> list[list[str]]:
    """Table rows: what, measured, reference, ratio, goal, status."""
    ratio = m["wall_s"] / m["reference_s"]
    return [[f"rnn {STEPS} steps × hidden {HIDDEN}: all gradients exact ({m['totals']} totals, "
             f"{m['step_contributions']} step contributions, {m['node_adjoints']} node adjoints)",
             f"{m['wall_s']:.2f} s ({m['after_imports_s']:.2f} s after imports; vs NumPy "
             f"{m['max_rel_diff_vs_numpy']:.1e})", f"import sympy {m['reference_s']:.2f} s", f"{ratio:.2f}×",
             f"≤ {GOAL:g}×", "met" if ratio <= GOAL else f"MISSED by {ratio / GOAL:.2f}×"]]


def main() -> int:
    if "--child" in sys.argv:
        print(json.dumps(child()))
        return 0
    m = measure()
    for row in rows(m):
        print(" | ".join(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
