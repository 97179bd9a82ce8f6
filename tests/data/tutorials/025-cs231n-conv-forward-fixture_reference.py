"""CS231n assignment 2, ConvolutionalNetworks.ipynb, "Convolution: Naive forward pass": the deterministic
fixture of conv_forward_naive.

x = np.linspace(-0.1, 0.5, num=96).reshape(2, 3, 4, 4), w = np.linspace(-0.2, 0.3, num=144).reshape(3, 3, 4, 4),
b = np.linspace(-0.1, 0.2, num=3), stride 2, pad 1: out is 2x3x2x2 and the notebook's correct_out prints it
with 8 decimals. The entries are exactly -0.1 + 0.6 k/95, -0.2 + 0.5 k/143 and -0.1 + 0.15 k (the float64
linspace differs from these by ~1e-17, far below the 8th decimal). Recomputed exactly by the index
definition (cross-correlation, zero padding); imports nothing of derivcheck. ``rows()`` lists the 24 printed
numbers in numpy's order (image, filter, row, col), the order of
derivations/025-cs231n-conv-forward-fixture.toml.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grid import conv2d, flat_entries, reshape  # noqa: E402
from witness import Row, mpf, table  # noqa: E402

__all__ = ["rows", "X", "W", "B"]

X = reshape([mpf("-0.1") + mpf("0.6") * k / 95 for k in range(96)], (2, 3, 4, 4))
W = reshape([mpf("-0.2") + mpf("0.5") * k / 143 for k in range(144)], (3, 3, 4, 4))
B = [mpf("-0.1") + mpf("0.15") * k for k in range(3)]

PRINTED = """-0.08759809 -0.10987781 -0.18387192 -0.2109216 0.21027089 0.21661097 0.22847626 0.23004637
0.50813986 0.54309974 0.64082444 0.67101435 -0.98053589 -1.03143541 -1.19128892 -1.24695841
0.69108355 0.66880383 0.59480972 0.56776003 2.36270298 2.36904306 2.38090835 2.38247847""".split()


def rows() -> list[Row]:
    outputs = [conv2d(X[img], W, B, stride=2, pad=1) for img in range(2)]
    return [Row(n, label, PRINTED[n - 1], value) for n, (label, value) in enumerate(flat_entries(outputs), start=1)]

if __name__ == "__main__":
    print(table(rows()))
