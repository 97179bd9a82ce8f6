"""thsis/INFOSYS, models/RNN-backprop.ipynb, "Backpropagation on RNN": a 3-step tanh RNN, 2 hidden units.

h_1 = tanh(W x_1), h_t = tanh(W x_t + U h_{t-1}) (no biases, h_0 = 0), one output at the end
yhat = w . h_3, loss 1/2 (y - yhat)^2 (the repository's LSTM notebook states it; this one writes
dloss/dyhat = y - yhat), x = (0.2, 0.3, 0.4), y = 7, W = (2, 1), U = [[1, 2], [3, 4]], w = (2, 4),
one update with eta = 0.001.

The notebook's backward pass is not the chain rule: dlossdW = (y - yhat) * w * (g'(a_3) . U) * (g'(a_2) . U)
* g'(a_1) x_1 multiplies vectors entrywise (g'(a) . U is the row vector g'(a)^T U, not diag(g'(a)) U),
follows W only through h_1 (its uses at steps 2 and 3 are dropped), and uses y - yhat = -dL/dyhat (sign).
dlossdU = (y - yhat) * w * (g'(a_3) . U) * (g'(a_2) . h_1) has U through step 2 only and is a 2-vector for a
2x2 matrix; "U -= eta * dlossdU" subtracts it from each row, so U[1,j] and U[2,j] move by the same number.
Recomputed at 50 digits with mpmath; imports nothing of derivcheck. ``rows()`` lists the printed numbers in
the order of derivations/021-thsis-rnn-bptt-last-path.toml.
"""
from __future__ import annotations

import sys
from pathlib import Path

from mpmath import matrix, tanh

sys.path.insert(0, str(Path(__file__).resolve().parent))
from witness import Row, mpf, table  # noqa: E402

# The updated weights are claims of the derivation file (updates with layer lists, issue 18): these rows are in.
UPDATES = True

__all__ = ["rows", "update_rows", "truth", "notebook"]

XS = [mpf("0.2"), mpf("0.3"), mpf("0.4")]
Y, ETA = mpf("7.0"), mpf("0.001")
W0 = [mpf("2.0"), mpf("1.0")]
U0 = [[mpf("1.0"), mpf("2.0")], [mpf("3.0"), mpf("4.0")]]
WO = [mpf("2.0"), mpf("4.0")]
# the printed gradients, as the update uses them
gW, gU = (mpf("0.00034735"), mpf("0.00272708")), (mpf("0.00053191"), mpf("0.00212484"))


def _forward(W, U):
    hs, As = [[mpf(0), mpf(0)]], []
    for x in XS:
        a = [W[i] * x + sum(U[i][j] * hs[-1][j] for j in range(2)) for i in range(2)]
        As.append(a)
        hs.append([tanh(ai) for ai in a])
    yhat = sum(WO[i] * hs[3][i] for i in range(2))
    return hs, As, yhat


def truth() -> dict:
    """Forward values and the true gradients of L = 1/2 (y - yhat)^2 (reverse sweep through all 3 steps)."""
    hs, As, yhat = _forward(W0, U0)
    g_h = [-(Y - yhat) * WO[i] for i in range(2)]           # dL/dh_3
    dW, dU = [mpf(0)] * 2, [[mpf(0)] * 2 for _ in range(2)]
    for t in (3, 2, 1):
        g_a = [g_h[i] * (1 - hs[t][i] ** 2) for i in range(2)]
        for i in range(2):
            dW[i] += g_a[i] * XS[t - 1]
            for j in range(2):
                dU[i][j] += g_a[i] * hs[t - 1][j]
        g_h = [sum(U0[i][j] * g_a[i] for i in range(2)) for j in range(2)]
    return {"h": hs, "yhat": yhat, "dW": dW, "dU": dU,
            "W'": [W0[i] - ETA * dW[i] for i in range(2)],
            "U'": [[U0[i][j] - ETA * dU[i][j] for j in range(2)] for i in range(2)]}


def notebook() -> dict:
    """The notebook's own formulas at exact values (what its printed gradients are)."""
    hs, As, yhat = _forward(W0, U0)
    U = matrix(U0)
    d = [[1 - tanh(a) ** 2 for a in As[t]] for t in range(3)]
    row = lambda v: [sum(v[i] * U[i, j] for i in range(2)) for j in range(2)]  # v . U
    dh3dh2, dh2dh1 = row(d[2]), row(d[1])
    dh1dW = [d[0][i] * XS[0] for i in range(2)]
    dh2dU = sum(d[1][i] * hs[1][i] for i in range(2))
    e = Y - yhat
    return {"dW": [e * WO[k] * dh3dh2[k] * dh2dh1[k] * dh1dW[k] for k in range(2)],
            "dU": [e * WO[k] * dh3dh2[k] * dh2dU for k in range(2)]}


def rows() -> list[Row]:
    v, nb = truth(), notebook()
    h = v["h"]
    why_w = ("the notebook's dlossdW: W only through h_1, vectors multiplied entrywise, and the sign of "
             "y - yhat; the true dL/dW sums W's three uses")
    why_u = ("the notebook's dlossdU: U only through step 2, a 2-vector for the 2x2 U, sign of y - yhat")
    # the parts of the notebook's formulas, as derivcheck must name them: dlossdW has the sign (dldy_ = y - y_), the
    # entrywise dh3dh2 * dh2dh1 (vectors, numpy *), and W only through h_1; dlossdU has those with U through h_2
    # only, and dh2dU = dtanh(a_2).dot(h1), a number, so dlossdU is a 2-vector
    parts_w = ("wrong sign", "multiplied entrywise", "first step it enters")
    parts_u = parts_w + ("vector subtracted from every row",)
    return [
        Row(1, "h1[1]", "0.37994896", h[1][0]),
        Row(2, "h1[2]", "0.19737532", h[1][1]),
        Row(3, "h2[1]", "0.87975882", h[2][0]),
        Row(4, "h2[2]", "0.97711011", h[2][1]),
        Row(5, "h3[1]", "0.9986059", h[3][0]),
        Row(6, "h3[2]", "0.99999815", h[3][1]),
        Row(7, "y_", "5.99720442000804", v["yhat"]),
        Row(8, "dlossdW[1]", "0.00034735", v["dW"][0], mistake=nb["dW"][0], why=why_w, diagnosed=parts_w),
        Row(9, "dlossdW[2]", "0.00272708", v["dW"][1], mistake=nb["dW"][1], why=why_w, diagnosed=parts_w),
        Row(10, "dlossdU[1]", "0.00053191", v["dU"][0][0], mistake=nb["dU"][0], why=why_u + " (claimed as U[1,1])",
            diagnosed=parts_u),
        Row(11, "dlossdU[2]", "0.00212484", v["dU"][0][1], mistake=nb["dU"][1], why=why_u + " (claimed as U[1,2])",
            diagnosed=parts_u),
    ] + (update_rows(v) if UPDATES else [])


def update_rows(v) -> list[Row]:
    """The updated weights after the one update (claims of the derivation file while UPDATES)."""
    return [
        Row(12, "W[1] (updated)", "1.99999965", v["W'"][0], author=W0[0] - ETA * gW[0], uses=(8,)),
        Row(13, "W[2] (updated)", "0.99999727", v["W'"][1], author=W0[1] - ETA * gW[1], uses=(9,)),
        Row(14, "U[1,1] (updated)", "0.99999947", v["U'"][0][0], author=U0[0][0] - ETA * gU[0], uses=(10,)),
        Row(15, "U[1,2] (updated)", "1.99999788", v["U'"][0][1], author=U0[0][1] - ETA * gU[1], uses=(11,)),
        Row(16, "U[2,1] (updated)", "2.99999947", v["U'"][1][0], author=U0[1][0] - ETA * gU[0], uses=(10,),
            why="row 2 of U moved by row 1's numbers (the broadcast)"),
        Row(17, "U[2,2] (updated)", "3.99999788", v["U'"][1][1], author=U0[1][1] - ETA * gU[1], uses=(11,),
            why="row 2 of U moved by row 1's numbers (the broadcast)"),
    ]


if __name__ == "__main__":
    from mpmath import nstr
    t = truth()
    print("true dL/dW", [nstr(g, 12) for g in t["dW"]], "dL/dU", [[nstr(g, 12) for g in r] for r in t["dU"]])
    print(table(rows()))
