"""Gradient descent through a relu kink is refused where it is undefined, never stepped one-sidedly."""
import pytest

from symbolic.claims.check import check_file

# 1-2-1 relu net, x = 1, y = 1: u1 = (0.5*1 + 0.5, 1*1 + b1[2]).
# With b1[2] = -1, hidden unit 2 sits exactly on the kink (u1[2] = 0).
NET = """
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
name = "{name}"
after = {after}
value = "{value}"
"""

KINK = "u1[2] = 0 lies exactly on relu's kink"
CASES = [
    # W1[2,1] feeds the unit on the kink: its first update is undefined.
    ("-1", "W1[2,1]", 1, "1", "error", KINK),
    # W1[1,1] does not feed it; a = (1, 0), a2 = 1 = y, so dL/dW1[1,1] = 0 and W1[1,1] stays 0.5 (by hand).
    ("-1", "W1[1,1]", 1, "0.5", "ok", ""),
    # From the second update on every gradient depends on the undefined first one.
    ("-1", "W1[1,1]", 2, "0.5", "error", KINK),
    # A value of the network after one update needs every parameter.
    ("-1", "L", 1, "0", "error", KINK),
    # b1[2] = -2: u1[2] = -1 is off the kink; a2 = 1 = y, all gradients 0, W1[1,1] stays 0.5.
    ("-2", "W1[1,1]", 2, "0.5", "ok", ""),
]


@pytest.mark.parametrize("b12, name, after, value, verdict, message", CASES)
def test_update_through_a_kink(tmp_path, b12, name, after, value, verdict, message):
    path = tmp_path / "kink.toml"
    path.write_text(NET.format(b12=b12, name=name, after=after, value=value), encoding="utf-8")
    result = check_file(path).results[0]
    assert result.verdict == verdict, result
    assert message in result.message
