"""sreekanth9999/Interview_Prep, simple_nn_calculation.md: "Understanding Backpropagation: Step-by-Step Gradient
Derivation in a Tiny Neural Network".

x = 1.0 → hidden ReLU (w1 = 0.5) → output sigmoid (w2 = 0.5), no biases,
binary cross-entropy with y = 0, one update with eta = 0.1, recomputed at 50
digits from the tutorial's formulas. The tutorial's Step 1 writes dL/da2 = a2 - y
(which is dL/dz2 for sigmoid + cross-entropy) and Step 3 multiplies it by
da2/dz2 again; everything after carries that. Pure mpmath: imports nothing of
derivcheck. ``rows()`` lists the printed numbers in the order of
derivations/010-sreekanth-1-1-1-relu-sigmoid-bce.toml.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from witness import Row, mpf, relu, sigmoid, table  # noqa: E402

__all__ = ["rows"]

x, w1, w2, y, eta = mpf("1.0"), mpf("0.5"), mpf("0.5"), mpf("0.0"), mpf("0.1")


def rows() -> list[Row]:
    z1 = x * w1
    a1 = relu(z1)
    z2 = a1 * w2
    a2 = sigmoid(z2)
    dL_da2 = -y / a2 + (1 - y) / (1 - a2)
    da2_dz2 = a2 * (1 - a2)
    dL_dz2 = dL_da2 * da2_dz2  # = a2 - y
    dL_dw2 = dL_dz2 * a1
    dL_da1 = dL_dz2 * w2
    da1_dz1 = mpf(1) if z1 > 0 else mpf(0)
    dL_dz1 = dL_da1 * da1_dz1
    dL_dw1 = dL_dz1 * x
    A_a2, A_dz2, A_g = mpf("0.562"), mpf("0.138"), mpf("0.069")  # printed a2 (claim 4), dL/dz2 (8), gradients (9-15)
    return [
        Row(1, "z_1", "0.5", z1),
        Row(2, "a_1", "0.5", a1),
        Row(3, "z_2", "0.25", z2),
        Row(4, "a_2", "0.562", a2),
        Row(5, "a_2 (the model predicts)", "0.562", a2),
        Row(6, "dL/da_2", "0.562", dL_da2, mistake=A_a2 - y,
            why="a2 - y (claim 4 minus y) is dL/dz2, sigmoid and cross-entropy combined; dL/da2 = 1/(1 - a2) for y = 0"),
        Row(7, "da_2/dz_2", "0.246", da2_dz2, author=A_a2 * (1 - A_a2), uses=(4,)),
        Row(8, "dL/dz_2", "0.138", dL_dz2, author=mpf("0.562") * mpf("0.246"), uses=(6, 7),
            why="the chain-rule step is right; with claim 6's a2 - y the sigmoid's derivative counts twice"),
        Row(9, "dL/dw_2", "0.069", dL_dw2, author=A_dz2 * a1, uses=(8, 2)),
        Row(10, "dL/da_1", "0.069", dL_da1, author=A_dz2 * w2, uses=(8,)),
        Row(11, "da_1/dz_1", "1", da1_dz1),
        Row(12, "dL/dz_1", "0.069", dL_dz1, author=A_g * 1, uses=(10, 11)),
        Row(13, "dL/dw_1", "0.069", dL_dw1, author=A_g * x, uses=(12,)),
        Row(14, "w2 gradient (table)", "0.069", dL_dw2, author=A_g, uses=(9,)),
        Row(15, "w1 gradient (table)", "0.069", dL_dw1, author=A_g, uses=(13,)),
        Row(16, "w_2 (updated)", "0.4931", w2 - eta * dL_dw2, author=w2 - eta * A_g, uses=(9,)),
        Row(17, "w_1 (updated)", "0.4931", w1 - eta * dL_dw1, author=w1 - eta * A_g, uses=(13,)),
    ]


if __name__ == "__main__":
    print(table(rows()))
