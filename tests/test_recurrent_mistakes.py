"""Each BPTT mistake diagnoses the number it makes, computed here by hand.

For every entry of :data:`symbolic.claims.recurrent_mistakes.RECURRENT_MISTAKES` a small file gets two claims
of the same quantity: the number an author gets by making that mistake (worked out below with the mistake
switched in by hand) and the correct number. The first must be WRONG with the mistake's description in the
diagnosis, the second ok with none.

rnn: the linear network of tests/test_recurrent_truth.py (identity, H = n = 1, T = 2, Wx = 2, Wh = ½, b = 0,
h0 = 1, x = (1, 3), y = (0, 0), half_sse): h1 = 5/2, h2 = 29/4, δu2 = 29/4, δh1 = h1 + Wh·δu2 = 49/8 = δu1.
dL/dWx = δu1·x1 + δu2·x2 = 49/8 + 87/4 = 223/8. Mistaken:
  only step T      δu2·x2                       = 87/4
  overwritten      δu1·x1 (the loop ends at t=1) = 49/8
  averaged         (223/8)/2                    = 223/16
  no h_{t−1} path  δh1 = h1 = 5/2: 5/2 + 87/4   = 97/4

lstm: H = n = 1, T = 2, every weight and bias 0, c0 = 1, h0 = 0, x = (1, 1), y = (0, 0): every gate is σ(0) = ½,
g = tanh(0) = 0, so c1 = ½, c2 = ¼, h_t = ½ tanh(c_t); δh_t = h_t (half_sse), δc2 = δh2·½·(1 − tanh² c2),
δc1 = δh1·½·(1 − tanh² c1) + f2·δc2 with f2 = ½; without the cell path the last term is missing.
"""
from __future__ import annotations

import math
from fractions import Fraction as F
from pathlib import Path

import pytest

from symbolic.claims.recurrent_mistakes import RECURRENT_MISTAKES
from mistake_rows import assert_diagnosed

DESCRIPTION = {m.key: m.description for m in RECURRENT_MISTAKES}

RNN = ('[network]\ninputs = 2\n[[layer]]\nkind = "rnn"\nhidden = 1\nsteps = 2\nactivation = "identity"\nh0 = [1]\n'
       '[parameters]\nWx1 = [[2]]\nWh1 = [[0.5]]\nb1 = [0]\n[data]\nx = [[1, 3]]\ny = [[0, 0]]\n')
_ZERO = "[[0]]"
LSTM = ('[network]\ninputs = 2\n[[layer]]\nkind = "lstm"\nhidden = 1\nsteps = 2\nc0 = [1]\n[parameters]\n' +
        "".join(f"Wx{g}1 = {_ZERO}\nWh{g}1 = {_ZERO}\nb{g}1 = [0]\n" for g in "gifo") +
        '[data]\nx = [[1, 1]]\ny = [[0, 0]]\n')


def _lstm_dc1(cell_path: bool) -> float:
    c1, c2 = 0.5, 0.25
    h1, h2 = 0.5 * math.tanh(c1), 0.5 * math.tanh(c2)
    dc2 = h2 * 0.5 * (1 - math.tanh(c2) ** 2)
    return h1 * 0.5 * (1 - math.tanh(c1) ** 2) + (0.5 * dc2 if cell_path else 0)


CASES = [  # (key, header, claim name, wrong, right)
    ("bptt_last_step_only", RNN, "dL/dWx1[1,1]", F(87, 4), F(223, 8)),
    ("bptt_not_summed", RNN, "dL/dWx1[1,1]", F(49, 8), F(223, 8)),
    ("bptt_mean_over_steps", RNN, "dL/dWx1[1,1]", F(223, 16), F(223, 8)),
    ("bptt_no_recurrent_path", RNN, "dL/dWx1[1,1]", F(97, 4), F(223, 8)),
    ("bptt_no_cell_path", LSTM, "dL/dc1_t1[1]", _lstm_dc1(False), _lstm_dc1(True)),
]


@pytest.mark.parametrize("key, header, name, wrong, right", CASES, ids=[c[0] for c in CASES])
def test_recurrent_mistake_is_diagnosed(tmp_path: Path, key, header, name, wrong, right):
    assert_diagnosed(tmp_path / f"{key}.toml", 'title = "t"\nsource = "test"\n' + header, name, wrong, right,
                     DESCRIPTION[key])


def test_every_recurrent_mistake_has_a_test():
    assert {case[0] for case in CASES} == set(DESCRIPTION)
