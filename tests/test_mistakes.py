"""Each entry of the mistake library diagnoses a number made by that mistake, and only a wrong number.

For every entry of :data:`symbolic.claims.mistakes.MISTAKES` a small derivation file is
written with two claims about the same quantity: the number an author gets by
making that mistake, and the correct number. The mistaken number is computed
here, independently of :mod:`symbolic.truth.replay` and :mod:`symbolic.truth.exact`, by
the 2-layer backprop written out below (the chain rule by hand, with the
mistake switched in by hand): plain floats for seed 002's sigmoid network,
exact Fractions for a small identity-activation 2-2-1 network.

The mistaken number must be WRONG with that mistake's description in the
diagnosis; the correct one ok with no diagnosis.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction as F
from pathlib import Path

import pytest

from small_nets import DATA, NETWORK, SEED002_NETWORK, SEED002_VALUES
from symbolic.claims.check import check_file
from symbolic.claims.convolution_mistakes import CONV_MISTAKES
from symbolic.claims.layer_mistakes import LAYER_MISTAKES
from symbolic.claims.mistakes import MISTAKES
from symbolic.claims.optimizer_mistakes import OPTIMIZER_MISTAKES
from symbolic.claims.recurrent_mistakes import RECURRENT_MISTAKES

DESCRIPTION = {m.key: m.description for m in MISTAKES  # those: test_layer/convolution/recurrent_mistakes.py
               if m not in LAYER_MISTAKES + CONV_MISTAKES + RECURRENT_MISTAKES}


# ------------------------------------------------------------------ a 2-layer backprop, by hand
@dataclass(frozen=True)
class Params:
    W1: tuple
    b1: object  # a number (shared bias) or a tuple (one per neuron)
    W2: tuple
    b2: object


def _b(b, i):
    return b[i] if isinstance(b, tuple) else b


def _sum(values, zero):
    total = zero
    for v in values:
        total = total + v
    return total


@dataclass(frozen=True)
class Net:
    """f1/f2 and their derivatives; half squared error; one sample x, y."""

    f: object
    fprime: object  # f'(u)
    x: tuple
    y: tuple
    lr: object
    zero: object

    def forward(self, p: Params):
        u1 = [_sum((p.W1[i][j] * self.x[j] for j in range(len(self.x))), self.zero) + _b(p.b1, i)
              for i in range(len(p.W1))]
        h = [self.f(v) for v in u1]
        u2 = [_sum((p.W2[k][i] * h[i] for i in range(len(h))), self.zero) + _b(p.b2, k) for k in range(len(p.W2))]
        o = [self.f(v) for v in u2]
        return u1, h, u2, o

    def loss(self, p: Params):
        *_, o = self.forward(p)
        return _sum(((ok - yk) * (ok - yk) / 2 for ok, yk in zip(o, self.y)), self.zero)

    def loss_term(self, p: Params, k: int):
        *_, o = self.forward(p)
        return (o[k] - self.y[k]) ** 2 / 2

    def grads(self, p: Params, scale=1, W2_backward=None):
        """dL/dθ; ``scale`` multiplies dL/do (2: ½ dropped, ½: ½ doubled);
        ``W2_backward`` is the W2 used to send the error back to the hidden layer."""
        u1, h, u2, o = self.forward(p)
        d2 = [scale * (o[k] - self.y[k]) * self.fprime(u2[k]) for k in range(len(o))]
        W2b = p.W2 if W2_backward is None else W2_backward
        d1 = [_sum((d2[k] * W2b[k][i] for k in range(len(d2))), self.zero) * self.fprime(u1[i])
              for i in range(len(h))]
        gW2 = tuple(tuple(d2[k] * h[i] for i in range(len(h))) for k in range(len(d2)))
        gW1 = tuple(tuple(d1[i] * self.x[j] for j in range(len(self.x))) for i in range(len(d1)))
        gb2 = tuple(d2) if isinstance(p.b2, tuple) else _sum(d2, self.zero)
        gb1 = tuple(d1) if isinstance(p.b1, tuple) else _sum(d1, self.zero)
        return Params(gW1, gb1, gW2, gb2)

    def step(self, p: Params, update_biases: bool, sign=1, sequential=False):
        """θ ← θ − sign·η·dL/dθ; ``sequential``: hidden gradients use the already-updated W2."""
        g = self.grads(p)
        eta = self.lr * sign

        def upd(v, dv):
            if isinstance(v, tuple):
                return tuple(upd(a, b) for a, b in zip(v, dv))
            return v - eta * dv

        if sequential:
            g = replace(g, W1=self.grads(p, W2_backward=upd(p.W2, g.W2)).W1,
                        b1=self.grads(p, W2_backward=upd(p.W2, g.W2)).b1)
        return Params(upd(p.W1, g.W1), upd(p.b1, g.b1) if update_biases else p.b1,
                      upd(p.W2, g.W2), upd(p.b2, g.b2) if update_biases else p.b2)

    def train(self, p: Params, n: int, update_biases: bool, **mistake):
        for _ in range(n):
            p = self.step(p, update_biases, **mistake)
        return p


def printed(value, decimals: int) -> str:
    """``value`` correctly rounded to ``decimals`` places, as an author would print it."""
    with localcontext() as ctx:
        ctx.prec = 80
        d = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, F) else Decimal(repr(value))
        return format(d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN), "f")


# ---------------------------------------------------------------- seed 002 (sigmoid, floats)
def sigmoid(u):
    return 1 / (1 + math.exp(-u))


def dsigmoid(u):
    s = sigmoid(u)
    return s * (1 - s)


S = Net(sigmoid, dsigmoid, (0.05, 0.10), (0.01, 0.99), 0.5, 0.0)
S0 = Params(((0.15, 0.20), (0.25, 0.30)), 0.35, ((0.40, 0.45), (0.50, 0.55)), 0.60)
SU1, SH, SU2, SO = S.forward(S0)
SG = S.grads(S0)

SEED002 = SEED002_NETWORK + "update_biases = false\n" + SEED002_VALUES + """
[aliases]
w1 = "W1[1,1]"
w2 = "W1[1,2]"
w3 = "W1[2,1]"
w5 = "W2[1,1]"
w6 = "W2[1,2]"
w7 = "W2[2,1]"
net_o1 = "u2[1]"
out_h1 = "a1[1]"
out_o1 = "a2[1]"
E_total = "L"
"""

# ------------------------------------------------------- a 2-2-1 identity net (exact Fractions)
I = Net(lambda u: u, lambda u: F(1), (F(1), F(2)), (F(3, 10),), F(1, 10), F(0))
I0 = Params(((F(1, 2), F(-1, 4)), (F(3, 4), F(1, 8))), (F(1, 10), F(-1, 5)), ((F(3, 5), F(-2, 5)),), (F(1, 20),))


def identity_net(update_biases: bool) -> str:
    return NETWORK + f"update_biases = {str(update_biases).lower()}\n" + DATA


def _swap_adjacent(text: str, at: int) -> str:
    assert text[at] != text[at + 1] and text[at].isdigit() and text[at + 1].isdigit()
    return text[:at] + text[at + 1] + text[at] + text[at + 2:]


def _mistype(text: str, at: int) -> str:
    digit = str((int(text[at]) + 3) % 10)
    return text[:at] + digit + text[at + 1:]


_OUT_H1 = printed(SH[0], 9)
_W1_AFTER = lambda n, ub, **m: I.train(I0, n, ub, **m)  # noqa: E731

SOFTMAX_NET = """
[network]
layers = [1, 2]
activation = "softmax"
loss = "half_sse"
bias = "per-neuron"

[parameters]
W1 = [[1], [3]]
b1 = [0, 0]

[data]
x = [[1]]
y = [[0, 1]]
"""
# u = (1, 3): softmax a1 = e/(e + e³) = 1/(1 + e²); normalized without exp: 1/(1 + 3) = 0.25
_SOFTMAX_A1 = 1 / (1 + math.exp(2))

# the identity net with a second sample x = (0, 1), y = 0.1: the batch loss summed is L(sample 1) + L(sample 2)
I2 = replace(I, x=(F(0), F(1)), y=(F(1, 10),))
BATCH_NET = NETWORK + "update_biases = true\n" + DATA.replace("x = [1, 2]", "x = [[1, 2], [0, 1]]").replace(
    "y = [0.3]", "y = [[0.3], [0.1]]")

# (mistake key, file header, claim keys, mistaken number, correct number) — the arithmetic is in the values.
CASES = [
    # the sign flipped: dE/dw5 = −(o1−y1)·o1(1−o1)·h1
    ("sign", SEED002, {"name": "dE_total/dw5"}, printed(-SG.W2[0][0], 9), printed(SG.W2[0][0], 9)),
    ("sign", identity_net(True), {"name": "u1[2]"}, "-0.8", "0.8"),  # u1 = (0.1, 0.8) by hand (small_nets)
    # an updated weight given as its starting value: w5 after one update printed as 0.40
    ("unchanged", SEED002, {"name": "w5", "after": 1}, "0.400000000", printed(S.train(S0, 1, False).W2[0][0], 9)),
    # the hidden δ sent back through dE/dW2 instead of W2: dE/dw1 = Σ_k δ2_k·(∂E/∂W2)[k,1]·h1(1−h1)·x1
    ("delta_from_gradients", SEED002, {"name": "dE_total/dw1"},
     printed(S.grads(S0, W2_backward=SG.W2).W1[0][0], 12), printed(SG.W1[0][0], 12)),
    ("delta_from_gradients", identity_net(True), {"name": "dL/db1[1]"},
     printed(I.grads(I0, W2_backward=I.grads(I0).W2).b1[0], 12), printed(I.grads(I0).b1[0], 12)),
    # softmax as u/Σu: a1[1] = 1/(1+3) instead of e/(e+e³)
    ("softmax_without_exp", SOFTMAX_NET, {"name": "a1[1]"}, "0.2500", printed(_SOFTMAX_A1, 4)),
    # ... and the loss from it: ½(0.25² + 0.25²) = 0.0625 instead of ½(a1² + (a2−1)²) = a1²
    ("softmax_without_exp", SOFTMAX_NET, {"name": "L"}, "0.06250", printed(_SOFTMAX_A1 ** 2, 5)),
    # ∂u1[1]/∂W1[1,2] answered with W1[1,2] = −0.25 instead of x2 = 2
    ("weight_for_input", identity_net(True), {"name": "du1[1]/dW1[1,2]"}, "-0.25", "2"),
    # ∂L/∂W2[1,1] = δ2·W2[1,1] instead of δ2·h1: δ2 = o − y = −0.51, W2[1,1] = 0.6, h1 = u1[1] = 0.1
    ("weight_for_input", identity_net(True), {"name": "dL/dW2[1,1]"}, "-0.306", "-0.051"),
    # the batch loss summed, not averaged: L(sample 1) + L(sample 2)
    ("batch_sum", BATCH_NET, {"name": "L"}, printed(I.loss(I0) + I2.loss(I0), 12),
     printed((I.loss(I0) + I2.loss(I0)) / 2, 12)),
    # a typo in scientific notation: L = 0.13005 printed 1.4005e-1
    ("typo", identity_net(True), {"name": "L"}, "1.4005e-1", "1.3005e-1"),
    # ½ dropped: dE/dw5 = 2(o1−y1)·o1(1−o1)·h1 instead of (o1−y1)·o1(1−o1)·h1
    ("half_dropped", SEED002, {"name": "dE_total/dw5"},
     printed(S.grads(S0, scale=2).W2[0][0], 9), printed(SG.W2[0][0], 9)),
    # ½ dropped on the loss value: Σ(o−y)² instead of ½Σ(o−y)²
    ("half_dropped", identity_net(True), {"name": "L"}, printed(2 * I.loss(I0), 12), printed(I.loss(I0), 12)),
    # ½ applied twice: dE/dw1 halved
    ("half_doubled", SEED002, {"name": "dE_total/dw1"},
     printed(S.grads(S0, scale=0.5).W1[0][0], 12), printed(SG.W1[0][0], 12)),
    # dE/dw6 = (o1−y1)·h2(1−h2)·h2: the hidden unit's derivative where the output's o1(1−o1) belongs
    ("fprime_source_node", SEED002, {"name": "dE_total/dw6"},
     printed((SO[0] - 0.01) * SH[1] * (1 - SH[1]) * SH[1], 9), printed(SG.W2[0][1], 9)),
    # dout_o1/dnet_o1 = net_o1(1 − net_o1) instead of out_o1(1 − out_o1)
    ("fprime_net_input", SEED002, {"name": "dout_o1/dnet_o1"},
     printed(SU2[0] * (1 - SU2[0]), 9), printed(SO[0] * (1 - SO[0]), 9)),
    # ... and inside a gradient: dE/dw5 = (o1−y1)·net_o1(1−net_o1)·h1
    ("fprime_net_input", SEED002, {"name": "dE_total/dw5"},
     printed((SO[0] - 0.01) * SU2[0] * (1 - SU2[0]) * SH[0], 9), printed(SG.W2[0][0], 9)),
    # ... and at a changed point: with w5 = 0.8, net_o1 = 0.8·h1 + 0.45·h2 + 0.6
    ("fprime_net_input", SEED002, {"name": "dout_o1/dnet_o1", "with": {"w5": 0.8}},
     printed((0.8 * SH[0] + 0.45 * SH[1] + 0.6) * (1 - (0.8 * SH[0] + 0.45 * SH[1] + 0.6)), 9),
     printed(dsigmoid(0.8 * SH[0] + 0.45 * SH[1] + 0.6), 9)),
    # ... and after one update: net_o1 = w5'·h1 + w6'·h2 + 0.6 with the updated w5', w6'
    ("fprime_net_input", SEED002, {"name": "dout_o1/dnet_o1", "after": 1},
     printed(S.forward(S.train(S0, 1, False))[2][0] * (1 - S.forward(S.train(S0, 1, False))[2][0]), 9),
     printed(dsigmoid(S.forward(S.train(S0, 1, False))[2][0]), 9)),
    # out_h1 = 0.593269992 printed with two adjacent digits swapped, or one digit mistyped
    ("typo", SEED002, {"name": "out_h1"}, _swap_adjacent(_OUT_H1, 4), _OUT_H1),
    ("typo", SEED002, {"name": "out_h1"}, _mistype(_OUT_H1, 7), _OUT_H1),
    # L = 0.13005 printed to three places with one digit wrong
    ("typo", identity_net(True), {"name": "L"}, "0.140", printed(I.loss(I0), 3)),
    # dE/dw6 (W2[1,2]) given the number of dE/dw7 (W2[2,1]) = (o2−y2)·o2(1−o2)·h1
    ("index_swap", SEED002, {"name": "dE_total/dw6"},
     printed((SO[1] - 0.99) * SO[1] * (1 - SO[1]) * SH[0], 9), printed(SG.W2[0][1], 9)),
    # w2 after one update given w3's updated value
    ("index_swap", SEED002, {"name": "w2", "after": 1},
     printed(S.train(S0, 1, False).W1[1][0], 9), printed(S.train(S0, 1, False).W1[0][1], 9)),
    # out_o1 with w5 = 0.8, computed with w6 = 0.8 instead: σ(0.4·h1 + 0.8·h2 + 0.6) vs σ(0.8·h1 + 0.45·h2 + 0.6)
    ("moved_change", SEED002, {"name": "out_o1", "with": {"w5": 0.8}},
     printed(sigmoid(0.4 * SH[0] + 0.8 * SH[1] + 0.6), 9), printed(sigmoid(0.8 * SH[0] + 0.45 * SH[1] + 0.6), 9)),
    # L with W2[1,1] = 0.9, computed with W2[1,2] = 0.9 instead (exact)
    ("moved_change", identity_net(True), {"name": "L", "with": {"W2[1,1]": 0.9}},
     printed(I.loss(replace(I0, W2=((F(3, 5), F(9, 10)),))), 12),
     printed(I.loss(replace(I0, W2=((F(9, 10), F(-2, 5)),))), 12)),
    # seed 002 keeps b2 fixed at 0.6; updated it would be 0.6 − 0.5·(δo1 + δo2)
    ("biases_flipped_on", SEED002, {"name": "b2", "after": 1},
     printed(0.6 - 0.5 * SG.b2, 9), printed(0.6, 9)),
    # L after two updates with fixed biases, computed with the biases updated too (exact)
    ("biases_flipped_on", identity_net(False), {"name": "L", "after": 2},
     printed(I.loss(I.train(I0, 2, True)), 12), printed(I.loss(I.train(I0, 2, False)), 12)),
    # W1[1,1] after two updates with biases updated, computed with the biases left fixed (exact)
    ("biases_flipped_off", identity_net(True), {"name": "W1[1,1]", "after": 2},
     printed(I.train(I0, 2, False).W1[0][0], 12), printed(I.train(I0, 2, True).W1[0][0], 12)),
    # W1[2,2] after 3 updates given its value after 4 (exact)
    ("one_update_more", identity_net(True), {"name": "W1[2,2]", "after": 3},
     printed(I.train(I0, 4, True).W1[1][1], 12), printed(I.train(I0, 3, True).W1[1][1], 12)),
    # w5 after 1 update given its value after 2
    ("one_update_more", SEED002, {"name": "w5", "after": 1},
     printed(S.train(S0, 2, False).W2[0][0], 9), printed(S.train(S0, 1, False).W2[0][0], 9)),
    # L after 3 updates given L after 2 (exact)
    ("one_update_fewer", identity_net(True), {"name": "L", "after": 3},
     printed(I.loss(I.train(I0, 2, True)), 12), printed(I.loss(I.train(I0, 3, True)), 12)),
    # w1 after 2 updates given w1 after 1 (0.149780716)
    ("one_update_fewer", SEED002, {"name": "w1", "after": 2},
     printed(S.train(S0, 1, False).W1[0][0], 9), printed(S.train(S0, 2, False).W1[0][0], 9)),
    # w5 + 0.5·dE/dw5 instead of w5 − 0.5·dE/dw5
    ("sign_flipped", SEED002, {"name": "w5", "after": 1},
     printed(0.40 + 0.5 * SG.W2[0][0], 9), printed(0.40 - 0.5 * SG.W2[0][0], 9)),
    ("sign_flipped", identity_net(True), {"name": "b1[2]", "after": 1},
     printed(I.train(I0, 1, True, sign=-1).b1[1], 12), printed(I.train(I0, 1, True).b1[1], 12)),
    # w1 after 1 update, the hidden error sent back through the already-updated w5..w8
    ("sequential_update", SEED002, {"name": "w1", "after": 1},
     printed(S.train(S0, 1, False, sequential=True).W1[0][0], 12), printed(S.train(S0, 1, False).W1[0][0], 12)),
    ("sequential_update", identity_net(True), {"name": "W1[1,2]", "after": 1},
     printed(I.train(I0, 1, True, sequential=True).W1[0][1], 12), printed(I.train(I0, 1, True).W1[0][1], 12)),
]


def _toml_value(v) -> str:
    if isinstance(v, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml_value(x)}' for k, x in v.items()) + " }"
    if isinstance(v, str):
        return f'"{v}"'
    return repr(v)


def claim_toml(keys: dict, value: str) -> str:
    return "\n[[claims]]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in {**keys, "value": value}.items())


@pytest.mark.parametrize("key, header, claim, wrong, right", CASES,
                         ids=[f"{c[0]}-{c[2]['name']}-{k}" for k, c in enumerate(CASES)])
def test_mistake_is_diagnosed(tmp_path: Path, key, header, claim, wrong, right):
    assert wrong != right
    path = tmp_path / f"{key}.toml"
    path.write_text(header + claim_toml(claim, wrong) + claim_toml(claim, right), encoding="utf-8")
    report = check_file(path)
    assert report.error is None
    bad, good = report.results
    assert (bad.verdict, good.verdict) == ("WRONG", "ok"), (bad, good)
    assert DESCRIPTION[key] in bad.diagnosis, bad.diagnosis
    assert good.diagnosis == ""


def test_every_mistake_has_a_test():
    training = {m.key for m in OPTIMIZER_MISTAKES}  # tested in tests/test_optimizer_mistakes.py
    assert {case[0] for case in CASES} | training == set(DESCRIPTION)


def test_mistake_keys_are_unique():
    assert len({m.key for m in MISTAKES}) == len(MISTAKES)


def test_hand_backprop_reproduces_seed002():
    """The hand backprop above is itself checked against the tutorial's published figures."""
    assert printed(SO[0], 8) == "0.75136507"
    assert printed(SG.W2[0][0], 9) == "0.082167041"
    assert printed(SG.W1[0][0], 9) == "0.000438568"
    assert printed(S.train(S0, 1, False).W2[0][0], 8) == "0.35891648"
    assert printed(S.train(S0, 1, False).W1[0][0], 9) == "0.149780716"


RELU_AT_KINK = """
[network]
layers = [1, 2, 1]
activation = ["relu", "identity"]
loss = "half_sse"
bias = "per-neuron"
learning_rate = 0.1

[data]
x = [1]
y = [0.5]

[parameters]
W1 = [[1], [-1]]
b1 = [0, 1]
W2 = [[2, 3]]
b2 = [0]

[[claims]]
name = "W1[1,1]"
after = 1
value = "0.5"
"""


def test_a_mistake_that_cannot_be_replayed_does_not_cost_the_verdict(tmp_path: Path):
    """u1[2] = −1 + 1 = 0 sits on relu's kink, so replaying some mistakes (two updates) fails;
    the claim still gets its verdict. By hand: u1[1] = 1 > 0, o = 2·1 + 3·relu(0) = 2,
    dL/dW1[1,1] = (o − y)·W2[1,1]·x = 1.5·2·1 = 3, so W1[1,1] ← 1 − 0.1·3 = 0.7 ≠ 0.5."""
    path = tmp_path / "kink.toml"
    path.write_text(RELU_AT_KINK, encoding="utf-8")
    (result,) = check_file(path).results
    assert result.verdict == "WRONG", result
    assert result.exact.startswith("0.7")


# (mistake key, header, claim keys, a WRONG number that mistake must NOT be blamed for) — why on the right
NOT_DIAGNOSED = [
    ("typo", identity_net(True), {"name": "L"}, "0.5"),   # L = 0.13005 → "0.1"; one printed digit proves nothing
    ("typo", identity_net(True), {"name": "L"}, "0.19"),  # "0.13" vs "0.19": two digits are still too few
]


@pytest.mark.parametrize("key, header, claim, wrong", NOT_DIAGNOSED,
                         ids=[f"{c[0]}-{c[3]}" for c in NOT_DIAGNOSED])
def test_mistake_is_not_blamed(tmp_path: Path, key, header, claim, wrong):
    path = tmp_path / f"{key}.toml"
    path.write_text(header + claim_toml(claim, wrong), encoding="utf-8")
    (result,) = check_file(path).results
    assert result.verdict == "WRONG"
    assert DESCRIPTION[key] not in result.diagnosis, result.diagnosis


# ------------------------------------------------------------------ the chance rule of searched diagnoses
WIDE = """
[network]
layers = [1, 16, 1]
activation = ["sigmoid", "identity"]
loss = "half_sse"
bias = "none"

[parameters]
W1 = [[{w1}]]
W2 = [[{w2}]]

[data]
x = [[1]]
y = [[0]]
"""


def _wide_net() -> tuple[str, list[float]]:
    """A 1-16-1 net; dL/dW2[1,j] = (o − y)·σ(W1[j]) with o = Σ W2[j] σ(W1[j]) (computed here by hand)."""
    w1 = [round(-1.5 + 0.2 * j, 1) for j in range(16)]
    w2 = [round(0.1 * ((j * 7) % 11) - 0.5, 1) for j in range(16)]
    h = [sigmoid(w) for w in w1]
    o = sum(a * b for a, b in zip(w2, h))
    text = WIDE.replace("W1 = [[{w1}]]", "W1 = [" + ", ".join(f"[{w}]" for w in w1) + "]").replace(
        "W2 = [[{w2}]]", "W2 = [[" + ", ".join(map(str, w2)) + "]]")
    return text, [o * hj for hj in h]


def test_a_searched_diagnosis_needs_digits_that_single_out_the_candidate(tmp_path: Path):
    """15 siblings: a number names another entry only when printed with ⌈log10 15⌉ + 2 = 4 or more
    significant digits; at 2 digits a match says nothing (it is WRONG with no index diagnosis)."""
    text, grads = _wide_net()
    claims = ""
    for digits in (2, 6):
        value = f"{grads[9]:.{digits}g}"  # the number of W2[1,10], claimed for W2[1,1]
        claims += f'\n[[claims]]\nname = "dL/dW2[1,1]"\nvalue = "{value}"\n'
    path = tmp_path / "wide.toml"
    path.write_text(text + claims, encoding="utf-8")
    short, long = check_file(path).results
    assert (short.verdict, long.verdict) == ("WRONG", "WRONG"), (short, long)
    assert DESCRIPTION["index_swap"] not in short.diagnosis, short.diagnosis
    assert "belongs to W2[1,10]" in long.diagnosis, long.diagnosis


# -------------------------------------------------------------------- a file-level pattern, said once
def test_every_wrong_number_off_by_one_loss_factor_is_said_once(tmp_path: Path):
    """Every number of the identity net computed with Σ(y−a)² while the file says ½Σ(y−a)² (by hand: L
    doubles, every gradient doubles): one note naming sse, no per-claim index or typo diagnosis."""
    g = I.grads(I0, scale=2)
    claims = "".join(f'\n[[claims]]\nname = "{n}"\nvalue = "{v}"\n' for n, v in [
        ("L", printed(2 * I.loss(I0), 12)), ("dL/dW2[1,1]", printed(g.W2[0][0], 12)),
        ("dL/dW1[1,2]", printed(g.W1[0][1], 12))])
    path = tmp_path / "sse.toml"
    path.write_text(identity_net(True) + claims, encoding="utf-8")
    report = check_file(path)
    assert [r.verdict for r in report.results] == ["WRONG"] * 3
    assert len(report.notes) == 1 and "the loss these numbers use is sse" in report.notes[0], report.notes
    assert all(r.diagnosis.startswith("the file-level pattern") for r in report.results), report.results


def test_every_update_off_by_one_learning_rate_is_said_once(tmp_path: Path):
    """The identity net's updates computed with η = 0.2 while the file says 0.1 (by hand: I2x steps with
    twice the learning rate): one note naming the rate, each root claim's diagnosis the pattern."""
    twice = replace(I, lr=F(1, 5))
    after = twice.train(I0, 1, True)
    claims = "".join(f'\n[[claims]]\nname = "{n}"\nvalue = "{v}"\nafter = 1\n' for n, v in [
        ("W2[1,1]", printed(after.W2[0][0], 12)), ("W1[1,2]", printed(after.W1[0][1], 12)),
        ("b1[2]", printed(after.b1[1], 12))])
    path = tmp_path / "rate.toml"
    path.write_text(identity_net(True) + claims, encoding="utf-8")
    report = check_file(path)
    assert [r.verdict for r in report.results] == ["WRONG"] * 3, report.results
    assert report.notes == ["every WRONG number is what a learning rate of 1/5 gives (twice the declared 1/10)"], \
        report.notes
    assert all(r.diagnosis.startswith("the file-level pattern") for r in report.results), report.results
