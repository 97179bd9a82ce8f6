r"""The value of a resolved conv formula's side over a :class:`~symbolic.formulas.conv_model.ConvModel`.

Contract
--------
:func:`evaluate_side` ``(node, model, convention, target) -> Grid``. A :class:`Grid` is a NumPy object
array with named channel axes (``o`` output channel, ``c`` input channel; an axis of size 1 is
dropped, so one-channel layers read as plain maps) and, when ``spatial``, two spatial axes last.

Operator notation (docs/formulas.md, "Convolution formulas"), 2-D on each channel pair:

* ``A ⋆ B`` cross-correlation, (A ⋆ B)[i,j] = Σ_{u,v} A[i+u, j+v]·B[u,v] (B the window that slides; a
  kernel written first has been made B by :mod:`.conv_meaning`); **valid** (size a − b + 1)
  or **full** (A zero-padded by b − 1 on every side, size a + b − 1); ``A ∗ B`` the same for the
  ``sliding`` convention, A ⋆ rot180(B) for ``flipped``. No mode written: the mode whose size is the
  ``target`` (the left side's), else valid. A channel axis both operands have is summed over
  (δ ⋆ rot180(K) sums o, X ⋆ K sums c); the others are kept, o before c (X ⋆ δ is K's layout [o,c]).
* ``rot180`` turns the two spatial axes round; ``dilate_S`` puts S − 1 zeros between entries (no
  subscript: the layer's stride); ``pad_P`` adds P zeros around (default: the layer's padding);
  ``crop_P`` removes P rows and columns on every side (default: the layer's padding).
* ``Σ A`` without an index sums A's spatial entries (per channel); ``+ −`` and products by a
  number, or entrywise of equal shapes.

Index notation: with the left side indexed, each entry is evaluated with its index letters bound
(0-based for brackets, 1-based for subscripts); a Σ's letters range over the axis they index
directly (the range of every array they index, which must agree) or over ``lo..hi`` when written,
filtered by its ``\substack`` conditions; an index outside its array reads 0 (zero padding). A name
indexed by its channel axes only (``K_{o,c}``, ``\delta_o``) is a map, and the operators above work on
such maps inside an indexed formula (``dX_c = \sum_o \delta_o \ast rot180(K_{o,c})``). The sums of
one evaluation take at most :data:`MAX_TERMS` terms (else one sentence).
Problems are :class:`~symbolic.formulas.layer_eval.LayerShapeError` sentences.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import product

import numpy as np
from flint import fmpq

from ..spec.errors import DerivcheckError
from .conv_formula import CArr, CBin, CFn, CIdx, CNeg, CNum, CNode, COp, CSum, cwalk
from .conv_model import DIMS, ConvModel
from .layer_eval import LayerShapeError

__all__ = ["Grid", "evaluate_side", "evaluate_entry", "leaf", "ORDER", "MAX_TERMS"]

ORDER = ("o", "c")
MAX_TERMS = 500_000  # terms of the index sums of one evaluation of a formula (every entry of its left side)
ZERO = fmpq(0)


@dataclass
class Grid:
    labels: tuple[str, ...]
    spatial: bool
    data: np.ndarray

    def describe(self) -> str:
        chans = f"channels [{','.join(self.labels)}] × " if self.labels else ""
        if not self.spatial:
            return f"{chans}numbers" if self.labels else "a number"
        return f"{chans}{self.data.shape[-2]}×{self.data.shape[-1]} maps" if self.labels else \
            f"a {self.data.shape[-2]}×{self.data.shape[-1]} map"


def _frac(v: Fraction):
    return fmpq(v.numerator, v.denominator)


def _scalar(v) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = v
    return out


def _new(shape) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out.fill(ZERO)
    return out


def leaf(model: ConvModel, name: str, mistakes=None) -> Grid:
    """A meaning as a Grid, size-1 channel axes dropped."""
    arr = model.array(name) if mistakes is None else model.array(name, mistakes)
    labels = DIMS[name]
    keep = tuple(l for l, n in zip(labels, arr.shape) if n != 1)
    arr = arr.reshape(tuple(n for l, n in zip(labels, arr.shape) if n != 1) + arr.shape[len(labels):])
    return Grid(keep, name not in ("b", "db"), arr)


def _corr2d(a: np.ndarray, b: np.ndarray, mode: str) -> np.ndarray:
    ha, wa = a.shape
    hb, wb = b.shape
    if mode == "full":
        p = _new((ha + 2 * (hb - 1), wa + 2 * (wb - 1)))
        p[hb - 1:hb - 1 + ha, wb - 1:wb - 1 + wa] = a
        a, ha, wa = p, p.shape[0], p.shape[1]
    if ha < hb or wa < wb:
        raise LayerShapeError(f"A valid correlation of a {ha}×{wa} map with a larger {hb}×{wb} window has no entries; "
                              f"write the larger operand first (a kernel is the window wherever it is written), "
                              f"or the full mode.")
    out = _new((ha - hb + 1, wa - wb + 1))
    for i, j in np.ndindex(out.shape):
        total = ZERO
        for u, v in np.ndindex(hb, wb):
            total = total + a[i + u, j + v] * b[u, v]
        out[i, j] = total
    return out


def _size(a: Grid, b: Grid, mode: str) -> tuple[int, int]:
    (ha, wa), (hb, wb) = a.data.shape[-2:], b.data.shape[-2:]
    return (ha + hb - 1, wa + wb - 1) if mode == "full" else (ha - hb + 1, wa - wb + 1)


def _op(node: COp, a: Grid, b: Grid, convention: str, target) -> Grid:
    if not (a.spatial and b.spatial):
        raise LayerShapeError("A convolution or correlation takes two maps (an image, δ or a kernel), not numbers.")
    mode = node.mode
    if mode is None:
        mode = "full" if target is not None and _size(a, b, "full") == target and _size(a, b, "valid") != target \
            else "valid"
    flip = node.kind == "conv" and convention == "flipped"
    shared = [l for l in a.labels if l in b.labels]
    keep = [l for l in ORDER if (l in a.labels) != (l in b.labels)]
    sizes = {l: n for g in (a, b) for l, n in zip(g.labels, g.data.shape)}
    shape = tuple(sizes[l] for l in keep)
    out = None
    for kidx in np.ndindex(*shape) if shape else [()]:
        env = dict(zip(keep, kidx))
        total = None
        for sidx in np.ndindex(*[sizes[l] for l in shared]) if shared else [()]:
            env.update(zip(shared, sidx))
            ma = a.data[tuple(env[l] for l in a.labels)]
            mb = b.data[tuple(env[l] for l in b.labels)]
            r = _corr2d(ma, mb[::-1, ::-1] if flip else mb, mode)
            total = r if total is None else total + r
        if out is None:
            out = _new(shape + total.shape)
        out[kidx] = total
    return Grid(tuple(keep), True, out)


def _fn(node: CFn, g: Grid, model: ConvModel) -> Grid:
    if not g.spatial:
        raise LayerShapeError(f"{node.name} takes a map, not numbers.")
    st = model.st
    d = g.data
    lead, (h, w) = d.shape[:-2], d.shape[-2:]
    if node.name == "rot":
        return Grid(g.labels, True, d[..., ::-1, ::-1].copy())
    if node.name == "dilate":
        s = node.param if node.param is not None else st.stride[0]
        if s < 1:
            raise LayerShapeError("dilate_S needs S ≥ 1 (entries S apart, S − 1 zeros between).")
        out = _new(lead + ((h - 1) * s + 1, (w - 1) * s + 1))
        out[..., ::s, ::s] = d
        return Grid(g.labels, True, out)
    p = node.param if node.param is not None else st.padding[0]
    if node.name == "pad":
        out = _new(lead + (h + 2 * p, w + 2 * p))
        out[..., p:p + h, p:p + w] = d
        return Grid(g.labels, True, out)
    if 2 * p >= min(h, w):
        raise LayerShapeError(f"crop_{p} of a {h}×{w} map leaves nothing.")
    return Grid(g.labels, True, d[..., p:h - p, p:w - p].copy())


def _combine(op: str, a: Grid, b: Grid) -> Grid:
    for g, other in ((a, b), (b, a)):
        if not g.labels and not g.spatial and (op == "*" or (op == "/" and g is b)):
            s = g.data[()]
            if op == "/":
                if type(s) is not fmpq or s == 0:
                    raise LayerShapeError("A division is read by a nonzero number only.")
                s = 1 / s
            return Grid(other.labels, other.spatial, _map(other.data, lambda x: x * s))
    if a.labels != b.labels or a.spatial != b.spatial or a.data.shape != b.data.shape:
        raise LayerShapeError(f"{a.describe()} {op} {b.describe()}: the shapes do not fit.")
    if op == "*":
        return Grid(a.labels, a.spatial, _zip(a.data, b.data, lambda x, y: x * y))
    if op == "/":
        raise LayerShapeError("A division is read by a number only.")
    sign = ZERO + (1 if op == "+" else -1)
    return Grid(a.labels, a.spatial, _zip(a.data, b.data, lambda x, y: x + sign * y))


def _map(d: np.ndarray, fn) -> np.ndarray:
    out = _new(d.shape)
    for idx in np.ndindex(d.shape):
        out[idx] = fn(d[idx])
    return out


def _zip(a: np.ndarray, b: np.ndarray, fn) -> np.ndarray:
    out = _new(a.shape)
    for idx in np.ndindex(a.shape):
        out[idx] = fn(a[idx], b[idx])
    return out


def evaluate_side(node: CNode, model: ConvModel, convention: str, target=None, mistakes=None) -> Grid:
    """The side's value in operator notation (module contract); ``target``: the left side's spatial size."""
    ev = lambda n, t=None: evaluate_side(n, model, convention, t, mistakes)  # noqa: E731
    if isinstance(node, CNum):
        return Grid((), False, _scalar(_frac(node.value)))
    if isinstance(node, CArr):
        return leaf(model, node.name, mistakes)
    if isinstance(node, COp):
        return _op(node, ev(node.left), ev(node.right), convention, target)
    if isinstance(node, CFn):
        inner = target
        if target is not None and node.name in ("crop", "pad"):
            p = node.param if node.param is not None else model.st.padding[0]
            inner = (target[0] + 2 * p, target[1] + 2 * p) if node.name == "crop" else \
                (target[0] - 2 * p, target[1] - 2 * p)
        elif node.name == "dilate":
            inner = None
        return _fn(node, ev(node.arg, inner), model)
    if isinstance(node, CNeg):
        g = ev(node.arg, target)
        return Grid(g.labels, g.spatial, _map(g.data, lambda x: -x))
    if isinstance(node, CBin):
        return _combine(node.op, ev(node.left, target), ev(node.right, target))
    if isinstance(node, CSum) and not node.vars:
        g = ev(node.body)
        if not g.spatial:
            raise LayerShapeError("\\sum without an index sums a map's entries; here it has numbers.")
        out = _new(g.data.shape[:-2])
        for idx in np.ndindex(g.data.shape[:-2]):
            total = ZERO
            for v in g.data[idx].reshape(-1):
                total = total + v
            out[idx] = total
        return Grid(g.labels, False, out)
    if isinstance(node, (CSum, CIdx)):
        free = [v for n in cwalk(node) if isinstance(n, CIdx) for ix in n.indices for v in ix.letters()
                if not _bound(node, v)]
        if free:
            raise LayerShapeError(f"The index {free[0]} is free on the right side only; index the left side too "
                                  f"(dK[o,c,u,v] = …) or sum over {free[0]}.")
        return Grid((), False, _scalar(evaluate_entry(node, model, {}, mistakes)))
    raise LayerShapeError("A part of the formula could not be evaluated.")  # pragma: no cover


def _bound(node: CNode, v: str) -> bool:
    return any(isinstance(n, CSum) and v in n.vars for n in cwalk(node))


def _axis(model: ConvModel, node: CIdx, mistakes=None) -> tuple[np.ndarray, int]:
    """The array an indexed name reads (full or size-1-dropped rank) and its index base; indices for its
    channel axes only (``K_{o,c}``, ``\\delta_o``) read the array with its two spatial axes kept (a map)."""
    if not isinstance(node.base, CArr):
        raise LayerShapeError("Only a name is indexed here (x[c,i,j], \\delta_{ij}), not an expression.")
    full = model.array(node.base.name) if mistakes is None else model.array(node.base.name, mistakes)
    labels = DIMS[node.base.name]
    squeezed = full.reshape(tuple(n for l, n in zip(labels, full.shape) if n != 1) + full.shape[len(labels):])
    spatial = 2 if node.base.name not in ("b", "db") else 0
    for maps in (0, spatial) if spatial else (0,):
        for arr in (full, squeezed):
            if arr.ndim - maps == len(node.indices) and (maps == 0 or len(node.indices) == len(labels)):
                return arr, 0 if node.zero_based else 1
    raise LayerShapeError(f"{node.base.name} has {full.ndim} axes {list(full.shape)}; it is indexed with "
                          f"{len(node.indices)} indices.")


def _ranges(node: CSum, model: ConvModel, mistakes) -> dict[str, range]:
    out: dict[str, range] = {}
    for v in node.vars:
        sizes = {(arr.shape[k], base) for n in cwalk(node.body) if isinstance(n, CIdx)
                 for arr, base in [_axis(model, n, mistakes)] for k, ix in enumerate(n.indices) if ix.letter() == v}
        lo, hi = dict(node.lo).get(v), dict(node.hi).get(v)
        if lo is not None and hi is not None:
            out[v] = range(lo, hi + 1)
            continue
        if len(sizes) != 1:
            raise LayerShapeError(f"The summation index {v} " + ("indexes no array directly; give its range, e.g. "
                                  f"\\sum_{{{v}=0}}^{{2}}." if not sizes else "indexes axes of different sizes "
                                  f"({', '.join(str(n) for n, _ in sorted(sizes))}); give its range."))
        n, base = sizes.pop()
        out[v] = range(base if lo is None else lo, base + n if hi is None else hi + 1)
    return out


def _is_map(v) -> bool:
    return isinstance(v, np.ndarray) and v.ndim == 2


def _plus(a, b, sign: int = 1):
    if _is_map(a) or _is_map(b):
        if not (_is_map(a) and _is_map(b)) or a.shape != b.shape:
            raise LayerShapeError("A map and a number, or maps of different sizes, are added here.")
        return _zip(a, b, lambda x, y: x + y if sign > 0 else x - y)
    return a + b if sign > 0 else a - b


def _times(a, b):
    if _is_map(a) and _is_map(b):
        if a.shape != b.shape:
            raise LayerShapeError(f"An entrywise product of a {a.shape[0]}×{a.shape[1]} and a {b.shape[0]}×"
                                  f"{b.shape[1]} map.")
        return _zip(a, b, lambda x, y: x * y)
    if _is_map(a) or _is_map(b):
        m, s_ = (a, b) if _is_map(a) else (b, a)
        return _map(m, lambda x: x * s_)
    return a * b


def evaluate_entry(node: CNode, model: ConvModel, env: dict, mistakes=None, convention: str = "sliding",
                   target=None):
    """One entry of an index-notation side with the letters of ``env`` bound (module contract); a name indexed
    by its channels only is a map, and ∗ ⋆ rot180 dilate pad crop Σ work on maps (``target``: the left
    side's map size, for a ∗ / ⋆ without a mode)."""
    ev = lambda n, e=env, t=None: evaluate_entry(n, model, e, mistakes, convention, t)  # noqa: E731
    if isinstance(node, CNum):
        return _frac(node.value)
    if isinstance(node, CIdx):
        arr, base = _axis(model, node, mistakes)
        try:
            at = tuple(ix.value(env) - base for ix in node.indices)
        except KeyError as exc:
            raise LayerShapeError(f"The index {exc.args[0]} has no value here; sum over it or index the left side "
                                  f"with it.") from None
        if any(not 0 <= i < n for i, n in zip(at, arr.shape)):
            return _new(arr.shape[len(at):]) if arr.ndim > len(at) else ZERO
        return arr[at].copy() if arr.ndim > len(at) else arr[at]
    if isinstance(node, CNeg):
        v = ev(node.arg, t=target)
        return _map(v, lambda x: -x) if _is_map(v) else -v
    if isinstance(node, CBin):
        a, b = ev(node.left, t=target), ev(node.right, t=target)
        if node.op == "/":
            if not isinstance(node.right, CNum):
                raise LayerShapeError("A division is read by a number only.")
            return _times(a, 1 / b)
        return _plus(a, b, 1) if node.op == "+" else _plus(a, b, -1) if node.op == "-" else _times(a, b)
    if isinstance(node, COp):
        a, b = ev(node.left), ev(node.right)
        if not (_is_map(a) and _is_map(b)):
            raise LayerShapeError("A convolution or correlation takes two maps (x_c, \\delta_o, K_{o,c}), not "
                                  "numbers.")
        return _op(node, Grid((), True, a), Grid((), True, b), convention, target).data
    if isinstance(node, CFn):
        v = ev(node.arg)
        if not _is_map(v):
            raise LayerShapeError(f"{node.name} takes a map, not a number.")
        return _fn(node, Grid((), True, v), model).data
    if isinstance(node, CSum):
        if not node.vars:
            v = ev(node.body)
            if not _is_map(v):
                raise LayerShapeError("A \\sum without letters sums a map's entries; here it has a number.")
            total = ZERO
            for x in v.reshape(-1):
                total = total + x
            return total
        ranges = _ranges(node, model, mistakes)
        count = 1
        for r in ranges.values():
            count *= len(r)
        model.terms = getattr(model, "terms", 0) + count
        if model.terms > MAX_TERMS:
            raise DerivcheckError(f"The formula's sums take more than {MAX_TERMS:,} terms over this layer's entries "
                                  f"(a sum over {', '.join(ranges)} has {count:,} for each); sum over fewer letters "
                                  f"or claim the numbers instead.")
        total = None
        for values in product(*ranges.values()):
            inner = env | dict(zip(ranges, values))
            if all(a.value(inner) == b.value(inner) for a, b in node.constraints):
                v = ev(node.body, inner, target)
                total = v if total is None else _plus(total, v)
        return ZERO if total is None else total
    raise LayerShapeError(f"{getattr(node, 'name', 'A name')} is used without indices in an indexed formula; index it "
                          f"(x[c, i+u, j+v], x_c) or write the whole formula with operators.")
