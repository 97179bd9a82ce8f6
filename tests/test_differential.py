"""Differential test (issue 21): random networks and claims against an independent reference written here.

The reference is a plain mpmath (50 digits) forward pass and hand-written backprop over nested lists —
no derivcheck code, no SymPy: per layer u = W a + b with bias "per-neuron" (b{l}[i]), "shared" (one
number b{l} added to every u{l}[i]; ∂L/∂b{l} = Σ_i δ_i) or "none" (u = W a, no ∂L/∂b claim);
a = f(u) for identity/sigmoid/tanh/relu (relu: f' = 1 for u > 0, 0 for u < 0; a network with a relu input
within 1e-6 of the kink is redrawn, so no claim meets a kink), or a softmax output a_i = e^{u_i}/Σ e^{u_k};
the loss half_sse, sse or mse (any output), sigmoid + bce, or softmax + softmax_ce (−Σ y log a);
δ_L = ∂ℓ/∂a ⊙ f'(u) (softmax: δ_i = a_i (g_i − Σ_k g_k a_k), g = ∂ℓ/∂a), δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ f'(u_l),
∂L/∂W_l = δ_l a_{l−1}ᵀ, batch mean over samples. Network k's loss, bias mode and first activation cycle
through every mode (the CI's 6 networks cover each), the rest random. Each network gets claims of L, node values,
∂L/∂W and ∂L/∂b entries printed to 12 significant digits (must be ok: 0 false WRONG) and the same numbers
with a planted mistake — a digit changed by 3 units in the 4th significant place, or the sign flipped —
(must be WRONG: 0 missed). CI runs 6 networks; ``--fuzz-long`` runs 250 networks (≥ 2,000 claims) and
prints the counts; ``--fuzz-seeds A:B`` runs ``PIECE_NETWORKS`` (25) networks per seed s from
``random.Random(1000 + s)`` (``0:10``: 250 networks, ~2,200 claims), each piece's counts printed.
"""
from __future__ import annotations

import random

import mpmath as mp
import pytest

from symbolic.claims.check import check_file

ACTS = {"identity": (lambda u: u, lambda u, a: mp.mpf(1)),
        "sigmoid": (lambda u: 1 / (1 + mp.exp(-u)), lambda u, a: a * (1 - a)),
        "tanh": (lambda u: mp.tanh(u), lambda u, a: 1 - a * a),
        "relu": (lambda u: u if u > 0 else mp.mpf(0), lambda u, a: mp.mpf(1) if u > 0 else mp.mpf(0))}
KINK = mp.mpf("1e-6")  # relu inputs are drawn |u| > 1e-6 (a network with one closer to the kink is redrawn)
ZERO = mp.mpf("1e-35")  # a reference value this small is an exact 0 lost to 50-digit rounding (Σ softmax δ)


def _softmax(u: list) -> list:
    m = max(u)
    e = [mp.exp(v - m) for v in u]
    return [v / sum(e) for v in e]


LOSSES = {  # ℓ(a, y) summed over outputs, and ∂ℓ/∂a_k
    "half_sse": (lambda a, y: sum((t - v) ** 2 for v, t in zip(a, y)) / 2, lambda a, y: [v - t for v, t in zip(a, y)]),
    "sse": (lambda a, y: sum((t - v) ** 2 for v, t in zip(a, y)), lambda a, y: [2 * (v - t) for v, t in zip(a, y)]),
    "mse": (lambda a, y: sum((t - v) ** 2 for v, t in zip(a, y)) / len(a),
            lambda a, y: [2 * (v - t) / len(a) for v, t in zip(a, y)]),
    "bce": (lambda a, y: -sum(t * mp.log(v) + (1 - t) * mp.log(1 - v) for v, t in zip(a, y)),
            lambda a, y: [(v - t) / (v * (1 - v)) for v, t in zip(a, y)]),
    "softmax_ce": (lambda a, y: -sum(t * mp.log(v) for v, t in zip(a, y)), lambda a, y: [-t / v for v, t in zip(a, y)]),
}
BIASES = ("per-neuron", "shared", "none")


def _random_case(rng: random.Random, k: int) -> dict:
    while True:  # redraw until every relu input is off its kink (|u| > KINK)
        case = _draw(rng, k)
        if _reference(case) is not None:
            return case


def _draw(rng: random.Random, k: int) -> dict:
    """Network k: its loss, bias mode and first activation cycle through every mode (so CI's 6 networks
    cover each loss, bias mode and activation), the rest drawn."""
    depth = rng.randint(1, 3)
    widths = [rng.randint(1, 4) for _ in range(depth + 1)]
    loss = list(LOSSES)[k % len(LOSSES)]
    acts = [list(ACTS)[k % len(ACTS)]] + [rng.choice(list(ACTS)) for _ in range(depth - 1)]
    if loss == "bce":
        acts[-1] = "sigmoid"
    if loss == "softmax_ce":
        acts[-1] = "softmax"
        widths[-1] = max(widths[-1], 2)
    bias = BIASES[k % len(BIASES)]
    m = rng.randint(1, 2)
    q = lambda: rng.randint(-90, 90) / 100  # noqa: E731  (short exact decimals)
    W = [[[q() for _ in range(widths[l])] for _ in range(widths[l + 1])] for l in range(depth)]
    if bias == "per-neuron":
        b = [[q() for _ in range(widths[l + 1])] for l in range(depth)]
    else:  # shared: one number b{l} added to every neuron of layer l; none: no bias (u = W a)
        b = [[q() if bias == "shared" else 0] * widths[l + 1] for l in range(depth)]
    X = [[q() for _ in range(widths[0])] for _ in range(m)]
    Y = [[rng.randint(5, 95) / 100 for _ in range(widths[-1])] for _ in range(m)]
    return dict(widths=widths, acts=acts, loss=loss, bias=bias, W=W, b=b, X=X, Y=Y)


def _reference(c: dict) -> dict[str, mp.mpf] | None:
    """Values and gradients by hand (see the module docstring), keyed by canonical name; None when a relu
    input is within KINK of 0."""
    out: dict[str, mp.mpf] = {}
    depth, m = len(c["acts"]), len(c["X"])
    gW = [[[mp.mpf(0)] * len(row) for row in Wl] for Wl in c["W"]]
    gb = [[mp.mpf(0)] * len(bl) for bl in c["b"]]
    total = mp.mpf(0)
    for s, (x, y) in enumerate(zip(c["X"], c["Y"])):
        a, us, As = [mp.mpf(v) for v in x], [], []
        As.append(a)
        for l in range(depth):
            u = [sum(mp.mpf(w) * v for w, v in zip(row, a)) + mp.mpf(bb) for row, bb in zip(c["W"][l], c["b"][l])]
            if c["acts"][l] == "relu" and any(abs(v) <= KINK for v in u):
                return None
            a = _softmax(u) if c["acts"][l] == "softmax" else [ACTS[c["acts"][l]][0](v) for v in u]
            us.append(u)
            As.append(a)
            if s == 0:
                for i, v in enumerate(a, 1):
                    out[f"a{l + 1}[{i}]"] = v
        yy = [mp.mpf(v) for v in y]
        total += LOSSES[c["loss"]][0](a, yy)
        g = LOSSES[c["loss"]][1](a, yy)
        for l in range(depth - 1, -1, -1):
            if c["acts"][l] == "softmax":  # δ_i = Σ_k g_k ∂a_k/∂u_i = a_i (g_i − Σ_k g_k a_k)
                ga = sum(gk * ak for gk, ak in zip(g, As[l + 1]))
                delta = [ai * (gi - ga) for gi, ai in zip(g, As[l + 1])]
            else:
                fp = ACTS[c["acts"][l]][1]
                delta = [gk * fp(uk, ak) for gk, uk, ak in zip(g, us[l], As[l + 1])]
            for i, d in enumerate(delta):
                gb[l][i] += d / m
                for j, v in enumerate(As[l]):
                    gW[l][i][j] += d * v / m
            g = [sum(mp.mpf(c["W"][l][i][j]) * delta[i] for i in range(len(delta))) for j in range(len(As[l]))]
    out["L"] = total / m
    for l in range(depth):
        for i, row in enumerate(gW[l], 1):
            for j, v in enumerate(row, 1):
                out[f"dL/dW{l + 1}[{i},{j}]"] = v
        if c["bias"] == "per-neuron":
            for i, v in enumerate(gb[l], 1):
                out[f"dL/db{l + 1}[{i}]"] = v
        elif c["bias"] == "shared":  # one b{l} in every u{l}[i]: ∂L/∂b{l} = Σ_i δ_i (batch mean)
            out[f"dL/db{l + 1}"] = sum(gb[l])
    return {k: (mp.mpf(0) if abs(v) < ZERO else v) for k, v in out.items()}


def _printed(v: mp.mpf) -> str:
    return mp.nstr(v, 12, min_fixed=-4, max_fixed=6) if v else "0"


def _planted(v: mp.mpf, rng: random.Random) -> str:
    if v and rng.random() < 0.5:
        return _printed(-v)  # the sign flipped
    text = mp.nstr(v * (1 + mp.mpf(3) / 1000) if v else mp.mpf("0.5"), 12, min_fixed=-4, max_fixed=6)
    return text  # 3 units off in the 4th significant digit


def _toml(c: dict, claims: list[tuple[str, str]]) -> str:
    acts = ", ".join(f'"{a}"' for a in c["acts"])
    bias = {"per-neuron": lambda bl: f"{bl}", "shared": lambda bl: f"{bl[0]}"}.get(c["bias"])
    params = "".join(f"W{l + 1} = {c['W'][l]}\n" + (f"b{l + 1} = {bias(c['b'][l])}\n" if bias else "")
                     for l in range(len(c["acts"])))
    body = "".join(f'[[claims]]\nname = "{n}"\nvalue = "{v}"\n' + ("sample = 1\n" if n.startswith("a") else "")
                   for n, v in claims)  # the reference's node values are sample 1's
    return (f'[network]\nlayers = {c["widths"]}\nactivation = [{acts}]\nloss = "{c["loss"]}"\n'
            f'bias = "{c["bias"]}"\nlearning_rate = 0.1\n[data]\nx = {c["X"]}\ny = {c["Y"]}\n[parameters]\n{params}'
            f"{body}")


def _run(tmp_path, networks: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    counts = {"claims": 0, "false_wrong": 0, "missed": 0}
    with mp.workdps(50):
        for k in range(networks):
            case = _random_case(rng, k)
            ref = _reference(case)
            names = rng.sample(sorted(ref), min(len(ref), 6))
            claims = [(n, _printed(ref[n])) for n in names] + [(n, _planted(ref[n], rng)) for n in names[:3]]
            path = tmp_path / f"net{k}.toml"
            path.write_text(_toml(case, claims), encoding="utf-8")
            report = check_file(path)
            assert report.error is None, report.error
            for r in report.results:
                counts["claims"] += 1
                planted = r.index > len(names)
                if not planted and r.verdict not in ("ok", "rounding"):
                    counts["false_wrong"] += 1
                    print("false WRONG:", path.read_text(), r)
                if planted and r.verdict != "WRONG":
                    counts["missed"] += 1
                    print("missed:", path.read_text(), r)
    return counts


PIECE_NETWORKS = 25  # networks per --fuzz-seeds piece (seed s draws from random.Random(1000 + s))


def test_differential_random_networks(tmp_path, request):
    seeds = request.config.getoption("--fuzz-seeds")
    long = request.config.getoption("--fuzz-long")
    if seeds is not None:
        counts = {"claims": 0, "false_wrong": 0, "missed": 0}
        for s in seeds:
            piece = _run(tmp_path, PIECE_NETWORKS, seed=1000 + s)
            print(f"differential seed {s}: {PIECE_NETWORKS} networks, {piece}")
            counts = {k: counts[k] + piece[k] for k in counts}
        print(f"differential seeds {seeds.start}:{seeds.stop}: {counts}")
    else:
        counts = _run(tmp_path, 250 if long else 6, seed=21)
        if long:
            print(f"differential: {counts}")
            assert counts["claims"] >= 2_000
    assert counts["false_wrong"] == 0 and counts["missed"] == 0, counts
