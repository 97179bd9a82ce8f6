"""Exactness at the extremes: saturated sigmoid/tanh/softmax with every loss, at ±440, ±480, ±800 and ±10^4.

The reference is an independent 100-digit mpmath computation written here: the network is 1-2
(x = 1, W1 = [[w], [−u]], no bias), so L is a one-line formula of w, evaluated with mpmath's exp/log
(which never overflow) at 100 + 0.87|u| digits (so the naive formula's 1 − σ cancellation costs nothing) and differentiated by ``mpmath.diff`` (numerical, at 100 digits). The point
evaluation (Truth: check and gradcheck read it), a claim checked through the file path, and the
gradcheck table's exact column must agree with it to 50 significant digits, however tiny the value.
"""
from __future__ import annotations

import functools

import mpmath as mp
import pytest

from symbolic.claims.check import check_file
from symbolic.spec.network import Network
from symbolic.truth.crosscheck import cross_check
from symbolic.truth.exact import Truth

U = [440, -440, 480, -480, 800, -800, 10_000, -10_000]


def _sig(t):
    return 1 / (1 + mp.exp(-t))


def _softmax(ts):
    top = max(ts)
    e = [mp.exp(t - top) for t in ts]
    return [v / sum(e) for v in e]


# (activation, loss, targets, reference L(a, y)) — L is the sum over the two outputs' terms
CASES = {
    "sigmoid+bce": ("sigmoid", "bce", [0, 1], lambda a, y: sum(-(t * mp.log(v) + (1 - t) * mp.log(1 - v))
                                                              for v, t in zip(a, y))),
    "sigmoid+half_sse": ("sigmoid", "half_sse", [0, 1], lambda a, y: sum((t - v) ** 2 for v, t in zip(a, y)) / 2),
    "tanh+mse": ("tanh", "mse", [1, -1], lambda a, y: sum((t - v) ** 2 for v, t in zip(a, y)) / 2),
    "softmax+softmax_ce": ("softmax", "softmax_ce", [0, 1], lambda a, y: -sum(t * mp.log(v) for v, t in zip(a, y))),
}
ACT = {"sigmoid": lambda ts: [_sig(t) for t in ts], "tanh": lambda ts: [mp.tanh(t) for t in ts],
       "softmax": _softmax}


def _dps(u: int) -> int:
    """Digits for the naive formulas: 1 − σ(u) and (1 − σ)² cancel about 2|u|·log10(e) ≈ 0.87|u| digits."""
    return 100 + int(0.87 * abs(u)) + 20


@functools.lru_cache(maxsize=None)
def _reference(case: str, u: int):
    act, _, y, loss = CASES[case]
    with mp.workdps(_dps(u)):
        def L(w):
            return loss(ACT[act]([w, mp.mpf(-u)]), y)
        return L(mp.mpf(u)), mp.diff(L, mp.mpf(u))


def _net(case: str, u: int) -> Network:
    act, loss, y, _ = CASES[case]
    return Network.build([1, 2], act, loss, "none", learning_rate="0.1", params={"W1": [[u], [-u]]}, x=[1], y=y)


def _close(got, want) -> bool:
    """50 significant digits (relative, however tiny the value: e^-880 is compared digit by digit)."""
    with mp.workdps(100):
        got = mp.mpf(str(got)) if not isinstance(got, mp.mpf) else got
        return abs(got - want) <= mp.mpf(10) ** -50 * abs(want)


@pytest.mark.parametrize("u", U)
@pytest.mark.parametrize("case", list(CASES))
def test_point_evaluation_matches_100_digits(case, u):
    loss, slope = _reference(case, u)
    truth = Truth(_net(case, u))
    assert _close(truth.value("L"), loss), (truth.value("L"), loss)
    assert _close(truth.derivative("L", "W1[1,1]"), slope), (truth.derivative("L", "W1[1,1]"), slope)
    assert _close(truth.gradient()["W1[1,1]"], slope)


def _claim_file(tmp_path, case: str, u: int, value: str, name: str) -> str:
    act, loss, y, _ = CASES[case]
    text = (f'[network]\nlayers = [1, 2]\nactivation = "{act}"\nloss = "{loss}"\nbias = "none"\n'
            f'learning_rate = 0.1\n[data]\nx = [1]\ny = {y}\n[parameters]\nW1 = [[{u}], [{-u}]]\n'
            f'[[claims]]\nname = "{name}"\nvalue = "{value}"\n')
    path = tmp_path / "sat.toml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("u", U)
@pytest.mark.parametrize("case", list(CASES))
def test_correct_15_digit_claims_are_ok(tmp_path, case, u):
    loss, slope = _reference(case, u)
    for name, want in (("L", loss), ("dL/dW1[1,1]", slope)):
        if want and abs(want) < mp.mpf(10) ** -999:
            continue  # claimed values beyond 1e±1000 are refused by the loader (a guard); Truth is tested above
        printed = mp.nstr(want, 15, min_fixed=-mp.inf, max_fixed=mp.inf) if want else "0"
        if "e" in printed or abs(want) < 1e-5:
            printed = mp.nstr(want, 15, min_fixed=1, max_fixed=0)  # scientific notation: 15 digits of mantissa
        result = check_file(_claim_file(tmp_path, case, u, printed, name)).results[0]
        assert result.verdict == "ok", (name, printed, result)


@pytest.mark.parametrize("u", [440, -480, 800, 10_000])
@pytest.mark.parametrize("case", ["sigmoid+bce", "softmax+softmax_ce"])
def test_gradcheck_table_exact_column_and_no_false_disagreement(case, u):
    _, slope = _reference(case, u)
    result = cross_check(_net(case, u))
    row = next(r for r in result.rows if r.parameter == "W1[1,1]")
    assert _close(row.exact, slope)
    assert result.ok, result.table()
