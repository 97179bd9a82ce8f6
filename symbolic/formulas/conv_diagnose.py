r"""The diagnoses of a WRONG conv backward formula, each reproduced exactly (never guessed).

Contract
--------
:func:`diagnose_conv` ``(rf, spec, model) -> str`` ("" when none is reproduced). A diagnosis is said
only when one of these is proved as an identity over the layer's symbols (``model``, the
:func:`~symbolic.formulas.conv_model.symbolic_model`):

* a **formula transform** makes the failing right side equal the truth: the kernel rotated by 180°
  where the author has not rotated it ("kernel not rotated"), one of two nested rotations taken away
  ("rotated twice"), a rotation taken away ("a rotation where none belongs"), the mode of a ∗ / ⋆
  turned full ↔ valid ("full and valid swapped"), ``dilate_S`` / ``pad_P`` / ``crop_P`` with S or P
  one more or one less ("stride/padding off by one"), δ dilated by the layer's stride where the
  formula does not dilate it, or the result cropped / X padded by the layer's padding where the
  formula does not ("the stride/padding ignored");
* the formula equals a **transformed backward** (the program's conv op under a
  :class:`~symbolic.truth.convolution.ConvMistakes`: kernel not rotated, ∂L/∂K rotated, stride or
  padding one off) — the index-notation form of the same slips.
"""
from __future__ import annotations

from dataclasses import replace

from ..truth.convolution import ConvMistakes
from .conv_compare import conv_differences, conv_proved, name_of
from .conv_formula import CArr, CFn, CIdx, CNode, COp, ConvFormula, cwalk
from .conv_nodes import crebuild
from .layer_eval import LayerShapeError

__all__ = ["diagnose_conv"]


def _rewrite(node: CNode, target: CNode, new: CNode) -> CNode:
    return new if node is target else crebuild(node, lambda child: _rewrite(child, target, new))


def _rotated_twice(side: CNode) -> bool:
    return any(isinstance(n, CFn) and n.name == "rot" and isinstance(n.arg, CFn) and n.arg.name == "rot"
               for n in cwalk(side))


def _transforms(side: CNode, spec, left: str):
    """(new side, sentence) for every single formula transform of the module contract."""
    st = spec.extra
    under_rot = {id(n.arg) for n in cwalk(side) if isinstance(n, CFn) and n.name == "rot"}
    indexed = {id(n.base) for n in cwalk(side) if isinstance(n, CIdx)}
    for n in cwalk(side):
        kernel = (isinstance(n, CArr) and n.name == "K" and id(n) not in indexed) or \
            (isinstance(n, CIdx) and isinstance(n.base, CArr) and n.base.name == "K" and len(n.indices) <= 2)
        if kernel and id(n) not in under_rot:
            yield _rewrite(side, n, CFn("rot", n, span=n.span)), \
                "the kernel was not rotated: with rot180(K) in its place the formula is proved (a cross-correlation " \
                "with K where the convolution, i.e. the correlation with the rotated kernel, belongs)"
        if isinstance(n, CFn) and n.name == "rot":
            if isinstance(n.arg, CFn) and n.arg.name == "rot":
                yield _rewrite(side, n, n.arg), "the kernel was rotated twice (rot180(rot180(K)) is K itself): with " \
                                                 "one rotation the formula is proved"
            elif not (isinstance(n.arg, CArr) and n.arg.name == "K" and _rotated_twice(side)):
                yield _rewrite(side, n, n.arg), "a rotation where none belongs: without this rot180 the formula " \
                                                 "is proved"
        if isinstance(n, COp):
            for mode in ("full", "valid"):
                if mode != n.mode:
                    other = "valid" if mode == "full" else "full"
                    said = f"the {other} mode is written" if n.mode else f"without a mode it is read as {other}"
                    yield _rewrite(side, n, replace(n, mode=mode)), \
                        f"full and valid swapped: with the {mode} mode the formula is proved ({said})"
        if isinstance(n, CFn) and n.name in ("dilate", "pad", "crop"):
            now = n.param if n.param is not None else (st.stride[0] if n.name == "dilate" else st.padding[0])
            what = "stride" if n.name == "dilate" else "padding"
            for shift in (1, -1):
                if now + shift >= (1 if n.name == "dilate" else 0):
                    yield _rewrite(side, n, replace(n, param=now + shift)), \
                        f"the {what} is off by one: with {n.name}_{{{now + shift}}} in place of {n.name}_{{{now}}} " \
                        f"the formula is proved (the layer's {what} is {(st.stride if what == 'stride' else st.padding)[0]})"
    names = {n.name for n in cwalk(side) if isinstance(n, CFn)}
    if max(st.stride) > 1 and "dilate" not in names:
        for n in cwalk(side):
            if isinstance(n, CArr) and n.name == "delta":
                yield _rewrite(side, n, CFn("dilate", n, st.stride[0], span=n.span)), \
                    f"the stride was ignored (taken as 1 for the layer's {st.stride[0]}): with δ dilated, " \
                    f"\\operatorname{{dilate}}_{{{st.stride[0]}}}(\\delta), the formula is proved"
    if max(st.padding) > 0 and not names & {"pad", "crop"}:
        p = st.padding[0]
        if left == "dX":
            yield CFn("crop", side, p), f"the padding was ignored (taken as 0 for the layer's {p}): with the result " \
                                        f"cropped, \\operatorname{{crop}}_{{{p}}}(…), the formula is proved"
        for n in cwalk(side):
            if isinstance(n, CArr) and n.name == "X":
                yield _rewrite(side, n, CFn("pad", n, p, span=n.span)), \
                    f"the padding was ignored (taken as 0 for the layer's {p}): with X padded, " \
                    f"\\operatorname{{pad}}_{{{p}}}(X), the formula is proved"


def _mistakes(spec, left: str, twice: bool):
    st = spec.extra
    if left == "dX":
        yield ConvMistakes(kernel_flipped=True), ("the kernel was rotated twice" if twice else
                                                  "the kernel was not rotated") + \
            ": the formula equals the backward that correlates δ with K where the kernel rotated by 180° belongs"
    if left == "dK":
        yield ConvMistakes(dk_rotated=True), "∂L/∂K was rotated by 180° (a convolution where the correlation of " \
                                             "the input with δ belongs): the formula equals that backward"
    if left in ("dX", "dK"):
        for shift in (1, -1):
            if st.stride[0] + shift >= 1:
                yield ConvMistakes(stride_shift=shift), f"the stride is off by one: the formula equals the backward " \
                                                        f"with stride {st.stride[0] + shift} (the layer's is {st.stride[0]})"
            if st.padding[0] + shift >= 0:
                yield ConvMistakes(padding_shift=shift), f"the padding is off by one: the formula equals the " \
                                                         f"backward with padding {st.padding[0] + shift} (the layer's " \
                                                         f"is {st.padding[0]})"


def diagnose_conv(rf: ConvFormula, spec, model) -> str:
    """The first reproduced diagnosis of a WRONG formula (module contract), or ""."""
    left = name_of(rf.sides[0])
    try:
        failing = next(k for k in range(1, len(rf.sides))
                       if conv_differences(replace(rf, sides=(rf.sides[0], rf.sides[k])), model))
    except (StopIteration, LayerShapeError):
        return ""
    side = rf.sides[failing]
    one = replace(rf, sides=(rf.sides[0], side))
    for new, sentence in _transforms(side, spec, left):
        if conv_proved(replace(one, sides=(rf.sides[0], new)), spec, model=model):
            return sentence
    for mistakes, sentence in _mistakes(spec, left, _rotated_twice(side)):
        if conv_proved(one, spec, mistakes=mistakes, model=model):
            return sentence
    return ""
