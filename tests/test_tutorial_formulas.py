"""Formulas from real tutorials and textbooks, each in its author's notation, with its verdict.

Every row cites its source and keeps the author's letters; only the claim's ``symbols`` say
what they mean (and, for the seeds, the derivation file's ``[aliases]``). The expected verdicts
are the textbooks' own results (a textbook identity is ``ok``) and, for the known slips, the
error named in the row's note, found by hand: SIGAI's dropped ½ and ⊙ of a 2- and a 4-vector
(seed 003), PostNetwork's swapped w8/w9 (derivation 005's notes), and the ⊙ left out of one
forum's copy of Ng's dZ^{[1]} (two column vectors juxtaposed). docs/formulas.md shows this table.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from symbolic.claims.derivation import load_derivation
from symbolic.formulas.verify import verify_formula
from symbolic.spec.network import Network

ROOT = Path(__file__).resolve().parent.parent

NIELSEN = "Nielsen, Neural Networks and Deep Learning, ch. 2 (neuralnetworksanddeeplearning.com/chap2.html)"
NG = "Ng, deeplearning.ai Neural Networks and Deep Learning, week 3, gradient descent for neural networks"
NG_LR = "Ng, deeplearning.ai Neural Networks and Deep Learning, week 2, logistic regression derivatives"
TECHQA = "math.techqa.club/understanding-the-equations-of-backpropagation-2827437 (Ng's equations, as copied)"
MOVEDESIGN = "wiki.movedesign.de, data_mining:neural_network:deep_neural_nets (Ng's week 4 notes)"
PRML = "Bishop, Pattern Recognition and Machine Learning, sec. 5.3.1"
COMPPHYS = "Hjorth-Jensen, compphysics.github.io/MachineLearning week 42, final back propagating equation"
MAZUR = "Mazur, A Step by Step Backpropagation Example (mattmazur.com, 2015-03-17)"
SIGAI = "SIGAI, backprop in matrix form (seed 003)"
POST = "postnetwork.co, understanding neural networks: softmax, cross-entropy and backpropagation"

NETS = {
    "nielsen": Network.build([2, 3, 2], "sigmoid", "half_sse", "per-neuron"),
    "ng": Network.build([2, 3, 1], ["tanh", "sigmoid"], "bce", "per-neuron"),
    "ng_lr": Network.build([2, 1], "sigmoid", "bce", "per-neuron"),
    "prml": Network.build([2, 3, 2], ["tanh", "identity"], "half_sse", "none"),
}
FILES = {"mazur": "002-mazur-2-2-2-step-by-step.toml", "sigai": "003-sigai-3-4-2-matrix-form.toml",
         "post": "005-postnetwork-3-2-2-softmax.toml"}

NG_SYM = {"dz": "dL/du", "dW": "dL/dW", "db": "dL/db"}
PRML_SYM = {"h": "f", "a": "u", "z": "a", "i": "layer 0", "j": "layer 1", "k": "layer 2"}
MAZUR_SYM = {"target_{o1}": "y[1]", "target_{o2}": "y[2]", "b_1": "b1", r"\delta_{o1}": "delta2[1]"}

# (source, where in it, network, formula as the author writes it, symbols, verdict)
TABLE = [
    (NIELSEN, "eq. (25)", "nielsen", r"z^l = w^l a^{l-1} + b^l", None, "ok"),
    (NIELSEN, "eq. (26)", "nielsen", r"a^l = \sigma(z^l)", None, "ok"),
    (NIELSEN, "eq. (23)", "nielsen", r"a^l_j = \sigma\left(\sum_k w^l_{jk} a^{l-1}_k + b^l_j\right)", None, "ok"),
    (NIELSEN, "eq. (27)", "nielsen", r"C = \frac{1}{2} \|y-a^L\|^2", None, "ok"),
    (NIELSEN, "BP1", "nielsen", r"\delta^L = \nabla_a C \odot \sigma'(z^L)", {"a": "a2"}, "ok"),
    (NIELSEN, "BP1, components", "nielsen", r"\delta^L_j = \frac{\partial C}{\partial a^L_j} \sigma'(z^L_j)", None,
     "ok"),
    (NIELSEN, "eq. (30)", "nielsen", r"\delta^L = (a^L-y) \odot \sigma'(z^L)", None, "ok"),
    (NIELSEN, "BP2", "nielsen", r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)", None, "ok"),
    (NIELSEN, "BP3", "nielsen", r"\frac{\partial C}{\partial b^l_j} = \delta^l_j", None, "ok"),
    (NIELSEN, "BP4", "nielsen", r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j", None, "ok"),
    (COMPPHYS, "index form", "nielsen", r"\delta_j^l =\sum_k \delta_k^{l+1}w_{kj}^{l+1}\sigma'(z_j^l)", None, "ok"),
    (NG, "output layer", "ng", r"dz^{[2]} = a^{[2]} - y", NG_SYM, "ok"),
    (NG, "dW, output", "ng", r"dW^{[2]} = dz^{[2]} a^{[1]T}", NG_SYM, "ok"),
    (NG, "db, output", "ng", r"db^{[2]} = dz^{[2]}", NG_SYM, "ok"),
    (NG, "hidden layer", "ng", r"dz^{[1]} = W^{[2]T} dz^{[2]} * g^{[1]\prime}(z^{[1]})", NG_SYM, "ok"),
    (NG, "dW, hidden", "ng", r"dW^{[1]} = dz^{[1]} x^T", NG_SYM, "ok"),
    (NG, "db, hidden", "ng", r"db^{[1]} = dz^{[1]}", NG_SYM, "ok"),
    (NG_LR, "da", "ng_lr", r"da = -\frac{y}{a} + \frac{1-y}{1-a}", {"da": "dL/da1", "a": "a1"}, "ok"),
    (NG_LR, "dz", "ng_lr", r"dz = a - y", {"dz": "dL/du1", "a": "a1"}, "ok"),
    (NG_LR, "dw_1", "ng_lr", r"dw_1 = x_1 dz", {"dw_1": "dL/dW1[1,1]", "dz": "dL/du1[1]"}, "ok"),
    (NG_LR, "db", "ng_lr", r"db = dz", {"db": "dL/db1", "dz": "dL/du1"}, "ok"),
    (TECHQA, "third equation, the * lost", "ng", r"dZ^{[1]} = W^{[2]T} dZ^{[2]} g^{[1]'}(Z^{[1]})",
     {"dZ": "dL/du", "Z": "u"}, "shape error"),
    (MOVEDESIGN, "backward step", "ng", r"dZ^{[l]} = dA^{[l]} * g'^{[l]}(Z^{[l]})",
     {"dZ": "dL/du", "dA": "dL/da", "Z": "u"}, "ok"),
    (PRML, "eq. (5.48), no biases", "prml", r"a_j = \sum_i w_{ji} z_i", PRML_SYM, "ok"),
    (PRML, "eq. (5.53)", "prml", r"\frac{\partial E_n}{\partial w_{ji}} = \delta_j z_i", {**PRML_SYM, "E_n": "L"}, "ok"),
    (PRML, "eq. (5.54)", "prml", r"\delta_k = y_k - t_k", {"y": "a2", "t": "y", "k": "layer 2"}, "ok"),
    (PRML, "eq. (5.56)", "prml", r"\delta_j = h'(a_j) \sum_k w_{kj} \delta_k", PRML_SYM, "ok"),
    (MAZUR, "the total error", "mazur", r"E_{total} = \frac{1}{2}(target_{o1} - out_{o1})^{2} + "
                                         r"\frac{1}{2}(target_{o2} - out_{o2})^{2}", MAZUR_SYM, "ok"),
    (MAZUR, "net input of h1", "mazur", r"net_{h1} = w_1 * i_1 + w_2 * i_2 + b_1 * 1", MAZUR_SYM, "ok"),
    (MAZUR, "output of h1", "mazur", r"out_{h1} = \frac{1}{1+e^{-net_{h1}}}", MAZUR_SYM, "ok"),
    (MAZUR, "chain rule for w5", "mazur", r"\frac{\partial E_{total}}{\partial w_{5}} = \frac{\partial E_{total}}"
     r"{\partial out_{o1}} * \frac{\partial out_{o1}}{\partial net_{o1}} * \frac{\partial net_{o1}}{\partial w_{5}}",
     MAZUR_SYM, "ok"),
    (MAZUR, "error by output", "mazur", r"\frac{\partial E_{total}}{\partial out_{o1}} = -(target_{o1} - out_{o1})",
     MAZUR_SYM, "ok"),
    (MAZUR, "logistic derivative", "mazur", r"\frac{\partial out_{o1}}{\partial net_{o1}} = out_{o1}(1 - out_{o1})",
     MAZUR_SYM, "ok"),
    (MAZUR, "net by weight", "mazur", r"\frac{\partial net_{o1}}{\partial w_{5}} = out_{h1}", MAZUR_SYM, "ok"),
    (MAZUR, "delta rule", "mazur", r"\delta_{o1} = -(target_{o1} - out_{o1}) * out_{o1}(1 - out_{o1})", MAZUR_SYM,
     "ok"),
    (MAZUR, "w5 through delta", "mazur", r"\frac{\partial E_{total}}{\partial w_{5}} = \delta_{o1} out_{h1}", MAZUR_SYM,
     "ok"),
    (SIGAI, "grad W2", "sigai", r"\nabla_{w^{(2)}} L = \left(f \left(W^{(2)} y + b^{(2)} \right) - z \right) \odot f' "
     r"\left(W^{(2)} y + b^{(2)} \right) y^T", {"z": "y", "y": "a1"}, "ok"),
    (SIGAI, "bias, expanded (drops the 1/2)", "sigai", r"\frac{\partial L}{\partial b_i^{(2)}} = \frac{\partial "
     r"\left(\left(f \left(w_1^{(2)} y + b_1^{(2)} \right) - z_1 \right)^2 + \left(f \left(w_2^{(2)} y + b_2^{(2)} "
     r"\right) - z_2 \right)^2 \right)}{\partial b_i^{(2)}}", {"z": "y", "y": "a1"}, "WRONG"),
    (SIGAI, "grad W1 (f'(u1) inside)", "sigai", r"\nabla_{w^{(1)}} L = \left(W^{(2)} \right)^T \left(\left(f "
     r"\left(u^{(2)} \right) - z \right) \odot f' \left(u^{(2)} \right) \odot f' \left(u^{(1)} \right) \right) x^T",
     {"z": "y"}, "shape error"),
    (POST, "steps 6-13, w7", "post", r"\frac{\partial L}{\partial w_7} = (\hat{y}_1 - y_1) a(1)", None, "ok"),
    (POST, "steps 6-13, w8 (indices swapped)", "post", r"\frac{\partial L}{\partial w_8} = (\hat{y}_1 - y_1) a(2)",
     None, "WRONG"),
    (POST, "steps 6-13, w9 (indices swapped)", "post", r"\frac{\partial L}{\partial w_9} = (\hat{y}_2 - y_2) a(1)",
     None, "WRONG"),
    (POST, "steps 6-13, w10", "post", r"\frac{\partial L}{\partial w_{10}} = (\hat{y}_2 - y_2) a(2)", None, "ok"),
]

_LOADED: dict = {}


def _network(name: str):
    if name in NETS:
        return NETS[name], None
    if name not in _LOADED:
        d = load_derivation(ROOT / "derivations" / FILES[name])
        _LOADED[name] = (d.network, d.aliases)
    return _LOADED[name]


def test_the_table_is_large_enough_and_cites_nielsen_and_the_index_form():
    assert len(TABLE) >= 30
    assert {"BP1", "BP2", "BP3", "BP4"} <= {row[1] for row in TABLE if row[0] == NIELSEN}
    assert any(r"\delta_j = h'(a_j) \sum_k w_{kj} \delta_k" == row[3] for row in TABLE)


@pytest.mark.parametrize("source, where, net, latex, symbols, verdict", TABLE,
                         ids=[f"{row[0].split(',')[0]}: {row[1]}" for row in TABLE])
def test_tutorial_formula_verdict(source, where, net, latex, symbols, verdict):
    network, aliases = _network(net)
    result = verify_formula(network, latex, symbols, aliases)
    assert result.verdict == verdict, result.message


def test_docs_show_the_table():
    text = (ROOT / "docs" / "formulas.md").read_text(encoding="utf-8")
    for source, where, _, latex, _, verdict in TABLE:
        assert f"`{latex}`" in text.replace("\\|", "|") and where in text, latex
