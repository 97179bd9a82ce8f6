"""Each layer-list mistake diagnoses the number it makes, computed here by hand; darknet's path is exactly 0.

For every entry of :data:`symbolic.claims.layer_mistakes.LAYER_MISTAKES` a small file gets two claims
of the same quantity: the number an author gets by making that mistake — computed below by a
batch-norm / dropout backward written out by hand in plain floats (normalization) or exact
Fractions (dropout), with the mistake switched in by hand — and the correct number. The first must
be WRONG with the mistake's description in the diagnosis, the second ok with none.
"""
from __future__ import annotations

import math
from fractions import Fraction as F
from pathlib import Path

import pytest

from symbolic.claims.check import check_file
from symbolic.claims.derivation import load_derivation
from symbolic.claims.layer_mistakes import LAYER_MISTAKES
from symbolic.spec.layer_rules import NormMistakes
from symbolic.truth.layered import LayeredTruth, LayerMistakes

DESCRIPTION = {m.key: m.description for m in LAYER_MISTAKES}
ROOT = Path(__file__).resolve().parents[1]

# dense(1 → 2, identity) → batchnorm / layernorm → dense(2 → 1, identity), ½Σ(y − a)², a batch of 3
W1, B1, GAMMA, BETA, W3, B3, EPS = [2.0, -1.0], [0.5, 0.0], [1.5, 0.5], [0.1, -0.2], [0.7, -1.2], 0.3, 0.1
X, Y = [1.0, -0.5, 2.0], [1.0, 0.0, -1.0]


def _norm_network(kind: str) -> str:
    return (f'[network]\ninputs = 1\n[[layer]]\nkind = "dense"\nunits = 2\n[[layer]]\nkind = "{kind}"\neps = {EPS}\n'
            f'[[layer]]\nkind = "dense"\nunits = 1\n[parameters]\nW1 = [[{W1[0]}], [{W1[1]}]]\nb1 = {B1}\n'
            f'gamma2 = {GAMMA}\nbeta2 = {BETA}\nW3 = [{W3}]\nb3 = [{B3}]\n[data]\nx = {[[v] for v in X]}\n'
            f'y = {[[v] for v in Y]}\n')


def _normalized(v, div_forward):
    n = len(v)
    mu = sum(v) / n
    d = [t - mu for t in v]
    var = sum(t * t for t in d) / div_forward
    return d, var, [t / math.sqrt(var + EPS) for t in d]


def hand_norm(kind: str, var_path=True, mu_term=True, eps_back=True, unbiased=False, darknet=False,
              gamma_back=True) -> float:
    """dL/da1[1] of sample 1 by the chain rule written out, with one mistake switched in."""
    m = len(X)
    u = [[W1[j] * x + B1[j] for j in range(2)] for x in X]
    groups = [[(s, j) for s in range(m)] for j in range(2)] if kind == "batchnorm" else \
        [[(s, j) for j in range(2)] for s in range(m)]
    xhat, stats = {}, {}
    for group in groups:
        n = len(group)
        d, var, xh = _normalized([u[s][j] for s, j in group], n - 1 if unbiased else n)
        stats[group[0]] = (d, var)
        xhat.update(zip(group, xh))
    a3 = [sum(W3[j] * (GAMMA[j] * xhat[s, j] + BETA[j]) for j in range(2)) + B3 for s in range(m)]
    gx = {(s, j): (a3[s] - Y[s]) / m * W3[j] * (GAMMA[j] if gamma_back else 1) for s in range(m) for j in range(2)}
    group = groups[0]  # the one holding sample 1, feature 1
    n = len(group)
    d, var = stats[group[0]]
    div = n - 1 if unbiased and not darknet else n
    sb = math.sqrt(var + EPS) if eps_back else math.sqrt(var)
    g = [gx[k] for k in group]
    dvar = sum(gi * di for gi, di in zip(g, d)) * -0.5 / sb ** 3
    dmu = -sum(g) / sb + dvar * (-2 / div) * sum(d)
    return g[0] / sb + (dvar * 2 * d[0] / div if var_path else 0) + (dmu / n if mu_term else 0)


DROPOUT = ('[network]\ninputs = 2\n[[layer]]\nkind = "dense"\nunits = 3\n[[layer]]\nkind = "dropout"\np = 0.25\n'
           'mask = [[1, 0, 1], [0, 1, 1]]\n[[layer]]\nkind = "dense"\nunits = 1\n[parameters]\n'
           'W1 = [[1, 0], [0.5, -1], [2, 1]]\nb1 = [0, 0, 0]\nW3 = [[0.5, -1, 2]]\nb3 = [0]\n[data]\n'
           'x = [[1, 2], [-1, 1]]\ny = [[1], [0]]\n')


def hand_dropout(unit: int, mask=True, power=1) -> F:
    """dL/da1[unit] of sample 1: (a3 − y)/m · W3[unit] · m_unit / (1 − p)^power."""
    a1 = [F(1), F(1, 2) - 2, F(4)]  # W1 x for x = (1, 2)
    keep = [1, 0, 1]
    a3 = sum(F(w) * a * k / F(3, 4) for w, a, k in zip([F(1, 2), -1, 2], a1, keep))
    g = (a3 - 1) / 2 * [F(1, 2), F(-1), F(2)][unit - 1]
    return g * (keep[unit - 1] if mask else 1) / F(3, 4) ** power


def _printed(v) -> str:
    return f"{float(v):.9f}"


CASES = [  # (key, header, claim name, wrong, right)
    ("norm_no_var_path", _norm_network("batchnorm"), "dL/da1[1]", hand_norm("batchnorm", var_path=False),
     hand_norm("batchnorm")),
    ("norm_no_mu_term", _norm_network("layernorm"), "dL/da1[1]", hand_norm("layernorm", mu_term=False),
     hand_norm("layernorm")),
    ("norm_eps_dropped", _norm_network("batchnorm"), "dL/da1[1]", hand_norm("batchnorm", eps_back=False),
     hand_norm("batchnorm")),
    ("norm_unbiased", _norm_network("batchnorm"), "dL/da1[1]", hand_norm("batchnorm", unbiased=True),
     hand_norm("batchnorm")),
    ("norm_darknet", _norm_network("batchnorm"), "dL/da1[1]", hand_norm("batchnorm", unbiased=True, darknet=True),
     hand_norm("batchnorm")),
    ("norm_unscaled", _norm_network("batchnorm"), "dL/da1[1]", hand_norm("batchnorm", gamma_back=False),
     hand_norm("batchnorm")),
    ("dropout_no_mask", DROPOUT, "dL/da1[2]", hand_dropout(2, mask=False), hand_dropout(2)),
    ("dropout_no_scale", DROPOUT, "dL/da1[3]", hand_dropout(3, power=0), hand_dropout(3)),
    ("dropout_scale_twice", DROPOUT, "dL/da1[1]", hand_dropout(1, power=2), hand_dropout(1)),
]


@pytest.mark.parametrize("key, header, name, wrong, right", CASES, ids=[c[0] for c in CASES])
def test_layer_mistake_is_diagnosed(tmp_path: Path, key, header, name, wrong, right):
    claims = "".join(f'\n[[claims]]\nname = "{name}"\nvalue = "{_printed(v)}"\n' for v in (wrong, right))
    path = tmp_path / f"{key}.toml"
    path.write_text(header + claims, encoding="utf-8")
    report = check_file(path)
    assert report.error is None, report.error
    bad, good = report.results
    assert (bad.verdict, good.verdict) == ("WRONG", "ok"), (bad, good)
    assert DESCRIPTION[key] in bad.diagnosis, bad.diagnosis
    assert good.diagnosis == ""


def test_every_layer_mistake_has_a_test():
    assert {case[0] for case in CASES} == set(DESCRIPTION)


@pytest.mark.parametrize("claim", ["dL/da1[1]", "dL/dW1[2,1]", "dL/dmu2[1]"])
def test_darknet_dropped_path_is_exactly_zero(claim: str):
    """Without the ∂σ²/∂μ path (darknet's mean_delta) every partial of 011 is the same number, to 60 digits."""
    net = load_derivation(ROOT / "derivations" / "011-batchnorm-dense-bn-dense-batch-4.toml").network
    for sample in (1, 3):
        true = LayeredTruth(net, sample).derivative("L", claim[4:])
        dropped = LayeredTruth(net, sample, LayerMistakes(norm=NormMistakes(var_mu_path=False))).derivative(
            "L", claim[4:])
        assert true == dropped
