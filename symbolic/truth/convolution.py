"""Exact program ops of convolution, pooling and flatten layers: index-level forward and reverse sweeps.

Contract
--------
Each op follows the layer-op protocol (/work/notes/layer-op-protocol.md, :mod:`symbolic.truth.layer_op`):
``forward(spec, prev, values, domain)`` over the flat inputs of every sample, ``backward(spec, saved,
g_out, values, seed)`` giving (d/d input per sample, parameter gradients summed over the batch, node
adjoints by canonical name), and ``value(spec, saved, name, sample)``. Numbers are those of
:mod:`symbolic.truth.balls` (exact rationals, certified balls, :class:`Undefined`); ``spec.extra`` is the
layer's settings from :mod:`symbolic.spec.convolution`.

* :class:`ConvOp` — u[o,i,j] = b[o] + Σ_{c,r,s} K[o,c,r,s] · xpad[c, (i−1)S + r, (j−1)S + s] (zero padding:
  the padded entries contribute no term), a = f(u) entrywise; backward, index by index:
  ∂/∂K[o,c,r,s] = Σ_{samples,i,j} δ[o,i,j] · xpad[c, (i−1)S + r, (j−1)S + s], ∂/∂b[o] = Σ δ[o,i,j], and
  ∂/∂x[c,p,q] = Σ δ[o,i,j] · K[o,c,r,s] over every (o,i,j,r,s) with (i−1)S + r − P = p (the "full
  convolution of δ with the rotated kernel", spelled out per entry).
* :class:`PoolOp` — max: the window's maximum, its gradient to the one cell attaining it; a maximum
  attained by two or more cells is a tie: the value is computed, the gradient through it is
  :class:`Undefined` (like relu at 0; an exact 0 incoming gradient still gives 0). avg: the mean, g/(rows·cols)
  to every cell.
* :class:`FlattenOp` — the identity on the flat numbers.

:class:`ConvMistakes` and :class:`PoolMistakes` transform the backward (the diagnosis replays them):
the kernel not rotated (dX correlated with K where the rotated kernel belongs; "rotated twice" gives
the same numbers), dK rotated, the backward's stride or padding off by one, max-pool gradient routed
to the window's first cell, to the transposed cell, to every cell, split equally over a tie's cells
(``"split"``) or routed to the first of them (``"first_tied"``, an argmax's pick); avg-pool gradient not
divided by the window size.
"""
from __future__ import annotations

from dataclasses import dataclass
from flint import arb, fmpq

from ..spec.convolution import ConvSettings, PoolSettings
from ..spec.names import Name
from .balls import ONE, ZERO, Undecided, Undefined, add, is_zero, mul
from .layer_op import LayerOp
from .ops import Activation

__all__ = ["ConvMistakes", "PoolMistakes", "NO_CONV_MISTAKES", "NO_POOL_MISTAKES", "ConvOp", "PoolOp",
           "FlattenOp", "CONV_OPS"]


@dataclass(frozen=True)
class ConvMistakes:
    """Changes to the conv backward (all off by default; see the module contract)."""

    kernel_flipped: bool = False  # dX with K[o,c,R−1−r,S−1−s] (not rotated, or rotated twice)
    dk_rotated: bool = False  # dK[o,c,r,s] reported at (R−1−r, S−1−s)
    stride_shift: int = 0  # the backward uses stride S + shift
    padding_shift: int = 0  # the backward uses padding P + shift


@dataclass(frozen=True)
class PoolMistakes:
    """route: "max" (right), "first", "transposed", "all", "split" (a tie: g/n to each of its n cells), "first_tied"
    (a tie: g to the first of its cells, row by row); avg_unscaled: g not divided by the size."""

    route: str = "max"
    avg_unscaled: bool = False


NO_CONV_MISTAKES, NO_POOL_MISTAKES = ConvMistakes(), PoolMistakes()


def _name(kind: str, l: int, idx: tuple[int, ...]) -> str:
    return f"{kind}{l}[{','.join(map(str, idx))}]"


@dataclass
class _ConvSaved:
    x: list  # [sample][flat input]
    u: list  # [sample][flat output]
    a: list
    df: list  # f'(u) per sample, entry


def _pick(mistakes: tuple, kind: type, default):
    return next((m for m in mistakes if isinstance(m, kind)), default)


class ConvOp(LayerOp):
    """conv2d at index level (module contract); ``pins`` (the author's ``u{l}[o,i,j]`` and their dL/du) are used in
    place of its own pre-activations and their adjoints."""

    reads_pins = True

    @staticmethod
    def _kernel(spec, values: dict) -> tuple[dict, list]:
        st: ConvSettings = spec.extra
        l, (kh, kw) = spec.index, st.kernel
        K = {(o, c, r, s): values[_name("K", l, (o + 1, c + 1, r + 1, s + 1))]
             for o in range(st.shape_out.channels) for c in range(st.shape_in.channels)
             for r in range(kh) for s in range(kw)}
        b = [values[_name("b", l, (o + 1,))] if st.bias != "none" else ZERO for o in range(st.shape_out.channels)]
        return K, b

    @staticmethod
    def _taps(st: ConvSettings, stride: tuple[int, int], padding: tuple[int, int]):
        """(o-independent) for each output position (i, j): the (r, s, p, q) with input row p, col q in range."""
        (kh, kw), (sh, sw), (ph, pw) = st.kernel, stride, padding
        H, W = st.shape_in.rows, st.shape_in.cols
        out = {}
        for i in range(st.shape_out.rows):
            for j in range(st.shape_out.cols):
                out[i, j] = [(r, s, i * sh + r - ph, j * sw + s - pw) for r in range(kh) for s in range(kw)
                             if 0 <= i * sh + r - ph < H and 0 <= j * sw + s - pw < W]
        return out

    def forward(self, spec, prev: list, values: dict, mistakes: tuple = (), pins=None) -> tuple[list, _ConvSaved]:
        st: ConvSettings = spec.extra
        K, b = self._kernel(spec, values)
        taps = self._taps(st, st.stride, st.padding)
        sin, sout = st.shape_in, st.shape_out
        act = Activation(spec.index, st.activation, sout.size)
        us, as_, dfs = [], [], []
        for s_, x in enumerate(prev):
            u = [ZERO] * sout.size
            for o in range(sout.channels):
                for (i, j), tap in taps.items():
                    terms = [b[o]] + [mul((K[o, c, r, s], x[sin.flat(c + 1, p + 1, q + 1)]))
                                      for c in range(sin.channels) for r, s, p, q in tap]
                    u[sout.flat(o + 1, i + 1, j + 1)] = add(terms)
            if pins is not None:
                u = [pins.node(s_ + 1, _name("u", spec.index, sout.entry(k)), v) for k, v in enumerate(u)]
            where = f" for sample {s_ + 1}" if len(prev) > 1 else ""
            df = [self._renamed(d, spec.index, sout, k, where) for k, d in enumerate(act.local(u, where))]
            us.append(u)
            as_.append(act.forward(u))
            dfs.append(df)
        return as_, _ConvSaved([list(x) for x in prev], us, as_, dfs)

    @staticmethod
    def _renamed(d, l: int, shape, k: int, where: str):
        return Undefined(_name("u", l, shape.entry(k)) + where) if type(d) is Undefined else d

    def backward(self, spec, saved: _ConvSaved, g_out: list, values: dict, seed=None, mistakes: tuple = (), pins=None):
        st: ConvSettings = spec.extra
        l, sin, sout, m = spec.index, st.shape_in, st.shape_out, _pick(mistakes, ConvMistakes, NO_CONV_MISTAKES)
        K, _ = self._kernel(spec, values)
        (kh, kw) = st.kernel
        g_a = g_out
        g_u = [[mul((g, d)) for g, d in zip(ga, df)] for ga, df in zip(g_a, saved.df)]
        if pins is not None:
            g_u = [[pins.node(s_, _name("u", l, sout.entry(k)), v, back=True) for k, v in enumerate(gu)]
                   for s_, gu in enumerate(g_u, 1)]
        if seed is not None and seed[0].kind == "u":
            g_u = [[ZERO] * sout.size for _ in g_out]
            g_u[seed[1] - 1][sout.flat(*seed[0].indices)] = ONE
        stride = (st.stride[0] + m.stride_shift, st.stride[1] + m.stride_shift)
        padding = (st.padding[0] + m.padding_shift, st.padding[1] + m.padding_shift)
        taps = self._taps(st, stride, padding) if min(stride) > 0 and min(padding) >= 0 else {}
        dk: dict = {key: [] for key in K}
        g_in = []
        for x, gu in zip(saved.x, g_u):
            back: list[list] = [[] for _ in range(sin.size)]
            for o in range(sout.channels):
                for (i, j), tap in taps.items():
                    g = gu[sout.flat(o + 1, i + 1, j + 1)]
                    if is_zero(g):
                        continue
                    for c in range(sin.channels):
                        for r, s, p, q in tap:
                            k_in = sin.flat(c + 1, p + 1, q + 1)
                            kr, ks = (kh - 1 - r, kw - 1 - s) if m.kernel_flipped else (r, s)
                            back[k_in].append(mul((g, K[o, c, kr, ks])))
                            key = (o, c, kh - 1 - r, kw - 1 - s) if m.dk_rotated else (o, c, r, s)
                            dk[key].append(mul((g, x[k_in])))
            g_in.append([add(t) for t in back])
        grads = {_name("K", l, (o + 1, c + 1, r + 1, s + 1)): add(t) for (o, c, r, s), t in dk.items()}
        if st.bias != "none":
            for o in range(sout.channels):
                plane = range(o * sout.rows * sout.cols, (o + 1) * sout.rows * sout.cols)
                grads[_name("b", l, (o + 1,))] = add([gu[k] for gu in g_u for k in plane])
        nodes = {_name("u", l, sout.entry(k)): [gu[k] for gu in g_u] for k in range(sout.size)}
        return g_in, grads, nodes

    def value(self, spec, saved: _ConvSaved, name: Name, sample: int):
        k = spec.extra.shape_out.flat(*name.indices)
        return (saved.u if name.kind == "u" else saved.a)[sample - 1][k]


def _difference_sign(a, b) -> int:
    d = add((a, mul((b, fmpq(-1)))))
    if type(d) is fmpq:
        return (d > 0) - (d < 0)
    if d > 0:
        return 1
    if d < 0:
        return -1
    if d.is_exact() and d == 0:
        return 0
    if type(a) is type(b) is arb and a.mid() == b.mid() and a.rad() == b.rad():
        return 0  # the same ball: the same computation on equal inputs (tanh(b) of two all-zero patches)
    raise Undecided("two window entries of a max-pool cannot be ordered at this precision")


@dataclass
class _PoolSaved:
    a: list  # [sample][flat output]
    winners: list  # [sample][flat output] -> list of flat input positions attaining the maximum (max pool)
    x: list  # [sample][flat input]


class PoolOp(LayerOp):
    """Max or average pooling at index level (module contract)."""

    def __init__(self, how: str):
        self.how = how

    @staticmethod
    def _windows(st: PoolSettings) -> list[list[int]]:
        """For each flat output position: the flat input positions of its window, row by row."""
        (kh, kw), (sh, sw), sin, sout = st.size, st.stride, st.shape_in, st.shape_out
        return [[sin.flat(c, (i - 1) * sh + r + 1, (j - 1) * sw + s + 1) for r in range(kh) for s in range(kw)]
                for c, i, j in (sout.entry(k) for k in range(sout.size))]

    def forward(self, spec, prev: list, values: dict, mistakes: tuple = ()) -> tuple[list, _PoolSaved]:
        st: PoolSettings = spec.extra
        windows = self._windows(st)
        outs, winners = [], []
        scale = fmpq(1, st.size[0] * st.size[1])
        for x in prev:
            out, win = [], []
            for cells in windows:
                if self.how == "avg":
                    out.append(mul((add([x[k] for k in cells]), scale)))
                    win.append(cells)
                    continue
                best = [cells[0]]
                for k in cells[1:]:
                    sign = _difference_sign(x[k], x[best[0]])
                    if sign > 0:
                        best = [k]
                    elif sign == 0:
                        best.append(k)
                out.append(x[best[0]])
                win.append(best)
            outs.append(out)
            winners.append(win)
        return outs, _PoolSaved(outs, winners, [list(x) for x in prev])

    def backward(self, spec, saved: _PoolSaved, g_out: list, values: dict, seed=None, mistakes: tuple = ()):
        st: PoolSettings = spec.extra
        l, sin, sout = spec.index, st.shape_in, st.shape_out
        m = _pick(mistakes, PoolMistakes, NO_POOL_MISTAKES)
        windows = self._windows(st)
        g_a = g_out
        g_in = []
        for s_, (ga, win) in enumerate(zip(g_a, saved.winners)):
            back: list[list] = [[] for _ in range(sin.size)]
            for k, (cells, best, g) in enumerate(zip(windows, win, ga)):
                if is_zero(g):
                    continue
                for target, share in self._route(m, cells, best, g, st, sout.entry(k), l, s_, len(g_a), saved.x[s_]):
                    back[target].append(share)
            g_in.append([add(t) for t in back])
        return g_in, {}, {}

    def _route(self, mistakes: PoolMistakes, cells, best, g, st: PoolSettings, idx, l: int, s_: int, m: int,
               saved_x: list):
        if self.how == "avg":
            scale = ONE if mistakes.avg_unscaled else fmpq(1, len(cells))
            return [(k, mul((g, scale))) for k in cells]
        route = mistakes.route
        if route == "first":
            return [(cells[0], g)]
        if route == "all":
            return [(k, g) for k in cells]
        if route == "split":
            return [(k, mul((g, fmpq(1, len(best))))) for k in best]
        if route == "first_tied":
            return [(best[0], g)]
        if len(best) > 1:
            where = f" of sample {s_ + 1}" if m > 1 else ""
            cells = " and ".join(f"({r},{s})" for _, r, s in (st.shape_in.entry(k) for k in best))
            same = "" if all(type(saved_x[k]) is not arb for k in best) else \
                " (equal in every bit computed: the same ball)"
            tie = Undefined(_name("a", l, idx) + where, f"{_name('a', l, idx)}{where} is a tied maximum: its max-pool "
                            f"window has its largest value at {len(best)} cells, (row,col) {cells} of input channel "
                            f"{idx[0]}{same}")
            return [(k, mul((g, tie))) for k in best]
        if route == "transposed":
            t = cells.index(best[0])
            r, s = divmod(t, st.size[1])
            if st.size[0] != st.size[1]:
                return [(best[0], g)]
            return [(cells[s * st.size[1] + r], g)]
        return [(best[0], g)]

    def value(self, spec, saved: _PoolSaved, name: Name, sample: int):
        return saved.a[sample - 1][spec.extra.shape_out.flat(*name.indices)]


class FlattenOp(LayerOp):
    """The identity on the flat numbers; its nodes are a{l}[k]."""

    def forward(self, spec, prev: list, values: dict, mistakes: tuple = ()) -> tuple[list, list]:
        return [list(x) for x in prev], [list(x) for x in prev]

    def backward(self, spec, saved: list, g_out: list, values: dict, seed=None, mistakes: tuple = ()):
        return [list(r) for r in g_out], {}, {}

    def value(self, spec, saved: list, name: Name, sample: int):
        return saved[sample - 1][name.indices[0] - 1]


CONV_OPS = {"conv2d": ConvOp(), "maxpool": PoolOp("max"), "avgpool": PoolOp("avg"), "flatten": FlattenOp()}
