"""Every validation error of a ``[[layer]]`` list is one sentence naming the layer/key, asserted here.

One table of cases, one body: each case overrides one part of a small valid file (a dense layer,
a batchnorm, a dense output; a batch of 3) and names a piece of the expected sentence. The valid
file itself loads, and its claim is checked (a control, so the table's errors are not the base's).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from symbolic.claims.check import check_file

BASE = {
    "network": 'inputs = 2\nloss = "half_sse"',
    "layers": ['kind = "dense"\nunits = 2\nactivation = "identity"', 'kind = "batchnorm"\neps = 0.01',
               'kind = "dense"\nunits = 1'],
    "parameters": "W1 = [[1, 2], [3, -1]]\nb1 = [0, 1]\ngamma2 = [1, 2]\nbeta2 = [0, 0.5]\nW3 = [[1, -1]]\nb3 = [0]",
    "data": "x = [[1, 2], [0, 1], [2, -1]]\ny = [[1], [0], [1]]",
    "claims": '[[claims]]\nname = "dL/dgamma2[1]"\nvalue = "1"',
}


def document(**parts) -> str:
    p = {**BASE, **parts}
    layers = "".join(f"\n[[layer]]\n{t}\n" for t in p["layers"])
    return (f'title = "t"\n[network]\n{p["network"]}\n{layers}\n[parameters]\n{p["parameters"]}\n'
            f'[data]\n{p["data"]}\n\n{p["claims"]}\n')


def _layers(*replace: tuple[int, str]) -> list[str]:
    out = list(BASE["layers"])
    for k, text in replace:
        out[k] = text
    return out


CASES = [  # (id, overrides, the sentence must contain)
    ("both forms", {"network": 'inputs = 2\nlayers = [2, 2, 1]'}, "give either layers = [...]"),
    ("learning rate negative", {"network": "inputs = 2\nlearning_rate = -0.5"},
     "learning_rate is -1/2; it must be positive."),
    ("update_biases not a boolean", {"network": 'inputs = 2\nlearning_rate = 0.5\nupdate_biases = "no"'},
     "update_biases is 'no'; write true or false."),
    ("after without a learning rate", {"claims": '[[claims]]\nname = "W1[1,1]"\nvalue = "1"\nafter = 1'},
     "asks for a value after updates, but [network] has no learning_rate"),
    ("activation in network", {"network": 'inputs = 2\nactivation = "relu"'},
     "[network] takes only inputs, loss, learning_rate and update_biases"),
    ("learning rate typo", {"network": 'inputs = 2\nlearning_rat = 0.5'},
     "has 'learning_rat': with [[layer]] tables, [network] takes only inputs, loss, learning_rate and update_biases "
     "(did you mean 'learning_rate'?)"),
    ("no inputs", {"network": 'loss = "half_sse"'}, "[network] needs inputs = N"),
    ("inputs zero", {"network": "inputs = 0"}, "[network] inputs is 0; give a whole number from 1"),
    ("loss typo", {"network": 'inputs = 2\nloss = "half_ss"'}, "(did you mean 'half_sse'?) is unknown"),
    ("loss needs output", {"network": 'inputs = 2\nloss = "bce"'}, "needs the last layer to be dense with"),
    ("kind typo", {"layers": _layers((1, 'kind = "batchnrom"'))}, "(did you mean 'batchnorm'?)"),
    ("unknown key", {"layers": _layers((1, 'kind = "batchnorm"\nepss = 0.1'))},
     "has unknown key 'epss' (did you mean 'eps'?)"),
    ("dense without units", {"layers": _layers((0, 'kind = "dense"'))}, "has no units"),
    ("units zero", {"layers": _layers((0, 'kind = "dense"\nunits = 0'))}, "units is 0"),
    ("activation typo", {"layers": _layers((0, 'kind = "dense"\nunits = 2\nactivation = "sigmod"'))},
     "(did you mean 'sigmoid'?)"),
    ("softmax hidden", {"layers": _layers((0, 'kind = "dense"\nunits = 2\nactivation = "softmax"'))},
     "may only be the last layer's"),
    ("bias mode", {"layers": _layers((0, 'kind = "dense"\nunits = 2\nbias = "shard"'))}, "(did you mean 'shared'?)"),
    ("dropout without mask", {"layers": _layers((1, 'kind = "dropout"\np = 0.5'))}, "needs p (the drop probability)"),
    ("dropout p", {"layers": _layers((1, 'kind = "dropout"\np = 1\nmask = [[1, 1], [1, 0], [0, 1]]'))},
     "p is 1; the drop probability must be at least 0 and below 1"),
    ("mask rows", {"layers": _layers((1, 'kind = "dropout"\np = 0.5\nmask = [[1, 1]]'))},
     "mask must be a list of 3 rows (one per sample)"),
    ("mask values", {"layers": _layers((1, 'kind = "dropout"\np = 0.5\nmask = [[1, 2], [1, 0], [0, 1]]'))},
     "mask row 1 is [1, 2]; give 2 zeros and ones"),
    ("eps negative", {"layers": _layers((1, 'kind = "batchnorm"\neps = -0.1'))}, "eps is -1/10; it must be 0 or positive"),
    ("layernorm of one feature", {"layers": _layers((0, 'kind = "dense"\nunits = 1'), (1, 'kind = "layernorm"')),
                                  "parameters": "W1 = [[1, 2]]\nb1 = [0]\ngamma2 = [1]\nbeta2 = [0]\nW3 = [[1]]\nb3 = [0]"},
     "its input has a single feature"),
    ("mode typo", {"layers": _layers((1, 'kind = "batchnorm"\nmode = "inferense"'))}, "(did you mean 'inference'?)"),
    ("running stats in train", {"layers": _layers((1, 'kind = "batchnorm"\nrunning_mean = [0, 0]'))},
     "gives running_mean, which only inference mode uses"),
    ("inference without stats", {"layers": _layers((1, 'kind = "batchnorm"\nmode = "inference"'))},
     "needs running_mean and running_var"),
    ("running_var length", {"layers": _layers((1, 'kind = "batchnorm"\nmode = "inference"\nrunning_mean = [0, 0]\n'
                                                  'running_var = [1]'))}, "running_var has 1 numbers, but it needs one"),
    ("running_var zero", {"layers": _layers((1, 'kind = "batchnorm"\nmode = "inference"\neps = 0\n'
                                                'running_mean = [0, 0]\nrunning_var = [1, 0]'))},
     "running_var + eps must be positive"),
    ("batch of one", {"data": "x = [[1, 2]]\ny = [[1]]"},
     "has a single sample: its variance is 0, every output equals beta2"),
    ("samples differ", {"data": "x = [[1, 2], [0, 1]]\ny = [[1]]"}, "x has 2 samples but y has 1"),
    ("sample width", {"data": "x = [[1, 2, 3], [0, 1, 1], [1, 1, 1]]\ny = [[1], [0], [1]]"},
     "sample 1 of x must be 2 numbers"),
    ("parameter typo", {"parameters": BASE["parameters"].replace("gamma2", "gama2")},
     "'gama2' is not part of this layer list (did you mean 'gamma2'?)"),
    ("parameter missing", {"parameters": BASE["parameters"].replace("beta2 = [0, 0.5]\n", "")},
     "beta2 of layer 2 (batchnorm) is missing (1 and 0 are PyTorch's initial values)"),
    ("weight shape", {"parameters": BASE["parameters"].replace("W3 = [[1, -1]]", "W3 = [[1, -1, 2]]")},
     "W3 must be 1 rows of 2 numbers"),
    ("gamma length", {"parameters": BASE["parameters"].replace("gamma2 = [1, 2]", "gamma2 = [1]")},
     "gamma2 has 1 numbers, but it needs one number per feature (2)"),
    ("shared bias list", {"layers": _layers((2, 'kind = "dense"\nunits = 1\nbias = "shared"'))},
     "b3 must be one number: layer 3 has a shared bias"),
    ("name of another kind", {"claims": '[[claims]]\nname = "dL/dW2[1,1]"\nvalue = "1"'},
     "does not exist: layer 2 is a batchnorm layer (its names: gamma2[i], beta2[i], xhat2[i], mu2[i], var2[i]"),
    ("layer out of range", {"claims": '[[claims]]\nname = "xhat4[1]"\nvalue = "1"'}, "needs a layer number from 1 to 3"),
    ("index out of range", {"claims": '[[claims]]\nname = "dL/dxhat2[3]"\nvalue = "1"'},
     "needs one index from 1 to 2, like xhat2[1]"),
    ("running statistic is no node", {
        "layers": _layers((1, 'kind = "batchnorm"\nmode = "inference"\nrunning_mean = [0, 0]\nrunning_var = [1, 1]')),
        "claims": '[[claims]]\nname = "dL/dmu2[1]"\nvalue = "1"'}, "is a running statistic of inference-mode layer 2"),
    ("layernorm statistic has no index", {
        "layers": _layers((1, 'kind = "layernorm"')), "claims": '[[claims]]\nname = "mu2[1]"\nvalue = "1"'},
     "has one mu per sample; write mu2 and give the claim's sample"),
    ("constant feature, eps 0", {"layers": _layers((1, 'kind = "batchnorm"\neps = 0')),
                                 "data": "x = [[1, 2], [1, 2], [1, 2]]\ny = [[1], [0], [1]]"},
     "has the same value in every sample and eps = 0"),
    ("constant feature through sigmoid, eps 0", {  # σ(0·x + 1): a ball column, its variance a ball around 0
        "layers": _layers((0, 'kind = "dense"\nunits = 2\nactivation = "sigmoid"'), (1, 'kind = "batchnorm"\neps = 0')),
        "parameters": "W1 = [[0, 0], [3, -1]]\nb1 = [1, 1]\ngamma2 = [1, 2]\nbeta2 = [0, 0.5]\nW3 = [[1, -1]]\nb3 = [0]"},
     "Feature 1 of batchnorm layer 2's input has the same value in every sample and eps = 0, so its variance is 0"),
    ("constant sample, layernorm eps 0", {"layers": _layers((1, 'kind = "layernorm"\neps = 0')),
                                          "data": "x = [[1, 2], [1, 1], [2, -1]]\ny = [[1], [0], [1]]"},
     "Sample 2 of layernorm layer 2's input has the same value in every feature and eps = 0"),  # u1 = (1+2, 3-1+1)
    ("constant sample through tanh, layernorm eps 0", {
        "layers": _layers((0, 'kind = "dense"\nunits = 2\nactivation = "tanh"'), (1, 'kind = "layernorm"\neps = 0')),
        "data": "x = [[1, 2], [1, 1], [2, -1]]\ny = [[1], [0], [1]]"},
     "Sample 2 of layernorm layer 2's input has the same value in every feature and eps = 0"),  # tanh(3), tanh(3)
    ("vacuous: batch of 2, eps 0", {"layers": _layers((1, 'kind = "batchnorm"\neps = 0')),
                                    "data": "x = [[1, 2], [0, 1]]\ny = [[1], [0]]",
                                    "claims": '[[claims]]\nname = "dL/dW1[1,1]"\nvalue = "0"'},
     "dL/dW1[1,1] holds trivially here: with a batch of 2 and eps = 0, batchnorm layer 2 makes x̂ = ±1"),
    ("vacuous: layernorm of 2 features, eps 0", {"layers": _layers((1, 'kind = "layernorm"\neps = 0')),
                                                  "claims": '[[claims]]\nname = "dL/db1[2]"\nvalue = "0"'},
     "dL/db1[2] holds trivially here: with 2 features and eps = 0, layernorm layer 2 makes x̂ = ±1"),
    ("layernorm rows do not divide", {"layers": _layers((0, 'kind = "dense"\nunits = 3'),
                                                         (1, 'kind = "layernorm"\nnormalized = 2'))},
     "[[layer]] 2 (layernorm): normalized = 2 does not divide the 3 features of a sample"),
    ("layernorm rows of one feature", {"layers": _layers((1, 'kind = "layernorm"\nnormalized = 1'))},
     "[[layer]] 2 (layernorm): normalized is 1; give a whole number from 2 to 2"),
    ("formula claim with an unknown letter", {"claims": '[[claims]]\nname = "dL/dbeta2[1]"\nformula = "q = 1"'},
     "At column 1: the symbol q has no meaning in a formula about batchnorm layer 2; add it to the claim's symbols"),
    ("sample of a batch statistic", {"claims": '[[claims]]\nname = "dL/dvar2[1]"\nsample = 2\nvalue = "1"'},
     "gives a sample, but var2[1] is a statistic of batchnorm layer 2 over the whole batch"),
    ("'with' on a missing parameter", {"claims": '[[claims]]\nname = "L"\nvalue = "1"\nwith = { gamma2 = 1 }'},
     "'gamma2' needs one index from 1 to 2, like gamma2[1]; did you mean 'gamma2[2]' or 'gamma2[1]'? names here"),
]


@pytest.mark.parametrize("overrides, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_layer_list_error_is_one_sentence(tmp_path: Path, overrides: dict, expected: str):
    path = tmp_path / "net.toml"
    path.write_text(document(**overrides), encoding="utf-8")
    report = check_file(path)
    message = report.error or " ".join(r.message for r in report.results)
    assert expected in message, message
    assert str(path) in message and "Traceback" not in message


def test_the_base_file_is_valid(tmp_path: Path):
    path = tmp_path / "net.toml"
    path.write_text(document(), encoding="utf-8")
    report = check_file(path)
    assert report.error is None and [r.verdict for r in report.results] != ["error"], report


def test_dense_shorthand_refuses_normalization_names(tmp_path: Path):
    path = tmp_path / "dense.toml"
    path.write_text('[network]\nlayers = [1, 1]\n[parameters]\nW1 = [[1]]\nb1 = [0]\n[data]\nx = [1]\ny = [1]\n'
                    '[[claims]]\nname = "gamma1[1]"\nvalue = "1"\n', encoding="utf-8")
    message = check_file(path).results[0].message
    assert "names a normalization quantity, but this network has no batchnorm or layernorm layer" in message


@pytest.mark.parametrize("command", ["gradcheck"])  # train runs a layer list: tests/test_layer_updates.py
def test_dense_only_commands_refuse_a_layer_list(command: str):
    import subprocess
    import sys
    path = Path(__file__).resolve().parents[1] / "derivations" / "013-dropout-given-mask.toml"
    run = subprocess.run([sys.executable, "-m", "symbolic.cli", command, str(path)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"'{command}' works on the dense shorthand (layers = [...]); this file is a [[layer]] list" in run.stderr
