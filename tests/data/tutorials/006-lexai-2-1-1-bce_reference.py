"""Lex AI Fellowship (retiredbatmanforsale/lexai-fellowship), "Problem: Learn XOR-ish Behavior".

A 2-1-1 network, sigmoid hidden unit and sigmoid output, binary cross-entropy,
zero biases, one sample x = [1, 0], y = 1, recomputed at 50 digits from the
tutorial's formulas (Steps 1-3 as far as the stored page goes). Pure mpmath:
imports nothing of derivcheck. ``rows()`` lists the printed numbers in the order
of derivations/006-lexai-2-1-1-bce.toml.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from witness import Row, mpf, sigmoid, table  # noqa: E402
from mpmath import log  # noqa: E402

__all__ = ["rows"]

x = (mpf(1), mpf(0))
W1 = (mpf("0.5"), mpf("-0.5"))
b1, W2, b2, y = mpf(0), mpf(1), mpf(0), mpf(1)


def rows() -> list[Row]:
    z1 = W1[0] * x[0] + W1[1] * x[1] + b1
    a1 = sigmoid(z1)
    z2 = W2 * a1 + b2
    yh = sigmoid(z2)
    loss = -(y * log(yh) + (1 - y) * log(1 - yh))
    dL_dyh = -y / yh + (1 - y) / (1 - yh)
    dyh_dz2 = yh * (1 - yh)
    dL_dz2 = dL_dyh * dyh_dz2
    A_a1, A_yh = mpf("0.622"), mpf("0.65")  # the author's printed a1 (claim 2) and ŷ (claim 5)
    return [
        Row(1, "z_1", "0.5", z1),
        Row(2, "a_1", "0.622", a1),
        Row(3, "z_2", "0.622", z2, author=W2 * A_a1 + b2, uses=(2,)),
        Row(4, "ŷ", "0.650", yh, author=sigmoid(A_a1), uses=(3,),
            why="σ(0.622) = 0.650673 prints 0.651 as well; σ(0.62) = 0.650219 would print 0.650"),
        Row(5, "ŷ", "0.65", yh),
        Row(6, "Loss", "0.431", loss, author=-log(A_yh), uses=(5,)),
        Row(7, "dL/dŷ", "-1.538", dL_dyh, author=-1 / A_yh, uses=(5,)),
        Row(8, "dŷ/dz_2", "0.2275", dyh_dz2, author=A_yh * (1 - A_yh), uses=(5,)),
        Row(9, "dL/dz_2", "-0.35", dL_dz2, author=mpf("-1.538") * mpf("0.2275"), uses=(7, 8)),
        Row(10, "dL/dW_2", "-0.218", dL_dz2 * a1, author=mpf("-0.35") * A_a1, uses=(9, 2)),
        Row(11, "dL/db_2", "-0.35", dL_dz2, author=mpf("-0.35"), uses=(9,)),
        Row(12, "dL/da_1", "-0.35", dL_dz2 * W2, author=mpf("-0.35") * W2, uses=(9,)),
    ]


if __name__ == "__main__":
    print(table(rows()))
