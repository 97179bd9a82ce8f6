"""Convolution benchmark (issue 19), run by benchmarks/run.py (``--conv`` for these rows alone) or by hand.

The network: a 1×8×8 image, conv2d 3×3 → 2 channels (padding 1, relu), conv2d 3×3 → 2 channels (tanh),
flatten, dense 1 unit, ½(y − a)²: 131 parameters (K1 18, b1 2, K2 36, b2 2, W4 72, b4 1), every one
claimed in ``benchmarks/nets/conv-1x8x8-two-3x3.toml`` with the NumPy twin's float64 value to 6 significant
digits (``python benchmarks/conv_bench.py --write`` rewrites it; seeded, reproducible).

Rows:

* ``check`` of that file as a whole process (all 131 gradients exact — certified balls, tanh — and
  judged): goal ≤ 10× the whole process ``python -c "import sympy"`` (wall; CPU beside it); valid only if
  every claim is ok;
* in-process, after imports (fresh process, best of 3): the exact forward and one reverse sweep giving
  all 131 gradients (``BatchPoint(net).gradient()``), for information.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NET = ROOT / "benchmarks" / "nets" / "conv-1x8x8-two-3x3.toml"
GRADIENTS = 131

__all__ = ["NET", "measure_all", "rows"]


def _network():
    import numpy as np

    rng = np.random.default_rng(19)
    dec = lambda *shape: (rng.integers(-99, 100, size=shape) / 100).tolist()  # noqa: E731 — 2-decimal numbers
    layers = [{"kind": "conv2d", "input": [1, 8, 8], "channels": 2, "kernel": 3, "padding": 1, "activation": "relu"},
              {"kind": "conv2d", "channels": 2, "kernel": 3, "activation": "tanh"},
              {"kind": "flatten"}, {"kind": "dense", "units": 1}]
    params = {"K1": dec(2, 1, 3, 3), "b1": dec(2), "K2": dec(2, 2, 3, 3), "b2": dec(2), "W4": dec(1, 72), "b4": dec(1)}
    return layers, params, {"x": dec(1, 64), "y": dec(1, 1)}


def write() -> None:
    """Rewrite the benchmark file: the network and one claim per gradient from the NumPy twin."""
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import tomlkit

    from numeric.layers import gradient
    from symbolic.spec.layers import build_layered

    layers, params, data = _network()
    net = build_layered({"inputs": 64, "loss": "half_sse"}, layers, params, data)
    grads, _ = gradient(net.numeric_layers(), net.loss, net.numeric_params(), np.array(net.x, float),
                        np.array(net.y, float))
    doc = tomlkit.document()
    doc.add("title", "Benchmark: a 1x8x8 image, two 3x3 conv layers (relu, tanh), flatten, dense")
    doc.add("source", "benchmarks/conv_bench.py --write (seeded); claims: the NumPy twin to 6 digits")
    doc.add("network", {"inputs": 64, "loss": "half_sse"})
    doc.add("layer", tomlkit.aot())
    for layer in layers:
        doc["layer"].append(tomlkit.item(layer))
    doc.add("parameters", params)
    doc.add("data", data)
    claims = tomlkit.aot()
    for entry in net.parameter_names():
        array, idx = entry.split("[")[0], tuple(int(i) - 1 for i in entry[:-1].split("[")[1].split(","))
        claims.append(tomlkit.item({"name": f"dL/d{entry}", "value": f"{float(grads[array][idx]):.6g}"}))
    doc.add("claims", claims)
    NET.write_text(tomlkit.dumps(doc), encoding="utf-8")


def child() -> dict:
    """In-process times after imports: the exact forward + one reverse sweep of all gradients (best of 3)."""
    sys.path.insert(0, str(ROOT))
    from symbolic.claims.derivation import load_derivation
    from symbolic.truth.balls import workprec
    from symbolic.truth.layered import BatchPoint

    net = load_derivation(NET).network
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        point = BatchPoint(net)
        with workprec(point.prec):
            grads = point.gradient()
        best = min(best, time.perf_counter() - t0)
    return {"seconds": best, "gradients": len(grads)}


def measure_all(measure, run_process, runs: int, limit: float) -> dict:
    """The whole-process check (validated) and the in-process child; errors are kept, not raised."""
    out: dict = {}
    try:
        m = measure([sys.executable, "-m", "symbolic.cli", "check", str(NET.relative_to(ROOT))], runs, limit)
        text = "" if m.timed_out else m.last.output
        want = f"1 file(s), {GRADIENTS} claim(s): {GRADIENTS} ok"
        out["check"] = {"m": m, "valid": "" if m.timed_out or want in text else f"summary is not {want!r}"}
    except Exception as err:  # noqa: BLE001
        out["check"] = {"error": err}
    try:
        run = run_process([sys.executable, str(Path(__file__).resolve()), "--child"], limit)
        out["child"] = json.loads(run.output.strip().splitlines()[-1])
    except Exception as err:  # noqa: BLE001
        out["child"] = {"error": err}
    return out


def rows(res: dict, ref: dict, ratio_row, error_row, Row, secs, limit: float) -> list:
    """Goal-table rows (run.py's Row, ratio_row, error_row and secs passed in)."""
    what = f"check a 1x8x8 image, two 3x3 conv layers: all {GRADIENTS} gradients exact"
    c = res["check"]
    out = [error_row(what, "≤ 10×", c["error"]) if "error" in c else ratio_row(what, c["m"], ref, 10, limit, c["valid"])]
    ch = res["child"]
    what = f"the same {GRADIENTS} gradients in-process (exact forward + one reverse sweep, after imports)"
    if "error" in ch:
        out.append(error_row(what, "(information)", ch["error"]))
    else:
        out.append(Row(what, secs(ch["seconds"]), f"import sympy {secs(ref['wall'])}",
                       f"{ch['seconds'] / ref['wall']:.2f}×", "(information)", "", ch))
    return out


if __name__ == "__main__":
    if "--child" in sys.argv:
        print(json.dumps(child()))
    elif "--write" in sys.argv:
        write()
        print(f"wrote {NET.relative_to(ROOT)}")
    else:
        print(__doc__)
