"""Compare the two sides of a resolved conv formula entry by entry (the proof's and the counterexample's core).

Contract
--------
:func:`conv_differences` ``(rf, model, mistakes=None, test=…) -> [Difference]``: the entries where
left − right fails ``test`` (exactly zero by default), the left side (u, dX, dK, db) by the program's
conv op over ``model`` (under a :class:`~symbolic.truth.convolution.ConvMistakes` when given), each
right-hand side by :mod:`.conv_eval`. Index notation: every entry of the left side's index letters;
operator notation: the two maps anchored at their first entry, zero beyond, so a right side of the
wrong size differs where one side has entries the other lacks (named with a note). Channel axes that
differ are a :class:`~symbolic.formulas.layer_eval.LayerShapeError`. :func:`conv_proved` is the
identity test over :func:`~symbolic.formulas.conv_model.symbolic_model`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flint import arb, fmpq

from .conv_eval import Grid, _axis, _is_map, evaluate_entry, evaluate_side, leaf
from .conv_formula import CIdx, ConvFormula
from .conv_model import ConvModel, symbolic_model
from .layer_eval import LayerShapeError

__all__ = ["Difference", "conv_differences", "conv_proved", "is_zero", "LEFT", "name_of"]

LEFT = {"dX": "∂L/∂X", "dK": "∂L/∂K", "db": "∂L/∂b", "u": "the output u"}


@dataclass(frozen=True)
class Difference:
    side: int  # 1-based right-hand side
    entry: str  # e.g. "[1,2,3]" or "[o=0, c=0, u=1, v=1]"
    left: object
    right: object
    note: str = ""


def name_of(lhs) -> str:
    return lhs.base.name if isinstance(lhs, CIdx) else lhs.name


def is_zero(x) -> bool:
    if type(x) is fmpq:
        return x == 0
    if type(x) is arb:
        return False
    return x.is_zero()


def conv_differences(rf: ConvFormula, model: ConvModel, mistakes=None, test=is_zero) -> list[Difference]:
    """Entries where left − right fails ``test`` (the left side under ``mistakes`` when given)."""
    lhs = rf.sides[0]
    model.terms = 0  # the budget of conv_eval.MAX_TERMS, per evaluation
    out: list[Difference] = []
    if isinstance(lhs, CIdx):
        arr, base = _axis(model, lhs, mistakes)
        letters = [ix.letter() for ix in lhs.indices]
        for idx in np.ndindex(arr.shape[:len(letters)]):
            env = {v: i + base for v, i in zip(letters, idx)}
            shown = ", ".join(f"{v}={i}" for v, i in env.items())
            lv = arr[idx]
            for k, side in enumerate(rf.sides[1:], 1):
                rv = evaluate_entry(side, model, env, None, rf.convention, lv.shape if _is_map(lv) else None)
                if _is_map(lv) != _is_map(rv):
                    which = "the right side" if k == 1 else f"right-hand side {k}"
                    raise LayerShapeError(f"The left side is {'a map' if _is_map(lv) else 'a number'} for each "
                                          f"{', '.join(letters)} but {which} is {'a map' if _is_map(rv) else 'a number'}.")
                if not _is_map(lv):
                    if not test(lv - rv):
                        out.append(Difference(k, f"[{shown}]", lv, rv))
                    continue
                out.extend(_map_differences(k, shown, lv, rv, test))
        return out
    left = leaf(model, lhs.name, mistakes)
    for k, side in enumerate(rf.sides[1:], 1):
        right = evaluate_side(side, model, rf.convention, left.data.shape[-2:] if left.spatial else None)
        out.extend(_compare(k, left, right, model, lhs.name, test))
    return out


def _map_differences(k: int, shown: str, L: np.ndarray, R: np.ndarray, test) -> list[Difference]:
    """The entries of two maps that differ, anchored at their first entry with zeros beyond."""
    out = []
    for r, c in np.ndindex(max(L.shape[0], R.shape[0]), max(L.shape[1], R.shape[1])):
        lv = L[r, c] if r < L.shape[0] and c < L.shape[1] else fmpq(0)
        rv = R[r, c] if r < R.shape[0] and c < R.shape[1] else fmpq(0)
        if not test(lv - rv):
            note = "" if L.shape == R.shape else f" (the right side's map is {R.shape[0]}×{R.shape[1]}, the left " \
                f"side's {L.shape[0]}×{L.shape[1]})"
            out.append(Difference(k, f"[{shown}, row {r + 1}, col {c + 1}]", lv, rv, note))
    return out


def _compare(k: int, left: Grid, right: Grid, model: ConvModel, name: str, test) -> list[Difference]:
    which = "the right side" if k == 1 else f"right-hand side {k}"
    if left.labels != right.labels or left.spatial != right.spatial:
        raise LayerShapeError(f"The left side {LEFT[name]} is {left.describe()} but {which} is {right.describe()}.")
    L, R = left.data, right.data
    shape = tuple(max(a, b) for a, b in zip(L.shape, R.shape))
    full = model.shape(name)
    out = []
    for idx in np.ndindex(shape):
        inside_l = all(i < n for i, n in zip(idx, L.shape))
        inside_r = all(i < n for i, n in zip(idx, R.shape))
        lv = L[idx] if inside_l else fmpq(0)
        rv = R[idx] if inside_r else fmpq(0)
        if test(lv - rv):
            continue
        at, it = [], iter(idx)
        labels = ("c",) if name == "dX" else ("o", "c") if name == "dK" else ("o",)
        for lab, n in zip(labels, full):
            at.append(next(it) + 1 if lab in left.labels else 1)
        at.extend(i + 1 for i in it)
        note = "" if L.shape == R.shape else f" ({which} is {right.describe()}, {LEFT[name]} {left.describe()}" + (
            ")" if inside_l and inside_r else ": the entry is outside " +
            ("the right side's" if inside_l else f"{LEFT[name]}'s") + " range, read as 0)")
        out.append(Difference(k, "[" + ",".join(map(str, at)) + "]", lv, rv, note))
    return out


def conv_proved(rf: ConvFormula, spec, mistakes=None, model=None) -> bool:
    """Whether left = right is an identity in the layer's symbols (the left side under ``mistakes``)."""
    model = model or symbolic_model(spec)
    try:
        return not conv_differences(rf, model, mistakes)
    except LayerShapeError:
        return False


