"""Convolution, pooling and flatten layers of a ``[[layer]]`` list: their keys, shapes and canonical names.

Contract
--------
Images are stored flat (docs/convolution.md): C channels × H rows × W cols are C·H·W numbers,
channel-major then row-major; entry (c, r, s) (1-based) is flat index (c−1)·H·W + (r−1)·W + s.

* :func:`parse_spatial` validates one ``conv2d`` / ``maxpool`` / ``avgpool`` / ``flatten`` table against
  the width of the layer before and, when that layer is spatial, its :class:`Shape`; it returns the
  layer's settings (:class:`ConvSettings`, :class:`PoolSettings`, :class:`FlattenSettings`) or raises
  one :class:`DerivcheckError` sentence naming the layer and key.
* Size guard: an image of more than :data:`MAX_IMAGE` numbers, or a convolution of more than
  :data:`MAX_CONV_MACS` multiply-adds per sample, is refused here — before anything is built — with
  its size named.
* :func:`spatial_name` validates a node name of such a layer: conv ``u{l}[c,i,j]`` and ``a{l}[c,i,j]``,
  pool ``a{l}[c,i,j]``, flatten ``a{l}[k]``; a shaped layer's one-index ``a{l}[k]`` (its flat entry) is
  accepted and returned as ``a{l}[c,i,j]``.
* :func:`kernel_arrays` gives the parameter arrays (``K{l}`` (C_out, C_in, rows, cols), ``b{l}``
  (C_out,)) of a conv layer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import DerivcheckError, brief
from .names import Name
from .rules import ACTIVATIONS, LINEAR_ACTIVATION

__all__ = ["Shape", "ConvSettings", "PoolSettings", "FlattenSettings", "MAX_IMAGE", "MAX_CONV_MACS",
           "CONV_KEYS", "POOL_KEYS", "FLATTEN_KEYS", "CONV_BIAS_MODES", "parse_spatial", "spatial_name",
           "kernel_arrays", "settings_shape"]

MAX_IMAGE = 16_384  # numbers in one layer's input or output image (e.g. 1×128×128, 4×64×64)
MAX_CONV_MACS = 500_000  # multiply-adds of one conv layer for one sample in exact arithmetic
CONV_BIAS_MODES = ("per-channel", "none")
CONV_KEYS = ("input", "channels", "kernel", "stride", "padding", "bias", "activation")
POOL_KEYS = ("input", "size", "stride")
FLATTEN_KEYS = ("input",)
Pair = tuple[int, int]


@dataclass(frozen=True)
class Shape:
    """An image shape: channels × rows × cols, stored flat channel-major then row-major."""

    channels: int
    rows: int
    cols: int

    @property
    def size(self) -> int:
        return self.channels * self.rows * self.cols

    def flat(self, c: int, r: int, s: int) -> int:
        """The 0-based flat position of the 1-based entry (c, r, s)."""
        return ((c - 1) * self.rows + (r - 1)) * self.cols + (s - 1)

    def entry(self, k: int) -> tuple[int, int, int]:
        """The 1-based (c, r, s) of the 0-based flat position ``k``."""
        c, rest = divmod(k, self.rows * self.cols)
        r, s = divmod(rest, self.cols)
        return c + 1, r + 1, s + 1

    def __str__(self) -> str:
        return f"{self.channels}×{self.rows}×{self.cols}"


@dataclass(frozen=True)
class ConvSettings:
    """A conv2d layer: input and output shapes, kernel (rows, cols), stride, zero padding, bias, activation."""

    shape_in: Shape
    shape_out: Shape
    kernel: Pair
    stride: Pair
    padding: Pair
    bias: str
    activation: str


@dataclass(frozen=True)
class PoolSettings:
    """A max or average pool: ``how`` is "max" or "avg"; windows of ``size`` at ``stride``, no padding."""

    how: str
    shape_in: Shape
    shape_out: Shape
    size: Pair
    stride: Pair


@dataclass(frozen=True)
class FlattenSettings:
    """A flatten layer: the same numbers, named a{l}[k]; ``shape_in`` of the layer before when it is an image."""

    shape_in: Shape | None
    width: int


def settings_shape(settings: Any) -> Shape | None:
    """The output image shape of a layer's settings (None for flat layers)."""
    return getattr(settings, "shape_out", None)


def _whole(v: Any, what: str, low: int, high: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        raise DerivcheckError(f"{what} is {brief(v)}; give a whole number from {low} to {high:,}.")
    return v


def _pair(raw: dict, key: str, where: str, low: int, default: int | None) -> Pair:
    if key not in raw:
        if default is None:
            raise DerivcheckError(f"{where} has no {key}; give it, e.g. {key} = 2 (rows = cols) or {key} = [2, 3].")
        return default, default
    v = raw[key]
    if isinstance(v, list):
        if len(v) != 2:
            raise DerivcheckError(f"{where}: {key} is {brief(v)}; give one number or [rows, cols].")
        return _whole(v[0], f"{where}: {key} rows", low, 1000), _whole(v[1], f"{where}: {key} cols", low, 1000)
    n = _whole(v, f"{where}: {key}", low, 1000)
    return n, n


def _input_shape(raw: dict, where: str, width: int, prev: Shape | None) -> Shape:
    if "input" not in raw:
        if prev is None:
            raise DerivcheckError(f"{where} reads an image, but the layer before gives {width} flat numbers; say "
                                  f"how they form an image with input = [channels, rows, cols] (stored channel-major, "
                                  f"then row by row).")
        return prev
    v = raw["input"]
    if not isinstance(v, list) or len(v) != 3:
        raise DerivcheckError(f"{where}: input is {brief(v)}; give [channels, rows, cols], e.g. input = [1, 8, 8].")
    dims = [_whole(d, f"{where}: input {w}", 1, MAX_IMAGE) for d, w in zip(v, ("channels", "rows", "cols"))]
    shape = Shape(*dims)
    if shape.size > MAX_IMAGE:
        raise DerivcheckError(f"{where}: a {shape} image ({shape.size:,} numbers) is over the exact-mode limit of "
                              f"{MAX_IMAGE:,} numbers per image; crop or downsample it.")
    if shape.size != width:
        raise DerivcheckError(f"{where}: input = {list(v)} is {shape.size} numbers, but the layer before gives "
                              f"{width}; the channels × rows × cols must multiply to {width}.")
    if prev is not None and shape != prev:
        raise DerivcheckError(f"{where}: input = {list(v)} disagrees with the {prev} image the layer before gives; "
                              f"remove input (it is known) or correct it.")
    return shape


def _out(shape: Shape, channels: int, kernel: Pair, stride: Pair, padding: Pair, where: str) -> Shape:
    dims = []
    for n, k, st, p, what in zip((shape.rows, shape.cols), kernel, stride, padding, ("rows", "cols")):
        if k > n + 2 * p:
            raise DerivcheckError(f"{where}: the window has {k} {what}, more than the {n} {what} of the "
                                  f"{shape} input{f' with padding {p}' if p else ''}; use a smaller kernel or size.")
        dims.append((n + 2 * p - k) // st + 1)
    out = Shape(channels, *dims)
    if out.size > MAX_IMAGE:
        raise DerivcheckError(f"{where}: its {out} output ({out.size:,} numbers) is over the exact-mode limit of "
                              f"{MAX_IMAGE:,} numbers per image; use fewer channels or a smaller image.")
    return out


def parse_spatial(kind: str, raw: dict, l: int, width: int, prev: Shape | None, where: str = "") -> Any:
    """The settings of one conv2d / maxpool / avgpool / flatten layer (module contract)."""
    where = where or f"[[layer]] {l} ({kind})"
    if kind == "flatten":
        shape = _input_shape(raw, where, width, prev) if "input" in raw or prev is not None else None
        return FlattenSettings(shape, width)
    shape = _input_shape(raw, where, width, prev)
    if kind in ("maxpool", "avgpool"):
        size = _pair(raw, "size", where, 1, None)
        stride = _pair(raw, "stride", where, 1, None) if "stride" in raw else size
        return PoolSettings(kind[:3], shape, _out(shape, shape.channels, size, stride, (0, 0), where), size, stride)
    if "channels" not in raw:
        raise DerivcheckError(f"{where} has no channels; say how many output channels (kernels) it has, "
                              f"e.g. channels = 2.")
    channels = _whole(raw["channels"], f"{where}: channels", 1, MAX_IMAGE)
    kernel = _pair(raw, "kernel", where, 1, None)
    stride = _pair(raw, "stride", where, 1, 1)
    padding = _pair(raw, "padding", where, 0, 0)
    if any(p >= k for p, k in zip(padding, kernel)):
        raise DerivcheckError(f"{where}: padding {list(padding)} is not smaller than the kernel {list(kernel)}; "
                              f"some outputs would see only padding zeros (use padding < kernel size).")
    bias = raw.get("bias", "per-channel")
    if bias not in CONV_BIAS_MODES:
        raise DerivcheckError(f"{where} has bias {brief(bias)}; use \"per-channel\" (one b{l}[c] per output "
                              f"channel, the default) or \"none\".")
    act = raw.get("activation", LINEAR_ACTIVATION)
    if not isinstance(act, str) or act not in ACTIVATIONS or not ACTIVATIONS[act].numeric.elementwise:
        names = [a for a in ACTIVATIONS if ACTIVATIONS[a].numeric.elementwise]
        raise DerivcheckError(f"{where} has activation {brief(act)}; a convolution takes an entrywise one: "
                              f"{', '.join(names)}.")
    out = _out(shape, channels, kernel, stride, padding, where)
    macs = out.size * shape.channels * kernel[0] * kernel[1]
    if macs > MAX_CONV_MACS:
        raise DerivcheckError(f"{where} needs {macs:,} multiply-adds per sample ({shape} input, {out} output, "
                              f"{kernel[0]}×{kernel[1]} kernels), over the exact-mode limit of {MAX_CONV_MACS:,}; "
                              f"use a smaller image, fewer channels or a larger stride.")
    return ConvSettings(shape, out, kernel, stride, padding, bias, act)


def kernel_arrays(l: int, settings: ConvSettings) -> dict[str, tuple[int, ...]]:
    """Parameter arrays of conv layer ``l``: K{l} (C_out, C_in, rows, cols) and b{l} (C_out,) unless bias none."""
    k = {f"K{l}": (settings.shape_out.channels, settings.shape_in.channels, *settings.kernel)}
    if settings.bias != "none":
        k[f"b{l}"] = (settings.shape_out.channels,)
    return k


def spatial_name(kind: str, settings: Any, name: Name) -> Name:
    """``name`` (a node of this layer) checked and normalized, or one sentence saying why not (module contract)."""
    text, l, idx = str(name), name.layer, name.indices
    shape = settings_shape(settings)
    nodes = ("u", "a") if kind == "conv2d" else ("a",)
    if name.kind not in nodes:
        names = ", ".join(f"{n}{l}[c,i,j]" if shape else f"{n}{l}[k]" for n in nodes)
        raise DerivcheckError(f"{text!r} does not exist: layer {l} is a {kind} layer (its nodes: {names}).")
    if shape is None:
        if len(idx) != 1 or not 1 <= idx[0] <= settings.width:
            raise DerivcheckError(f"{text!r} needs one index from 1 to {settings.width}, like a{l}[1] (flatten keeps "
                                  f"the order channel, row, column).")
        return name
    if len(idx) == 1 and name.kind == "a" and 1 <= idx[0] <= shape.size:
        return Name("a", l, shape.entry(idx[0] - 1))
    if len(idx) != 3 or not all(1 <= i <= n for i, n in zip(idx, (shape.channels, shape.rows, shape.cols))):
        raise DerivcheckError(f"{text!r} needs [channel, row, col] within the {shape} output of layer {l}, like "
                              f"{name.kind}{l}[1,1,1] (or a{l}[k] for flat entry k ≤ {shape.size}).")
    return name
