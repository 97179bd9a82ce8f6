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

compound (bptt_compound): identity, H = 2, n = 1, T = 2, no biases, h0 = 0, Wx = (1, 2)ᵀ, Wh = [[1, 0], [1, 1]],
one output at the end ŷ = Wy h2 with Wy = (1, 2), x = (1, 2), y = 0.123, half_sse: h1 = (1, 2), h2 = (2, 4) + Wh h1 =
(3, 7), ŷ = 17, d = δŷ = 17 − 0.123 = 16.877; δh2 = δu2 = Wyᵀ d = (d, 2d); δh1 = Whᵀ δu2 = (3d, 2d).
  dL/dWx[1,1] = δu1[1]·x1 + δu2[1]·x2 = 3d + 2d = 5d; the notebook's way: δŷ = −d (sign), δh1 = (Whᵀ 1) ⊙ δh2 =
  (2, 1) ⊙ (−d, −2d) = (−2d, −2d) (entrywise), Wx through h_1 only: −2d · x1 = −2d (no smaller set of the parts
  gives −2d: −3d without the entrywise product, −4d with every step, 2d without the sign)
  dL/dWh[2,1] = δu2[2]·h1[1] = 2d; with ∂h2/∂Wh as the number f′·h1 = 1 + 2 = 3: c = −3 δh2, entry [2,1] = c[1] = −3d
  (sign and dot product: the smallest set, since T = 2 leaves the entrywise product and the first use no effect)

lstm: H = n = 1, T = 2, every weight and bias 0, c0 = 1, h0 = 0, x = (1, 1), y = (0, 0): every gate is σ(0) = ½,
g = tanh(0) = 0, so c1 = ½, c2 = ¼, h_t = ½ tanh(c_t); δh_t = h_t (half_sse), δc2 = δh2·½·(1 − tanh² c2),
δc1 = δh1·½·(1 − tanh² c1) + f2·δc2 with f2 = ½; without the cell path the last term is missing.
"""
from __future__ import annotations

import importlib.util
import math
import sys
from fractions import Fraction as F
from pathlib import Path

import mpmath
import pytest
import sympy as sp

from symbolic.claims.check import check_file
from symbolic.claims.derivation import load_derivation
from symbolic.claims.recurrent_mistakes import RECURRENT_MISTAKES
from symbolic.spec.recurrent import RecurrentMistakes
from symbolic.truth.layered import LayerMistakes, LayeredTruth
from mistake_rows import assert_diagnosed

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tests" / "data" / "tutorials"
sys.path.insert(0, str(TUTORIALS))  # the witness's own helpers (witness.py), as tests/test_tutorials.py does

DESCRIPTION = {m.key: m.description for m in RECURRENT_MISTAKES}

RNN = ('[network]\ninputs = 2\n[[layer]]\nkind = "rnn"\nhidden = 1\nsteps = 2\nactivation = "identity"\nh0 = [1]\n'
       '[parameters]\nWx1 = [[2]]\nWh1 = [[0.5]]\nb1 = [0]\n[data]\nx = [[1, 3]]\ny = [[0, 0]]\n')
_ZERO = "[[0]]"
LSTM = ('[network]\ninputs = 2\n[[layer]]\nkind = "lstm"\nhidden = 1\nsteps = 2\nc0 = [1]\n[parameters]\n' +
        "".join(f"Wx{g}1 = {_ZERO}\nWh{g}1 = {_ZERO}\nb{g}1 = [0]\n" for g in "gifo") +
        '[data]\nx = [[1, 1]]\ny = [[0, 0]]\n')


RNN2 = ('[network]\ninputs = 2\n[[layer]]\nkind = "rnn"\nhidden = 2\nsteps = 2\nactivation = "identity"\n'
        'outputs = 1\nemit = "last"\nbias = "none"\n[parameters]\nWx1 = [[1], [2]]\nWh1 = [[1, 0], [1, 1]]\n'
        'Wy1 = [[1, 2]]\n[data]\nx = [[1, 2]]\ny = [[0.123]]\n')
D = 17 - F(123, 1000)


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
    ("bptt_compound", RNN2, "dL/dWx1[1,1]", -2 * D, 5 * D),
]

# the compound's parts each diagnosis must name, and must not (the smallest set of parts that gives the number)
SIGN, ENTRYWISE, FIRST, DOT = ("wrong sign", "multiplied entrywise", "first step it enters", "vector subtracted")
COMPOUND = [  # (claim, wrong, right, parts named, parts not named)
    ("dL/dWx1[1,1]", -2 * D, 5 * D, (SIGN, ENTRYWISE, FIRST), (DOT,)),
    ("dL/dWh1[2,1]", -3 * D, 2 * D, (SIGN, DOT), (ENTRYWISE, FIRST)),
]


@pytest.mark.parametrize("key, header, name, wrong, right", CASES, ids=[c[0] for c in CASES])
def test_recurrent_mistake_is_diagnosed(tmp_path: Path, key, header, name, wrong, right):
    assert_diagnosed(tmp_path / f"{key}.toml", 'title = "t"\nsource = "test"\n' + header, name, wrong, right,
                     DESCRIPTION[key])


@pytest.mark.parametrize("name, wrong, right, named, not_named", COMPOUND, ids=[c[0] for c in COMPOUND])
def test_compound_names_its_smallest_set_of_parts(tmp_path: Path, name, wrong, right, named, not_named):
    path = tmp_path / "compound.toml"
    assert_diagnosed(path, 'title = "t"\nsource = "test"\n' + RNN2, name, wrong, right, DESCRIPTION["bptt_compound"])
    diagnosis = check_file(path).results[0].diagnosis
    assert all(words in diagnosis for words in named), diagnosis
    assert not any(words in diagnosis for words in not_named), diagnosis


def test_compound_needs_enough_digits(tmp_path: Path):
    """The chance rule: 14 combinations are searched, so a printed −34 (2 digits; the compound's −2d at y = 0)
    is not named — only numbers of ≥ 4 significant digits are."""
    path = tmp_path / "short.toml"
    path.write_text('title = "t"\nsource = "test"\n' + RNN2.replace("y = [[0.123]]", "y = [[0]]") +
                    '\n[[claims]]\nname = "dL/dWx1[1,1]"\nvalue = "-34"\n', encoding="utf-8")
    result = check_file(path).results[0]
    assert result.verdict == "WRONG" and DESCRIPTION["bptt_compound"] not in result.diagnosis, result


def test_compound_replays_the_notebook_exactly():
    """derivations/021 under all four parts gives the witness's numbers (its notebook(), mpmath from the notebook's
    own numpy lines) to 40 digits: dlossdW for Wx1[k,1], dlossdU[j] for Wh1[1,j] and, broadcast, Wh1[2,j]."""
    net = load_derivation(ROOT / "derivations" / "021-thsis-rnn-bptt-last-path.toml").network
    parts = RecurrentMistakes(output_sign=-1, entrywise_jacobian=True, weight_steps="first_use", dot_inputs=True)
    truth = LayeredTruth(net, 1, LayerMistakes(kinds=(parts,)))
    spec = importlib.util.spec_from_file_location("witness021", TUTORIALS / "021-thsis-rnn-bptt-last-path_reference.py")
    witness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(witness)
    with mpmath.workdps(50):
        notebook = witness.notebook()
    expected = {"Wx1[1,1]": notebook["dW"][0], "Wx1[2,1]": notebook["dW"][1]}
    expected.update({f"Wh1[{i},{j}]": notebook["dU"][j - 1] for i in (1, 2) for j in (1, 2)})
    for entry, value in expected.items():
        got = mpmath.mpf(str(sp.N(truth.derivative("L", entry), 50)))
        assert abs(got - value) <= mpmath.mpf("1e-40") * abs(value), (entry, got, value)


def test_every_recurrent_mistake_has_a_test():
    assert {case[0] for case in CASES} == set(DESCRIPTION)
