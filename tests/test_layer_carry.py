"""Carried errors in ``[[layer]]`` files: a claim recomputed from the author's own earlier numbers (batch
evaluation with pins). Every expected number is a hand calculation written beside its row (Fractions);
nothing is computed by the code under test.

DENSE — the chain net of tests/test_carry.py as a layer list: dense 1 → dense 1, identity, ½(y − a)²,
W1 = 2, b1 = 1, W2 = 3, b2 = 0, x = 1, y = 1, η = 0.1  ⇒  u1 = a1 = 3, u2 = a2 = 9, dL/du2 = 8,
dL/dW2 = 8·3 = 24, dL/da1 = 8·3 = 24, W2 after one update 3 − 0.1·24 = 0.6.

ROUNDED — the same layers with W1 = 0.35, b1 = 0, W2 = 0.7, x = 0.7: a1 = 0.245 ("0.25" is ok at two
decimals), u2 = 0.7·0.245 = 0.1715; the author's 0.7·0.25 = 0.175 is 3.5 units of 0.001 off the truth.

BN — batchnorm (ε = 0, γ = 3, β = 0) over a batch of 4 of one feature, then dense 1 identity (W2 = 1, b2 = 0):
x = 0, 2, 2, 8  ⇒  μ = 3, d = x − μ = −3, −1, −1, 5, σ² = (9 + 1 + 1 + 25)/4 = 9, s = √9 = 3,
x̂ = −1, −1/3, −1/3, 5/3, a1 = γ x̂ = −3, −1, −1, 5 = a2; y = −3, −1, −1, 1  ⇒ residuals 0, 0, 0, 4 and
dL/da2 (batch mean) = r/4 = 0, 0, 0, 1; dL/dx̂ = γ·dL/da1 = 0, 0, 0, 3;
dL/dσ² = −½ s⁻³ Σ dL/dx̂·d = −½·(1/27)·15 = −5/18;  dL/dμ = −Σ dL/dx̂ / s = −1;
dL/dx_s = dL/dx̂_s / s + dL/dσ²·2 d_s/4 + dL/dμ/4: sample 1: 0 + (−5/18)(−3/2) − 1/4 = 5/12 − 3/12 = 1/6.

LN — layernorm (ε = 0, γ = 3, 1, 1, 1, β = 0) of one sample of 4 features as the last layer, ½Σ(y − a)²:
x = 0, 2, 2, 8  ⇒  μ = 3, d = −3, −1, −1, 5, σ² = 36/4 = 9, x̂ = −1, −1/3, −1/3, 5/3, a = −3, −1/3, −1/3, 5/3.

CONV — conv2d 1×2×2 → 1×1×1 (kernel 2, no bias, identity), flatten, dense 1 (W3 = 1, no bias): x = 1, 2, 3, 4,
K = [[1, 0], [0, 1]]  ⇒  u1 = 1·1 + 4·1 = 5 = a1 = out, y = 4, dL/du1 = 1, dL/dK1[1,1,1,1] = 1·x[1] = 1.

POOL — dense 4 (identity, W1 = I, no bias) → maxpool 2×2 of a 1×2×2 → flatten → dense 1 (W4 = 2, no bias):
x = 1, 5, 9, 3 = a1, max 9 at a1[3], out = 18, y = 17, dL/dpool = 2, dL/da1 = 0, 0, 2, 0.

RNN — rnn, hidden 1, 2 steps, identity, Wx = 1, Wh = 2, b = 0, Wy = 1, by = 0, emit = "last", x = 1, 1, y = 1:
h_1 = 1, u_2 = 1 + 2·1 = 3 = h_2 = ŷ_2, dL/dŷ_2 = 3 − 1 = 2 = dL/dh_2 = dL/du_2, dL/dh_1 = Wh·2 = 4.

DROP — dense 2 (identity, W1 = [1, 1]ᵀ, no bias) → dropout p = 1/2, mask [1, 0] → dense 1 (W3 = [1, 1], no bias),
x = 1, y = 0: a1 = 1, 1, a2 = 1·1/(1 − ½), 0 = 2, 0, u3 = 2, dL/du3 = 2 = dL/da2[1], dL/da1[1] = 2·1/(1 − ½) = 4.

TANH — rnn, hidden 1, 1 step, tanh, Wx = 1, b = 0, Wy = 1, by = 0, x = 1, y = 0: h = tanh(1) = 0.76159…, ŷ = h,
dL/dh = ŷ − y = tanh(1), dL/du = tanh(1)·(1 − tanh²(1)). An author who writes tanh′ as 1 − h² takes it from their
own printed h.

LSTM — lstm, hidden 1, 1 step, every weight and bias 0, Wy = 1, x = 1, y = 0: every gate's pre-activation is 0,
i = f = o = σ(0) = 1/2, g = tanh(0) = 0, c = f·0 + i·g = 0, h = o·tanh(0) = 0 = ŷ, so every adjoint is 0.
"""
from __future__ import annotations

import math
from fractions import Fraction as F
from pathlib import Path

import pytest

from symbolic.claims.check import check_file

DENSE = """
[network]
inputs = 1
loss = "half_sse"
learning_rate = 0.1

[[layer]]
kind = "dense"
units = 1

[[layer]]
kind = "dense"
units = 1

[parameters]
W1 = [[2]]
b1 = [1]
W2 = [[3]]
b2 = [0]

[data]
x = [[1]]
y = [[1]]
"""

ROUNDED = DENSE.replace("W1 = [[2]]", "W1 = [[0.35]]").replace("b1 = [1]", "b1 = [0]") \
    .replace("W2 = [[3]]", "W2 = [[0.7]]").replace("x = [[1]]", "x = [[0.7]]")

BN = """
[network]
inputs = 1
loss = "half_sse"

[[layer]]
kind = "batchnorm"
eps = 0

[[layer]]
kind = "dense"
units = 1

[parameters]
gamma1 = [3]
beta1 = [0]
W2 = [[1]]
b2 = [0]

[data]
x = [[0], [2], [2], [8]]
y = [[-3], [-1], [-1], [1]]
"""

RNN = """
[network]
inputs = 2
loss = "half_sse"

[[layer]]
kind = "rnn"
hidden = 1
steps = 2
activation = "identity"
outputs = 1
emit = "last"

[parameters]
Wx1 = [[1]]
Wh1 = [[2]]
b1 = [0]
Wy1 = [[1]]
by1 = [0]

[data]
x = [1, 1]
y = [1]
"""

LN = """
[network]
inputs = 4
loss = "half_sse"

[[layer]]
kind = "layernorm"
eps = 0

[parameters]
gamma1 = [3, 1, 1, 1]
beta1 = [0, 0, 0, 0]

[data]
x = [[0, 2, 2, 8]]
y = [[0, 0, 0, 0]]
"""

CONV = """
[network]
inputs = 4
loss = "half_sse"

[[layer]]
kind = "conv2d"
input = [1, 2, 2]
channels = 1
kernel = 2
bias = "none"

[[layer]]
kind = "flatten"

[[layer]]
kind = "dense"
units = 1
bias = "none"

[parameters]
K1 = [[[[1, 0], [0, 1]]]]
W3 = [[1]]

[data]
x = [1, 2, 3, 4]
y = [4]
"""

POOL = """
[network]
inputs = 4
loss = "half_sse"

[[layer]]
kind = "dense"
units = 4
bias = "none"

[[layer]]
kind = "maxpool"
input = [1, 2, 2]
size = 2

[[layer]]
kind = "flatten"

[[layer]]
kind = "dense"
units = 1
bias = "none"

[parameters]
W1 = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
W4 = [[2]]

[data]
x = [[1, 5, 9, 3]]
y = [[17]]
"""

DROP = """
[network]
inputs = 1
loss = "half_sse"

[[layer]]
kind = "dense"
units = 2
bias = "none"

[[layer]]
kind = "dropout"
p = 0.5
mask = [[1, 0]]

[[layer]]
kind = "dense"
units = 1
bias = "none"

[parameters]
W1 = [[1], [1]]
W3 = [[1, 1]]

[data]
x = [[1]]
y = [[0]]
"""

TANH = """
[network]
inputs = 1
loss = "half_sse"

[[layer]]
kind = "rnn"
hidden = 1
steps = 1
outputs = 1
emit = "last"

[parameters]
Wx1 = [[1]]
Wh1 = [[0]]
b1 = [0]
Wy1 = [[1]]
by1 = [0]

[data]
x = [1]
y = [0]
"""

LSTM = """
[network]
inputs = 1
loss = "half_sse"

[[layer]]
kind = "lstm"
hidden = 1
steps = 1
outputs = 1
emit = "last"

[parameters]
""" + "".join(f"Wx{g}1 = [[0]]\nWh{g}1 = [[0]]\nb{g}1 = [0]\n" for g in "figo") + """Wy1 = [[1]]
by1 = [0]

[data]
x = [1]
y = [0]
"""


def _dec(f: F, places: int) -> str:
    """A hand-computed Fraction printed to ``places`` decimals (exact when it terminates)."""
    scaled = round(f * 10 ** places)
    sign = "-" if scaled < 0 else ""
    text = str(abs(scaled)).rjust(places + 1, "0")
    return f"{sign}{text[:-places]}.{text[-places:]}" if places else f"{sign}{text}"


def _claims(*rows: tuple) -> str:
    out = []
    for row in rows:
        name, value, *rest = row
        extra = rest[0] if rest else {}
        lines = [f'[[claims]]', f'name = "{name}"', f'value = "{value}"'] + [f"{k} = {v}" for k, v in extra.items()]
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)


# (a printed integer is read to the unit: 2 for a true 1 is one unit off, "rounding" — so these print a decimal)
# a WRONG early number and the later ones the author computes from it, by hand:
# BN, μ claimed 5 (truth 3: two units off; 4 would be one unit, "rounding") with σ² = 9 kept:
# x̂ of sample 1 = (0 − 5)/√9 = −5/3
XHAT_FROM_MU = F(0 - 5, 3)
# BN, x̂ of sample 2 claimed −0.5 (truth −1/3): a1 = γ x̂ + β = 3·(−1/2) + 0
A_FROM_XHAT = 3 * F(-1, 2)
# BN, dL/dσ² claimed −0.5 (truth −5/18): dL/dx_1 = 0/3 + (−1/2)(2·(−3)/4) + (−1)/4 = 3/4 − 1/4
DX_FROM_DVAR = F(0, 3) + F(-1, 2) * F(2 * -3, 4) + F(-1, 4)
# BN, dL/dx̂ of sample 4 claimed 6 (truth 3): dL/dσ² = −½·(1/27)·(6·5) = −5/9, dL/dμ = −6/3 = −2,
# dL/dx_1 = 0/3 + (−5/9)(2·(−3)/4) + (−2)/4 = 5/6 − 1/2
DVAR_FROM_GXHAT = F(-1, 2) * F(1, 27) * 6 * 5
DMU_FROM_GXHAT = -F(6, 3)
DX_FROM_GXHAT = F(0, 3) + DVAR_FROM_GXHAT * F(2 * -3, 4) + DMU_FROM_GXHAT / 4
# BN, rounded: x̂ of sample 2 printed −0.33 (ok: truth −1/3), the author's a1 = 3·(−0.33) = −0.99 (truth −1:
# 10 units of 0.001)
A_FROM_ROUNDED_XHAT = 3 * F(-33, 100)
# RNN, h_1 claimed 2 (truth 1): u_2 = Wx·x_2 + Wh·h_1 = 1 + 2·2 = 5 = h_2 (identity)
H2_FROM_H1 = 1 * 1 + 2 * 2
# RNN, dL/dh_2 claimed 3 (truth 2): dL/dh_1 = Wh·dL/du_2 = 2·3 (identity: du_2 = dh_2)
DH1_FROM_DH2 = 2 * 3
# DENSE, from the author's a1 = 5: a2 = 3·5 = 15, δ2 = 15 − 1 = 14, dL/dW2 = 14·5 = 70
DW2_FROM_A1 = (3 * 5 - 1) * 5
# DENSE, the update from the author's gradient 26 (truth 24): W2 = 3 − 0.1·26
W2_FROM_GRADIENT = 3 - F(1, 10) * 26

# LN, μ claimed 5.0 (truth 3) with σ² = 9: x̂1 = (0 − 5)/3; x̂1 claimed −0.5 (truth −1): a1 = γ1 x̂1 = 3·(−1/2);
# x̂2 printed −0.33 (ok: truth −1/3): a2 = 1·(−0.33) = −0.330 (truth −0.3333…: 3.3 units of 0.001)
LN_XHAT_FROM_MU = F(0 - 5, 3)
LN_A_FROM_XHAT = 3 * F(-1, 2)
LN_A_FROM_ROUNDED = 1 * F(-33, 100)
# CONV, u1 claimed 7 (truth 5): a1 = u1 (identity)
A_FROM_U = 7
# CONV, dL/du1 claimed 3 (truth 1): dL/dK1[1,1,1,1] = 3·x[1] = 3, dL/dx[4] = 3·K[2,2] = 3
DK_FROM_DU = 3 * 1
# POOL, a1[3] claimed 4 (truth 9): the window is then 1, 5, 4, 3, its maximum 5 (a1[2]): pool = 5, out = 2·5 = 10,
# dL/dout = 10 − 17 = −7, dL/dpool = 2·(−7) = −14, routed to a1[2]
POOL_FROM_A = max(1, 5, 4, 3)
DA2_FROM_A = 2 * (2 * POOL_FROM_A - 17)

# DROP, the author's a2[1] = 3 (truth 2): u3 = 1·3 + 1·0; their dL/da2[1] = 5 (truth 2): dL/da1[1] = 5·1/(1 − ½)
DROP_U_FROM_A = 1 * 3 + 1 * 0
DROP_DA_FROM_DA = 5 * 1 / (1 - F(1, 2))
# TANH, the author's h = 0.5 (truth tanh(1) = 0.7616) alone: ŷ = 0.5, dL/dh = 0.5 − 0, dL/du = 0.5·(1 − 0.5²);
# with their dL/dh = 0.8 too: dL/du = 0.8·(1 − 0.5²) (the true tanh′(1) would give 0.8·0.41997 = 0.336)
TANH_DU_FROM_H = F(1, 2) * (1 - F(1, 2) ** 2)
TANH_DU_FROM_H_AND_DH = F(8, 10) * (1 - F(1, 2) ** 2)
# LSTM, the author's i = 0.60 (truth 1/2) and g = 0.40 (truth 0): c = f·c0 + i·g = 0 + 0.6·0.4;
# their dL/dc = 0.80 (truth 0): dL/dg = dL/dc·i = 0.8·(1/2), dL/dug = dL/dg·tanh′(0) = 0.4·1
LSTM_C_FROM_GATES = F(6, 10) * F(4, 10)
LSTM_DG_FROM_DC = F(8, 10) * F(1, 2)

S = {"sample": 1}
S2, S4 = {"sample": 2}, {"sample": 4}

# (id, net, claims, claim number, verdict, carried_from, diagnosis must contain, must not contain)
CASES = [
    ("dense-node-from-wrong-node", DENSE, [("u1[1]", "5"), ("a1[1]", "5")], 2, "WRONG", [1],
     "carried from claim 1 (u1[1] = 5, itself WRONG", "typo"),
    ("dense-two-levels", DENSE, [("u1[1]", "5"), ("a1[1]", "5"), ("u2[1]", "15")], 3, "WRONG", [2],
     "its root is claim 1 (u1[1] = 5", "typo"),
    ("dense-gradient-from-wrong-activation", DENSE, [("a1[1]", "5"), ("dL/dW2[1,1]", str(DW2_FROM_A1))], 2,
     "WRONG", [1], "carried from claim 1", ""),
    ("dense-update-from-wrong-gradient", DENSE,
     [("dL/dW2[1,1]", "26"), ("W2[1,1]", _dec(W2_FROM_GRADIENT, 1), {"after": 1})], 2, "WRONG", [1],
     "carried from claim 1 (dL/dW2[1,1] = 26", ""),
    ("dense-root-stays-root", DENSE, [("u1[1]", "3"), ("a1[1]", "5")], 2, "WRONG", [], "", "carried"),
    ("dense-from-rounded", ROUNDED, [("a1[1]", "0.25"), ("u2[1]", "0.175")], 2, "rounding", [1],
     "computed from the rounded a1[1] = 0.25 of claim 1", "typo"),
    ("dense-rounded-not-reproduced", ROUNDED, [("a1[1]", "0.25"), ("u2[1]", "0.178")], 2, "WRONG", [], "",
     "computed from"),
    # batch norm: the author's μ (and their σ²) give their x̂
    ("bn-xhat-from-wrong-mu", BN, [("mu1[1]", "5"), ("var1[1]", "9"), ("xhat1[1]", _dec(XHAT_FROM_MU, 4), S)], 3,
     "WRONG", [1, 2], "carried from claim 1 (mu1[1] = 5, itself WRONG", "typo"),
    ("bn-output-from-wrong-xhat", BN, [("xhat1[1]", "-0.5", S2), ("a1[1]", _dec(A_FROM_XHAT, 1), S2)], 2, "WRONG",
     [1], "carried from claim 1 (xhat1[1] = -0.5", ""),
    ("bn-dx-from-wrong-dvar", BN, [("dL/dvar1[1]", "-0.5"), ("dL/dx[1]", _dec(DX_FROM_DVAR, 1), S)], 2, "WRONG",
     [1], "carried from claim 1 (dL/dvar1[1] = -0.5", ""),
    ("bn-dmu-from-wrong-dxhat", BN, [("dL/dxhat1[1]", "6", S4), ("dL/dmu1[1]", _dec(DMU_FROM_GXHAT, 1))], 2,
     "WRONG", [1], "carried from claim 1 (dL/dxhat1[1] = 6", ""),
    ("bn-dx-from-wrong-dxhat", BN, [("dL/dxhat1[1]", "6", S4), ("dL/dx[1]", _dec(DX_FROM_GXHAT, 4), S)], 2,
     "WRONG", [1], "carried from claim 1 (dL/dxhat1[1] = 6", ""),
    ("bn-output-from-rounded-xhat", BN, [("xhat1[1]", "-0.33", S2), ("a1[1]", _dec(A_FROM_ROUNDED_XHAT, 3), S2)], 2,
     "rounding", [1], "computed from the rounded xhat1[1] = -0.33 of claim 1", "typo"),
    # layer norm: the sample's μ and σ², its x̂, and the output a = γ x̂ + β
    ("ln-xhat-from-wrong-mu", LN, [("mu1", "5.0"), ("var1", "9"), ("xhat1[1]", _dec(LN_XHAT_FROM_MU, 4))], 3, "WRONG",
     [1, 2], "carried from claim 1 (mu1 = 5.0, itself WRONG", "typo"),
    ("ln-output-from-wrong-xhat", LN, [("xhat1[1]", "-0.5"), ("a1[1]", _dec(LN_A_FROM_XHAT, 2))], 2, "WRONG", [1],
     "carried from claim 1 (xhat1[1] = -0.5", ""),
    ("ln-output-from-rounded-xhat", LN, [("xhat1[2]", "-0.33"), ("a1[2]", _dec(LN_A_FROM_ROUNDED, 3))], 2, "rounding",
     [1], "computed from the rounded xhat1[2] = -0.33 of claim 1", "typo"),
    # a correct number after the author's wrong one is simply ok
    ("bn-independent-ok", BN, [("xhat1[1]", "-0.5", S2), ("a1[1]", "-1", S2)], 2, "ok", [], "", "carried"),
    # dropout: its outputs and their adjoints
    ("dropout-next-layer-from-wrong-output", DROP, [("a2[1]", "3.0"), ("u3[1]", _dec(F(DROP_U_FROM_A), 1))], 2,
     "WRONG", [1], "carried from claim 1 (a2[1] = 3.0", ""),
    ("dropout-input-adjoint-from-wrong-output-adjoint", DROP,
     [("dL/da2[1]", "5.0"), ("dL/da1[1]", _dec(DROP_DA_FROM_DA, 1))], 2, "WRONG", [1],
     "carried from claim 1 (dL/da2[1] = 5.0", ""),
    # convolution and pooling: the author's pre-activation, its adjoint, and a wrong number that moves the maximum
    ("conv-output-from-wrong-u", CONV, [("u1[1,1,1]", "7.0"), ("a1[1,1,1]", _dec(F(A_FROM_U), 1))], 2, "WRONG",
     [1], "carried from claim 1 (u1[1,1,1] = 7.0", ""),
    ("conv-kernel-gradient-from-wrong-du", CONV, [("dL/du1[1,1,1]", "3.0"), ("dL/dK1[1,1,1,1]", _dec(F(DK_FROM_DU), 1))],
     2, "WRONG", [1], "carried from claim 1 (dL/du1[1,1,1] = 3.0", ""),
    ("pool-max-moved-by-wrong-input", POOL, [("a1[3]", "4.0"), ("a2[1,1,1]", _dec(F(POOL_FROM_A), 1))], 2, "WRONG",
     [1], "carried from claim 1 (a1[3] = 4.0", ""),
    ("pool-gradient-rerouted-by-wrong-input", POOL, [("a1[3]", "4.0"), ("dL/da1[2]", _dec(F(DA2_FROM_A), 1))], 2,
     "WRONG", [1], "carried from claim 1 (a1[3] = 4.0", ""),
    # recurrent: h_1 pinned → the later steps are the author's
    ("rnn-later-step-from-wrong-h", RNN, [("h1_t1[1]", "2.0"), ("h1_t2[1]", _dec(F(H2_FROM_H1), 1))], 2, "WRONG", [1],
     "carried from claim 1 (h1_t1[1] = 2.0, itself WRONG", "typo"),
    ("rnn-output-from-wrong-h", RNN, [("h1_t1[1]", "2.0"), ("yhat1_t2[1]", _dec(F(H2_FROM_H1), 1))], 2, "WRONG", [1],
     "carried from claim 1 (h1_t1[1] = 2.0", ""),
    ("tanh-slope-from-the-authors-h", TANH, [("h1_t1[1]", "0.5000"), ("dL/du1_t1[1]", _dec(TANH_DU_FROM_H, 4))], 2,
     "WRONG", [1], "carried from claim 1 (h1_t1[1] = 0.5000", ""),
    ("tanh-slope-and-adjoint-from-the-author", TANH,
     [("h1_t1[1]", "0.5000"), ("dL/dh1_t1[1]", "0.8000"), ("dL/du1_t1[1]", _dec(TANH_DU_FROM_H_AND_DH, 4))], 3,
     "WRONG", [1, 2], "carried from claim 1 (h1_t1[1] = 0.5000", ""),
    ("lstm-cell-from-wrong-gates", LSTM, [("i1_t1[1]", "0.60"), ("g1_t1[1]", "0.40"),
                                          ("c1_t1[1]", _dec(LSTM_C_FROM_GATES, 3))], 3, "WRONG", [1, 2],
     "carried from claim 1 (i1_t1[1] = 0.60", ""),
    ("lstm-gate-adjoint-from-wrong-dc", LSTM, [("dL/dc1_t1[1]", "0.80"), ("dL/dg1_t1[1]", _dec(LSTM_DG_FROM_DC, 2))],
     2, "WRONG", [1], "carried from claim 1 (dL/dc1_t1[1] = 0.80", ""),
    ("lstm-preactivation-adjoint-from-wrong-dc", LSTM,
     [("dL/dc1_t1[1]", "0.80"), ("dL/dug1_t1[1]", _dec(LSTM_DG_FROM_DC, 2))], 2, "WRONG", [1],
     "carried from claim 1 (dL/dc1_t1[1] = 0.80", ""),
    ("rnn-earlier-adjoint-from-wrong-dh", RNN, [("dL/dh1_t2[1]", "3.0"), ("dL/dh1_t1[1]", _dec(F(DH1_FROM_DH2), 1))], 2,
     "WRONG", [1], "carried from claim 1 (dL/dh1_t2[1] = 3.0", ""),
]


@pytest.mark.parametrize("net, claims, number, verdict, carried, must, must_not", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_carried_in_a_layer_list(tmp_path: Path, net, claims, number, verdict, carried, must, must_not):
    path = tmp_path / "layers.toml"
    path.write_text(net + "\n" + _claims(*claims), encoding="utf-8")
    report = check_file(path)
    assert report.error is None, report.error
    assert all(r.verdict != "error" for r in report.results), report.results
    r = report.results[number - 1]
    assert (r.verdict, r.carried_from) == (verdict, carried), r
    assert must in r.diagnosis, r.diagnosis
    if must_not:
        assert must_not not in r.diagnosis, r.diagnosis


# the truths the rows above are measured against, by hand (so that a row's "WRONG" is the file's own verdict)
TRUTH_ROWS = [
    (BN, ("mu1[1]", "3")), (BN, ("var1[1]", "9")), (BN, ("xhat1[1]", "-1", S)), (BN, ("xhat1[1]", "-0.3333", S2)),
    (BN, ("a1[1]", "-1", S2)), (BN, ("dL/dvar1[1]", _dec(F(-5, 18), 4))), (BN, ("dL/dmu1[1]", "-1")),
    (BN, ("dL/dxhat1[1]", "3", S4)), (BN, ("dL/dx[1]", _dec(F(5, 12) - F(3, 12), 4), S)),
    (RNN, ("h1_t1[1]", "1")), (RNN, ("h1_t2[1]", "3")), (RNN, ("dL/dh1_t2[1]", "2")), (RNN, ("dL/dh1_t1[1]", "4")),
    (LN, ("mu1", "3")), (LN, ("var1", "9")), (LN, ("xhat1[1]", "-1")), (LN, ("a1[1]", "-3")),
    (LN, ("a1[2]", "-0.3333")),
    (CONV, ("u1[1,1,1]", "5")), (CONV, ("dL/du1[1,1,1]", "1")), (CONV, ("dL/dK1[1,1,1,1]", "1")),
    (POOL, ("a2[1,1,1]", "9")), (POOL, ("dL/da1[2]", "0")), (POOL, ("dL/da1[3]", "2")),
    (TANH, ("h1_t1[1]", f"{math.tanh(1):.4f}")), (TANH, ("dL/dh1_t1[1]", f"{math.tanh(1):.4f}")),
    (TANH, ("dL/du1_t1[1]", f"{math.tanh(1) * (1 - math.tanh(1) ** 2):.4f}")),
    (DROP, ("a2[1]", "2")), (DROP, ("u3[1]", "2")), (DROP, ("dL/da2[1]", "2")), (DROP, ("dL/da1[1]", "4")),
    (LSTM, ("i1_t1[1]", "0.5")), (LSTM, ("g1_t1[1]", "0")), (LSTM, ("c1_t1[1]", "0")), (LSTM, ("dL/dc1_t1[1]", "0")),
    (DENSE, ("dL/dW2[1,1]", "24")), (DENSE, ("W2[1,1]", "0.6", {"after": 1})),
]


@pytest.mark.parametrize("net, row", TRUTH_ROWS, ids=[f"{r[1][0]}={r[1][1]}" for r in TRUTH_ROWS])
def test_the_hand_computed_truths(tmp_path: Path, net, row):
    path = tmp_path / "truth.toml"
    path.write_text(net + "\n" + _claims(row), encoding="utf-8")
    (r,) = check_file(path).results
    assert r.verdict == "ok", r
