"""Write the benchmark derivation files in benchmarks/nets/ (seeded, reproducible):  python benchmarks/make_nets.py

Two families, one kind of network each:

* ``softmax``: hidden layers sigmoid, output softmax, loss ``softmax_ce``, one-hot
  target; 4-8-8-4, 8-16-16-4, 16-32-32-10, 32-64-64-10, 64-128-128-10 (the growth fit
  of ``run.py`` runs over this family);
* ``sse``: sigmoid on every layer, loss ``half_sse`` (½Σ(y−a)²), target in [0, 1];
  4-8-4, 8-16-8.

Every file has per-neuron biases, one sample, parameters and data printed as short
decimals (two decimals in [-0.5, 0.5], e.g. ``0.37``) and five claims:

1. ``L`` (the loss),
2. one output ``a<L>[k]``,
3. ``dL/dW1[i,j]``,
4. ``dL/db2[k]``,
5. ``dL/dW2[i,j]`` printed with the exact value of ANOTHER entry of W2, the last one
   (``dL/dW2[n2,n1]``), ``expect = "WRONG"``. The index-swap diagnosis must find that
   entry; today it tries the transposed entry first and then every entry of W2 in
   row-major order, so this is its longest search (the "full diagnosis" of the goals:
   a number that matches no entry costs the same search). Which entry is searched
   last may change with the diagnosis code; the verdict and diagnosis must not.

The claimed numbers are computed HERE, independently of derivcheck: a forward pass
and a hand-written backward pass in Python's ``decimal`` at 60 significant digits
(``Decimal.exp``/``ln`` are correctly rounded), printed to 8 significant digits; the
same computation at 45 digits must print the same digits (else the script stops).
Nothing from ``symbolic`` or ``numeric`` is imported.
"""
from __future__ import annotations

import random
import sys
from decimal import Decimal, localcontext
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "nets"
SIG = 8  # significant digits of the claimed values

FAMILIES = {
    "softmax": [(4, 8, 8, 4), (8, 16, 16, 4), (16, 32, 32, 10), (32, 64, 64, 10), (64, 128, 128, 10)],
    "sse": [(4, 8, 4), (8, 16, 8)],
}


def file_name(family: str, layers) -> str:
    return f"{family}-{'-'.join(map(str, layers))}.toml"


def parameter_count(layers) -> int:
    return sum(layers[l] * layers[l - 1] + layers[l] for l in range(1, len(layers)))


# ------------------------------------------------------------------------------ the network
def draw(family: str, layers) -> dict:
    """Parameters and data as integers of hundredths (exact, and printed as 0.37)."""
    rng = random.Random(f"derivcheck-bench {family} {'-'.join(map(str, layers))}")
    h = lambda: rng.randint(-50, 50)  # noqa: E731
    W, b = {}, {}
    for l in range(1, len(layers)):
        W[l] = [[h() for _ in range(layers[l - 1])] for _ in range(layers[l])]
        b[l] = [h() for _ in range(layers[l])]
    x = [h() for _ in range(layers[0])]
    if family == "softmax":
        target = rng.randrange(layers[-1])
        y = [100 if k == target else 0 for k in range(layers[-1])]
    else:
        y = [rng.randint(0, 100) for _ in range(layers[-1])]
    return {"W": W, "b": b, "x": x, "y": y, "rng": rng}


def backprop(family: str, layers, net: dict, digits: int) -> dict:
    """Forward and backward pass in decimal arithmetic at ``digits`` significant digits."""
    with localcontext() as ctx:
        ctx.prec = digits
        D = lambda n: Decimal(n) / 100  # noqa: E731  (hundredths; exact in decimal)
        one = Decimal(1)
        depth = len(layers) - 1
        a = {0: [D(v) for v in net["x"]]}
        y = [D(v) for v in net["y"]]
        W = {l: [[D(v) for v in row] for row in net["W"][l]] for l in net["W"]}
        b = {l: [D(v) for v in net["b"][l]] for l in net["b"]}
        for l in range(1, depth + 1):
            u = [sum((w * p for w, p in zip(row, a[l - 1])), Decimal(0)) + bias for row, bias in zip(W[l], b[l])]
            if l == depth and family == "softmax":
                top = max(u)
                e = [(v - top).exp() for v in u]
                s = sum(e, Decimal(0))
                a[l] = [v / s for v in e]
            else:
                a[l] = [one / (one + (-v).exp()) for v in u]
        out = a[depth]
        if family == "softmax":
            L = -sum((yk * ak.ln() for yk, ak in zip(y, out) if yk != 0), Decimal(0))
            dL_da = [-yk / ak for yk, ak in zip(y, out)]
            # softmax Jacobian: da_j/du_k = a_j (δ_jk − a_k)
            delta = [sum((dL_da[j] * out[j] * ((one if j == k else 0) - out[k]) for j in range(len(out))),
                         Decimal(0)) for k in range(len(out))]
        else:
            L = sum(((yk - ak) ** 2 for yk, ak in zip(y, out)), Decimal(0)) / 2
            delta = [(ak - yk) * ak * (one - ak) for ak, yk in zip(out, y)]
        gW, gb = {}, {}
        for l in range(depth, 0, -1):
            gW[l] = [[d * p for p in a[l - 1]] for d in delta]
            gb[l] = list(delta)
            if l > 1:
                back = [sum((W[l][k][j] * delta[k] for k in range(len(delta))), Decimal(0))
                        for j in range(layers[l - 1])]
                delta = [g * h * (one - h) for g, h in zip(back, a[l - 1])]
        return {"L": L, "a": a, "gW": gW, "gb": gb}


def printed(v: Decimal, sig: int = SIG) -> str:
    """``v`` correctly rounded to ``sig`` significant digits, as a plain decimal (no exponent)."""
    if v == 0:
        return "0"
    with localcontext() as ctx:
        ctx.prec = sig
        r = +v  # rounds half-even to sig digits
    s = format(r, "f")
    return s


def hundredths(n: int) -> str:
    s = f"{abs(n) / 100:.2f}"
    return ("-" if n < 0 else "") + s


# ------------------------------------------------------------------------------ one file
def make(family: str, layers) -> str:
    net = draw(family, layers)
    rng = net["rng"]
    depth = len(layers) - 1
    hi, lo = backprop(family, layers, net, 60), backprop(family, layers, net, 45)

    def claim_value(get) -> str:
        s60, s45 = printed(get(hi)), printed(get(lo))
        if s60 != s45:
            sys.exit(f"{family} {layers}: 60 and 45 digits print differently ({s60} vs {s45}); change the seed")
        return s60

    k_out = (net["y"].index(100) if family == "softmax" else rng.randrange(layers[-1])) + 1
    i1, j1 = rng.randrange(layers[1]) + 1, rng.randrange(layers[0]) + 1
    k2 = rng.randrange(layers[2]) + 1
    # WRONG: dL/dW2[i,j] printed with the exact value of the last entry dL/dW2[n2,n1] (not the transposed one)
    n2, n1 = layers[2], layers[1]
    last = hi["gW"][2][n2 - 1][n1 - 1]
    others = {printed(v) for r, row in enumerate(hi["gW"][2]) for c, v in enumerate(row) if (r, c) != (n2 - 1, n1 - 1)}
    if last == 0 or printed(last) in others:
        sys.exit(f"{family} {layers}: the last W2 gradient is 0 or not unique to {SIG} digits; change the seed")
    for _ in range(1000):
        i2, j2 = rng.randrange(n2 - 1) + 1, rng.randrange(n1 - 1) + 1
        g = hi["gW"][2][i2 - 1][j2 - 1]
        if g != 0 and abs(g - last) > abs(g) / 100:
            break
    else:
        sys.exit(f"{family} {layers}: no W2 entry differs from the last by > 1 %")

    claims = [
        ("L", claim_value(lambda r: r["L"]), None),
        (f"a{depth}[{k_out}]", claim_value(lambda r: r["a"][depth][k_out - 1]), None),
        (f"dL/dW1[{i1},{j1}]", claim_value(lambda r: r["gW"][1][i1 - 1][j1 - 1]), None),
        (f"dL/db2[{k2}]", claim_value(lambda r: r["gb"][2][k2 - 1]), None),
        (f"dL/dW2[{i2},{j2}]", claim_value(lambda r: r["gW"][2][n2 - 1][n1 - 1]),
         f"the exact value of dL/dW2[{n2},{n1}] (another entry); the true dL/dW2[{i2},{j2}] is "
         f"{printed(hi['gW'][2][i2 - 1][j2 - 1])}"),
    ]

    name = "-".join(map(str, layers))
    kind = ("sigmoid hidden layers, softmax output, softmax_ce" if family == "softmax"
            else "sigmoid on every layer, half squared error")
    acts = ["sigmoid"] * (depth - 1) + ["softmax" if family == "softmax" else "sigmoid"]
    loss = "softmax_ce" if family == "softmax" else "half_sse"
    lines = [
        "# generated by benchmarks/make_nets.py — do not edit; rerun the script",
        f'title  = "benchmark {name} ({kind}; {parameter_count(layers):,} parameters)"',
        'source = "benchmarks/make_nets.py"',
        'unchecked = """',
        f"Generated network: {parameter_count(layers)} parameters drawn (seeded) as hundredths in",
        "[-0.5, 0.5]; claimed values computed independently by the generator (decimal",
        f"arithmetic, 60 digits) and printed to {SIG} significant digits. Claim 5 is wrong on",
        'purpose: it prints the value of another W2 entry (the last).',
        '"""',
        "",
        "[network]",
        f"layers     = [{', '.join(map(str, layers))}]",
        f"activation = [{', '.join(repr(a).replace(chr(39), chr(34)) for a in acts)}]",
        f'loss       = "{loss}"',
        'bias       = "per-neuron"',
        "",
        "[data]",
        f"x = [{', '.join(map(hundredths, net['x']))}]",
        f"y = [{', '.join(map(hundredths, net['y']))}]",
        "",
        "[parameters]",
    ]
    for l in range(1, depth + 1):
        rows = ",\n  ".join("[" + ", ".join(map(hundredths, row)) + "]" for row in net["W"][l])
        lines.append(f"W{l} = [\n  {rows},\n]")
        lines.append(f"b{l} = [{', '.join(map(hundredths, net['b'][l]))}]")
    for claim, value, wrong in claims:
        lines += ["", "[[claims]]", f'name  = "{claim}"', f'value = "{value}"']
        if wrong:
            lines += ['expect = "WRONG"', f'note   = "{wrong}"']
    return "\n".join(lines) + "\n"


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for family, sizes in FAMILIES.items():
        for layers in sizes:
            path = OUT / file_name(family, layers)
            path.write_text(make(family, layers), encoding="utf-8")
            print(f"{path.relative_to(HERE.parent)}  ({parameter_count(layers):,} parameters, "
                  f"{path.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
