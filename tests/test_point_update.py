"""Few-update certified trajectories without generated code (symbolic.truth.ball_update.PointUpdate), and the
float screens' engine choice for short runs (symbolic.truth.compiled_update.plain_pays_off).

The reference is the hand-written 40-digit mpmath training loop of seed 002 in tests/test_long_mistakes.py
(``_trained``: Mazur's 2-2-2 sigmoid net, shared biases kept fixed, η = 0.5; its forward pass, δ and
gradients written out for this one network, no derivcheck code). Every certified ball must contain that
value; the biases, which never move, must stay the exact rationals 0.35 and 0.60.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import pytest
from flint import arb

from symbolic.claims.derivation import load_derivation
from symbolic.truth.ball_update import POINT_STEPS
from symbolic.truth.trajectory import NUMPY, PLAIN, Trajectory

from small_nets import SEED002_NETWORK, SEED002_VALUES
from test_long_mistakes import _trained

NETWORK = SEED002_NETWORK + "update_biases = false\n" + SEED002_VALUES


def _seed002(tmp_path):
    path = tmp_path / "seed002.toml"
    path.write_text(NETWORK, encoding="utf-8")
    return load_derivation(path).network


@pytest.mark.parametrize("n, generated", [(1, False), (2, False), (POINT_STEPS, False), (POINT_STEPS + 1, True),
                                          (40, True)])
def test_certified_trajectory_contains_the_hand_reference(tmp_path, n, generated):
    """Up to POINT_STEPS updates × samples (seed 002 has one sample) no update code is generated; either way the
    balls contain the hand-computed 40-digit value and are narrower than 10^-60 of it."""
    t = Trajectory(_seed002(tmp_path))
    after = t.after({}, n)
    assert bool(t._balls) == generated
    assert t.precision(n) == f"certified ball arithmetic through {n:,} update(s) at 256 bits"
    want = _trained(n)
    with mp.workdps(80):
        for name in ("W1[1,1]", "W1[2,2]", "W2[1,1]", "W2[2,1]"):
            ball = after[name]
            assert isinstance(ball, arb), (name, ball)
            mid, rad = mp.mpf(ball.mid().str(70, radius=False)), mp.mpf(ball.rad().str(5, radius=False))
            # the reference carries 40 digits (its own rounding: a few units of 10^-40)
            assert abs(mid - want[name]) <= rad + mp.mpf(10) ** -38, (name, ball, want[name])
            assert rad < abs(mid) * mp.mpf(10) ** -60, (name, ball)
    assert after["b1"] == Fraction(35, 100) and after["b2"] == Fraction(60, 100)  # never moved: exact


@pytest.mark.parametrize("n, engine", [(10, NUMPY), (10_000, PLAIN)])
def test_a_short_float_screen_runs_in_numpy_a_long_one_generates_code(tmp_path, n, engine):
    """Seed 002 (10 parameters, one sample): the plain-float code (~1 ms per parameter to generate) pays off
    against NumPy's ~45 µs updates from 1e-3·10 / (45e-6 − 0.1e-6·10) ≈ 227 updates on."""
    t = Trajectory(_seed002(tmp_path))
    t.float_after({}, n)
    assert t.float_engine({}) == engine
    assert bool(t._plain) == (engine == PLAIN)
