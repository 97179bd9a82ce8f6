"""Aidan Gomez's two-step LSTM ("Backpropogating an LSTM: A Numerical Example") as kherud/python-neural-networks,
test/test_layer.py, TestLSTM.test_layer2 prints it (four decimals, in its expected_* arrays).

Gomez's equations, t = 0, 1 (the derivation file's steps 1, 2), out_{-1} = state_{-1} = 0:
a_t = tanh(W_a x_t + U_a out_{t-1} + b_a), i_t = sigma(W_i x_t + U_i out_{t-1} + b_i),
f_t = sigma(W_f x_t + U_f out_{t-1} + b_f), o_t = sigma(W_o x_t + U_o out_{t-1} + b_o),
state_t = a_t i_t + f_t state_{t-1}, out_t = tanh(state_t) o_t; L = sum_t 1/2 (out_t - y_t)^2, y = (0.5, 1.25).
Backward (his notation): Delta_t = out_t - y_t, Delta out_t = U^T delta gates_{t+1} (0 at t = 1),
delta out_t = Delta_t + Delta out_t, delta state_t = delta out_t o_t (1 - tanh^2 state_t) + delta state_{t+1} f_{t+1},
delta a-hat_t = delta state_t i_t (1 - a_t^2), delta i-hat_t = delta state_t a_t i_t (1 - i_t),
delta f-hat_t = delta state_t state_{t-1} f_t (1 - f_t), delta o-hat_t = delta out_t tanh(state_t) o_t (1 - o_t),
delta x_t = W^T delta gates_t; dW = sum_t delta gates_t (x) x_t, dU = sum_t delta gates_{t+1} (x) out_t,
db = sum_t delta gates_t.
Recomputed at 50 digits with mpmath; imports nothing of derivcheck. ``rows()`` lists the printed numbers in the
order of derivations/029-kherud-lstm-two-steps.toml.

Delta_1 = -0.47803 (the test's input) is Gomez's out_1 = 0.77197 minus 1.25; the true out_1 is 0.7719811, so
his out_1 and this Delta_1 are 1.1 units of the fifth decimal off: a last-digit slip of his, not of the test.
"""
from __future__ import annotations

import sys
from pathlib import Path

from mpmath import tanh

sys.path.insert(0, str(Path(__file__).resolve().parent))
from witness import Row, mpf, sigmoid, table  # noqa: E402

__all__ = ["rows", "truth"]

GATES = "aifo"
W = {"a": ("0.45", "0.25"), "i": ("0.95", "0.8"), "f": ("0.7", "0.45"), "o": ("0.6", "0.4")}
U = {"a": "0.15", "i": "0.8", "f": "0.1", "o": "0.25"}
B = {"a": "0.2", "i": "0.65", "f": "0.15", "o": "0.1"}
W = {g: tuple(mpf(w) for w in ws) for g, ws in W.items()}
U = {g: mpf(u) for g, u in U.items()}
B = {g: mpf(b) for g, b in B.items()}
XS = [(mpf(1), mpf(2)), (mpf("0.5"), mpf(3))]
YS = [mpf("0.5"), mpf("1.25")]


def truth() -> dict:
    """Every quantity of the example by Gomez's names, exact to 50 digits."""
    v: dict = {}
    out, state = mpf(0), mpf(0)
    for t, x in enumerate(XS):
        pre = {g: W[g][0] * x[0] + W[g][1] * x[1] + U[g] * out + B[g] for g in GATES}
        v[f"a{t}"] = tanh(pre["a"])
        for g in "ifo":
            v[f"{g}{t}"] = sigmoid(pre[g])
        v[f"prev_state{t}"], v[f"prev_out{t}"] = state, out
        state = v[f"a{t}"] * v[f"i{t}"] + v[f"f{t}"] * state
        out = tanh(state) * v[f"o{t}"]
        v[f"state{t}"], v[f"out{t}"] = state, out
    later_out, later_state, later_f = mpf(0), mpf(0), mpf(0)   # Delta out_t, delta state_{t+1}, f_{t+1}
    for t in (1, 0):
        v[f"Delta{t}"] = v[f"out{t}"] - YS[t]
        d_out = v[f"Delta{t}"] + later_out
        th = tanh(v[f"state{t}"])
        d_state = d_out * v[f"o{t}"] * (1 - th ** 2) + later_state * later_f
        a, i, f, o = (v[f"{g}{t}"] for g in GATES)
        v[f"da{t}"] = d_state * i * (1 - a ** 2)
        v[f"di{t}"] = d_state * a * i * (1 - i)
        v[f"df{t}"] = d_state * v[f"prev_state{t}"] * f * (1 - f)
        v[f"do{t}"] = d_out * th * o * (1 - o)
        v[f"dout{t}"], v[f"dstate{t}"] = d_out, d_state
        for j in (0, 1):
            v[f"dx{t}_{j + 1}"] = sum(W[g][j] * v[f"d{g}{t}"] for g in GATES)
        later_out = sum(U[g] * v[f"d{g}{t}"] for g in GATES)
        later_state, later_f = d_state, f
    for g in GATES:
        for j in (0, 1):
            v[f"dW{g}{j + 1}"] = sum(v[f"d{g}{t}"] * XS[t][j] for t in (0, 1))
        v[f"dU{g}"] = sum(v[f"d{g}{t}"] * v[f"prev_out{t}"] for t in (0, 1))
        v[f"db{g}"] = sum(v[f"d{g}{t}"] for t in (0, 1))
    return v


# The test's numbers, in its order: expected_gates_x, expected_gates_dx (steps 0, 1; gates a, i, f, o), ...
GATES_X = ["0.8177", "0.9608", "0.8519", "0.8175", "0.8498", "0.9811", "0.8703", "0.8499"]
GATES_DX = ["-0.0170", "-0.0016", "-0.", "0.0017", "-0.0193", "-0.0011", "-0.0063", "-0.0553"]
H, DH, C, DC = ["0.5363", "0.7719"], ["0.0180", "-0.4780"], ["0.7857", "1.5176"], ["-0.0534", "-0.0711"]
DW = ["-0.0267", "-0.0022", "-0.0031", "-0.0259", "-0.0922", "-0.0066", "-0.0189", "-0.1626"]  # rows x_1, x_2
DU = ["-0.0103", "-0.0005", "-0.0033", "-0.0297"]
DB = ["-0.0364", "-0.0027", "-0.0063", "-0.0536"]
DX = ["-0.0081", "-0.0048", "-0.0474", "-0.0307"]


def rows() -> list[Row]:
    v = truth()
    spec = [
        ("Delta_0 (out_tensor dx)", "0.03631", v["Delta0"], ""),
        ("Delta_1 (out_tensor dx)", "-0.47803", v["Delta1"],
         "Gomez's out_1 = 0.77197 (true 0.7719811) minus 1.25: his last-digit slip"),
    ]
    spec += [(f"{g}_{t}", GATES_X[4 * t + n], v[f"{g}{t}"], "") for t in (0, 1) for n, g in enumerate(GATES)]
    spec += [(f"delta {g}-hat_{t}", GATES_DX[4 * t + n], v[f"d{g}{t}"], "")
             for t in (0, 1) for n, g in enumerate(GATES)]
    spec += [(f"out_{t}", H[t], v[f"out{t}"], "") for t in (0, 1)]
    spec += [(f"delta out_{t}", DH[t], v[f"dout{t}"], "") for t in (0, 1)]
    spec += [(f"state_{t}", C[t], v[f"state{t}"], "") for t in (0, 1)]
    spec += [(f"delta state_{t}", DC[t], v[f"dstate{t}"], "") for t in (0, 1)]
    spec += [(f"dW_{g}[{j}]", DW[4 * (j - 1) + n], v[f"dW{g}{j}"], "") for j in (1, 2) for n, g in enumerate(GATES)]
    spec += [(f"dU_{g}", DU[n], v[f"dU{g}"], "") for n, g in enumerate(GATES)]
    spec += [(f"db_{g}", DB[n], v[f"db{g}"], "") for n, g in enumerate(GATES)]
    spec += [(f"delta x_{t}[{j}]", DX[2 * t + j - 1], v[f"dx{t}_{j}"], "") for t in (0, 1) for j in (1, 2)]
    return [Row(n, name, printed, true, why=why) for n, (name, printed, true, why) in enumerate(spec, start=1)]


if __name__ == "__main__":
    print(table(rows()))
