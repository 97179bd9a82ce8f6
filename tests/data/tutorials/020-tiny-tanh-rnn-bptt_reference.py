"""A 3-step tanh RNN with one hidden unit, BPTT by hand (a public Markdown note in Bengali and English:
"Tiny RNN model (1 hidden unit)", "Step-by-step numbers", "Final gradients", "One-step weight update").

h_t = tanh(a_t), a_t = Wxh x_t + Whh h_{t-1}, h_0 = 0, y_t = Why h_t, L = 1/2 sum_t (y_t - t_t)^2,
x = (1, 2, 3), targets (0.5, 1.0, 1.5), Wxh = 0.5, Whh = 0.1, Why = 1.0, one update with lr = 0.1.
The note's recursion: dy_t = y_t - t_t, dh_t = dy_t Why + dh_next, da_t = dh_t (1 - h_t^2),
dh_next = da_t Whh; dWhy = sum dy_t h_t, dWxh = sum da_t x_t, dWhh = sum da_t h_{t-1}.
Its dh_next after step t (printed -0.009117 after t = 3, -0.008948 after t = 2) is d(L_t + ... + L_3)/dh_{t-1},
the later steps' part of dL/dh_{t-1} only: not a node gradient, so not a claim (the derivation file's
``unchecked`` says so); dh_2 and dh_1 are recomputed from them as the note does.
Recomputed at 50 digits with mpmath from these formulas; imports nothing of derivcheck. ``rows()`` lists the
printed numbers in the order of derivations/020-tiny-tanh-rnn-bptt.toml.
"""
from __future__ import annotations

import sys
from pathlib import Path

from mpmath import tanh

sys.path.insert(0, str(Path(__file__).resolve().parent))
from witness import Row, mpf, table  # noqa: E402

# The updated weights are claims of the derivation file (updates with layer lists, issue 18): these rows are in.
UPDATES = True

__all__ = ["rows", "update_rows", "truth"]

X = [mpf(1), mpf(2), mpf(3)]
T = [mpf("0.5"), mpf("1.0"), mpf("1.5")]
WXH, WHH, WHY, LR = mpf("0.5"), mpf("0.1"), mpf("1.0"), mpf("0.1")


def truth() -> dict:
    """Every quantity of the note, exact to 50 digits (keys: the note's names with their step)."""
    v: dict = {}
    h_prev = mpf(0)
    for t in (1, 2, 3):
        a = WXH * X[t - 1] + WHH * h_prev
        h = tanh(a)
        v[f"a{t}"], v[f"h{t}"], v[f"y{t}"] = a, h, WHY * h
        h_prev = h
    v["L"] = sum((v[f"y{t}"] - T[t - 1]) ** 2 for t in (1, 2, 3)) / 2
    nxt = mpf(0)
    for t in (3, 2, 1):
        v[f"dy{t}"] = v[f"y{t}"] - T[t - 1]
        v[f"dh{t}"] = v[f"dy{t}"] * WHY + nxt
        v[f"da{t}"] = v[f"dh{t}"] * (1 - v[f"h{t}"] ** 2)
        nxt = v[f"da{t}"] * WHH
        v[f"next{t}"] = nxt            # d(L_t + ... + L_3)/dh_{t-1}
    h = {0: mpf(0), 1: v["h1"], 2: v["h2"], 3: v["h3"]}
    v["dWhy"] = sum(v[f"dy{t}"] * h[t] for t in (1, 2, 3))
    v["dWxh"] = sum(v[f"da{t}"] * X[t - 1] for t in (1, 2, 3))
    v["dWhh"] = sum(v[f"da{t}"] * h[t - 1] for t in (1, 2, 3))
    for w, w0 in (("Wxh", WXH), ("Whh", WHH), ("Why", WHY)):
        v[f"{w}'"] = w0 - LR * v[f"d{w}"]
    return v


def rows() -> list[Row]:
    v = truth()
    P = mpf  # the note's printed numbers, used where it computes from them
    return [
        Row(1, "a_1", "0.5000", v["a1"]),
        Row(2, "h_1", "0.4621", v["h1"]),
        Row(3, "y_1", "0.4621", v["y1"]),
        Row(4, "a_2", "1.0462", v["a2"], author=WXH * 2 + WHH * P("0.4621"), uses=(2,)),
        Row(5, "h_2", "0.7803", v["h2"]),
        Row(6, "y_2", "0.7803", v["y2"]),
        Row(7, "a_3", "1.5780", v["a3"], author=WXH * 3 + WHH * P("0.7803"), uses=(5,)),
        Row(8, "h_3", "0.9183", v["h3"]),
        Row(9, "y_3", "0.9183", v["y3"]),
        Row(10, "L", "0.1940", v["L"]),
        Row(11, "dy_3", "-0.5817", v["dy3"], author=P("0.9183") - T[2], uses=(9,)),
        Row(12, "dh_3", "-0.5817", v["dh3"], author=P("-0.5817"), uses=(11,)),
        Row(13, "da_3", "-0.09117", v["da3"], author=P("-0.5817") * (1 - P("0.9183") ** 2), uses=(12, 8)),
        Row(14, "dy_2", "-0.2197", v["dy2"], author=P("0.7803") - T[1], uses=(6,)),
        Row(15, "dh_2", "-0.2288", v["dh2"], author=P("-0.2197") + P("-0.009117"), uses=(14,)),
        Row(16, "da_2", "-0.08948", v["da2"], author=P("-0.2288") * (1 - P("0.7803") ** 2), uses=(15, 5)),
        Row(17, "dy_1", "-0.03788", v["dy1"]),
        Row(18, "dh_1", "-0.04683", v["dh1"], author=P("-0.03788") + P("-0.008948"), uses=(17,)),
        Row(19, "da_1", "-0.03683", v["da1"], author=P("-0.04683") * (1 - P("0.4621") ** 2), uses=(18, 2)),
        Row(20, "dW_xh", "-0.48930", v["dWxh"],
            author=3 * P("-0.09117") + 2 * P("-0.08948") + P("-0.03683"), uses=(13, 16, 19)),
        Row(21, "dW_hh", "-0.11249", v["dWhh"],
            author=P("-0.09117") * P("0.7803") + P("-0.08948") * P("0.4621"), uses=(13, 16, 5, 2)),
        Row(22, "dW_hy", "-0.72310", v["dWhy"],
            author=P("-0.5817") * P("0.9183") + P("-0.2197") * P("0.7803") + P("-0.03788") * P("0.4621"),
            uses=(11, 14, 17, 8, 5, 2)),
    ] + (update_rows(v) if UPDATES else [])


def update_rows(v) -> list[Row]:
    """The updated weights after the one update (claims of the derivation file while UPDATES)."""
    P = mpf
    return [
        Row(23, "W_xh (updated)", "0.54893", v["Wxh'"], author=WXH - LR * P("-0.48930"), uses=(20,)),
        Row(24, "W_hh (updated)", "0.11125", v["Whh'"], author=WHH - LR * P("-0.11249"), uses=(21,)),
        Row(25, "W_hy (updated)", "1.07231", v["Why'"], author=WHY - LR * P("-0.72310"), uses=(22,)),
    ]


if __name__ == "__main__":
    print(table(rows()))
