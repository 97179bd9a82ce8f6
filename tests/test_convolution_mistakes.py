"""Each conv/pool mistake diagnoses the number it makes, computed here by hand on tiny files.

Every network below ends in a dense 1-unit identity layer and ½(y − out)² with y = out − 1, so dL/d(out) = 1
and the gradient reaching the conv or pool layer is the dense weights themselves (worked out beside each
file). Each row claims a number an author gets by making one mistake, and the right number; the first must
be WRONG with exactly the listed diagnoses (several mistakes may give the same number), the second ok.
(Numbers one unit of their last digit off the truth are "rounding": such rows print one more decimal.)
"""
from __future__ import annotations

from pathlib import Path

import pytest

from symbolic.claims.check import check_file
from symbolic.claims.convolution_mistakes import CONV_MISTAKES, TIE_MISTAKES

DESCRIPTION = {m.key: m.description for m in CONV_MISTAKES}


def _file(layers: str, params: str, x: list, y: float) -> str:
    return f'[network]\ninputs = {len(x)}\n{layers}[parameters]\n{params}\n[data]\nx = {x}\ny = [{y}]\n'


_CONV = '[[layer]]\nkind = "conv2d"\ninput = [1, {n}, {n}]\nchannels = 1\nkernel = 2\nstride = {s}\nbias = "none"\n'
_TAIL = '[[layer]]\nkind = "flatten"\n[[layer]]\nkind = "dense"\nunits = 1\nbias = "none"\n'

# x = 1..9 (3×3), K = [[1, 2], [3, 4]], stride 1 → u is 2×2; W3 = [1, 0, 0, 0] reads u[1,1,1] = 1 + 4 + 12 + 20 = 37,
# y = 36. δ = one-hot at (1,1): dL/dx = K on the top-left 2×2 = [1, 2, 0, 3, 4, 0, 0, 0, 0]; dL/dK = x's top-left 2×2
# = [1, 2, 4, 5]. Kernel not rotated: K read flipped, [[4, 3], [2, 1]] → dL/dx[2] = 3. dK rotated: dL/dK[1,1,1,1]
# reported from (2,2): 5. Padding P + 1 = 1 in the backward: output (1,1) covers xpad rows/cols 0..1, so only
# K[2,2] = 4 meets x[1,1] → dL/dx[1] = 4 (the flipped kernel puts K[2,2] there too: both explain it).
CONV_STRIDE1 = _file(_CONV.format(n=3, s=1) + _TAIL, "K1 = [[[[1, 2], [3, 4]]]]\nW3 = [[1, 0, 0, 0]]",
                     list(range(1, 10)), 36)
# x = 1..16 (4×4), K = ones 2×2, stride 2 → u 2×2; W3 = [0, 0, 0, 1] reads u[1,2,2] = 11 + 12 + 15 + 16 = 54, y = 53;
# δ = one-hot at (2,2): dL/dx = 1 at x[11], x[12], x[15], x[16]. Stride S − 1 = 1 in the backward maps output (2,2)
# to rows/cols 2..3: dL/dx[6] = 1 (truth 0). Padding P + 1 = 1 shifts output (2,2)'s window to xpad rows/cols 3..4,
# i.e. x rows/cols 2..3 as well: both explain it.
CONV_STRIDE2 = _file(_CONV.format(n=4, s=2) + _TAIL, "K1 = [[[[1, 1], [1, 1]]]]\nW3 = [[0, 0, 0, 1]]",
                     list(range(1, 17)), 53)
# x = [1, 5, 9, 3] (1×2×2), one 2×2 window, W3 = [2]: max 9 at (2,1), out = 18, y = 17, dL/dpool = 2:
# right dL/dx = [0, 0, 2, 0]; first cell [2, 0, 0, 0]; transposed (1,2) [0, 2, 0, 0]; every cell [2, 2, 2, 2].
# avgpool: mean 4.5, out = 9, y = 8: right dL/dx = 2/4 = 0.5 each; not divided: 2.
_POOL = '[[layer]]\nkind = "{k}"\ninput = [1, 2, 2]\nsize = 2\n'
MAX = _file(_POOL.format(k="maxpool") + _TAIL, "W3 = [[2]]", [1, 5, 9, 3], 17)
AVG = _file(_POOL.format(k="avgpool") + _TAIL, "W3 = [[2]]", [1, 5, 9, 3], 8)

CASES = [
    ("conv_kernel_not_rotated", CONV_STRIDE1, "dL/dx[2]", "3.0", "2.0", {"conv_kernel_not_rotated"}),
    ("conv_dk_rotated", CONV_STRIDE1, "dL/dK1[1,1,1,1]", "5", "1", {"conv_dk_rotated"}),
    ("conv_padding_plus_one", CONV_STRIDE1, "dL/dx[1]", "4", "1", {"conv_padding_plus_one", "conv_kernel_not_rotated"}),
    ("conv_stride_minus_one", CONV_STRIDE2, "dL/dx[6]", "1.0", "0.0", {"conv_stride_minus_one",
                                                                        "conv_padding_plus_one"}),
    ("maxpool_first_cell", MAX, "dL/dx[1]", "2", "0", {"maxpool_first_cell", "maxpool_every_cell"}),
    ("maxpool_transposed_cell", MAX, "dL/dx[2]", "2", "0", {"maxpool_transposed_cell", "maxpool_every_cell"}),
    ("maxpool_every_cell", MAX, "dL/dx[4]", "2", "0", {"maxpool_every_cell"}),
    ("avgpool_not_divided", AVG, "dL/dx[1]", "2", "0.5", {"avgpool_not_divided"}),
]


@pytest.mark.parametrize("key, text, name, wrong, right, diagnoses", CASES, ids=[c[0] for c in CASES])
def test_conv_mistake_is_diagnosed(tmp_path: Path, key, text, name, wrong, right, diagnoses):
    claims = "".join(f'\n[[claims]]\nname = "{name}"\nvalue = "{v}"\n' for v in (wrong, right))
    path = tmp_path / f"{key}.toml"
    path.write_text(text + claims, encoding="utf-8")
    report = check_file(path)
    assert report.error is None, report.error
    bad, good = report.results
    assert (bad.verdict, good.verdict) == ("WRONG", "ok"), (bad, good)
    found = {k for k, d in DESCRIPTION.items() if d in bad.diagnosis}
    assert found == diagnoses, bad.diagnosis
    assert good.diagnosis == ""


def test_a_stride_plus_one_slip_is_diagnosed(tmp_path: Path):
    # CONV_STRIDE1 with W3 = [0, 0, 0, 1]: δ one-hot at output (2,2), whose window is x rows/cols 2..3 →
    # dL/dx[5] (row 2, col 2) = K[1,1] = 1; with stride 2 in the backward output (2,2) starts at row/col 3:
    # x[9] (row 3, col 3) gets K[1,1] = 1 and x[5] gets 0
    text = CONV_STRIDE1.replace("W3 = [[1, 0, 0, 0]]", "W3 = [[0, 0, 0, 1]]").replace("y = [36]", "y = [76]")
    # u[1,2,2] = 5 + 2·6 + 3·8 + 4·9 = 77, so y = 76
    path = tmp_path / "stride.toml"
    path.write_text(text + '\n[[claims]]\nname = "dL/dx[9]"\nvalue = "1"\n', encoding="utf-8")
    (bad,) = check_file(path).results
    assert bad.verdict == "WRONG" and DESCRIPTION["conv_stride_plus_one"] in bad.diagnosis, bad


def test_every_conv_mistake_has_a_test():
    assert {c[0] for c in CASES} | {"conv_stride_plus_one", "conv_padding_minus_one"} == set(DESCRIPTION)


def test_padding_minus_one(tmp_path: Path):
    # x = 1..4 (1×2×2), K = [[1, 2], [3, 4]], padding 1 → u is 3×3; W3 picks u[1,1,1] = K[2,2]·x[1,1] = 4, y = 3:
    # δ one-hot at (1,1): dL/dx[1] = K[2,2] = 4 (right). Padding 0 in the backward: output (1,1) covers x rows/cols
    # 1..2 with K[1,1] on x[1,1]: dL/dx[1] = 1, dL/dx[4] = K[2,2] = 4 (truth 0)
    layers = _CONV.format(n=2, s=1).replace("bias", "padding = 1\nbias") + _TAIL
    text = _file(layers, "K1 = [[[[1, 2], [3, 4]]]]\nW3 = [[1, 0, 0, 0, 0, 0, 0, 0, 0]]", [1, 2, 3, 4], 3)
    path = tmp_path / "pad.toml"
    path.write_text(text + '\n[[claims]]\nname = "dL/dx[4]"\nvalue = "4"\n', encoding="utf-8")
    (bad,) = check_file(path).results
    assert bad.verdict == "WRONG" and DESCRIPTION["conv_padding_minus_one"] in bad.diagnosis, bad


# --------------------------------------------------------------------------- ties: what the author did instead
# One 2×2 window, W3 = [2], y = out − 1 so dL/dpool = 2 (as MAX above). A tied window has no derivative: every
# claim through it is an error; when its number is what splitting g = 2 equally over the n tied cells gives
# (2/n each), or what routing all of it to the first tied cell (row by row) gives (2 there, 0 to the others),
# the error names that. Needs a match to half a unit (no truth to be "one unit" from).
# x = [4, 4, 1, 2]: maximum 4 at (1,1), (1,2) = x[1], x[2]; out = 2·4 = 8, y = 7. split: 2/2 = 1 each; first: x[1] 2.
TIE2 = _file(_POOL.format(k="maxpool") + _TAIL, "W3 = [[2]]", [4, 4, 1, 2], 7)
# x = [1, 4, 4, 2]: maximum 4 at (1,2), (2,1) = x[2], x[3]; split: 1 each; first tied: x[2] 2, x[3] 0 (the window's
# top-left x[1] is not a maximum: its gradient 0 is defined).
TIE_ANTI = _file(_POOL.format(k="maxpool") + _TAIL, "W3 = [[2]]", [1, 4, 4, 2], 7)
# x = [4, 4, 4, 2]: three tied cells, split: 2/3 = 0.6667 each.
TIE3 = _file(_POOL.format(k="maxpool") + _TAIL, "W3 = [[2]]", [4, 4, 4, 2], 7)
TIE_KEYS = {m.key: m.description for m in TIE_MISTAKES}

TIE_CASES = [
    ("split-first-cell", TIE2, "dL/dx[1]", "1", {"maxpool_tie_split"}),
    ("split-second-cell", TIE2, "dL/dx[2]", "1.0", {"maxpool_tie_split"}),
    ("first-gets-all", TIE2, "dL/dx[1]", "2", {"maxpool_tie_first"}),
    ("first-leaves-the-other-0", TIE2, "dL/dx[2]", "0", {"maxpool_tie_first"}),
    ("last-is-not-diagnosed", TIE2, "dL/dx[2]", "2", set()),
    ("anti-diagonal-first", TIE_ANTI, "dL/dx[2]", "2", {"maxpool_tie_first"}),
    ("anti-diagonal-split", TIE_ANTI, "dL/dx[3]", "1", {"maxpool_tie_split"}),
    ("three-way-split", TIE3, "dL/dx[3]", "0.6667", {"maxpool_tie_split"}),
    ("three-way-half-is-nothing", TIE3, "dL/dx[1]", "0.5", set()),
]


@pytest.mark.parametrize("text, name, claimed, diagnoses", [c[1:] for c in TIE_CASES], ids=[c[0] for c in TIE_CASES])
def test_a_tied_max_pool_gradient_names_what_the_author_did(tmp_path: Path, text, name, claimed, diagnoses):
    path = tmp_path / "tie.toml"
    path.write_text(text + f'\n[[claims]]\nname = "{name}"\nvalue = "{claimed}"\n', encoding="utf-8")
    (r,) = check_file(path).results
    assert r.verdict == "error" and "is a tied maximum" in r.message, r
    assert {k for k, d in TIE_KEYS.items() if d in r.diagnosis} == diagnoses, r.diagnosis
    assert (f"The claimed {claimed} is what follows when" in r.message) == bool(diagnoses), r.message


def test_a_cell_beside_a_tie_is_computed(tmp_path: Path):
    # TIE_ANTI's x[1] = 1 is not a maximum of its (tied) window: dL/dx[1] = 0 exists; the window-first slip
    # (2 to the top-left cell) is WRONG with the ordinary diagnosis
    path = tmp_path / "beside.toml"
    path.write_text(TIE_ANTI + '\n[[claims]]\nname = "dL/dx[1]"\nvalue = "0"\n'
                    '\n[[claims]]\nname = "dL/dx[1]"\nvalue = "2"\n', encoding="utf-8")
    good, bad = check_file(path).results
    assert good.verdict == "ok" and bad.verdict == "WRONG", (good, bad)
    assert DESCRIPTION["maxpool_first_cell"] in bad.diagnosis and "tied" not in bad.diagnosis, bad.diagnosis
