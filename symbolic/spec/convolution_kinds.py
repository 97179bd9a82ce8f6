"""Rule-table entries of conv2d, maxpool, avgpool and flatten: their :class:`KindPlugin` and :class:`LayerKind`.

Contract
--------
:data:`CONV_KINDS` (kind → :class:`symbolic.spec.layer_plugin.LayerKind`) joins
:data:`symbolic.spec.layer_rules.LAYER_KINDS`. Each carries a :class:`SpatialPlugin` that answers the
generic layer-list code with :mod:`symbolic.spec.convolution` (settings, shapes, names, size guards):
``parse`` → ``(C·H·W of the output, settings)`` (it reads the previous layer's image shape: ``prev``, the
previous :class:`LayerSpec`); ``arrays`` → ``K{l}``, ``b{l}`` of a conv layer; ``check_name`` / ``flat``
for ``u{l}[c,i,j]``, ``a{l}[c,i,j]`` (flat entry ``(c−1)·H·W + (r−1)·W + s``) and flatten's ``a{l}[k]``;
``cost`` (multiply-adds of one sample); ``numeric`` (the settings as plain numbers for
:mod:`numeric.convolution`). The LaTeX lines are the rules as documents and ``derive`` print them.
"""
from __future__ import annotations

from typing import Any, Mapping

from numeric.layers import NUMERIC_KINDS

from .convolution import (CONV_KEYS, FLATTEN_KEYS, POOL_KEYS, ConvSettings, PoolSettings,
                          kernel_arrays, parse_spatial, settings_shape, spatial_name)
from .layer_plugin import KindPlugin, LayerKind

__all__ = ["SpatialPlugin", "CONV_KINDS"]


class SpatialPlugin(KindPlugin):
    """The plugin of one of the kinds conv2d, maxpool, avgpool, flatten (see the module contract)."""

    wants_previous = True

    def __init__(self, kind: str):
        self.kind = kind

    def parse(self, raw: Mapping[str, Any], l: int, width: int, batch: int | None, last: bool, where: str,
              prev: Any = None) -> tuple[int, Any]:
        shape = settings_shape(getattr(prev, "extra", None)) if prev is not None else None
        settings = parse_spatial(self.kind, dict(raw), l, width, shape, where)
        out = settings_shape(settings)
        return (out.size if out is not None else width), settings

    def arrays(self, spec: Any) -> dict[str, tuple[int, ...]]:
        return kernel_arrays(spec.index, spec.extra) if self.kind == "conv2d" else {}

    def check_name(self, spec: Any, name: Any, network: Any) -> Any:
        return spatial_name(self.kind, spec.extra, name)

    def flat(self, spec: Any, name: Any) -> int | None:
        if name.kind != "a":
            return None
        shape = settings_shape(spec.extra)
        if shape is not None and len(name.indices) == 3:
            return shape.flat(*name.indices) + 1
        return name.indices[0] if len(name.indices) == 1 else None

    def names(self, spec: Any) -> list[str]:
        l = spec.index
        if self.kind == "flatten":
            return [f"a{l}[k]"]
        return ([f"u{l}[c,i,j]"] if self.kind == "conv2d" else []) + [f"a{l}[c,i,j]"]

    def cost(self, spec: Any) -> int:
        st = spec.extra
        if isinstance(st, ConvSettings):
            return st.shape_out.size * st.shape_in.channels * st.kernel[0] * st.kernel[1]
        if isinstance(st, PoolSettings):
            return st.shape_out.size * st.size[0] * st.size[1]
        return spec.units

    def numeric(self, spec: Any) -> dict[str, Any]:
        st = spec.extra
        shape = getattr(st, "shape_in", None)
        out: dict[str, Any] = {"input": [shape.channels, shape.rows, shape.cols] if shape is not None else None}
        if isinstance(st, ConvSettings):
            out.update(kernel=list(st.kernel), stride=list(st.stride), padding=list(st.padding), bias=st.bias,
                       activation=st.activation)
        elif isinstance(st, PoolSettings):
            out.update(size=list(st.size), stride=list(st.stride))
        return out


_CONV_FORWARD = (r"u_{o,i,j} = b_o + \sum_{c,r,s} K_{o,c,r,s}\, x^{\text{pad}}_{c,\,(i-1)S+r,\,(j-1)S+s}",
                 r"a_{o,i,j} = f(u_{o,i,j})")
_CONV_BACKWARD = (
    r"\delta_{o,i,j} = \frac{\partial L}{\partial a_{o,i,j}}\, f'(u_{o,i,j})",
    r"\frac{\partial L}{\partial K_{o,c,r,s}} = \sum_{i,j} \delta_{o,i,j}\, x^{\text{pad}}_{c,\,(i-1)S+r,\,(j-1)S+s}, "
    r"\quad \frac{\partial L}{\partial b_o} = \sum_{i,j} \delta_{o,i,j}",
    r"\frac{\partial L}{\partial x_c} = \sum_o \tilde{\delta}_o \star \operatorname{rot180}(K_{o,c}) \quad "
    r"(\tilde{\delta}: \delta \text{ with } S-1 \text{ zeros between entries and } k-1-P \text{ around})")
_POOL_AREA = r"\frac{1}{k_r k_s}"

CONV_KINDS: dict[str, LayerKind] = {
    "conv2d": LayerKind("conv2d", CONV_KEYS, (), ("u",), False, NUMERIC_KINDS["conv2d"],
                        "convolution: u = b + the cross-correlation of x (zero-padded) with K, a = f(u)",
                        _CONV_FORWARD, _CONV_BACKWARD, plugin=SpatialPlugin("conv2d")),
    "maxpool": LayerKind("maxpool", POOL_KEYS, (), (), False, NUMERIC_KINDS["maxpool"],
                         "max pooling: each window's maximum",
                         (r"a_{c,i,j} = \max_{(r,s) \in w(i,j)} x_{c,r,s}",),
                         (r"\frac{\partial L}{\partial x_{c,r,s}} = \sum_{(i,j):\, (r,s) = \arg\max w(i,j)} "
                          r"\frac{\partial L}{\partial a_{c,i,j}} \quad (\text{undefined through a tied maximum})",),
                         plugin=SpatialPlugin("maxpool")),
    "avgpool": LayerKind("avgpool", POOL_KEYS, (), (), False, NUMERIC_KINDS["avgpool"],
                         "average pooling: each window's mean",
                         (rf"a_{{c,i,j}} = {_POOL_AREA} \sum_{{(r,s) \in w(i,j)}} x_{{c,r,s}}",),
                         (rf"\frac{{\partial L}}{{\partial x_{{c,r,s}}}} = \sum_{{(i,j):\, (r,s) \in w(i,j)}} "
                          rf"{_POOL_AREA} \frac{{\partial L}}{{\partial a_{{c,i,j}}}}",),
                         plugin=SpatialPlugin("avgpool")),
    "flatten": LayerKind("flatten", FLATTEN_KEYS, (), (), False, NUMERIC_KINDS["flatten"],
                         "flatten: the same numbers, channel by channel, row by row",
                         (r"a_k = x_k",), (r"\frac{\partial L}{\partial x_k} = \frac{\partial L}{\partial a_k}",),
                         plugin=SpatialPlugin("flatten")),
}


