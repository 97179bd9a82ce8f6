"""The plug-in protocol of layer kinds with their own shapes and names (spec/layer_plugin.py, truth/layer_op.py).

A toy kind ``mix`` is registered for these tests only: its node ``xhat{l}[k] = x_k²`` (one per input) and its
output ``a{l}[i] = Σ_k gamma{l}[i,k] · xhat{l}[k]`` with a matrix parameter ``gamma{l}`` of shape (units, inputs).
Every expected number below is worked out by hand from those two lines (shown beside it), never by the code
under test: the test checks that the generic parser, names, parameter handling and the batch evaluation's
forward/reverse dispatch reach a plugin kind's rules and nothing else.
"""
from __future__ import annotations

from fractions import Fraction as F

import pytest

from symbolic.spec.errors import DerivcheckError
from symbolic.spec.layer_plugin import KindPlugin, LayerKind
from symbolic.spec.layer_rules import LAYER_KINDS
from symbolic.spec.layers import build_layered
from symbolic.spec.names import Name, parse_name
from symbolic.truth.balls import ONE, ZERO, add, mul
from symbolic.truth.layer_op import LAYER_OPS, LayerOp
from symbolic.truth.layered import BatchPoint


class _MixPlugin(KindPlugin):
    def parse(self, raw, l, width, batch, last, where):
        return raw["units"], None

    def arrays(self, spec):
        return {f"gamma{spec.index}": (spec.units, spec.inputs)}

    def check_name(self, spec, name, network):
        if name.kind == "xhat" and len(name.indices) == 1 and 1 <= name.indices[0] <= spec.inputs:
            return name
        if name.kind == "a" and len(name.indices) == 1 and 1 <= name.indices[0] <= spec.units:
            return name
        raise DerivcheckError(f"{str(name)!r} is not a node of mix layer {spec.index}.")


class _MixOp(LayerOp):
    def forward(self, spec, prev, values, mistakes=()):
        g = [[values[f"gamma{spec.index}[{i},{k}]"] for k in range(1, spec.inputs + 1)] for i in range(1, spec.units + 1)]
        sq = [[mul((x, x)) for x in row] for row in prev]
        return [[add([mul((gi[k], r[k])) for k in range(spec.inputs)]) for gi in g] for r in sq], (prev, sq)

    def backward(self, spec, saved, g_out, values, seed=None, mistakes=()):
        prev, sq = saved
        m, n, l = len(prev), spec.inputs, spec.index
        g_sq = [[add([mul((g_out[s][i], values[f"gamma{l}[{i + 1},{k + 1}]"])) for i in range(spec.units)])
                 for k in range(n)] for s in range(m)]
        if seed is not None:
            (node, sample) = seed
            g_sq = [[ONE if (s == sample - 1 and k == node.indices[0] - 1) else ZERO for k in range(n)] for s in range(m)]
        grads = {f"gamma{l}[{i + 1},{k + 1}]": add([mul((g_out[s][i], sq[s][k])) for s in range(m)])
                 for i in range(spec.units) for k in range(n)}
        nodes = {f"xhat{l}[{k + 1}]": [g_sq[s][k] for s in range(m)] for k in range(n)}
        g_in = [[mul((g_sq[s][k], prev[s][k], 2)) for k in range(n)] for s in range(m)]
        return g_in, grads, nodes

    def value(self, spec, saved, name, sample):
        return saved[1][sample - 1][name.indices[0] - 1]


@pytest.fixture()
def mix(monkeypatch):
    monkeypatch.setitem(LAYER_KINDS, "mix", LayerKind("mix", ("units",), (), ("xhat",), False, None, "toy",
                                                      plugin=_MixPlugin()))
    monkeypatch.setitem(LAYER_OPS, "mix", _MixOp())
    # dense 1→2 (W1 = [[1], [2]], b1 = [0, 1], identity), mix 2→1 (gamma2 = [[3, -1]]), half_sse; x = 1, y = 0.
    return build_layered({"inputs": 1, "loss": "half_sse"},
                         [{"kind": "dense", "units": 2}, {"kind": "mix", "units": 1}],
                         {"W1": [[1], [2]], "b1": [0, 1], "gamma2": [[3, -1]]}, {"x": [[1]], "y": [[0]]})


# By hand: a1 = (1·1 + 0, 2·1 + 1) = (1, 3); xhat2 = (1, 9); a2 = 3·1 − 1·9 = −6; L = ½·36 = 18.
# dL/da2 = a2 − y = −6; dL/dgamma2[1,k] = −6·xhat2[k] = (−6, −54); dL/dxhat2 = −6·gamma2 = (−18, 6);
# dL/da1[k] = dL/dxhat2[k]·2·a1[k] = (−36, 36); dL/dW1[k,1] = dL/da1[k]·x = (−36, 36); dL/db1 = (−36, 36).
# d xhat2[2] / d a1[2] = 2·a1[2] = 6 (a sweep seeded at the plugin's own node); d xhat2[2] / d W1[2,1] = 6·x = 6.
CASES = [
    ("value", "a2[1]", None, F(-6)),
    ("value", "xhat2[2]", None, F(9)),
    ("value", "L", None, F(18)),
    ("derivative", "L", "gamma2[1,2]", F(-54)),
    ("derivative", "L", "xhat2[1]", F(-18)),
    ("derivative", "L", "a1[2]", F(36)),
    ("derivative", "L", "W1[1,1]", F(-36)),
    ("derivative", "L", "b1[2]", F(36)),
    ("derivative", "xhat2[2]", "a1[2]", F(6)),
    ("derivative", "xhat2[2]", "W1[2,1]", F(6)),
    ("derivative", "xhat2[2]", "xhat2[2]", F(1)),
    ("derivative", "a2[1]", "xhat2[2]", F(-1)),
]


@pytest.mark.parametrize("what,of,wrt,expected", CASES)
def test_a_plugin_kind_is_interpreted_by_its_own_rules(mix, what, of, wrt, expected):
    point = BatchPoint(mix)
    got = point.value(of) if what == "value" else point.derivative(of, wrt)
    assert F(int(got.p), int(got.q)) == expected


NAME_CASES = [
    ("gamma2[1,3]", "needs 2 indices within 1 × 2"),
    ("gamma2[1]", "needs 2 indices within 1 × 2"),
    ("W2[1,1]", "does not exist: layer 2 is a mix layer"),
    ("xhat2[3]", "is not a node of mix layer 2"),
    ("a1_t2[1]", "only recurrent layers have steps"),
    ("x_t1[1]", "only recurrent layers have steps"),
]


@pytest.mark.parametrize("text,message", NAME_CASES)
def test_names_of_a_plugin_layer_are_checked_by_shape_and_by_the_plugin(mix, text, message):
    with pytest.raises(DerivcheckError, match=message.replace("×", "×").replace("(", r"\(")):
        parse_name(text).check(mix)


def test_parameters_are_validated_rewritten_and_counted_by_shape(mix):
    assert mix.parameter_names() == ["W1[1,1]", "W1[2,1]", "b1[1]", "b1[2]", "gamma2[1,1]", "gamma2[1,2]"]
    changed = mix.with_values({"gamma2[1,2]": 5})
    assert changed.params["gamma2"] == ((F(3), F(5)),)
    with pytest.raises(DerivcheckError, match=r"gamma2 of layer 2 \(mix\) must have the shape 1 × 2"):
        build_layered({"inputs": 1}, [{"kind": "dense", "units": 2}, {"kind": "mix", "units": 1}],
                      {"W1": [[1], [2]], "b1": [0, 1], "gamma2": [[3, -1, 4]]}, {"x": [[1]], "y": [[0]]})


def test_a_step_is_part_of_a_name():
    assert parse_name("a1_t10[2]") == Name("a", 1, (2,), step=10)
    assert str(parse_name("a1_t10[2]")) == "a1_t10[2]"
    assert parse_name("a2[1,2,3,4]").indices == (1, 2, 3, 4)
