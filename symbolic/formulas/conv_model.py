"""The quantities of one conv2d layer for one sample, and their truth from the program's own conv op.

Contract
--------
:class:`ConvModel` ``(spec, X, K, b, delta)`` holds the layer's input X (C×H×W), kernels K
(O×C×kh×kw), biases b (O) and upstream gradient δ = ∂L/∂u (O×Ho×Wo) as NumPy object arrays of
numbers that add and multiply (exact rationals, or flint polynomials for the proof), and answers
:meth:`~ConvModel.array` for every meaning of :mod:`symbolic.formulas.conv_formula`: X, K, b, δ as
given; u by the program's forward (:class:`symbolic.truth.convolution.ConvOp`, pre-activation), and
dX, dK, db by the program's backward with g_u = δ — the very rules the exact truth of a layer list
uses — optionally under a :class:`~symbolic.truth.convolution.ConvMistakes` (the diagnoses).
:func:`symbolic_model` makes every entry of X, K, b, δ its own symbol (flint ``fmpq_mpoly``), so an
identity there holds for all values; :data:`MAX_SYMBOLS` bounds their number.
"""
from __future__ import annotations

from dataclasses import replace
from itertools import product

import numpy as np
from flint import fmpq, fmpq_mpoly_ctx

from ..spec.errors import DerivcheckError
from ..spec.rules import LINEAR_ACTIVATION
from ..truth.convolution import ConvMistakes, ConvOp, NO_CONV_MISTAKES, _ConvSaved

__all__ = ["ConvModel", "symbolic_model", "MAX_SYMBOLS", "DIMS"]

MAX_SYMBOLS = 3000
DIMS = {"X": ("c",), "K": ("o", "c"), "b": ("o",), "u": ("o",), "delta": ("o",), "dX": ("c",),
        "dK": ("o", "c"), "db": ("o",)}  # channel axes of each meaning; all but b, db have two spatial axes after


def _full(st, name: str) -> tuple[int, ...]:
    sin, sout = st.shape_in, st.shape_out
    return {"X": (sin.channels, sin.rows, sin.cols), "dX": (sin.channels, sin.rows, sin.cols),
            "K": (sout.channels, sin.channels, *st.kernel), "dK": (sout.channels, sin.channels, *st.kernel),
            "b": (sout.channels,), "db": (sout.channels,), "u": (sout.channels, sout.rows, sout.cols),
            "delta": (sout.channels, sout.rows, sout.cols)}[name]


class ConvModel:
    """The layer's arrays and their program truth (module contract)."""

    def __init__(self, spec, X: np.ndarray, K: np.ndarray, b: np.ndarray, delta: np.ndarray):
        self.spec, self.st = spec, spec.extra
        self.given = {"X": X, "K": K, "b": b, "delta": delta}
        self._cache: dict = {}

    def shape(self, name: str) -> tuple[int, ...]:
        return _full(self.st, name)

    def _values(self) -> dict:
        l, K, b = self.spec.index, self.given["K"], self.given["b"]
        out = {f"K{l}[{o + 1},{c + 1},{r + 1},{s + 1}]": K[o, c, r, s] for o, c, r, s in np.ndindex(K.shape)}
        out.update({f"b{l}[{o + 1}]": b[o] for o in range(b.shape[0])})
        return out

    def array(self, name: str, mistakes: ConvMistakes = NO_CONV_MISTAKES) -> np.ndarray:
        if name in ("b", "db") and self.st.bias == "none":
            raise DerivcheckError(f"conv2d layer {self.spec.index} has no bias (bias = \"none\"), so b and ∂L/∂b "
                                  f"are not read in its formulas; remove them or give the layer a bias.")
        if name in self.given:
            return self.given[name]
        key = (name, mistakes)
        if key not in self._cache:
            self._cache[key] = self._truth(name, mistakes)
        return self._cache[key]

    def _truth(self, name: str, mistakes: ConvMistakes) -> np.ndarray:
        st, op = self.st, ConvOp()
        x = [v for v in self.given["X"].reshape(-1)]
        if name == "u":  # the pre-activation output: the forward with the activation set aside
            spec = replace(self.spec, extra=replace(st, activation=LINEAR_ACTIVATION))
            _, saved = op.forward(spec, [x], self._values())
            return _obj(saved.u[0], self.shape("u"))
        size = st.shape_out.size
        saved = _ConvSaved([x], [None] * size, [None] * size, [[fmpq(1)] * size])
        g_in, grads, _ = op.backward(self.spec, saved, [list(self.given["delta"].reshape(-1))], self._values(),
                                     mistakes=(mistakes,))
        l = self.spec.index
        if name == "dX":
            return _obj(g_in[0], self.shape("dX"))
        if name == "dK":
            shape = self.shape("dK")
            return _obj([grads[f"K{l}[{','.join(str(i + 1) for i in idx)}]"] for idx in np.ndindex(shape)], shape)
        return _obj([grads[f"b{l}[{o + 1}]"] for o in range(self.shape("db")[0])], self.shape("db"))


def _obj(values, shape) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for k, v in enumerate(values):
        out[k] = v
    return out.reshape(shape)


def symbolic_model(spec) -> ConvModel:
    """Every entry of X, K, b and δ a symbol of Q[…] (module contract)."""
    st = spec.extra
    shapes = {n: _full(st, n) for n in ("X", "K", "b", "delta")}
    count = sum(int(np.prod(s)) for s in shapes.values())
    if count > MAX_SYMBOLS:
        raise DerivcheckError(f"The conv2d layer has {count:,} input, kernel, bias and δ entries; a formula claim is "
                              f"proved with each its own symbol, at most {MAX_SYMBOLS:,}; claim the numbers instead.")
    names = [f"{n}_{'_'.join(map(str, idx))}" for n, s in shapes.items() for idx in product(*map(range, s))]
    gens = iter(fmpq_mpoly_ctx.get(tuple(names), "lex").gens())
    arrays = {n: _obj([next(gens) for _ in range(int(np.prod(s)))], s) for n, s in shapes.items()}
    if st.bias == "none":
        arrays["b"] = _obj([fmpq(0)] * shapes["b"][0], shapes["b"])
    return ConvModel(spec, arrays["X"], arrays["K"], arrays["b"], arrays["delta"])
