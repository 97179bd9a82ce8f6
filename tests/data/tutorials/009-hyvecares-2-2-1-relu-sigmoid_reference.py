"""Hyve Cares Institute, Machine Learning lesson M4-09 "Build-a-Network": a 2-2-1 relu/sigmoid network traced by hand.

Inputs x1 = 0.6, x2 = 0.7; hidden H1, H2 with ReLU, output O with sigmoid, all
biases 0; the forward pass recomputed at 50 digits (the stored page ends inside
the prose after the prediction). Pure mpmath: imports nothing of derivcheck.
``rows()`` lists the printed node values in the order of
derivations/009-hyvecares-2-2-1-relu-sigmoid.toml.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from witness import Row, mpf, relu, sigmoid, table  # noqa: E402

__all__ = ["rows"]

x1, x2 = mpf("0.6"), mpf("0.7")
w11, w12, w21, w22 = mpf("0.4"), mpf("-0.3"), mpf("-0.5"), mpf("0.8")
wO1, wO2 = mpf("0.6"), mpf("0.9")


def rows() -> list[Row]:
    s1 = x1 * w11 + x2 * w12
    s2 = x1 * w21 + x2 * w22
    h1, h2 = relu(s1), relu(s2)
    sO = h1 * wO1 + h2 * wO2
    o = sigmoid(sO)
    return [
        Row(1, "H1 weighted sum", "0.03", s1),
        Row(2, "ReLU(0.03)", "0.03", h1),
        Row(3, "H1 activation", "0.03", h1),
        Row(4, "H2 weighted sum", "0.26", s2),
        Row(5, "ReLU(0.26)", "0.26", h2),
        Row(6, "H2 activation", "0.26", h2),
        Row(7, "O weighted sum", "0.252", sO),
        Row(8, "Sigmoid(0.252)", "0.563", o),
        Row(9, "Network prediction", "0.563", o),
        Row(10, "The network predicted", "0.563", o),
    ]


if __name__ == "__main__":
    print(table(rows()))
