"""Mistakes after many updates (issue 21): diagnosed in linear time, against a reference written here.

Seed 002 (Mazur's 2-2-2 sigmoid net, half_sse, shared biases b1 = 0.35 and b2 = 0.60 kept fixed,
η = 0.5) is trained here by a plain mpmath loop at 40 digits — the forward pass, δ and the
gradients written out by hand for this one network, no derivcheck code — with the author's mistake
built in: the ½ dropped (every gradient twice as large), the update's sign flipped, the biases
updated although the example keeps them, one update too many. The claimed number is that
reference to 12 significant digits, so the check must call it WRONG and name that mistake. The
mistake table screens such runs in float64 and confirms the one that lands within reach on its
certified ball run; f′ and sequential-update mistakes are replayed only up to
``MISTAKE_REPLAY_UPDATES`` updates and say so beyond.
"""
from __future__ import annotations

from pathlib import Path

import mpmath as mp
import pytest

from symbolic.claims.check import check_file
from symbolic.claims.context import MISTAKE_REPLAY_UPDATES, ClaimContext
from symbolic.claims.derivation import load_derivation
from symbolic.claims.mistakes import diagnose

from small_nets import SEED002_NETWORK, SEED002_VALUES

NETWORK = SEED002_NETWORK + "update_biases = false\n" + SEED002_VALUES


def _trained(n: int, factor: int = 1, sign: int = 1, update_biases: bool = False) -> dict[str, mp.mpf]:
    """Seed 002 after ``n`` updates of θ ← θ − sign·factor·η·∂E/∂θ, E = ½Σ(y − o)², by hand."""
    with mp.workdps(40):
        x, y = [mp.mpf("0.05"), mp.mpf("0.10")], [mp.mpf("0.01"), mp.mpf("0.99")]
        W1 = [[mp.mpf("0.15"), mp.mpf("0.20")], [mp.mpf("0.25"), mp.mpf("0.30")]]
        W2 = [[mp.mpf("0.40"), mp.mpf("0.45")], [mp.mpf("0.50"), mp.mpf("0.55")]]
        b1, b2 = mp.mpf("0.35"), mp.mpf("0.60")
        eta = sign * factor * mp.mpf("0.5")
        for _ in range(n):
            h = [1 / (1 + mp.exp(-(W1[i][0] * x[0] + W1[i][1] * x[1] + b1))) for i in range(2)]
            o = [1 / (1 + mp.exp(-(W2[k][0] * h[0] + W2[k][1] * h[1] + b2))) for k in range(2)]
            d2 = [(o[k] - y[k]) * o[k] * (1 - o[k]) for k in range(2)]
            d1 = [(W2[0][i] * d2[0] + W2[1][i] * d2[1]) * h[i] * (1 - h[i]) for i in range(2)]
            W2 = [[W2[k][i] - eta * d2[k] * h[i] for i in range(2)] for k in range(2)]
            W1 = [[W1[i][j] - eta * d1[i] * x[j] for j in range(2)] for i in range(2)]
            if update_biases:  # a shared bias: the sum of its layer's δ
                b1, b2 = b1 - eta * (d1[0] + d1[1]), b2 - eta * (d2[0] + d2[1])
        return {"W1[1,1]": W1[0][0], "W1[2,2]": W1[1][1], "W2[1,1]": W2[0][0], "W2[2,1]": W2[1][0]}


def _file(tmp_path: Path, name: str, value: str, after: int) -> Path:
    path = tmp_path / "long.toml"
    path.write_text(NETWORK + f'[[claims]]\nname = "{name}"\nvalue = "{value}"\nafter = {after}\n', encoding="utf-8")
    return path


CASES = [  # (claimed parameter, updates, the author's run, words the diagnosis must hold)
    ("W1[1,1]", 2_000, dict(factor=2), "½ of the half squared error was dropped"),
    ("W2[1,1]", 2_000, dict(sign=-1), "update's sign is flipped"),
    ("W1[2,2]", 1_500, dict(update_biases=True), "biases were updated although"),
    ("W2[2,1]", 2_000, dict(extra=1), "one update too many"),
]


@pytest.mark.parametrize("name, n, run, words", CASES)
def test_mistake_after_many_updates_is_named(tmp_path, name, n, run, words):
    extra = run.pop("extra", 0)
    with mp.workdps(40):
        mistaken = mp.nstr(_trained(n + extra, **run)[name], 12)
        right = mp.nstr(_trained(n)[name], 12)
    assert mistaken != right
    ok = check_file(_file(tmp_path, name, right, n)).results[0]
    assert ok.verdict == "ok", ok
    wrong = check_file(_file(tmp_path, name, mistaken, n)).results[0]
    assert wrong.verdict == "WRONG" and words in wrong.diagnosis, wrong


@pytest.mark.parametrize("after, tried", [(MISTAKE_REPLAY_UPDATES, True), (MISTAKE_REPLAY_UPDATES + 1, False)])
def test_fprime_and_sequential_mistakes_are_replayed_up_to_the_bound(tmp_path, after, tried):
    """Beyond the bound the diagnosis says which mistakes it did not try (a note), instead of minutes of replay."""
    ctx = ClaimContext(load_derivation(_file(tmp_path, "W1[1,1]", "0.123456789", after)))
    diagnose(ctx, ctx.d.claims[0])
    skipped = [n for n in ctx.notes if f"replayed up to {MISTAKE_REPLAY_UPDATES:,} updates" in n]
    assert (not skipped) == tried
    if not tried:  # the two f′ mistakes and the sequential update (seed 002 has two layers and sigmoid)
        assert {n.split(" ")[0] for n in skipped} == {"fprime_source_node", "fprime_net_input", "sequential_update"}
