"""verify_formula: correct formulas in several notations are proved; wrong variants are caught.

Independent sources of expected values: the NumPy engine ``numeric.gradient`` (never touches
SymPy) recomputes the true value of every counterexample at the point the verdict reports, and
a stray factor's claimed value must be exactly that factor times the truth. The seed-003 file is
read with ``tomllib`` here, not with the project's loader.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numeric
from symbolic.spec.errors import DerivcheckError
from symbolic.formulas.verify import FormulaVerdict, verify_formula
from symbolic.spec.network import Network

ROOT = Path(__file__).resolve().parent.parent

NET_342 = dict(layers=[3, 4, 2], activation="sigmoid", loss="half_sse", bias="per-neuron")
NET_222 = dict(layers=[2, 2, 2], activation="tanh", loss="half_sse", bias="per-neuron")
NET_2332 = dict(layers=[2, 3, 3, 2], activation="sigmoid", loss="half_sse", bias="per-neuron")
NET_DEEP_TANH = dict(layers=[2, 3, 2, 2], activation="tanh", loss="sse", bias="shared")
NET_RELU = dict(layers=[3, 3, 2], activation=["relu", "identity"], loss="mse", bias="per-neuron")
NET_SOFTMAX = dict(layers=[2, 3, 3], activation=["tanh", "softmax"], loss="softmax_ce", bias="per-neuron")
NET_BCE = dict(layers=[2, 3, 1], activation="sigmoid", loss="bce", bias="none")
SEED = {"z": "y", "y": "a1"}

TEXTBOOK = [  # (label, latex) — the δ form, valid for any depth
    ("output delta", r"\delta^{(L)} = \left(a^{(L)} - y\right) \odot f'\left(u^{(L)}\right)"),
    ("recurrence", r"\delta^{(l)} = \left(\left(W^{(l+1)}\right)^T \delta^{(l+1)}\right) \odot f'\left(u^{(l)}\right)"),
    ("grad W", r"\nabla_{W^{(l)}} L = \delta^{(l)} \left(a^{(l-1)}\right)^T"),
    ("grad b", r"\frac{\partial L}{\partial b^{(l)}} = \delta^{(l)}"),
    ("entries", r"\frac{\partial L}{\partial w_{ij}^{(l)}} = \delta_i^{(l)} a_j^{(l-1)}"),
    ("dL/da", r"\frac{\partial L}{\partial a^{(l)}} = \left(W^{(l+1)}\right)^T \delta^{(l+1)}"),
    ("delta is dL/du", r"\delta_i^{(l)} = \frac{\partial L}{\partial u_i^{(l)}}"),
]

CORRECT = [  # the method is how the proof went: read from the program's node symbols first (symbolic.formulas.
    # node_proof), the closed form only where the formula writes f out or differentiates on its right side
    # seed 003's notation (y = hidden output, z = target)
    (NET_342, r"\nabla_{w^{(2)}} L = \left(f \left(W^{(2)} y + b^{(2)} \right) - z \right) \odot f' \left(W^{(2)} y + "
              r"b^{(2)} \right) y^T", SEED, "structural identity"),
    (NET_342, r"\nabla_{b^{(2)}} L = \left(f \left(W^{(2)} y + b^{(2)} \right) - z \right) \odot f' \left(W^{(2)} y + "
              r"b^{(2)} \right)", SEED, "structural identity"),
    (NET_342, r"\nabla_{w^{(1)}} L = \left(\left(W^{(2)} \right)^T \left(\left(f \left(u^{(2)} \right) - z \right) "
              r"\odot f' \left(u^{(2)} \right)\right) \odot f' \left(u^{(1)} \right)\right) x^T", {"z": "y"},
     "structural identity"),
    # explicit indices and sums
    (NET_342, r"\frac{\partial L}{\partial w_{ij}^{(1)}} = \sum_{k=1}^{2} \left(a_k^{(2)} - y_k\right) f'(u_k^{(2)}) "
              r"w_{ki}^{(2)} f'(u_i^{(1)}) x_j", None, "program"),
    (NET_342, r"\delta_i^{(1)} = \sum_k w_{ki}^{(2)} \delta_k^{(2)} f'(u_i^{(1)})", None, "program"),
    (NET_342, r"\frac{\partial L}{\partial W^{(2)}} = \begin{bmatrix} \delta_1^{(2)} a_1^{(1)} & \delta_1^{(2)} "
              r"a_2^{(1)} & \delta_1^{(2)} a_3^{(1)} & \delta_1^{(2)} a_4^{(1)} \\ \delta_2^{(2)} a_1^{(1)} & "
              r"\delta_2^{(2)} a_2^{(1)} & \delta_2^{(2)} a_3^{(1)} & \delta_2^{(2)} a_4^{(1)} \end{bmatrix}", None,
     "structural identity"),
    (NET_342, r"\frac{\partial L}{\partial b_2^{(2)}} = \frac{\partial}{\partial b_2^{(2)}} \frac{1}{2} "
              r"\left\| a^{(2)} - y \right\|^2", None, "generic"),
    # activation-specific forms
    (NET_342, r"\delta^{(2)} = (a^{(2)} - y) \odot a^{(2)} \odot (1 - a^{(2)})", None, "program relations"),
    (NET_342, r"\delta^{(2)} = (a^{(2)} - y) \odot \sigma(u^{(2)}) \odot (1 - \sigma(u^{(2)}))", None,
     "program relations"),
    (NET_222, r"\delta^{(1)} = \left(W^{(2)T} \delta^{(2)}\right) \odot \left(1 - a^{(1)} \odot a^{(1)}\right)", None,
     "program relations"),
    (NET_342, r"a_1^{(1)} = \frac{1}{1 + e^{-u_1^{(1)}}}", None, "concrete"),
    (NET_BCE, r"\delta^{(2)} = a^{(2)} - y", None, "structural identity"),
    (NET_SOFTMAX, r"\delta^{(2)} = a^{(2)} - y", None, "generic"),
    (NET_RELU, r"\nabla_{W^{(2)}} L = \frac{2}{2} (a^{(2)} - y) (a^{(1)})^T", None, "program relations"),
    (NET_DEEP_TANH, r"\nabla_{b^{(1)}} L = \sum_{i=1}^{3} \delta_i^{(1)}", None, "structural identity"),
    (NET_DEEP_TANH, r"\delta^{(3)} = 2 (a^{(3)} - y) \odot (1 - a^{(3)} \odot a^{(3)})", None, "program relations"),
    (NET_2332, r"\nabla_{W^{(1)}} L = \left(\left(\left(W^{(2)}\right)^T \left(\left(\left(W^{(3)}\right)^T "
               r"\left(\left(a^{(3)} - y\right) \odot f'(u^{(3)})\right)\right) \odot f'(u^{(2)})\right)\right) "
               r"\odot f'(u^{(1)})\right) x^T", None, "structural identity"),
    # definitions
    (NET_342, r"u^{(2)} = W^{(2)} y + b^{(2)}", {"y": "a1"}, "structural identity"),
    (NET_342, r"L = \frac{1}{2} \left\| a^{(2)} - y \right\|^2", None, "program"),
]

NETS = {"2-3-3-2 sigmoid": NET_2332, "3-4-2 sigmoid": NET_342, "2-3-2-2 tanh sse shared": NET_DEEP_TANH,
        "3-3-2 relu/identity mse": NET_RELU, "2-3-1 sigmoid bce": NET_BCE}


def build(spec: dict, **extra) -> Network:
    return Network.build(spec["layers"], spec["activation"], spec["loss"], spec["bias"], **extra)


@pytest.mark.parametrize("spec, latex, symbols, method", CORRECT)
def test_correct_formulas_are_proved(spec, latex, symbols, method):
    verdict = verify_formula(build(spec), latex, symbols)
    assert verdict.verdict == "ok", verdict.message
    assert verdict.method == method
    assert verdict.message.startswith("Proved for all parameter and data values, ")
    if spec["loss"] == "softmax_ce":
        assert "Σ_k y_k = 1" in verdict.message


def _textbook_cases():
    for net_name, spec in NETS.items():
        for label, latex in TEXTBOOK:
            if label == "output delta" and spec["loss"] != "half_sse":
                continue  # δ = (a − y) ⊙ f'(u) is the half squared error's output δ
            if label == "grad b" and spec["bias"] == "none":
                continue
            if label == "grad b" and spec["bias"] == "shared":
                latex = r"\frac{\partial L}{\partial b^{(l)}} = \sum_k \delta_k^{(l)}"
            yield pytest.param(spec, latex, id=f"{label}-{net_name}")


@pytest.mark.parametrize("spec, latex", list(_textbook_cases()))
def test_textbook_delta_form_for_every_layer(spec, latex):
    verdict = verify_formula(build(spec), latex)
    assert verdict.verdict == "ok", verdict.message


# --------------------------------------------------------------------------------------- wrong
NUMBER = r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?"
CX = re.compile(rf"^Counterexample at the test point W1 = \[\[.*\]\], .*, x = \[.*\], y = \[.*\]: "
                rf"(?P<what>.+) is (?P<claimed>{NUMBER}) but the truth is (?P<true>{NUMBER})\.$")

WRONG = [
    # (label, network, latex, verdict, message pattern, factor claimed/true or None)
    ("transposed weight (square)", NET_222, r"\delta^{(1)} = \left(W^{(2)} \delta^{(2)}\right) \odot f'(u^{(1)})",
     "WRONG", r"entry \[\d\]", None),
    ("transposed weight (shapes)", NET_342, r"\delta^{(1)} = \left(W^{(2)} \delta^{(2)}\right) \odot f'(u^{(1)})",
     "shape error", r"^The product \(?W\^\{\(2\)\} \\delta\^\{\(2\)\}\)? \(column \d+\) multiplies W\^\{\(2\)\} \(2×4\) by "
                    r"\\delta\^\{\(2\)\} \(2×1\); a matrix product needs the left's 4 columns to match the right's 2 "
                    r"rows\.$", None),
    ("missing f'", NET_342, r"\nabla_{W^{(2)}} L = \left(a^{(2)} - y\right) \left(a^{(1)}\right)^T", "WRONG",
     r"entry \[\d,\d\]", None),
    ("missing f' in the recurrence", NET_2332, r"\delta^{(2)} = \left(W^{(3)}\right)^T \delta^{(3)}", "WRONG",
     r"entry \[\d\]", None),
    ("f' at the wrong layer (shapes)", NET_342,
     r"\delta^{(1)} = \left(\left(W^{(2)}\right)^T \delta^{(2)}\right) \odot f'(u^{(2)})", "shape error",
     r"combines .* \(4×1\) with f'\(u\^\{\(2\)\}\) \(2×1\); ⊙ needs two arrays of the same shape", None),
    ("f' at the wrong layer (depth 3)", NET_2332,
     r"\delta^{(1)} = \left(\left(W^{(2)}\right)^T \delta^{(2)}\right) \odot f'(u^{(2)})", "WRONG",
     r"entry \[\d\]", None),
    ("⊙ where a matrix product belongs", NET_342,
     r"\delta^{(1)} = \left(\left(W^{(2)}\right)^T \odot \delta^{(2)}\right) \odot f'(u^{(1)})", "shape error",
     r"\(4×2\) with \\delta\^\{\(2\)\} \(2×1\); ⊙ needs two arrays of the same shape", None),
    ("matrix product where ⊙ belongs", NET_342, r"\delta^{(2)} = \left(a^{(2)} - y\right) f'(u^{(2)})",
     "shape error", r"multiplies .* \(2×1\) by f'\(u\^\{\(2\)\}\) \(2×1\)", None),
    ("stray 1/2", NET_342, r"\nabla_{W^{(2)}} L = \frac{1}{2} \delta^{(2)} \left(a^{(1)}\right)^T", "WRONG",
     r"entry \[\d,\d\]", 0.5),
    ("stray 2", NET_342, r"\frac{\partial L}{\partial b_i^{(2)}} = 2 \delta_i^{(2)}", "WRONG",
     r"the right side with i = \d", 2.0),
    ("stray 2 (depth 3 sse lost its 2)", NET_DEEP_TANH, r"\delta^{(3)} = (a^{(3)} - y) \odot f'(u^{(3)})",
     "WRONG", r"entry \[\d\]", 0.5),
    ("wrong index (square)", NET_222, r"\frac{\partial L}{\partial w_{ij}^{(2)}} = \delta_j^{(2)} a_i^{(1)}",
     "WRONG", r"the right side with i = \d, j = \d", None),
    ("wrong index (range)", NET_342, r"\frac{\partial L}{\partial w_{ij}^{(2)}} = \delta_j^{(2)} a_i^{(1)}",
     "shape error", r"^The index j runs over 1\.\.4 \(set by w_\{ij\}\^\{\(2\)\} on the left\), but "
                    r"\\delta_j\^\{\(2\)\} \(column \d+\) uses it for \\delta\^\{\(2\)\}, which has only 2 rows \(2×1\)\.$",
     None),
    ("wrong index in a sum", NET_222, r"\delta_i^{(1)} = \sum_k w_{ik}^{(2)} \delta_k^{(2)} f'(u_i^{(1)})", "WRONG",
     r"the right side with i = \d", None),
    ("sign flipped", NET_2332, r"\delta^{(3)} = (y - a^{(3)}) \odot f'(u^{(3)})", "WRONG", r"entry \[\d\]", -1.0),
    ("x where a1 belongs", NET_222, r"\nabla_{W^{(2)}} L = \delta^{(2)} x^T", "WRONG", r"entry \[\d,\d\]", None),
    ("layer variable off by one", NET_2332,
     r"\delta^{(l)} = \left(\left(W^{(l)}\right)^T \delta^{(l+1)}\right) \odot f'(u^{(l)})", "shape error",
     r"\(for l = 1\)\.$", None),
    ("left and right of different shapes", NET_342, r"\nabla_{W^{(2)}} L = \delta^{(2)}", "shape error",
     r"^The left side \\nabla_\{W\^\{\(2\)\}\} L is 2×4, but the right side \\delta\^\{\(2\)\} is 2×1\.$", None),
    ("seed 003: grad W1", NET_342,
     r"\nabla_{w^{(1)}} L = \left(W^{(2)} \right)^T \left(\left(f \left(u^{(2)} \right) - z \right) \odot f' "
     r"\left(u^{(2)} \right) \odot f' \left(u^{(1)} \right) \right) x^T", "shape error",
     r"^The ⊙ in .* \(column 46\) combines \(f \(u\^\{\(2\)\}\) - z\) \\odot f' \(u\^\{\(2\)\}\) \(2×1\) with "
     r"f' \(u\^\{\(1\)\}\) \(4×1\); ⊙ needs two arrays of the same shape\.$", None),
]


def _numeric_truth(net: Network, verdict: FormulaVerdict) -> dict[str, np.ndarray]:
    """NumPy backprop gradients (and δs) at the point the verdict reports."""
    point = verdict.point
    params = {k: np.array(v, dtype=float) for k, v in point.items() if k not in ("x", "y")}
    X, Y = np.array([point["x"]], dtype=float), np.array([point["y"]], dtype=float)
    grads = numeric.gradient(net.architecture, params, X, Y)
    fwd = numeric.forward(net.architecture, params, X)
    deltas = {net.depth: numeric.output_delta(net.architecture, fwd, Y)[0]}
    for l in range(net.depth - 1, 0, -1):
        act = numeric.ACTIVATIONS[net.activations[l - 1]]
        deltas[l] = act.backprop(fwd.u[l], fwd.a[l], (deltas[l + 1] @ params[f"W{l + 1}"])[None, :])[0]
    grads.update({f"delta{l}": d for l, d in deltas.items()})
    return grads


def _true_from_numpy(net: Network, verdict: FormulaVerdict, latex: str) -> float | None:
    g = _numeric_truth(net, verdict)
    lhs = latex.split("=")[0]
    e = verdict.entry
    b = verdict.bindings
    m = re.search(r"\\delta(?:_i)?\^\{\((\d)\)\}", lhs)
    if m and not lhs.startswith(r"\delta_"):
        return float(g[f"delta{m.group(1)}"][e[0] - 1])
    if m:
        return float(g[f"delta{m.group(1)}"][b["i"] - 1])
    m = re.search(r"\\nabla_\{W\^\{\((\d)\)\}\}", lhs)
    if m:
        return float(g[f"W{m.group(1)}"][e[0] - 1, e[1] - 1])
    m = re.search(r"w_\{ij\}\^\{\((\d)\)\}", lhs)
    if m:
        return float(g[f"W{m.group(1)}"][b["i"] - 1, b["j"] - 1])
    m = re.search(r"b_i\^\{\((\d)\)\}", lhs)
    if m:
        return float(g[f"b{m.group(1)}"][b["i"] - 1])
    return None


@pytest.mark.parametrize("label, spec, latex, verdict_name, pattern, factor", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_variants_are_caught(label, spec, latex, verdict_name, pattern, factor):
    net = build(spec)
    verdict = verify_formula(net, latex, {"z": "y"} if "z" in latex else None)
    assert verdict.verdict == verdict_name, verdict.message
    assert re.search(pattern, verdict.message), verdict.message
    if verdict_name == "shape error":
        return
    m = CX.match(verdict.message)
    assert m, verdict.message
    claimed, true = float(m["claimed"]), float(m["true"])
    assert claimed != pytest.approx(true, rel=1e-9, abs=1e-12)
    assert (verdict.claimed, verdict.true) == (m["claimed"], m["true"])
    witness = _true_from_numpy(net, verdict, latex)
    assert witness is not None, "every WRONG row must be checkable by the NumPy witness"
    assert true == pytest.approx(witness, rel=1e-8, abs=1e-12)
    if factor is not None:
        assert claimed == pytest.approx(factor * witness, rel=1e-8, abs=1e-12)


def test_counterexample_at_the_networks_own_numbers():
    net = Network.build([2, 2, 2], "sigmoid", "half_sse", "shared",
                        params={"W1": [[0.15, 0.2], [0.25, 0.3]], "b1": 0.35, "W2": [[0.4, 0.45], [0.5, 0.55]],
                                "b2": 0.6}, x=[0.05, 0.1], y=[0.01, 0.99])
    verdict = verify_formula(net, r"\frac{\partial L}{\partial w_{11}^{(2)}} = (a_1^{(2)} - y_1) a_1^{(1)}")
    assert verdict.verdict == "WRONG"
    assert verdict.message.startswith("Counterexample at the network's own parameters and data: the right side is ")
    # Mazur's tutorial: ∂E/∂w5 = 0.082167041 (and the claim forgot f'(u) = out(1 − out))
    assert verdict.true.startswith("0.08216704")


def test_chains_report_the_failing_step():
    net = build(NET_342)
    verdict = verify_formula(net, r"\delta^{(2)} = (a^{(2)} - y) \odot f'(u^{(2)}) = (a^{(2)} - y) \odot f(u^{(2)}) "
                                  r"= \frac{\partial L}{\partial u^{(2)}}")
    assert verdict.verdict == "WRONG" and verdict.step == 2 and verdict.steps == 3
    assert "right-hand side 2 of 3, entry [" in verdict.message


def test_verdict_fields():
    verdict = verify_formula(build(NET_342), r"\frac{\partial L}{\partial w_{ij}^{(1)}} = \delta_i^{(1)} x_j \quad (i = 2)")
    assert isinstance(verdict, FormulaVerdict) and verdict.ok
    assert verdict.lhs == "dL/dW1[i,j] (i = 2)"
    labels = {
        r"\nabla_{W^{(2)}} L = \delta^{(2)} (a^{(1)})^T": "∇W2",
        r"\frac{\partial L}{\partial W^{(1)}} = \delta^{(1)} x^T": "dL/dW1",
        r"\delta^{(1)} = \frac{\partial L}{\partial u^{(1)}}": "δ1",
        r"\frac{\partial L}{\partial b_1^{(2)}} = \delta_1^{(2)}": "dL/db2[1]",
        r"\frac{\partial L}{\partial w_i^{(2)}} = \delta_i^{(2)} (a^{(1)})^T": "dL/dW2[i,:]",
        r"u_1^{(1)} = w_1^{(1)} x + b_1^{(1)}": "u1[1]",
    }
    for latex, label in labels.items():
        v = verify_formula(build(NET_342), latex)
        assert (v.lhs, v.verdict) == (label, "ok"), (latex, v.message)


@pytest.mark.parametrize("latex, message", [
    (r"\delta^{(l)} = W^{(l+5)}", "No layer of the 3-4-2 network fits the layer variable l"),
    (r"\delta^{(l)} = W^{(k)}", "several layer variables"),
    (r"\delta_1^{(2)} = x_j", "The index j in x_j is free on the right-hand side only"),
    (r"\delta_1^{(2)} = x_1 \quad (j = 2)", "The condition j = 2 names an index the formula does not use"),
    (r"\frac{\partial L}{\partial \delta^{(2)}} = 0", "Cannot differentiate with respect to"),
    (r"\delta^{(3)} = 0", "names layer 3, but the network's layers run from 1 to 2"),
    (r"\frac{\partial a^{(1)}}{\partial W^{(1)}} = 0", "only scalars, vectors (a Jacobian) and gradients"),
    (r"\delta^{(2)} = \operatorname{softmax}'(u^{(2)})", "not supported"),
    (r"x_1 = \frac{1}{x_1 - x_1}", "The right side is not a finite expression: it divides by zero"),
    (r"L = \log(x_1 - x_1) = 0", "Right-hand side 1 is not a finite expression"),
])
def test_bad_claims_are_input_errors(latex, message):
    with pytest.raises(DerivcheckError) as info:
        verify_formula(build(NET_342), latex)
    assert message in str(info.value)


def test_network_must_be_a_network():
    with pytest.raises(DerivcheckError, match="needs a Network"):
        verify_formula({"layers": [2, 2]}, "x = 1")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ seed 003
SEED_FILE = ROOT / "derivations" / "003-sigai-3-4-2-matrix-form.toml"
SEED_DOC = tomllib.loads(SEED_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_network() -> Network:
    n = SEED_DOC["network"]
    return Network.build(n["layers"], n["activation"], n["loss"], n["bias"])


@pytest.mark.parametrize("claim", SEED_DOC["claims"], ids=[c.get("name", "formula") for c in SEED_DOC["claims"]])
def test_seed_003_claims_get_the_verdict_the_file_expects(seed_network, claim):
    verdict = verify_formula(seed_network, claim["formula"], claim.get("symbols"))
    assert verdict.verdict == claim.get("expect", "ok"), verdict.message


def test_seed_003_finds_its_real_errors(seed_network):
    expected = {c["name"]: c["expect"] for c in SEED_DOC["claims"] if "expect" in c}
    assert expected == {
        "dL/db_i^(2), expanded": "WRONG",
        "dy/dw_ij^(1) for i = 2": "WRONG",
        "d(w_i^(2) y)/dw_ij^(1), combined": "shape error",
        "dL/dw_ij^(1), combined line 2": "WRONG",
        "dL/dw_ij^(1), combined line 3": "shape error",
        "grad W1 (matrix form)": "shape error",
    }
    assert len(SEED_DOC["claims"]) >= 25


# ----------------------------------------------------------------------- random formulas
ATOMS = ["W^{(2)}", "(W^{(2)})^T", "\\delta^{(2)}", "\\delta^{(1)}", "a^{(1)}", "(a^{(1)})^T", "x", "x^T", "y",
         "u^{(2)}", "f'(u^{(1)})", "f'(u^{(2)})", "f(u^{(2)})", "2", "\\frac{1}{2}", "a_1^{(1)}", "b^{(2)}"]
formulas = st.recursive(
    st.sampled_from(ATOMS),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" + ", " - ", " \\odot ", " ", " \\cdot "]), inner).map(
            lambda t: f"\\left({t[0]}{t[1]}{t[2]}\\right)"),
        inner.map(lambda s: f"\\left({s}\\right)^T"),
    ),
    max_leaves=6,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([r"\delta^{(1)}", r"\nabla_{W^{(2)}} L", r"\nabla_{W^{(1)}} L", r"\delta^{(2)}"]), formulas)
def test_random_well_formed_formulas_get_a_verdict(lhs, rhs):
    net = build(NET_342)
    try:
        verdict = verify_formula(net, f"{lhs} = {rhs}")
    except DerivcheckError as exc:
        assert "\n" not in str(exc)
        return
    assert verdict.verdict in ("ok", "WRONG", "shape error")
    if verdict.verdict == "WRONG":
        assert verdict.claimed != verdict.true
