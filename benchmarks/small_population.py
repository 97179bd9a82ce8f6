"""Small networks check in ≤ 5× ``import sympy`` (issue 21): a generated population, whole processes.

:func:`population` gives N (default 30) seeded random derivation files — depth 1–3, widths 1–4, every
dense activation (relu included) and loss, at most 50 parameters, 1–2 samples — each with seven claims:
L, a gradient entry, an output value, L after 1, 100 and 2,000 updates (certified trajectories) and
W1[1,1] after 3 updates claimed as 7.77. The claimed numbers are fixed short decimals, not the truth,
so nearly every claim is WRONG and runs the whole mistake table (the costly case: a correct claim is
judged and done). ``benchmarks/run.py`` times ``python -m symbolic.cli check FILE`` for each beside
``python -c "import sympy"`` (its ``--small`` option runs this goal alone); run as a script, this module
does the same in brief: ``python benchmarks/small_population.py [N]``. The goal: the worst ratio ≤ 5.
"""
from __future__ import annotations

import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT))
ACTS = ["identity", "sigmoid", "tanh", "relu"]
LOSSES = ["half_sse", "sse", "mse", "bce"]


def _run(cmd: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _net(rng: random.Random) -> str:
    while True:
        depth = rng.randint(1, 3)
        widths = [rng.randint(1, 4) for _ in range(depth + 1)]
        params = sum(widths[l + 1] * (widths[l] + 1) for l in range(depth))
        if params <= 50:
            break
    loss = rng.choice(LOSSES)
    acts = [rng.choice(ACTS) for _ in range(depth)]
    if loss == "bce":
        acts[-1] = "sigmoid"
    q = lambda: rng.randint(-90, 90) / 100 or 0.05  # noqa: E731
    m = rng.randint(1, 2)
    text = (f'[network]\nlayers = {widths}\nactivation = {acts!r}\nloss = "{loss}"\nbias = "per-neuron"\n'
            f"learning_rate = 0.1\n[data]\nx = {[[q() for _ in range(widths[0])] for _ in range(m)]}\n"
            f"y = {[[rng.randint(5, 95) / 100 for _ in range(widths[-1])] for _ in range(m)]}\n[parameters]\n")
    for l in range(depth):
        text += f"W{l + 1} = {[[q() for _ in range(widths[l])] for _ in range(widths[l + 1])]}\n"
        text += f"b{l + 1} = {[q() for _ in range(widths[l + 1])]}\n"
    claims = [("L", "0.5", 0), ("dL/dW1[1,1]", "0.01", 0), (f"a{depth}[1]", "0.3", 0), ("L", "0.4", 1),
              ("L", "0.3", 100), ("L", "0.2", 2000), ("W1[1,1]", "7.77", 3)]
    for name, value, after in claims:
        text += f'[[claims]]\nname = "{name}"\nvalue = "{value}"\n' + (f"after = {after}\n" if after else "")
        text += "sample = 1\n" if name.startswith("a") else ""  # a node claim says which sample it reads
    return text.replace("'", '"')


def population(n: int = 30, seed: int = 21) -> list[tuple[str, str]]:
    """(file name, TOML text) of the ``n`` generated networks (see the module docstring)."""
    rng = random.Random(seed)
    return [(f"small{k:02d}.toml", _net(rng)) for k in range(n)]


def main(n: int = 30) -> None:
    ref = [_run([sys.executable, "-c", "import sympy"]) for _ in range(5)]
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, text in population(n):
            path = Path(tmp) / name
            path.write_text(text, encoding="utf-8")
            files.append(path)
        runs = [_run([sys.executable, "-m", "symbolic.cli", "check", str(p)]) for p in files]
    ref += [_run([sys.executable, "-c", "import sympy"]) for _ in range(5)]
    ref_wall, ref_cpu = statistics.median(r[0] for r in ref), statistics.median(r[1] for r in ref)
    walls = sorted(w / ref_wall for w, _ in runs)
    cpus = sorted(c / ref_cpu for _, c in runs)
    print(f"import sympy: median wall {ref_wall:.2f} s, CPU {ref_cpu:.2f} s (10 runs)")
    print(f"{n} small networks (<= 50 parameters, up to 2,000 updates, WRONG claims):")
    print(f"  wall ratio: median {statistics.median(walls):.2f}x, worst {walls[-1]:.2f}x")
    print(f"  CPU ratio:  median {statistics.median(cpus):.2f}x, worst {cpus[-1]:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
