"""Sghosh1999, "Simple Neural Network: Manual Backpropagation (1 Hidden Neuron)" (Backpropagation-Mathematics.ipynb).

One sigmoid neuron with two inputs and a bias, loss 0.5 (y - y_pred)^2 (which
the notebook calls "Mean Squared Error"), one gradient-descent update with
eta = 0.1, recomputed at 50 digits from the notebook's formulas. Pure mpmath:
imports nothing of derivcheck. ``rows()`` lists the printed numbers in the order
of derivations/007-sghosh-2-1-sigmoid-neuron.toml.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from witness import Row, mpf, sigmoid, table  # noqa: E402

__all__ = ["rows"]

x1, x2 = mpf("1.0"), mpf("2.0")
w11, w12, b, y, eta = mpf("0.5"), mpf("-0.4"), mpf("0.1"), mpf("1.0"), mpf("0.1")


def rows() -> list[Row]:
    z = w11 * x1 + w12 * x2 + b
    yp = sigmoid(z)
    loss = mpf("0.5") * (y - yp) ** 2
    dL_dyp = yp - y
    dyp_dz = yp * (1 - yp)
    dL_dz = dL_dyp * dyp_dz
    g11, g12, gb = dL_dz * x1, dL_dz * x2, dL_dz
    new = (w11 - eta * g11, w12 - eta * g12, b - eta * gb)
    A_yp, A_dz = mpf("0.4502"), mpf("-0.1360")  # printed y_pred (claim 2) and dL/dz (claim 6)
    updates = [
        Row(10, "w11 (updated)", "0.5136", new[0], author=w11 - eta * A_dz * x1, uses=(7,)),
        Row(11, "w12 (updated)", "-0.3728", new[1], author=w12 - eta * A_dz * x2, uses=(8,)),
        Row(12, "b (updated)", "0.1136", new[2], author=b - eta * A_dz, uses=(9,)),
    ]
    summary = [Row(r.n + 3, r.name + ", summary", r.printed, r.true, r.author, r.uses) for r in updates]
    return [
        Row(1, "z", "-0.2", z),
        Row(2, "y_pred", "0.4502", yp),
        Row(3, "Loss", "0.1511", loss, author=mpf("0.5") * (y - A_yp) ** 2, uses=(2,)),
        Row(4, "dL/dy_pred", "-0.5498", dL_dyp, author=A_yp - y, uses=(2,)),
        Row(5, "dy_pred/dz", "0.2475", dyp_dz, author=A_yp * (1 - A_yp), uses=(2,)),
        Row(6, "dL/dz", "-0.1360", dL_dz, author=mpf("-0.5498") * mpf("0.2475"), uses=(4, 5),
            why="-0.5498 × 0.2475 = -0.1360755 would print -0.1361"),
        Row(7, "dL/dw11", "-0.1360", g11, author=A_dz * x1, uses=(6,)),
        Row(8, "dL/dw12", "-0.2720", g12, author=A_dz * x2, uses=(6,)),
        Row(9, "dL/db", "-0.1360", gb, author=A_dz, uses=(6,)),
        *updates,
        *summary,
        Row(16, "Loss, summary", "0.1511", loss, author=mpf("0.5") * (y - A_yp) ** 2, uses=(2,)),
    ]


if __name__ == "__main__":
    print(table(rows()))
