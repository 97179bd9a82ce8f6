"""CS231n notes, "Backpropagation, Intuitions" (cs231n.github.io/optimization-2/), the sigmoid-neuron example.

f(w, x) = 1 / (1 + e^-(w0 x0 + w1 x1 + w2)) with w = [2, -3, -3], x = [-1, -2]:
the forward value, the sigmoid's local gradient and the gradients of f on the
inputs and weights, recomputed at 50 digits. Pure mpmath: imports nothing of
derivcheck. ``rows()`` lists the printed numbers in the order of
derivations/008-cs231n-sigmoid-neuron.toml (claims 5 and 7 are df/dx, derivatives with respect
to inputs).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from witness import Row, mpf, sigmoid, table  # noqa: E402

__all__ = ["rows"]

w0, w1, w2 = mpf(2), mpf(-3), mpf(-3)
x0, x1 = mpf(-1), mpf(-2)


def rows() -> list[Row]:
    dot = w0 * x0 + w1 * x1 + w2
    f = sigmoid(dot)
    ddot = (1 - f) * f
    A_f = mpf("0.73")  # the text's printed f (claim 2)
    return [
        Row(1, "dot (the sigmoid's input)", "1.0", dot),
        Row(2, "f", "0.73", f),
        Row(3, "df/ddot", "0.2", ddot, author=(1 - A_f) * A_f, uses=(2,)),
        Row(4, "df/dw0", "-0.20", x0 * ddot),
        Row(5, "df/dx0", "0.39", w0 * ddot),
        Row(6, "df/dw1", "-0.39", x1 * ddot),
        Row(7, "df/dx1", "-0.59", w1 * ddot),
        Row(8, "df/dw2", "0.20", ddot),
    ]


if __name__ == "__main__":
    print(table(rows()))
