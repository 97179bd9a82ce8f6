"""Carried errors: a claim recomputed from the author's own earlier printed numbers (issue 14).

Every expected number is a hand calculation written beside its row; nothing is computed by the code
under test. The chain net is 1-1-1, identity, ½(y − a)², per-neuron biases, learning rate 0.1:
W1 = 2, b1 = 1, W2 = 3, b2 = 0, x = 1, y = 1  ⇒  u1 = a1 = 3, u2 = a2 = 9, L = ½·8² = 32,
dL/da2 = dL/du2 = a2 − y = 8, dL/dW2 = 8·a1 = 24, dL/da1 = dL/du1 = 8·W2 = 24, dL/dW1 = 24·x = 24,
after one update W2 = 3 − 0.1·24 = 0.6.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbolic.claims.check import check_file

CHAIN_NET = """
[network]
layers = [1, 1, 1]
activation = "identity"
loss = "half_sse"
bias = "per-neuron"
learning_rate = 0.1

[parameters]
W1 = [[2]]
b1 = [1]
W2 = [[3]]
b2 = [0]

[data]
x = [[1]]
y = [[1]]
"""

# The rounding net: 1-1-1 identity, W1 = 0.35, x = 0.7, b1 = 0 ⇒ u1 = a1 = 0.245 ("0.25" is ok: ½ unit);
# W2 = 0.7, b2 = 0 ⇒ u2 = 0.1715; the author's 0.7·0.25 = 0.175 is 3.5 units (of 0.001) off the truth.
ROUNDED_NET = CHAIN_NET.replace("W1 = [[2]]", "W1 = [[0.35]]").replace("b1 = [1]", "b1 = [0]") \
    .replace("W2 = [[3]]", "W2 = [[0.7]]").replace("x = [[1]]", "x = [[0.7]]")


# A layer list: one dense layer of 2 identity units, no bias, ½Σ(y − a)², learning rate 0.1:
# W1 = [[2], [3]], x = 1, y = (1, 1) ⇒ a1 = (2, 3), δ = (1, 2), dL/dW1[1,1] = 1, dL/dW1[2,1] = 2;
# after one update W1[1,1] = 2 − 0.1·1 = 1.9, W1[2,1] = 3 − 0.1·2 = 2.8.
LAYER_NET = """
[network]
inputs = 1
loss = "half_sse"
learning_rate = 0.1

[[layer]]
kind = "dense"
units = 2
bias = "none"

[parameters]
W1 = [[2], [3]]

[data]
x = [[1]]
y = [[1, 1]]
"""


def _claims(*rows: tuple) -> str:
    out = []
    for row in rows:
        name, value, *rest = row
        after = f"\nafter = {rest[0]}" if rest else ""
        out.append(f'[[claims]]\nname = "{name}"\nvalue = "{value}"{after}\n')
    return "\n".join(out)


# (id, net, claims, claim number, verdict, carried_from, diagnosis must contain, must not contain)
CASES = [
    # u1 = 5 is a root error (truth 3, two units off); a1 = 5 is what the author's u1 gives (identity)
    ("node-from-wrong-node", CHAIN_NET, [("u1[1]", "5"), ("a1[1]", "5")], 2, "WRONG", [1],
     "carried from claim 1 (u1[1] = 5, itself WRONG", "typo"),
    # two levels: u2 = W2·a1 = 3·5 = 15 from the author's a1 (itself carried): the root is claim 1
    ("two-levels", CHAIN_NET, [("u1[1]", "5"), ("a1[1]", "5"), ("u2[1]", "15")], 3, "WRONG", [2],
     "its root is claim 1 (u1[1] = 5", "typo"),
    # the loss from the author's a2 = 12 (truth 9): ½(12 − 1)² = 60.5
    ("loss-from-wrong-output", CHAIN_NET, [("a2[1]", "12"), ("L", "60.5")], 2, "WRONG", [1],
     "carried from claim 1 (a2[1] = 12", ""),
    # from the author's a1 = 5: a2 = 3·5 = 15, δ2 = 15 − 1 = 14, dL/dW2 = δ2·a1 = 14·5 = 70 (truth 24)
    ("gradient-from-wrong-activation", CHAIN_NET, [("a1[1]", "5"), ("dL/dW2[1,1]", "70")], 2, "WRONG", [1],
     "carried from claim 1", ""),
    # dL/da1 = δ2·W2 with the author's δ2 = dL/du2 = 5 (truth 8): 5·3 = 15; dL/dW1 = 15·x = 15
    ("backward-from-wrong-delta", CHAIN_NET, [("dL/du2[1]", "5"), ("dL/da1[1]", "15"), ("dL/dW1[1,1]", "15")],
     3, "WRONG", [2], "its root is claim 1 (dL/du2[1] = 5", ""),
    # the update from the author's gradient 26 (truth 24): W2 = 3 − 0.1·26 = 0.4 (truth 0.6)
    ("update-from-wrong-gradient", CHAIN_NET, [("dL/dW2[1,1]", "26"), ("W2[1,1]", "0.4", 1)], 2, "WRONG", [1],
     "carried from claim 1 (dL/dW2[1,1] = 26", ""),
    # a layer list: the update from the author's gradient 5 (truth 1): W1[1,1] = 2 − 0.1·5 = 1.5 (truth 1.9)
    ("layer-list-update-from-wrong-gradient", LAYER_NET, [("dL/dW1[1,1]", "5"), ("W1[1,1]", "1.5", 1)], 2, "WRONG",
     [1], "carried from claim 1 (dL/dW1[1,1] = 5", "was applied to"),
    # another entry's claimed gradient put on W1[2,1] (numpy's W -= eta * dW broadcast): 3 − 0.1·5 = 2.5 (truth 2.8)
    ("layer-list-update-from-another-entry", LAYER_NET, [("dL/dW1[1,1]", "5"), ("W1[2,1]", "2.5", 1)], 2, "WRONG",
     [1], "the gradient claimed for W1[1,1] was applied to W1[2,1]", ""),
    # W1[2,1] = 2.5 (3 − 0.1·5) while dL/dW1[2,1] = 2 itself is claimed (and gives 2.8): another entry's gradient
    # is tried only when the entry's own is not claimed, so this is a root error
    ("layer-list-own-gradient-claimed", LAYER_NET,
     [("dL/dW1[1,1]", "5"), ("dL/dW1[2,1]", "2"), ("W1[2,1]", "2.5", 1)], 3, "WRONG", [], "", "carried"),
    # a WRONG number that no earlier number explains is a root error: no carried_from
    ("root-stays-root", CHAIN_NET, [("u1[1]", "3"), ("a1[1]", "5")], 2, "WRONG", [], "", "carried"),
    # a later claim computed from the truth, not from the author's wrong number, is simply ok
    ("independent-ok", CHAIN_NET, [("u1[1]", "5"), ("a1[1]", "3")], 2, "ok", [], "", "carried"),
    # the rounded a1 = 0.25 (ok at 2 decimals) gives 0.7·0.25 = 0.175: rounding, with its source
    ("from-rounded", ROUNDED_NET, [("a1[1]", "0.25"), ("u2[1]", "0.175")], 2, "rounding", [1],
     "computed from the rounded a1[1] = 0.25 of claim 1", "typo"),
    # 0.178 is neither the truth (6.5 units) nor what the rounded a1 gives (3 units from 0.175): WRONG, not carried
    ("from-rounded-but-not-reproduced", ROUNDED_NET, [("a1[1]", "0.25"), ("u2[1]", "0.178")], 2, "WRONG", [], "",
     "computed from"),
]


@pytest.mark.parametrize("net, claims, number, verdict, carried, must, must_not", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_carried(tmp_path: Path, net, claims, number, verdict, carried, must, must_not):
    path = tmp_path / "chain.toml"
    path.write_text(net + "\n" + _claims(*claims), encoding="utf-8")
    report = check_file(path)
    assert report.error is None, report.error
    r = report.results[number - 1]
    assert (r.verdict, r.carried_from) == (verdict, carried), r
    assert must in r.diagnosis, r.diagnosis
    if must_not:
        assert must_not not in r.diagnosis, r.diagnosis


def test_a_carried_error_meets_expectations_unless_strict(tmp_path: Path):
    path = tmp_path / "chain.toml"
    path.write_text(CHAIN_NET + "\n" + _claims(("u1[1]", "5"), ("a1[1]", "5")), encoding="utf-8")
    root, carried = check_file(path).results
    assert not root.meets_expectation() and not root.meets_expectation(strict_carry=True)
    assert carried.carried and carried.meets_expectation() and not carried.meets_expectation(strict_carry=True)
    counts = check_file(path).counts()
    assert (counts["WRONG"], counts["carried"], counts["ok"], counts["rounding"]) == (2, 1, 0, 0)


# --------------------------------------------------------------------------- property: correct claims stay ok
from closed_reference import closed_derivative, closed_value, on_kink  # noqa: E402
from net_strategies import networks  # noqa: E402


def _net_toml(net) -> str:
    """A derivation file's network, parameters and data for a strategy-drawn network (exact decimals)."""
    def num(f) -> str:
        return str(f.numerator) if f.denominator == 1 else repr(float(f))
    values = net.parameter_values()
    lines = ["[network]", f"layers = {list(net.layers)}", f"activation = {list(net.activations)!r}".replace("'", '"'),
             f'loss = "{net.loss}"', f"bias = {list(net.bias)!r}".replace("'", '"'), "", "[parameters]"]
    for l in range(1, net.depth + 1):
        rows = [[num(values[f"W{l}[{i},{j}]"]) for j in range(1, net.layers[l - 1] + 1)]
                for i in range(1, net.layers[l] + 1)]
        lines.append(f"W{l} = [" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]")
        if net.bias[l - 1] == "per-neuron":
            lines.append(f"b{l} = [" + ", ".join(num(values[f"b{l}[{i}]"]) for i in range(1, net.layers[l] + 1)) + "]")
        elif net.bias[l - 1] == "shared":
            lines.append(f"b{l} = {num(values[f'b{l}'])}")
    lines += ["", "[data]", "x = [" + ", ".join("[" + ", ".join(map(num, r)) + "]" for r in net.x) + "]",
              "y = [" + ", ".join("[" + ", ".join(map(num, r)) + "]" for r in net.y) + "]", ""]
    return "\n".join(lines)


def _fixed(v, digits: int) -> str:
    """``v`` correctly rounded to ``digits`` significant digits, as an author would print it."""
    import sympy as sp
    from decimal import ROUND_HALF_EVEN, Decimal
    if abs(sp.Float(v, 70)) < sp.Float("1e-60"):  # the reference's evalf noise for an identically zero value
        return "0." + "0" * digits
    d = Decimal(str(sp.Float(v, 70)))
    exponent = d.adjusted() - digits + 1
    return str(d.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_EVEN))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks(max_depth=2, max_width=2), digits=st.lists(st.integers(2, 12), min_size=8, max_size=8))
def test_correct_claims_are_never_wrong(tmp_path_factory, net, digits):
    """Correctly rounded claims (truth: sympy.diff of the closed form, tests/closed_reference.py) at 2–12
    significant digits are ok — whatever earlier claims they follow."""
    if on_kink(net):
        return
    names = [f"a{net.depth}[1]", f"u{net.depth}[1]", "L", f"a1[1]"]
    derivatives = [("L", p) for p in list(net.parameter_values())[:4]]
    claims = []
    for k, name in enumerate(names):
        claims.append((name, _fixed(closed_value(net, name), digits[k])))
    for k, (of, wrt) in enumerate(derivatives):
        claims.append((f"d{of}/d{wrt}", _fixed(closed_derivative(net, of, wrt), digits[4 + k])))
    path = tmp_path_factory.mktemp("prop") / "net.toml"
    path.write_text(_net_toml(net) + "\n" + _claims(*claims), encoding="utf-8")
    report = check_file(path)
    assert report.error is None, report.error
    assert [r.verdict for r in report.results if r.verdict != "ok"] == [], report.results
