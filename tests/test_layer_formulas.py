r"""Formula claims about batch norm and layer norm, in the authors' notations, proved or refuted.

Expected verdicts come from the published derivations, and every row is checked a second,
independent way with the NumPy twin (``numeric/layers.py``, whose backward is CS231n's compact
form): each formula is written out below in NumPy, *by hand, as the author wrote it*, and
evaluated at the network's own point (its layer input X, upstream gradient G = ∂L/∂y and γ, β,
all from the twin). A row expected ``ok`` must agree with the twin's truth there; a row expected
``WRONG`` must differ from it, and derivcheck's counterexample at the network's own point must
print the hand-written formula's value and the twin's truth (to 1e-9).

The hand derivation of the simplified batch-norm backward (CS231n assignment 2; Kratzert,
"Understanding the backward pass through Batch Normalization Layer", 2016): with x̂ = (x − μ)/s,
s = √(σ² + ε), ∂L/∂x̂ = γ dy, the graph gives
  ∂L/∂σ² = −½ s⁻³ Σ ∂L/∂x̂ (x − μ),  ∂L/∂μ = −s⁻¹ Σ ∂L/∂x̂  (the σ² path has Σ(x − μ) = 0),
  ∂L/∂x_i = ∂L/∂x̂_i / s + ∂L/∂σ² · 2(x_i − μ)/N + ∂L/∂μ / N
          = (γ / (N s)) (N dy_i − Σ dy − x̂_i Σ dy x̂)      [(x_i − μ)/s = x̂_i],
and ∂L/∂γ = Σ dy x̂, ∂L/∂β = Σ dy. Layer norm is the same with the sums over the features of one
sample and γ inside them (∂L/∂x̂_j = γ_j dy_j); its ∂L/∂γ sums over the samples.
"""
from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest

from numeric import layers as twin
from symbolic.claims.derivation import load_derivation
from symbolic.formulas.claim_formula import verify_claim_formula
from symbolic.formulas.layer_model import LayerModel
from symbolic.formulas.layer_repair import verify_layer_with_repair
from symbolic.formulas.ratfun import RationalFunctions
from symbolic.formulas.surds import Radicals, Surd, is_zero, surd_arithmetic
from symbolic.spec.errors import DerivcheckError
from symbolic.spec.names import parse_name
from symbolic.truth.balls import to_mpf, workprec
from symbolic.truth.layered import DOMAIN, BatchPoint

ROOT = Path(__file__).resolve().parents[1]
BN, LN = "011-batchnorm-dense-bn-dense-batch-4.toml", "012-layernorm-dense-ln-dense.toml"


def _twin(name: str):
    """The layer-2 input X, upstream gradient G, γ, β, ε and the true ∂L/∂X, ∂L/∂γ from the NumPy twin."""
    net = load_derivation(ROOT / "derivations" / name).network
    p = net.numeric_params()
    a, _ = twin.forward(net.numeric_layers(), p, np.array(net.x, dtype=float))
    grads, adj = twin.gradient(net.numeric_layers(), net.loss, p, np.array(net.x, dtype=float),
                               np.array(net.y, dtype=float))
    return dict(X=a[1], G=adj[2], gamma=np.asarray(p["gamma2"]), beta=np.asarray(p["beta2"]),
                eps=float(net.specs[1].eps), dX=adj[1], dgamma=grads["gamma2"], dbeta=grads["beta2"]), net


def _stats(t, axis):
    mu = t["X"].mean(axis=axis, keepdims=True)
    var = ((t["X"] - mu) ** 2).mean(axis=axis, keepdims=True)
    return mu, var, (t["X"] - mu) / np.sqrt(var + t["eps"])


# --- the formulas as their authors wrote them, in NumPy (axis 0: batch norm sums over the batch) ---
def _bn_simplified(t, gamma=True, eps=True, power=-0.5, xhat_term=True, sign=-1):
    N = t["X"].shape[0]
    _, var, xh = _stats(t, 0)
    G = t["G"]
    scale = (t["gamma"] if gamma else 1) * (var + (t["eps"] if eps else 0)) ** power / N
    return scale * (N * G - G.sum(0) + (sign * xh * (G * xh).sum(0) if xhat_term else 0))


def _ln_simplified(t, gamma_inside=True):
    D = t["X"].shape[1]
    _, var, xh = _stats(t, 1)
    g = t["G"] * t["gamma"] if gamma_inside else t["G"]
    out = (var + t["eps"]) ** -0.5 / D * (D * g - g.sum(1, keepdims=True) - xh * (g * xh).sum(1, keepdims=True))
    return out if gamma_inside else t["gamma"] * out


CS231N = r"dx = \frac{1}{N} \gamma (\sigma^2 + \epsilon)^{-1/2} (N dout - \sum dout - \hat{x} \sum (dout \cdot \hat{x}))"
PAPER_INDEX = (r"\frac{\partial \ell}{\partial x_i} = \frac{1}{m\sqrt{\sigma_B^2+\epsilon}} \left( m "
               r"\frac{\partial \ell}{\partial \hat{x}_i} - \sum_{j=1}^{m} \frac{\partial \ell}{\partial \hat{x}_j} - "
               r"\hat{x}_i \sum_{j=1}^m \frac{\partial \ell}{\partial \hat{x}_j} \hat{x}_j \right)")

# id, file, formula, symbols, verdict, NumPy of the formula as written (or None), NumPy truth key, repair text
ROWS = [
    ("CS231n simplified dx", BN, CS231N, {}, "ok", lambda t: _bn_simplified(t), "dX", None),
    ("BN paper's y, CS231n's dy", BN, CS231N.replace("dout", "dy"), {}, "ok", lambda t: _bn_simplified(t), "dX", None),
    ("per-sample form, BN paper's letters", BN, PAPER_INDEX, {}, "ok", lambda t: _bn_simplified(t), "dX", None),
    ("Thorey's h_ij, y_ij", BN,
     r"\frac{dL}{dh_{ij}} = \frac{1}{N}\gamma (\sigma^2+\epsilon)^{-1/2} \left( N \frac{dL}{dy_{ij}} - \sum_k "
     r"\frac{dL}{dy_{kj}} - (h_{ij}-\mu)(\sigma^2+\epsilon)^{-1}\sum_k \frac{dL}{dy_{kj}}(h_{kj}-\mu) \right)",
     {"h": "a1"}, "ok", lambda t: _bn_simplified(t), "dX", None),
    ("dgamma", BN, r"\frac{\partial L}{\partial \gamma} = \sum_i \frac{\partial L}{\partial y_i} \hat{x}_i", {}, "ok",
     lambda t: (t["G"] * _stats(t, 0)[2]).sum(0), "dgamma", None),
    ("dbeta", BN, r"dbeta = \sum dout", {}, "ok", lambda t: t["G"].sum(0), "dbeta", None),
    ("γ dropped", BN, CS231N.replace(r"\gamma ", ""), {}, "WRONG", lambda t: _bn_simplified(t, gamma=False), "dX",
     "γ is put in front of the right side"),
    ("ε dropped", BN, CS231N.replace(r" + \epsilon", ""), {}, "WRONG", lambda t: _bn_simplified(t, eps=False), "dX",
     "+ \\epsilon is added after (\\sigma^2) (column 34)"),
    ("exponent -3/2", BN, CS231N.replace("-1/2", "-3/2"), {}, "WRONG", lambda t: _bn_simplified(t, power=-1.5),
     "dX", "the exponent -1/2 replaces -3/2"),
    ("x̂ term's sign", BN, CS231N.replace(r"- \hat{x}", r"+ \hat{x}"), {}, "WRONG",
     lambda t: _bn_simplified(t, sign=1), "dX", "- \\hat{x} \\sum (dout \\cdot \\hat{x}) replaces +"),
    ("dgamma with x for x̂", BN, r"\frac{\partial L}{\partial \gamma} = \sum_i \frac{\partial L}{\partial y_i} x_i",
     {}, "WRONG", lambda t: (t["G"] * t["X"]).sum(0), "dgamma", "\\hat{x} replaces x"),
    ("LN simplified, γ inside", LN,
     r"\frac{\partial L}{\partial x_i} = \frac{1}{N\sqrt{\sigma^2+\epsilon}} ( N \gamma_i dy_i - \sum_j \gamma_j dy_j "
     r"- \hat{x}_i \sum_j \gamma_j dy_j \hat{x}_j )", {}, "ok", lambda t: _ln_simplified(t), "dX", None),
    ("LN dgamma over the batch", LN, r"\frac{\partial L}{\partial \gamma_j} = \sum_i dy_{ij} \hat{x}_{ij}", {}, "ok",
     lambda t: (t["G"] * _stats(t, 1)[2]).sum(0), "dgamma", None),
    ("LN with BN's formula (γ outside)", LN, CS231N.replace("dout", "dy"), {}, "WRONG",
     lambda t: _ln_simplified(t, gamma_inside=False), "dX", None),
]


@pytest.mark.parametrize("name, latex, symbols, verdict, numpy_claim, truth_key, repair",
                         [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_layer_formula_verdict(name, latex, symbols, verdict, numpy_claim, truth_key, repair):
    t, net = _twin(name)
    result = verify_layer_with_repair(net, latex, symbols)
    assert result.verdict == verdict, result.message
    claim, truth = np.asarray(numpy_claim(t), dtype=float), np.asarray(t[truth_key], dtype=float)
    claim = np.broadcast_to(claim, truth.shape)
    if verdict == "ok":
        assert np.allclose(claim, truth, rtol=1e-10, atol=1e-13)
        assert "Proved for all values" in result.message
        return
    assert not np.allclose(claim, truth, rtol=1e-6, atol=1e-9)
    assert result.message.startswith("Counterexample at the network's own parameters and data")
    where = tuple(p - 1 for p in result.entry) if len(result.entry) == truth.ndim else (result.entry[-1] - 1,)
    assert float(result.claimed) == pytest.approx(claim[where], rel=1e-9)
    assert float(result.true) == pytest.approx(truth[where], rel=1e-9)
    if repair is None:
        assert not result.repairs
    else:
        assert any(repair in r.edit for r in result.repairs), result.message
        fixed = verify_layer_with_repair(net, result.repairs[0].latex, symbols)
        assert fixed.verdict == "ok"


# --- refusals and shape errors: one sentence each --------------------------------------------------
REFUSALS = [
    ("unknown letter", BN, "dx = q", {}, "At column 6: the symbol q has no meaning in a formula about batchnorm "
                                         "layer 2; add it to the claim's symbols"),
    ("σ alone", BN, r"dx = \sigma dy", {}, "\\sigma alone is not read: write \\sigma^2 for the variance"),
    ("an offset index", BN, r"dx_{t-1} = dy", {}, "At column 1: an index with an offset (such as t-1) has no meaning"),
    ("derivative of no loss", BN, r"\frac{\partial y}{\partial x} = \gamma", {},
     "At column 1: only derivatives of the loss are read here"),
    ("symbols name a dense layer", BN, "dx = dy", {"x": "W1"}, "which is not a name of a normalization layer's formula"),
    ("one index letter for two axes", BN, r"dx_i = dy_i \gamma_i", {}, "The index i counts samples in one place and "
                                                                       "features in another"),
    ("∂L/∂std is no node", BN, r"dstd = 1", {}, "is not a node derivative of the program"),
    ("no real value at any point", BN, r"dx = dout^{-1/2}", {},
     "(it has no value at 5 of them: square root of a negative number); it is left undecided"),
]


@pytest.mark.parametrize("name, latex, symbols, expected", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_layer_formula_refusal(name, latex, symbols, expected):
    net = load_derivation(ROOT / "derivations" / name).network
    with pytest.raises(DerivcheckError) as err:
        verify_claim_formula(net, latex, symbols)
    assert expected in str(err.value)


SHAPES = [
    ("free index on the right only", r"dx = dy_j", "The index j is free on the right-hand side only"),
    ("a sum missing", r"dx_i = dy", "varies over the samples but the left side does not"),
    ("sum past the batch", r"dgamma = \sum_{i=1}^{5} dy_i \hat{x}_i", "runs from 1 to 5, past the 4 samples"),
    ("index past the batch", r"dx_5 = dy_5", "The index 5 runs past the 4 samples"),
    ("transpose", r"dx = dy^T", "A transpose has no meaning in a formula about a normalization layer"),
]


@pytest.mark.parametrize("latex, expected", [r[1:] for r in SHAPES], ids=[r[0] for r in SHAPES])
def test_layer_formula_shape_error(latex, expected):
    net = load_derivation(ROOT / "derivations" / BN).network
    result = verify_claim_formula(net, latex)
    assert result.verdict == "shape error" and expected in result.message, result.message


def test_vacuous_layer_is_refused(tmp_path):
    """A batch of 2 with ε = 0: x̂ = ±1 whatever the input, so ∂L/∂x ≡ 0 and "dx = 0" would pass."""
    text = (ROOT / "derivations" / BN).read_text(encoding="utf-8").split("[[claims]]")[0]
    text = text.replace("eps = 1e-5", "eps = 0").replace(
        "x = [[1.0, 2.0], [0.5, -1.0], [-1.5, 0.5], [2.0, 1.0]]", "x = [[1.0, 2.0], [0.5, -1.0]]").replace(
        "y = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [1.0, 1.0]]", "y = [[1.0, 0.0], [0.0, 1.0]]")
    path = tmp_path / "vacuous.toml"
    path.write_text(text, encoding="utf-8")
    net = load_derivation(path).network
    with pytest.raises(DerivcheckError, match="holds trivially here: with a batch of 2 and eps = 0"):
        verify_claim_formula(net, "dx = 0")


def test_model_equals_the_program_at_the_files_point():
    """The formula's truth side at the network's own point is the layer list's exact truth (BatchPoint)."""
    net = load_derivation(ROOT / "derivations" / BN).network
    bp = BatchPoint(net)
    with workprec(bp.prec):
        g = bp.sweep(parse_name("L")).g_a[2]
        gamma = [bp.values[f"gamma2[{f}]"] for f in (1, 2, 3)]
        beta = [bp.values[f"beta2[{f}]"] for f in (1, 2, 3)]
        model = LayerModel(net.specs[1], 4, DOMAIN, bp.a[1], g, gamma, beta)
    for s in range(4):
        for f in range(3):
            assert to_mpf(model.table("input", True).data[s, f]) == pytest.approx(
                float(to_mpf(bp.derivative("L", f"a1[{f + 1}]", s + 1))), rel=1e-30)
    for f in range(3):
        assert to_mpf(model.table("gamma", True).data[(f,)]) == pytest.approx(
            float(to_mpf(bp.derivative("L", f"gamma2[{f + 1}]"))), rel=1e-30)


# --- the surd domain: identities worked by hand -----------------------------------------------------
def test_surd_identities():
    K = RationalFunctions(["a", "b"])
    a, b = K.gens()
    rad = Radicals(K)
    ar = surd_arithmetic(rad)
    E = lambda e: Surd({frozenset(): e})  # noqa: E731
    two = ar.sqrt(ar.const(F(2)))
    # (1 + √2)(√2 − 1) = 2 − 1 = 1
    one = ar.mul((ar.add((ar.const(F(1)), two)), ar.add((two, ar.const(F(-1))))))
    assert is_zero(ar.add((one, ar.const(F(-1)))))
    # 1/(a + √(a² + b)) = (√(a² + b) − a)/b, since (a + s)(s − a) = s² − a² = b
    q = ar.add((ar.mul((E(a), E(a))), E(b)))
    s = ar.sqrt(q)
    lhs = ar.inv(ar.add((E(a), s)))
    rhs = ar.mul((ar.add((s, ar.mul((ar.const(F(-1)), E(a))))), ar.inv(E(b))))
    assert is_zero(ar.add((lhs, ar.mul((ar.const(F(-1)), rhs)))))
    # (a² + b)^(−3/2) · (a² + b) = 1/√(a² + b); √(9/4) = 3/2 is rational; √a ≠ √b
    assert is_zero(ar.add((ar.mul((ar.inv(ar.mul((s, s, s))), q)), ar.mul((ar.const(F(-1)), ar.inv(s))))))
    assert is_zero(ar.add((ar.sqrt(ar.const(F(9, 4))), ar.const(F(-3, 2)))))
    assert not is_zero(ar.add((ar.sqrt(E(a)), ar.mul((ar.const(F(-1)), ar.sqrt(E(b)))))))
