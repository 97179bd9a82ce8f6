"""rnn / lstm tables and names (symbolic/spec/recurrent.py): every validation message, the step names, the size guard.

One table of bad tables (each with the sentence it must get), one of names (each with its normal form or its
sentence); the size guard's sentence names the size, counted by hand: 1,000 steps × hidden 3,000 × 1 input
per step is 3,000 · (1 + 3,000 + 1) = 9,006,000 products per step, 9,006,000,000 in all.
"""
from __future__ import annotations

import pytest

from symbolic.spec.errors import DerivcheckError
from symbolic.spec.layers import build_layered
from symbolic.spec.names import parse_name

RNN = {"kind": "rnn", "hidden": 1, "steps": 2}
PARAMS = {"Wx1": [[2]], "Wh1": [[0.5]], "b1": [0]}
DATA = {"x": [[1, 3]], "y": [[0, 0]]}


def _build(layer, params=PARAMS, inputs=2, data=DATA):
    return build_layered({"inputs": inputs, "loss": "half_sse"}, [layer], params, data)


BAD_TABLES = [
    ({**RNN, "steps": 3}, r"its input has 2 numbers per sample, which is not a multiple of steps = 3"),
    ({**RNN, "hidden": 0}, r"hidden is 0; give a whole number from 1 to 100,000"),
    ({"kind": "rnn", "steps": 2}, r"hidden is missing"),
    ({**RNN, "steps": 1001}, r"steps is 1001; give a whole number from 1 to 1,000"),
    ({**RNN, "outputs": -1}, r"outputs is -1"),
    ({**RNN, "emit": "end"}, r"has emit 'end'; use \"all\""),
    ({**RNN, "activation": "softmax"}, r"activation 'softmax', which is not elementwise"),
    ({**RNN, "activation": "tanhh"}, r"Activation 'tanhh' of layer 1 is unknown"),
    ({**RNN, "h0": [1, 2]}, r"h0 must be 1 number \(the initial state, for every sample\)"),
    ({**RNN, "bias": "no"}, r"has bias 'no' \(did you mean 'none'\?\)"),
    ({**RNN, "c0": [1]}, r"has unknown key 'c0'"),
    ({**RNN, "hiden": 1}, r"has unknown key 'hiden' \(did you mean 'hidden'\?\)"),
    ({**RNN, "output_activation": "softmax"}, r"has output_activation but no outputs"),
    ({**RNN, "outputs": 1, "output_activation": "softmax"}, r"a softmax over outputs = 1 is always 1"),
]


@pytest.mark.parametrize("layer, message", BAD_TABLES)
def test_bad_tables_get_one_sentence(layer, message):
    with pytest.raises(DerivcheckError, match=message):
        _build(layer)


def test_an_unrolled_graph_over_the_limit_is_refused_with_its_size():
    layer = {"kind": "rnn", "hidden": 3000, "steps": 1000}
    with pytest.raises(DerivcheckError, match=r"unrolls into 9,006,000,000 scalar products \(1,000 steps × 9,006,000 "
                                              r"per step .*the exact-mode limit is 1,000,000"):
        _build(layer, params={}, inputs=1000, data={"x": [[0] * 1000]})


NAMES = [  # (name, its normal form, or the start of its sentence)
    ("h1_t2[1]", "h1_t2[1]"),
    ("h1_t0[1]", "h1_t0[1]"),
    ("Wh1_t2[1,1]", "Wh1_t2[1,1]"),
    ("x_t2[1]", "x[2]"),
    ("y_t2[1]", "y[2]"),
    ("a1_t2[1]", "a1[2]"),
    ("L_t2", "L[2]"),
    ("L_t3", "'L_t3' names the loss of step 3, which is one loss term only when each step has one output"),
    ("h1_t3[1]", "'h1_t3[1]' names step 3, but h1 exists at steps 0 to 2."),
    ("h1_t1[2]", "'h1_t1[2]' needs one index from 1 to 1"),
    ("h1[1]", "'h1[1]' needs a time step, like h1_t1[1]"),
    ("u1_t0[1]", "'u1_t0[1]' names step 0, but u1 exists at steps 1 to 2."),
    ("Wh1_t3[1,1]", "'Wh1_t3[1,1]' names the copy of Wh1 at step 3, but layer 1 runs steps 1 to 2."),
    ("Wh1_t1[1]", "'Wh1_t1[1]' needs 2 indices within 1 × 1"),
    ("c1_t1[1]", "'c1_t1[1]' does not exist: layer 1 is an rnn layer"),
    ("x_t3[1]", "'x_t3[1]' needs a step from 1 to 2"),
    ("a1[3]", "'a1[3]' needs one index from 1 to 2"),
]


@pytest.mark.parametrize("text, expected", NAMES)
def test_step_names(text, expected):
    net = _build(RNN)
    if expected[0] == "'":
        with pytest.raises(DerivcheckError) as err:
            parse_name(text).check(net)
        assert str(err.value).startswith(expected), str(err.value)
    else:
        assert str(parse_name(text).check(net)) == expected


def test_a_loss_per_step_through_the_layers_output_activation():
    """softmax_ce / bce need a softmax / sigmoid output: a recurrent last layer's output_activation counts."""
    layer = {**RNN, "outputs": 2, "output_activation": "softmax"}
    params = {**PARAMS, "Wy1": [[1], [2]], "by1": [0, 0]}
    net = build_layered({"inputs": 2, "loss": "softmax_ce"}, [layer], params, {"x": [[1, 3]], "y": [[1, 0, 0, 1]]})
    assert net.specs[0].extra.output_activation == "softmax"
    with pytest.raises(DerivcheckError, match="Loss 'softmax_ce' needs the last layer to be dense with activation"):
        build_layered({"inputs": 2, "loss": "softmax_ce"}, [{**layer, "output_activation": "identity"}], params,
                      {"x": [[1, 3]], "y": [[1, 0, 0, 1]]})


def test_lstm_arrays_and_bias_none():
    net = build_layered({"inputs": 2, "loss": "half_sse"},
                        [{"kind": "lstm", "hidden": 1, "steps": 2, "outputs": 1, "bias": "none"}],
                        {**{f"W{w}{g}1": [[0.1]] for g in "gifo" for w in "xh"}, "Wy1": [[1]]}, DATA | {"y": [[0, 0]]})
    assert net.parameter_names() == ["Wxg1[1,1]", "Whg1[1,1]", "Wxi1[1,1]", "Whi1[1,1]", "Wxf1[1,1]", "Whf1[1,1]",
                                     "Wxo1[1,1]", "Who1[1,1]", "Wy1[1,1]"]
    with pytest.raises(DerivcheckError, match="'bg1\\[1\\]' does not exist"):
        parse_name("bg1[1]").check(net)
