"""A converged loss after many updates is never called WRONG when it is right (issue 21, certified trajectories).

The network (from benchmarks/small_population.py, small23): 2-1-1, relu then tanh, mse, per-neuron biases,
η = 0.1, one sample. Gradient descent drives a = tanh(u2) to y = 0.52, so L = (a − y)² falls geometrically
(~10^-67 per 500 updates): after 1,400 updates L ≈ 2.0·10^-189, below the width of the ball the trajectory's
first certified run gives it (parameters certified to 10^-70 of their values: L's ball is then about
±7·10^-183 around 0). That ball must neither be read as an exact 0 (the right number was WRONG, the exact
column said 0) nor left undecided while precision can still narrow it: the run is repeated at twice its bits
until the claim is decided, so the right number is ok, shown with its digits, and a number far off is WRONG.

The reference is the loop below: forward pass, δ and updates written out for this network in mpmath at
600 digits (no derivcheck code).
"""
from __future__ import annotations

import mpmath as mp
import pytest

from symbolic.claims.check import check_file

NETWORK = """[network]
layers = [2, 1, 1]
activation = ["relu", "tanh"]
loss = "mse"
bias = "per-neuron"
learning_rate = 0.1
[data]
x = [[-0.16, -0.03]]
y = [[0.52]]
[parameters]
W1 = [[0.79, 0.35]]
b1 = [0.77]
W2 = [[-0.23]]
b2 = [0.09]
"""


def _reference_loss(n: int) -> mp.mpf:
    with mp.workdps(600):
        x, y = [mp.mpf("-0.16"), mp.mpf("-0.03")], mp.mpf("0.52")
        W1, b1, W2, b2, lr = [mp.mpf("0.79"), mp.mpf("0.35")], mp.mpf("0.77"), mp.mpf("-0.23"), mp.mpf("0.09"), \
            mp.mpf("0.1")
        for _ in range(n + 1):
            u1 = W1[0] * x[0] + W1[1] * x[1] + b1
            h = u1 if u1 > 0 else mp.mpf(0)
            a = mp.tanh(W2 * h + b2)
            if _ == n:
                return (a - y) ** 2  # mse of one output: (a − y)²
            d2 = 2 * (a - y) * (1 - a * a)
            d1 = d2 * W2 * (1 if u1 > 0 else 0)
            W2, b2 = W2 - lr * d2 * h, b2 - lr * d2
            W1, b1 = [W1[j] - lr * d1 * x[j] for j in range(2)], b1 - lr * d1


@pytest.mark.parametrize("n", [1_400, 2_000])
def test_a_right_converged_loss_is_not_wrong_and_a_wrong_one_is(tmp_path, n):
    right = mp.nstr(_reference_loss(n), 6, min_fixed=1, max_fixed=0)
    assert float(right) < 1e-180  # the regime: far below what the trajectory's balls resolve
    path = tmp_path / "converged.toml"
    path.write_text(NETWORK + f'[[claims]]\nname = "L"\nvalue = "{right}"\nafter = {n}\n'
                    f'[[claims]]\nname = "L"\nvalue = "0.7"\nafter = {n}\n', encoding="utf-8")
    good, bad = check_file(path).results
    assert good.verdict == "ok", good
    assert good.exact.startswith(mp.nstr(_reference_loss(n), 6, min_fixed=1, max_fixed=0)[:6]), good
    assert bad.verdict == "WRONG", bad


@pytest.mark.parametrize("n", [1_200, 1_500])
def test_the_exact_column_prints_only_digits_the_ball_certifies(tmp_path, n):
    """A WRONG claim far from the truth is decided without refining the run, so its exact value is read from a
    ball of a few certified digits (at 1,200 updates ~2): every digit the exact column prints must be right,
    i.e. the reference lies within half a unit of its last printed digit (it printed 15 digits, 12 of them
    wrong: 1.15696329440971e-162 for 1.1566503…e-162)."""
    from decimal import Decimal

    path = tmp_path / "far.toml"
    path.write_text(NETWORK + f'[[claims]]\nname = "L"\nvalue = "1e-300"\nafter = {n}\n', encoding="utf-8")
    (result,) = check_file(path).results
    assert result.verdict == "WRONG", result
    shown = Decimal(result.exact)
    unit = Decimal(1).scaleb(shown.as_tuple().exponent)
    with mp.workdps(60):
        assert abs(Decimal(mp.nstr(_reference_loss(n), 40)) - shown) <= unit / 2, (result.exact, _reference_loss(n))
