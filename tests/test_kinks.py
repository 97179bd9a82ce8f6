"""relu's kink is handled the same way for values, derivatives and updates (DESIGN "Truth is exact").

The 2-2-1 net below, by hand: u1 = (1·1 − 1·1 + 0, 0.5·1 + 0.5·1 + 0) = (0, 1), so hidden unit 1 sits
exactly on the kink; a1 = (0, 1), u2 = a2 = 1, L = ½·1² = ½; dL/du2 = 1, dL/da1 = W2 = (1, 1),
dL/du1[2] = 1·relu'(1) = 1, dL/dW1[2,1] = 1·x1 = 1, and one update gives W1[2,1] = 0.5 − 0.1·1 = 0.4.
Everything that passes through unit 1 (dL/dW1[1,1], its update, the loss after the update) is undefined
— refused with the same sentence — and everything else is computed.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from symbolic.claims.check import check_file

NET = """
[network]
layers = [2, 2, 1]
activation = ["relu", "identity"]
loss = "half_sse"
bias = "per-neuron"
learning_rate = 0.1

[parameters]
W1 = [[1, -1], [0.5, 0.5]]
b1 = [0, 0]
W2 = [[1, 1]]
b2 = [0]

[data]
x = [[1, 1]]
y = [[0]]
"""

# (name, after, claimed, verdict) — verdicts by the hand calculation above
CASES = [
    ("u1[1]", 0, "0", "ok"),
    ("a1[1]", 0, "0", "ok"),
    ("L", 0, "0.5", "ok"),
    ("dL/da1[1]", 0, "1", "ok"),        # ∂L/∂a1[1] = W2[1,1]: the kink is below it
    ("dL/dW1[2,1]", 0, "1", "ok"),      # does not pass through unit 1: computed
    ("dL/dW2[1,1]", 0, "0", "ok"),      # δ2·a1[1] = 1·0: a1[1] is a value, defined at the kink
    ("dL/dW1[1,1]", 0, "1", "error"),   # through unit 1: undefined
    ("dL/du1[1]", 0, "1", "error"),
    ("W1[2,1]", 1, "0.4", "ok"),        # its update does not pass through unit 1
    ("W1[1,1]", 1, "1", "error"),       # its update does
    ("L", 1, "0.3", "error"),           # the loss after an undefined update
]


@pytest.mark.parametrize("name, after, claimed, verdict", CASES, ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_kink_is_consistent(tmp_path: Path, name, after, claimed, verdict):
    path = tmp_path / "kink.toml"
    path.write_text(NET + f'\n[[claims]]\nname = "{name}"\nvalue = "{claimed}"\nafter = {after}\n', encoding="utf-8")
    (result,) = check_file(path).results
    assert result.verdict == verdict, result
    if verdict == "error":
        assert "u1[1] = 0 lies exactly on relu's kink" in result.message, result.message
