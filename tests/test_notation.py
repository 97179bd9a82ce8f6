"""The authors' own notation: every construct the reader takes, every reading it refuses, and the hints.

Expected structures are written by hand (the Unicode rendering of the parsed nodes, canonical
names). A refusal names its column and a fix; a fix that is a TOML line is pasted into a claim
(parsed with tomllib) and must then be read, and must not change what the formula means.
"""
from __future__ import annotations

import re
import tomllib

import pytest

from symbolic.formulas.parser import parse_formula
from symbolic.formulas.render import to_text
from symbolic.formulas.symbol_map import normalize_key, toml_key
from symbolic.formulas.verify import verify_formula
from symbolic.spec.errors import DerivcheckError
from symbolic.spec.network import Network

MAZUR = {"E_total": "L", "w5": "W2[1,1]", "w8": "W2[2,2]", "out_o1": "a2[1]", "net_o1": "u2[1]",
         "target_o1": "y[1]", "out_h1": "a1[1]"}
LAYERS = {"j": "layer 1", "k": "layer 2"}


def sides(latex: str, symbols=None, aliases=None, depth: int = 2) -> list[str]:
    return [to_text(s) for s in parse_formula(latex, symbols, aliases, depth).sides]


@pytest.mark.parametrize("latex, symbols, aliases, expected", [
    # d as well as ∂, in both fraction forms; \mathrm{d}
    (r"\frac{dL}{d\hat{y}} = \hat y - y", None, None, ["∂L/∂a2", "a2 − y"]),
    (r"\frac{d L}{d W^{(2)}} = \delta^{(2)} (a^{(1)})^T", None, None, ["∂L/∂W2", "δ2 (a1)ᵀ"]),
    (r"\frac{d}{d W^{(2)}} L = \delta^{(2)} (a^{(1)})^T", None, None, ["∂L/∂W2", "δ2 (a1)ᵀ"]),
    (r"\frac{\mathrm{d} L}{\mathrm{d} b^{(2)}} = \delta^{(2)}", None, None, ["∂L/∂b2", "δ2"]),
    # accents with and without braces; ŷ is the output by default
    (r"\delta^{(2)} = (\hat y - y) \odot f'(u^{(2)})", None, None, ["δ2", "(a2 − y) ⊙ f'(u2)"]),
    (r"\delta^{(2)} = (\widehat{y} - y) \odot f'(u^{(2)})", None, None, ["δ2", "(a2 − y) ⊙ f'(u2)"]),
    (r"\bar{x}_1 = \tilde z_1", {r"\bar x": "a1", r"\tilde{z}": "y"}, None, ["a1[1]", "y[1]"]),
    (r"\hat{\mathbf{y}} = \hat{y}", None, None, ["a2", "a2"]),
    # log / ln / exp / tanh without parentheses
    (r"L = -\sum_k y_k \log \hat{y}_k", None, None, ["L", "−(Σ[k] y[k] log(a2[k]))"]),
    (r"L = -y \log \hat y - (1-y) \ln (1 - \hat y)", {"y": "y[1]", r"\hat y": "a2[1]"}, None,
     ["L", "(−y[1]) log(a2[1]) − (1 − y[1]) log(1 − a2[1])"]),
    (r"a^{(1)} = \exp u^{(1)} = \tanh u^{(1)}", None, None, ["a1", "exp(u1)", "tanh(u1)"]),
    (r"a_1^{(1)} = \exp u_1^{(1)} \cdot 2", None, None, ["a1[1]", "exp(u1[1]) · 2"]),
    # transposes: \top, \intercal, ^{\mathsf T}, ^\mathsf{T}, and ' where the claim says so
    (r"\nabla_{W^{(2)}} L = \delta^{(2)} (a^{(1)})^\top = \delta^{(2)} (a^{(1)})^\intercal = \delta^{(2)} "
     r"(a^{(1)})^{\mathsf T} = \delta^{(2)} (a^{(1)})^\mathsf{T}", None, None, ["∇W2 L"] + ["δ2 (a1)ᵀ"] * 4),
    (r"\delta^{(1)} = W^{(2)}' \delta^{(2)} \odot f'(u^{(1)})", {"'": "transpose"}, None,
     ["δ1", "((W2)ᵀ δ2) ⊙ f'(u1)"]),
    (r"\delta^{(1)} = (W^{(2)})' \delta^{(2)} \odot f'(u^{(1)})", {"'": "transpose"}, None,
     ["δ1", "((W2)ᵀ δ2) ⊙ f'(u1)"]),
    # products: \times and * (a scalar multiple, elementwise for equal shapes), \cdot
    (r"\delta^{(2)} = (a^{(2)} - y) \times f'(u^{(2)}) = (a^{(2)} - y) * f'(u^{(2)}) = 2 \cdot \delta^{(2)}", None,
     None, ["δ2", "(a2 − y) * f'(u2)", "(a2 − y) * f'(u2)", "2 · δ2"]),
    # \text labels are ignored; \text{word} is a name
    (r"\delta^{(2)} = (a^{(2)} - y) \odot f'(u^{(2)}) \quad \text{(by the chain rule)}", None, None,
     ["δ2", "(a2 − y) ⊙ f'(u2)"]),
    (r"\text{out}_{o1} = f(\text{net}_{o1})", None, MAZUR, ["a2[1]", "f(u2[1])"]),
    # layers: ^{(2)}, ^{[2]}, ^2, ^l, ^{l+1}, ^L, subscripts z_2, W_1, z_L
    (r"\delta^{[1]} = (W^{[2]})^T \delta^{[2]} * f'(z^{[1]})", None, None, ["δ1", "(W2)ᵀ δ2 * f'(u1)"]),
    (r"\delta^2 = ((W^3)^T \delta^3) \odot f'(z^2)", None, None, ["δ2", "((W3)ᵀ δ3) ⊙ f'(u2)"]),
    (r"\delta_2 = (W_3^T \delta_3) \odot f'(z_2)", None, None, ["δ2", "((W3)ᵀ δ3) ⊙ f'(u2)"]),
    (r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)", None, None, ["δl", "((Wl+1)ᵀ δl+1) ⊙ σ'(ul)"]),
    (r"\delta^L = \nabla_a C \odot \sigma'(z^L)", {"a": "a2"}, None, ["δL", "∇a2 L ⊙ σ'(uL)"]),
    (r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j", None, None, ["∂L/∂Wl[j,k]", "al-1[k] δl[j]"]),
    (r"\delta_L = (a_L - y) \odot f'(z_L)", None, None, ["δ2", "(a2 − y) ⊙ f'(u2)"]),
    (r"\frac{\partial J}{\partial b^{(1)}} = \frac{\partial \mathcal{L}}{\partial b^{(1)}}", None, None,
     ["∂L/∂b1", "∂L/∂b1"]),
    # unit indices through symbols: j counts layer-1 units, k layer-2 units; a^{(k)} as a unit
    (r"\delta_j = \sum_k w_{kj} \delta_k \sigma'(z_j)", LAYERS, None, ["δ1[j]", "Σ[k] W2[k,j] δ2[k] σ'(u1[j])"]),
    (r"y^{(k)} = f(u_k^{(1)})", {"y^{(k)}": "a1[k]"}, None, ["a1[k]", "f(u1[k])"]),
    # the file's aliases inside formulas, also several letters long
    (r"\frac{\partial E_{total}}{\partial out_{o1}} = -(target_{o1} - out_{o1})", None, MAZUR,
     ["∂L/∂a2[1]", "−(y[1] − a2[1])"]),
    (r"\frac{\partial E_{\text{total}}}{\partial w_5} = \delta_1^{(2)} \, out_{h1}", None, MAZUR,
     ["∂L/∂W2[1,1]", "δ2[1] a1[1]"]),
    (r"\frac{\partial E_{total}}{\partial w_8} = 1", {"w_8": "W2[1,2]"}, MAZUR, ["∂L/∂W2[1,2]", "1"]),  # symbols win
    # e^x and e^{z+1} stay exponentials
    (r"e^{x} = e^{z+1}", {"z": "x[1]"}, None, ["exp(x)", "exp(x[1] + 1)"]),
])
def test_reads_the_authors_notation(latex, symbols, aliases, expected):
    assert sides(latex, symbols, aliases) == expected


# (formula, symbols, column of the refusal, words the sentence must hold, the fix that is then read)
REFUSED = [
    # an ambiguous reading names both readings and is never guessed
    (r"L = \log x y", None, 5, [r"\log(x) y", r"\log(x y)"], r"L = \log(x) y"),
    (r"a_j^2 = 1", None, 1, ["layer 2", "square"], r"a^{(2)}_j = 1"),
    (r"\delta^{(1)} = W^{(2)}' \delta^{(2)}", None, 16, ["transpose of W^{(2)}", "prime"],
     """symbols = { "'" = "transpose" }"""),
    (r"\frac{dL}{dW^{(2)}} = 1", {"d": "x[1]"}, 1, ["derivative written with d", "fraction"],
     r"\frac{\partial L}{\partial W^{(2)}} = 1"),
    # unknown symbols: the hint is a TOML line that reads when pasted
    (r"q = 1", None, 1, ["unknown"], 'symbols = { q = "y" }'),
    (r"\hat{z} = 1", None, 1, ["unknown"], """symbols = { '\\hat{z}' = "a2" }"""),
    (r"\delta^{(2)} = (a^{(2)} - t) \odot f'(u^{(2)})", None, 27, ["unknown"], 'symbols = { t = "y" }'),
    (r"z = a^{(2)}", None, 1, ["pre-activation"], 'symbols = { z = "y" }'),
    (r"\delta_j = 1", None, 1, ["needs a layer"], 'symbols = { j = "layer 1" }'),
    # commands: did you mean
    (r"\detla^{(2)} = 1", None, 1, [r"did you mean \delta?"], r"\delta^{(2)} = 1"),
    (r"\delta^{(2)} = a^{(2)} \cdto 2", None, 24, [r"did you mean \cdot?"], r"\delta^{(2)} = a^{(2)} \cdot 2"),
    # a layer index that contradicts the unit-index map
    (r"\delta_j = \sum_k w_{jk} \delta_k", LAYERS, 19, ["counts units of layer 2", "column"],
     r"\delta_j = \sum_k w_{kj} \delta_k"),
    (r"x_{A} = 1", None, 2, ["not an index"], r"x_{1} = 1"),
]


@pytest.mark.parametrize("latex, symbols, column, words, fix", REFUSED)
def test_every_refusal_names_its_column_and_its_fix_works(latex, symbols, column, words, fix):
    with pytest.raises(DerivcheckError) as info:
        parse_formula(latex, symbols, None, 2)
    text = str(info.value)
    assert re.match(rf"(?:At|Unsupported LaTeX at) column {column}\b", text), text
    assert all(w in text for w in words), text
    assert text.endswith(".") and "\n" not in text
    if fix.startswith("symbols = "):
        assert fix in text  # the exact line, as it is pasted
        pasted = tomllib.loads(fix)["symbols"]
        parse_formula(latex, {**(symbols or {}), **pasted}, None, 2)
    else:
        parse_formula(fix, {k: v for k, v in (symbols or {}).items() if k != "d"}, None, 2)


def test_star_between_two_square_matrices_is_refused_naming_both_readings():
    square = Network.build([2, 2, 2], "sigmoid", "half_sse", "per-neuron")
    with pytest.raises(DerivcheckError) as info:
        verify_formula(square, r"\nabla_{W^{(2)}} L = W^{(2)} * W^{(2)}")
    text = str(info.value)
    assert "(column 22)" in text and "elementwise product (⊙)" in text and "matrix product" in text
    assert verify_formula(square, r"\nabla_{W^{(2)}} L = W^{(2)} \odot W^{(2)}").verdict == "WRONG"


def test_the_hat_y_hint_bug_is_gone():
    """ŷ is the output by default: the formula is ok as written, and no hint maps ŷ to the target."""
    net = Network.build([2, 2, 2], "sigmoid", "half_sse", "per-neuron")
    result = verify_formula(net, r"\frac{\partial L}{\partial u^{(2)}} = (\hat{y} - y) \odot f'(u^{(2)})")
    assert result.verdict == "ok"
    with pytest.raises(DerivcheckError) as info:
        parse_formula(r"\hat{q} = 1")
    assert r"'\\hat" not in str(info.value) and r"'\hat{q}' = " in str(info.value)


@pytest.mark.parametrize("key", ["z", r"\hat{y}", "w_8", "out_{h1}", "it's", "E total"])
def test_toml_keys_read_back(key):
    assert tomllib.loads(f"{toml_key(key)} = 1") == {key: 1}


@pytest.mark.parametrize("a, b", [(r"\hat y", r"\hat{y}"), ("w_8", "w8"), ("out_{h1}", "out_h1"),
                                  (r"E_{\text{total}}", "E_total"), (r"\widehat{y}", r"\hat y")])
def test_one_spelling_per_symbol(a, b):
    assert normalize_key(a) == normalize_key(b)


# The same formula in several authors' notations gets the same verdict (hand-checked: the first is
# the textbook δ recurrence, right; the second drops f' of the hidden layer, WRONG).
NET = Network.build([2, 3, 2], "sigmoid", "half_sse", "per-neuron")


@pytest.mark.parametrize("latex, symbols, verdict", [
    (r"\delta^{(1)} = ((W^{(2)})^T \delta^{(2)}) \odot f'(u^{(1)})", None, "ok"),
    (r"\delta^1 = ((w^2)^\top \delta^2) \odot \sigma'(z^1)", None, "ok"),
    (r"\delta^{[1]} = (W^{[2]})^{\mathsf T} \delta^{[2]} * \sigma'(z^{[1]})", None, "ok"),
    (r"\delta_j = \sum_k w_{kj} \delta_k \sigma'(z_j)", LAYERS, "ok"),
    (r"\delta^{(1)} = (W^{(2)})^T \delta^{(2)}", None, "WRONG"),
    (r"\delta_j = \sum_k w_{kj} \delta_k", LAYERS, "WRONG"),
])
def test_notation_does_not_change_the_verdict(latex, symbols, verdict):
    assert verify_formula(NET, latex, symbols).verdict == verdict


def test_a_loss_term_from_the_aliases_is_refused_not_read_as_the_loss():
    """Mazur's E_o1 is L[1], one output's term; read as L it would change the verdict silently."""
    with pytest.raises(DerivcheckError) as info:
        parse_formula(r"\frac{\partial E_{o1}}{\partial w_5} = 1", None, {"E_o1": "L[1]", "w5": "W2[1,1]"}, 2)
    assert str(info.value).startswith("At column 16: E_{o1} means a loss term L[1]")
