"""Gradient descent through a relu kink is refused, never stepped with a one-sided derivative."""
import pytest

from symbolic.check import check_file

# 1-2-1 relu net, x = 1: u1 = (0.5*1 + 0.5, 1*1 - 1) = (1, 0) — hidden unit 2 sits exactly on the kink.
ON_KINK = """
[network]
layers = [1, 2, 1]
activation = "relu"
learning_rate = 0.1
[data]
x = [1]
y = [1]
[parameters]
W1 = [[0.5], [1]]
b1 = [0.5, {b12}]
W2 = [[1, 1]]
b2 = [0]
[[claims]]
name = "W1[1,1]"
after = 1
value = "0.5"
"""

CASES = [
    # b1[2] = -1 puts u1[2] exactly at 0: the update is undefined.
    ("-1", "error", "u1[2] = 0 lies exactly on relu's kink"),
    # b1[2] = -2: u1[2] = -1, a = (1, 0), a2 = 1 = y, so every gradient is 0 and W1[1,1] stays 0.5 (hand calculation).
    ("-2", "ok", ""),
]


@pytest.mark.parametrize("b12, verdict, message", CASES)
def test_update_through_a_kink(tmp_path, b12, verdict, message):
    path = tmp_path / "kink.toml"
    path.write_text(ON_KINK.format(b12=b12), encoding="utf-8")
    result = check_file(path).results[0]
    assert result.verdict == verdict
    assert message in result.message
