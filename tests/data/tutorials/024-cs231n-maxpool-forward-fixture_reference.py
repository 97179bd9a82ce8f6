"""CS231n assignment 2, ConvolutionalNetworks.ipynb, "Max-Pooling: Naive forward": the deterministic fixture.

x = np.linspace(-0.3, 0.4, num=96).reshape(2, 3, 4, 4) (2 images, 3 channels, 4x4), 2x2 pooling with stride
2; the notebook's correct_out (2x3x2x2) is printed with 8 decimals (numpy prints 0.4 as "0.4").
The linspace entries are exactly -0.3 + 0.7 k/95, k = 0..95; every window's maximum is its bottom-right
entry (x increases along the rows), so no tie. Recomputed exactly; imports nothing of derivcheck.
``rows()`` lists the 24 printed numbers in numpy's order (image, channel, row, col), the order of
derivations/024-cs231n-maxpool-forward-fixture.toml.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grid import flat_entries, maxpool, reshape  # noqa: E402
from witness import Row, mpf, table  # noqa: E402

__all__ = ["rows", "X"]

X = reshape([mpf("-0.3") + mpf("0.7") * k / 95 for k in range(96)], (2, 3, 4, 4))

PRINTED = """-0.26315789 -0.24842105 -0.20421053 -0.18947368 -0.14526316 -0.13052632 -0.08631579 -0.07157895
-0.02736842 -0.01263158 0.03157895 0.04631579 0.09052632 0.10526316 0.14947368 0.16421053
0.20842105 0.22315789 0.26736842 0.28210526 0.32631579 0.34105263 0.38526316 0.4""".split()


def rows() -> list[Row]:
    outputs = [maxpool(X[img]) for img in range(2)]
    return [Row(n, label, PRINTED[n - 1], value) for n, (label, value) in enumerate(flat_entries(outputs), start=1)]

if __name__ == "__main__":
    print(table(rows()))
