"""Network.build validation and canonical-name parsing/checking: every error, with its message.

Each bad input is one row of a table: a change to a valid base network (or a
name to parse/check) and a fragment of the one-sentence message it must give.
"""
from __future__ import annotations

import math
from fractions import Fraction

import pytest

from symbolic import DerivcheckError, Name, Network, parse_name
from symbolic.spec.network import MAX_LAYER_WIDTH

W1 = [[0.15, 0.20], [0.25, 0.30]]
W2 = [[0.40, 0.45], [0.50, 0.55]]


def base(**changes):
    """A valid 2-2-2 network (per-neuron biases, one sample) with some arguments replaced."""
    kwargs = dict(
        layers=[2, 2, 2], activation="sigmoid", loss="half_sse", bias="per-neuron", learning_rate=0.5,
        params={"W1": W1, "b1": [0.35, 0.35], "W2": W2, "b2": [0.6, 0.6]},
        x=[0.05, 0.10], y=[0.01, 0.99],
    )
    kwargs.update(changes)
    return kwargs


def params(**changes):
    """The base parameters with some arrays replaced (a value of None removes the array)."""
    p = dict(base()["params"])
    for k, v in changes.items():
        if v is None:
            p.pop(k)
        else:
            p[k] = v
    return p


SHARED = {"W1": W1, "b1": 0.35, "W2": W2, "b2": 0.6}

# id, arguments of Network.build, fragments the message must contain
BUILD_ERRORS = [
    # layers
    ("one layer only", base(layers=[2]), ["at least two sizes"]),
    ("layers not a list", base(layers=3), ["at least two sizes"]),
    ("zero layer size", base(layers=[2, 0, 2]), ["Layer 1 has size 0", "at least one neuron"]),
    ("negative layer size", base(layers=[2, -3, 2]), ["Layer 1 has size -3", "at least one neuron"]),
    ("float layer size", base(layers=[2, 2.0, 2]), ["Layer 1 has size 2.0", "whole numbers"]),
    ("string layer size", base(layers=["2", 2, 2]), ["Layer 0 has size '2'", "whole numbers"]),
    ("bool layer size", base(layers=[2, True, 2]), ["Layer 1 has size True", "whole numbers"]),
    ("layer too wide", base(layers=[2, MAX_LAYER_WIDTH + 1, 2], params=None),
     [f"Layer 1 has {MAX_LAYER_WIDTH + 1} neurons", "smaller network"]),
    # activations
    ("unknown activation", base(activation="swish"), ["Activation 'swish' of layer 1 is unknown", "sigmoid"]),
    ("unknown activation in list", base(activation=["sigmoid", "gelu"]), ["'gelu' of layer 2 is unknown"]),
    ("activation list too short", base(activation=["sigmoid"]),
     ["activation lists 1 entries", "2 non-input layers"]),
    ("softmax on hidden layer", base(activation=["softmax", "sigmoid"]),
     ["'softmax' on hidden layer 1", "only be the output layer"]),
    ("softmax everywhere", base(activation="softmax"), ["hidden layer 1"]),
    # losses
    ("unknown loss", base(loss="hinge"), ["Loss 'hinge' is unknown", "half_sse"]),
    ("softmax_ce needs softmax", base(loss="softmax_ce"),
     ["Loss 'softmax_ce' needs the output activation to be softmax", "not 'sigmoid'"]),
    ("bce needs a probability output", base(activation=["sigmoid", "tanh"], loss="bce"),
     ["Loss 'bce' needs the output activation", "not 'tanh'"]),
    ("bce on a one-neuron softmax", base(layers=[2, 2, 1], activation=["sigmoid", "softmax"], loss="bce", y=[1],
                                         params=params(W2=[[0.4, 0.45]], b2=[0.6])),
     ["'bce' with a softmax output of one neuron", "always 1", "use sigmoid"]),
    # bias modes
    ("unknown bias mode", base(bias="per-layer"), ["Bias mode 'per-layer' of layer 1 is unknown", "shared"]),
    ("bias list too long", base(bias=["none", "none", "none"]), ["bias lists 3 entries", "2 non-input layers"]),
    ("bias given for a 'none' layer", base(bias=["none", "per-neuron"]),
     ["b1 is given, but layer 1 has bias mode 'none'"]),
    # training settings
    ("zero learning rate", base(learning_rate=0), ["learning_rate is 0", "positive"]),
    ("negative learning rate", base(learning_rate="-1/2"), ["learning_rate is -1/2", "positive"]),
    ("learning rate not a number", base(learning_rate="fast"), ["learning_rate is 'fast'", "not a number"]),
    ("update_biases not a bool", base(update_biases="no"), ["update_biases is 'no'", "true or false"]),
    # parameters
    ("parameters not a table", base(params=[W1, W2]), ["parameters must be a table"]),
    ("missing parameter", base(params=params(W2=None)), ["Parameter W2 is missing", "W1, b1, W2, b2"]),
    ("missing bias", base(params=params(b2=None)), ["Parameter b2 is missing"]),
    ("unknown parameter", base(params=params(W3=[[1.0, 1.0]])),
     ["Parameter 'W3' is not part of this network", "W1, b1, W2, b2"]),
    ("W2 wrong number of rows", base(params=params(W2=[[0.4, 0.45]])),
     ["W2 has 1 rows of lengths [2]", "shape must be (2, 2)"]),
    ("W2 transposed shape", base(layers=[2, 2, 3], y=[0, 0, 1], params=params(W2=[[1, 2, 3], [4, 5, 6]], b2=[0, 0, 0])),
     ["W2 has 2 rows of lengths [3, 3]", "shape must be (3, 2)"]),
    ("W2 ragged", base(params=params(W2=[[0.4, 0.45], [0.5]])), ["W2 has 2 rows of lengths [2, 1]"]),
    ("W1 not a matrix", base(params=params(W1=[0.15, 0.2, 0.25, 0.3])), ["W1 must be a matrix", "2 rows of 2"]),
    ("per-neuron bias too short", base(params=params(b1=[0.35])),
     ["b1 has 1 numbers", "layer 1 has 2 neurons", "shared"]),
    ("per-neuron bias given as a number", base(params=params(b1=0.35)), ["b1 has one number", "2 neurons"]),
    ("list for a shared bias", base(bias="shared", params={**SHARED, "b2": [0.6, 0.6]}),
     ["b2 must be one number", "layer 2 has a shared bias"]),
    # data
    ("x too long", base(x=[0.05, 0.10, 0.15]), ["x has 3 numbers", "feeds has 2 neurons"]),
    ("y too short", base(y=[0.01]), ["y has 1 numbers", "2 neurons"]),
    ("x empty", base(x=[]), ["x must be a list of 2 numbers"]),
    ("x a bare number", base(x=0.05), ["x must be a list of 2 numbers"]),
    ("one sample of a batch too short", base(x=[[0.05, 0.10], [0.2]], y=[[0, 1], [1, 0]]),
     ["sample 2 of x has 1 numbers"]),
    ("sample count mismatch", base(x=[[0.05, 0.10], [0.2, 0.3]], y=[[0.01, 0.99]]),
     ["x has 2 samples but y has 1"]),
    # numbers
    ("non-number string in W", base(params=params(W1=[[0.15, "abc"], [0.25, 0.3]])),
     ["W1[1,2] is 'abc'", "not a number"]),
    ("None in x", base(x=[0.05, None]), ["x[2] is NoneType None", "give a number"]),
    ("bool in y", base(y=[True, 0.99]), ["y[1] is a boolean"]),
    ("nan in W", base(params=params(W2=[[0.4, 0.45], [math.nan, 0.55]])),
     ["W2[2,1] is nan", "only finite numbers"]),
    ("inf in bias", base(params=params(b2=[0.6, math.inf])), ["b2[2] is inf", "only finite"]),
    ("nan in a shared bias", base(bias="shared", params={**SHARED, "b1": float("nan")}), ["b1 is nan"]),
    ("string nan", base(y=["nan", 0.99]), ["y[1] is 'nan'", "not a number"]),
    ("division by zero", base(learning_rate="1/0"), ["learning_rate is '1/0'", "not a number"]),
    # Python ints too long for repr (more than 4300 digits) are described by size: 10**5000 has 5001 digits
    ("5001-digit layer size", base(layers=[2, 10**5000, 2]), ["Layer 1 has about 1e5000 neurons"]),
    ("5001-digit negative size", base(layers=[2, -10**5000, 2]), ["Layer 1 has size about -1e5000"]),
    ("5001-digit weight", base(params=params(W1=[[10**5000, 0.2], [0.25, 0.3]])), ["W1[1,1] is about 1e5000"]),
]


@pytest.mark.parametrize("kwargs, fragments", [c[1:] for c in BUILD_ERRORS], ids=[c[0] for c in BUILD_ERRORS])
def test_build_rejects(kwargs, fragments):
    with pytest.raises(DerivcheckError) as info:
        Network.build(**kwargs)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    # one sentence: a single line ending in a full stop
    assert "\n" not in message and message.endswith("."), message


# --------------------------------------------------------------------------- valid networks
def test_valid_network_keeps_numbers_exact():
    net = Network.build(**base(bias=["shared", "per-neuron"], params=params(b1=0.35)))
    assert net.layers == (2, 2, 2) and net.depth == 2
    assert net.activations == ("sigmoid", "sigmoid") and net.bias == ("shared", "per-neuron")
    assert net.learning_rate == Fraction(1, 2)
    # 0.15 is kept as its shortest decimal, 3/20 — not the binary double 0.1499999999999999944…
    values = net.parameter_values()
    assert values["W1[1,1]"] == Fraction(3, 20) and values["b1"] == Fraction(7, 20)
    assert net.x == ((Fraction(1, 20), Fraction(1, 10)),) and net.y == ((Fraction(1, 100), Fraction(99, 100)),)
    assert net.parameter_names() == ["W1[1,1]", "W1[1,2]", "W1[2,1]", "W1[2,2]", "b1",
                                     "W2[1,1]", "W2[1,2]", "W2[2,1]", "W2[2,2]", "b2[1]", "b2[2]"]
    # strings and fractions are read exactly too
    net2 = Network.build(**base(params=params(W1=[["3/20", "0.2"], [Fraction(1, 4), 0.3]])))
    assert net2.parameter_values()["W1[1,1]"] == Fraction(3, 20)
    assert net2.parameter_values()["W1[2,1]"] == Fraction(1, 4)
    # with_values replaces entries exactly and rejects unknown ones
    assert net.with_values({"W2[1,1]": "0.35"}).parameter_values()["W2[1,1]"] == Fraction(7, 20)
    with pytest.raises(DerivcheckError, match=r"'W9\[1,1\]' is not a parameter"):
        net.with_values({"W9[1,1]": 1})


def test_allowed_output_activations_build():
    # every loss with each of the output activations it allows (and an unconstrained loss with softmax)
    from symbolic import ACTIVATIONS, LOSSES
    for loss, rule in LOSSES.items():
        for act in rule.needs_output or tuple(ACTIVATIONS):
            net = Network.build([2, 3, 2], activation=["tanh", act], loss=loss, bias="none")
            assert net.activations[-1] == act and net.loss == loss


# --------------------------------------------------------------------------- canonical names
NET = Network.build([2, 3, 2], activation="sigmoid", loss="half_sse", bias=["shared", "none"])
PER_NEURON = Network.build([2, 3, 2], activation="sigmoid", loss="half_sse", bias="per-neuron")

# text, network, expected fragment of the error (from parse_name or Name.check)
NAME_ERRORS = [
    # not canonical at all
    ("w5", NET, "not a canonical name"),
    ("net_h1", NET, "not a canonical name"),
    ("W2[1,", NET, "not a canonical name"),
    ("W2[1,2,3]", NET, "needs two indices [row, column]"),
    ("L2", NET, "not a canonical name"),
    ("W2[-1,1]", NET, "not a canonical name"),
    # out-of-range indices and layers
    ("W2[3,1]", NET, "refers to row (neuron of layer 2) 3, but there are only 2"),
    ("W2[1,4]", NET, "refers to column (neuron of layer 1) 4, but there are only 3"),
    ("W2[0,1]", NET, "indices start at 1"),
    ("W3[1,1]", NET, "names layer 3, but the network's layers run from 1 to 2"),
    ("u0[1]", NET, "names layer 0"),
    ("a3[1]", NET, "layers run from 0 to 2"),
    ("a1[4]", NET, "refers to neuron 4, but there are only 3"),
    ("x[3]", NET, "refers to neuron 3, but there are only 2"),
    ("y[3]", NET, "refers to neuron 3, but there are only 2"),
    ("L[3]", NET, "refers to output 3, but there are only 2"),
    # missing or surplus indices
    ("W2", NET, "needs two indices"),
    ("W2[1]", NET, "needs two indices"),
    ("u1", NET, "needs exactly one index"),
    ("a1[1,2]", NET, "needs exactly one index"),
    ("W[1,1]", NET, "needs a layer number"),
    ("a[1]", NET, "needs a layer number"),
    ("x1[1]", NET, "should be written x[1]"),
    ("L[1,1]", NET, "is not a loss name"),
    # biases
    ("b2", NET, "is a bias, but layer 2 has no bias (bias mode 'none')"),
    ("b2[1]", NET, "layer 2 has no bias"),
    ("b1[1]", NET, "has an index, but layer 1 has one shared bias; write b1"),
    ("b1", PER_NEURON, "needs one index, like b1[1]"),
    ("b1[4]", PER_NEURON, "refers to neuron 4, but there are only 3"),
]


@pytest.mark.parametrize("text, network, fragment", NAME_ERRORS, ids=[c[0] for c in NAME_ERRORS])
def test_name_rejected(text, network, fragment):
    with pytest.raises(DerivcheckError) as info:
        parse_name(text).check(network)
    message = str(info.value)
    assert fragment in message, message
    assert "\n" not in message and message.endswith("."), message


# text, network, the normalized name it checks to
NAME_OK = [
    ("W2[2,3]", NET, Name("W", 2, (2, 3))),
    (" W2[1, 2] ", NET, Name("W", 2, (1, 2))),
    ("b1", NET, Name("b", 1, ())),
    ("b1[3]", PER_NEURON, Name("b", 1, (3,))),
    ("u1[3]", NET, Name("u", 1, (3,))),
    ("a2[2]", NET, Name("a", 2, (2,))),
    ("a0[2]", NET, Name("x", None, (2,))),  # a0 is the input
    ("x[1]", NET, Name("x", None, (1,))),
    ("y[2]", NET, Name("y", None, (2,))),
    ("L", NET, Name("L", None, ())),
    ("L[2]", NET, Name("L", None, (2,))),
]


@pytest.mark.parametrize("text, network, want", NAME_OK, ids=[c[0] for c in NAME_OK])
def test_name_accepted(text, network, want):
    got = parse_name(text).check(network)
    assert got == want
    assert parse_name(str(got)) == got  # str() is canonical and round-trips


def test_parse_name_rejects_non_text():
    with pytest.raises(DerivcheckError, match="is not a name"):
        parse_name(5)
    with pytest.raises(DerivcheckError, match=r"\.\.\.'"):
        parse_name("x" * 100)  # long text is shortened in the message
