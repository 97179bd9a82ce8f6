"""PostNetwork Academy, "Understanding Neural Networks: Softmax, Cross-Entropy, and Backpropagation".

A 3-2-2 network, sigmoid hidden layer, softmax output, cross-entropy, one bias
b(1) shared by both hidden units and one b(2) shared by both outputs, recomputed
at 50 digits from the tutorial's formulas (Steps 1-5). Pure mpmath: imports
nothing of derivcheck. ``rows()`` lists the printed numbers in the order of
derivations/005-postnetwork-3-2-2-softmax.toml.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from witness import Row, mpf, sigmoid, table  # noqa: E402
from mpmath import exp, log  # noqa: E402

__all__ = ["rows"]

x1, x2, x3 = mpf(1), mpf(2), mpf(-1)
w1, w2, w3, w4, w5, w6 = (mpf(s) for s in ("0.2", "-0.3", "0.4", "-0.5", "0.1", "0.2"))
b1 = mpf("0.5")
w7, w8, w9, w10 = (mpf(s) for s in ("0.3", "-0.1", "0.4", "0.2"))
b2 = mpf("0.1")
y1, y2 = 1, 0


def softmax2(z3, z4):
    return exp(z3) / (exp(z3) + exp(z4)), exp(z4) / (exp(z3) + exp(z4))


def rows() -> list[Row]:
    # Step 1-3, as the tutorial writes them: z(3) = 0.3 a(1) + 0.4 a(2) + b(2), z(4) = -0.1 a(1) + 0.2 a(2) + b(2)
    z1 = w1 * x1 + w2 * x2 + w3 * x3 + b1
    z2 = w4 * x1 + w5 * x2 + w6 * x3 + b1
    a1, a2 = sigmoid(z1), sigmoid(z2)
    z3 = w7 * a1 + w9 * a2 + b2
    z4 = w8 * a1 + w10 * a2 + b2
    yh1, yh2 = softmax2(z3, z4)
    L = -(y1 * log(yh1) + y2 * log(yh2))
    # the author's own chain: a(1) = 0.426, z(3) = 0.428, z(4) = 0.185 as printed
    A_a1, A_z3, A_z4 = mpf("0.426"), mpf("0.428"), mpf("0.185")
    A_yh1, A_yh2 = softmax2(A_z3, A_z4)
    return [
        Row(1, "z(1)", "-0.3", z1),
        Row(2, "z(2)", "0", z2),
        Row(3, "a(1)", "0.426", a1),
        Row(4, "a(2)", "0.5", a2),
        Row(5, "z(3)", "0.428", z3, author=w7 * A_a1 + w9 * a2 + b2, uses=(3, 4)),
        Row(6, "z(4)", "0.185", z4, author=w8 * A_a1 + w10 * a2 + b2, uses=(3, 4), mistake=w10 * A_a1 + b2,
            why="the author's own inputs give -0.1(0.426) + 0.2(0.5) + 0.1 = 0.1574 too; "
                "0.2(0.426) + 0.1 (w10 against a(1), the w8 term dropped) gives 0.185 — a guess, not shown by the page"),
        Row(7, "ŷ1", "0.561", yh1, author=A_yh1, uses=(5, 6),
            why="e^0.428/(e^0.428 + e^0.185) = 0.560453: the printed 0.561 is 0.55 unit above even that"),
        Row(8, "ŷ2", "0.439", yh2, author=A_yh2, uses=(5, 6)),
        Row(9, "L", "0.579", L, author=-log(A_yh1), uses=(5, 6),
            why="-ln(0.561) of the printed ŷ1 would be 0.578034; the author used the unrounded 0.560453"),
    ]


if __name__ == "__main__":
    print(table(rows()))
