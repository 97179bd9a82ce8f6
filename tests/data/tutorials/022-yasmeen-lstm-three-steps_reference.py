"""Yasmeen-Akl/DL-lSTM-, Untitled10.ipynb: a one-unit LSTM over the sequence 1, 2, 3, every gate printed.

f_t = sigma(Wf x_t + Whf h_{t-1} + bf), i_t = sigma(Wi x_t + Whi h_{t-1} + bi),
C~_t = tanh(Wc x_t + Whc h_{t-1} + bc), C_t = f_t C_{t-1} + i_t C~_t, o_t = sigma(Wo x_t + Who h_{t-1} + bo),
h_t = o_t tanh(C_t), h_0 = C_0 = 0; then y = Wy h_3 + by.
(Wf, Whf, bf) = (0.5, 0.1, 0), (Wi, Whi, bi) = (0.6, 0.2, 0), (Wc, Whc, bc) = (0.7, 0.3, 0),
(Wo, Who, bo) = (0.8, 0.4, 0), (Wy, by) = (4, 0). The notebook prints each value with "{:.4f}".
Recomputed at 50 digits with mpmath; imports nothing of derivcheck. ``rows()`` lists the printed numbers in
the order of derivations/022-yasmeen-lstm-three-steps.toml (per step: f, i, C~, C, o, h; then y).
"""
from __future__ import annotations

import sys
from pathlib import Path

from mpmath import tanh

sys.path.insert(0, str(Path(__file__).resolve().parent))
from witness import Row, mpf, sigmoid, table  # noqa: E402

__all__ = ["rows", "truth"]

P = {g: (mpf(w), mpf(u)) for g, w, u in (("f", "0.5", "0.1"), ("i", "0.6", "0.2"), ("c", "0.7", "0.3"),
                                          ("o", "0.8", "0.4"))}
XS = [mpf(1), mpf(2), mpf(3)]
WY = mpf(4)

PRINTED = [  # (f, i, C~, C, o, h) per step, as printed
    ("0.6225", "0.6457", "0.6044", "0.3902", "0.6900", "0.2564"),
    ("0.7361", "0.7775", "0.9009", "0.9877", "0.8459", "0.6398"),
    ("0.8269", "0.8730", "0.9798", "1.6721", "0.9344", "0.8707"),
]


def truth() -> list[dict]:
    h = c = mpf(0)
    steps = []
    for x in XS:
        z = {g: w * x + u * h for g, (w, u) in P.items()}
        f, i, o, cc = sigmoid(z["f"]), sigmoid(z["i"]), sigmoid(z["o"]), tanh(z["c"])
        c = f * c + i * cc
        h = o * tanh(c)
        steps.append({"f": f, "i": i, "C~": cc, "C": c, "o": o, "h": h})
    return steps


def rows() -> list[Row]:
    out, n = [], 0
    for t, (step, printed) in enumerate(zip(truth(), PRINTED), start=1):
        for key, text in zip(("f", "i", "C~", "C", "o", "h"), printed):
            n += 1
            out.append(Row(n, f"{key}_t (step {t})", text, step[key]))
    out.append(Row(n + 1, "y (final output)", "3.4827", WY * truth()[-1]["h"]))
    return out


if __name__ == "__main__":
    print(table(rows()))
