"""A validated ``[[layer]]`` list: its layers, parameters, data and canonical names.

Contract
--------
:class:`LayerSpec` is one validated layer (number, kind, width, settings); :class:`LayeredNetwork`
the whole list with its exact parameters and data, as :func:`symbolic.spec.layers.build_layered`
returns it. It answers what code asks any network (``layers`` widths, ``depth``, ``loss``,
``activations``, ``bias``, ``parameter_names``, ``parameter_values``, ``with_values``) and
:meth:`LayeredNetwork.check_name` validates a canonical name against the list (what
:meth:`symbolic.spec.names.Name.check` calls for it): every layer's output ``a{l}[i]``, dense
``W{l}``, ``b{l}``, ``u{l}[i]``, normalization ``gamma{l}[i]``, ``beta{l}[i]``, ``xhat{l}[i]``,
``mu{l}[i]`` / ``var{l}[i]`` (batchnorm, per feature) or ``mu{l}`` / ``var{l}`` (layernorm, per
sample), data ``x[i]``, ``y[k]``, the loss ``L`` and ``L[k]``.
"""
from __future__ import annotations

import difflib
import re
from itertools import product
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Mapping

import numpy as np

from .errors import DerivcheckError
from .layer_rules import LAYER_KINDS
from .names import LOSS_TERMS, Name
from .network import exact_number
from .rules import LINEAR_ACTIVATION, LOSSES

__all__ = ["LayerSpec", "LayeredNetwork", "DEFAULT_EPS", "near"]

DEFAULT_EPS = Fraction(1, 100_000)  # PyTorch's default for BatchNorm1d and LayerNorm


def near(word: object, choices) -> str:
    """" (did you mean 'x'?)" for the closest of ``choices``, or ""."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass(frozen=True)
class LayerSpec:
    """One validated layer: its number (1-based), kind, width and settings."""

    index: int
    kind: str
    units: int
    activation: str = LINEAR_ACTIVATION
    bias: str = "none"
    eps: Fraction = DEFAULT_EPS
    mode: str = "train"
    running_mean: tuple[Fraction, ...] = ()
    running_var: tuple[Fraction, ...] = ()
    p: Fraction = Fraction(0)
    mask: tuple[tuple[int, ...], ...] = ()
    inputs: int = 0  # the input width (set for kinds with a plugin, which need it for their shapes)
    extra: Any = None  # a plugin kind's own settings (symbolic.spec.layer_plugin.KindPlugin.parse)
    normalized: int = 0  # layernorm: the normalized trailing axis H (rows of H features per sample; 0: all)

    @property
    def norm_width(self) -> int:
        """The features one normalization (and its gamma/beta) spans: H of a row-wise layernorm, else the width."""
        return self.normalized or self.units

    @property
    def plugin(self):
        """The kind's :class:`symbolic.spec.layer_plugin.KindPlugin`, or None for the built-in kinds."""
        return LAYER_KINDS[self.kind].plugin

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Parameter array → shape, for a plugin kind ({} for the built-in kinds)."""
        return self.plugin.arrays(self) if self.plugin is not None else {}

    @property
    def parameters(self) -> tuple[str, ...]:
        """Array names of this layer's parameters."""
        if self.kind == "dense":
            return (f"W{self.index}",) + (() if self.bias == "none" else (f"b{self.index}",))
        if self.plugin is not None:
            return tuple(self.shapes())
        return tuple(f"{p}{self.index}" for p in LAYER_KINDS[self.kind].parameters)

    @property
    def batch_statistics(self) -> bool:
        """Normalized over this batch (a batchnorm in train mode): the samples are coupled."""
        return self.kind == "batchnorm" and self.mode == "train"


def _nest(flat: list, shape: tuple[int, ...]) -> Any:
    """Row-major nested tuples of ``shape`` from a flat list (shape () is the one scalar)."""
    if not shape:
        return flat[0]
    step = len(flat) // shape[0]
    return tuple(_nest(flat[i * step:(i + 1) * step], shape[1:]) if len(shape) > 1 else flat[i]
                 for i in range(shape[0]))


@dataclass(frozen=True)
class LayeredNetwork:
    """A validated layer list with its parameters and data (see the module contract)."""

    specs: tuple[LayerSpec, ...]
    layers: tuple[int, ...]  # widths n_0..n_L
    loss: str
    params: Mapping[str, Any] | None = field(default=None, compare=False)
    x: tuple[tuple[Fraction, ...], ...] | None = None
    y: tuple[tuple[Fraction, ...], ...] | None = None
    learning_rate: Fraction | None = None  # updates: plain gradient descent (symbolic.truth.layered_update)
    update_biases: bool = True  # b and beta move too (W and gamma always do)
    optimizer: Any = None  # issue 17's rule-table optimizer (None: plain gradient descent)
    regularization: Any = None

    # the dense shorthand's per-layer attributes, read by code that asks any network
    @property
    def depth(self) -> int:
        return len(self.specs)

    @property
    def activations(self) -> tuple[str, ...]:
        return tuple(s.activation for s in self.specs)

    @property
    def bias(self) -> tuple[str, ...]:
        return tuple(s.bias for s in self.specs)

    @property
    def couples_batch(self) -> bool:
        return any(s.batch_statistics for s in self.specs)

    @property
    def loss_scale(self) -> Fraction:
        """The factor on the rule table's loss of the last layer's outputs that the last layer's kind asks for (a
        recurrent ``loss_over_steps``; 1 otherwise)."""
        last = self.specs[-1]
        return last.plugin.loss_scale(last, LOSSES[self.loss].averaged) if last.plugin is not None else Fraction(1)

    # ------------------------------------------------------------------ parameters
    def _entries(self, array: str) -> list[str]:
        spec = self.specs[int(re.sub(r"^[A-Za-z]+", "", array)) - 1]
        l, n, prev = spec.index, spec.units, self.layers[spec.index - 1]
        if spec.plugin is not None:
            shape = spec.shapes()[array]
            return [f"{array}[{','.join(map(str, i))}]" for i in product(*(range(1, d + 1) for d in shape))] \
                if shape else [array]
        if array.startswith("W"):
            return [f"W{l}[{i},{j}]" for i in range(1, n + 1) for j in range(1, prev + 1)]
        if spec.kind == "dense" and spec.bias == "shared":
            return [array]
        return [f"{array}[{i}]" for i in range(1, (spec.norm_width if spec.kind != "dense" else n) + 1)]

    def array_names(self) -> list[str]:
        return [a for s in self.specs for a in s.parameters]

    def parameter_names(self) -> list[str]:
        """Every scalar parameter's canonical name, layer by layer (W, b, gamma, beta)."""
        return [e for a in self.array_names() for e in self._entries(a)]

    def parameter_values(self) -> dict[str, Fraction]:
        if self.params is None:
            raise DerivcheckError("This network has no parameter values; give them in [parameters].")
        out = {}
        for array in self.array_names():
            value = self.params[array]
            for entry in self._entries(array):
                if "[" not in entry:
                    out[entry] = value
                    continue
                idx = [int(i) - 1 for i in entry[entry.index("[") + 1:-1].split(",")]
                v = value
                for i in idx:
                    v = v[i]
                out[entry] = v
        return out

    def with_values(self, values: Mapping[str, Any]) -> "LayeredNetwork":
        """A copy with some scalar parameters replaced."""
        current = self.parameter_values()
        for k, v in values.items():
            if k not in current:
                raise DerivcheckError(f"{k!r} is not a parameter of this network{near(k, list(current))}.")
            current[k] = exact_number(v, k)
        arrays: dict[str, Any] = {}
        shapes = {a: shape for s in self.specs for a, shape in s.shapes().items()}
        for array in self.array_names():
            entries = self._entries(array)
            if array in shapes:
                arrays[array] = _nest([current[e] for e in entries], shapes[array])
            elif array.startswith("W"):
                cols = self.layers[int(array[1:]) - 1]
                flat = [current[e] for e in entries]
                arrays[array] = tuple(tuple(flat[r * cols:(r + 1) * cols]) for r in range(len(flat) // cols))
            elif len(entries) == 1 and "[" not in entries[0]:
                arrays[array] = current[array]
            else:
                arrays[array] = tuple(current[e] for e in entries)
        return replace(self, params=arrays)

    # ------------------------------------------------------------------ names
    def check_name(self, name: Name) -> Name:
        """``name`` if it exists in this layer list (a0[i] becomes x[i]); else one sentence saying why not."""
        text, k, l, idx = str(name), name.kind, name.layer, name.indices

        def fail(why: str):
            raise DerivcheckError(f"{text!r} {why}")

        if k in ("x", "y", "L") and name.step is not None:  # x_t2[1], y_t2[1], L_t2: the recurrent layer's
            spec = self.specs[0 if k == "x" else -1]
            if spec.plugin is None:
                fail(f"has a time step, but layer {spec.index} is a {spec.kind} layer; only recurrent layers have steps.")
            return spec.plugin.check_name(spec, name, self)
        if k in ("x", "y"):
            if l is not None or len(idx) != 1:
                fail(f"should be written {k}[i] (one index, no layer number).")
            n = self.layers[0] if k == "x" else self.layers[-1]
            if not 1 <= idx[0] <= n:
                fail(f"refers to entry {idx[0]}, but there are only {n} (indices start at 1).")
            return name
        if k in LOSS_TERMS:  # L = L_data + penalty (issue 17's [regularization])
            return name if l is None and not idx else fail(f"is a term of L = L_data + penalty; write it {k}.")
        if k == "L":
            if l is not None or len(idx) > 1 or (idx and not 1 <= idx[0] <= self.layers[-1]):
                fail(f"is not a loss name; write L for the loss or L[k] for output k's term (k ≤ {self.layers[-1]}).")
            return name
        if l is None or not (0 if k == "a" else 1) <= l <= self.depth:
            fail(f"needs a layer number from {0 if k == 'a' else 1} to {self.depth}.")
        if k == "a" and l == 0:
            return Name("x", None, idx).check(self) if len(idx) == 1 else fail("needs one index, like a0[1].")
        spec = self.specs[l - 1]
        n, prev = spec.units, self.layers[l - 1]
        if spec.plugin is not None:
            return self._check_plugin_name(spec, name, fail)
        if name.step is not None:
            fail(f"has a time step, but layer {l} is a {spec.kind} layer; only recurrent layers have steps.")
        owner = {"W": "dense", "b": "dense", "u": "dense"}.get(k)
        if owner and spec.kind != owner or k in ("gamma", "beta", "xhat", "mu", "var") and \
                k not in LAYER_KINDS[spec.kind].parameters + LAYER_KINDS[spec.kind].nodes:
            fail(f"does not exist: layer {l} is a {spec.kind} layer"
                 f"{' (its names: ' + ', '.join(self._names_of(spec)) + ')'}.")
        if (k in ("mu", "var")) and spec.kind == "batchnorm" and spec.mode == "inference":
            fail(f"is a running statistic of inference-mode layer {l}, a constant of the file, not a node.")
        if k == "W":
            if len(idx) != 2 or not (1 <= idx[0] <= n and 1 <= idx[1] <= prev):
                fail(f"needs [row, column] with row ≤ {n} and column ≤ {prev}, like W{l}[1,1].")
            return name
        if k == "b" and spec.bias == "none":
            fail(f"is a bias, but layer {l} has bias = \"none\".")
        if k == "b" and spec.bias == "shared":
            return name if not idx else fail(f"has an index, but layer {l} has one shared bias; write b{l}.")
        rows = n // spec.norm_width if spec.kind == "layernorm" else 1
        if k in ("mu", "var") and spec.kind == "layernorm" and rows == 1:
            return name if not idx else fail(f"has an index, but layer {l} (layernorm) has one {k} per sample; "
                                             f"write {k}{l} and give the claim's sample.")
        if k in ("mu", "var") and spec.kind == "layernorm":  # a rank-3 layernorm: one per row of each sample
            if len(idx) != 1 or not 1 <= idx[0] <= rows:
                fail(f"needs the row: layer {l} normalizes each of the {rows} rows of {spec.norm_width} features of "
                     f"a sample; write {k}{l}[1] to {k}{l}[{rows}] and give the claim's sample.")
            return name
        n = spec.norm_width if k in ("gamma", "beta") else n
        if len(idx) != 1 or not 1 <= idx[0] <= n:
            fail(f"needs one index from 1 to {n}, like {k}{l}[1].")
        return name

    def _check_plugin_name(self, spec: LayerSpec, name: Name, fail) -> Name:
        shapes = spec.shapes()
        array = f"{name.kind}{name.layer}"
        if array in shapes and name.step is None:  # a step's copy of a shared array (Wh1_t2[1,1]): the plugin's
            shape = shapes[array]
            if len(name.indices) != len(shape) or \
                    not all(1 <= i <= d for i, d in zip(name.indices, shape)):
                like = f"{array}[{','.join('1' * len(shape))}]" if shape else array
                fail(f"needs {len(shape)} indices within {' × '.join(map(str, shape)) or 'no index'} "
                     f"(write it like {like}).")
            return name
        if name.is_parameter and name.step is None:
            fail(f"does not exist: layer {spec.index} is a {spec.kind} layer "
                 f"(its parameters: {', '.join(shapes) or 'none'}; its names: {', '.join(self._names_of(spec))}).")
        return spec.plugin.check_name(spec, name, self)

    def refuse_sample(self, name: Name) -> None:
        """Raise if ``name`` is one number for the whole batch (a batchnorm's μ or σ²), so a sample means nothing."""
        if name.kind in ("mu", "var") and self.specs[name.layer - 1].kind == "batchnorm":
            raise DerivcheckError(f"gives a sample, but {name} is a statistic of batchnorm layer {name.layer} over the "
                                  f"whole batch (one number for all samples); remove sample")

    def _names_of(self, spec: LayerSpec) -> list[str]:
        l = spec.index
        if spec.kind == "dense":
            return [f"W{l}[i,j]"] + ([f"b{l}"] if spec.bias != "none" else []) + [f"u{l}[i]", f"a{l}[i]"]
        if spec.plugin is not None:
            return [f"{a}[{','.join('ijkl'[:len(shape)])}]" if shape else a for a, shape in spec.shapes().items()] + \
                spec.plugin.names(spec)
        rule = LAYER_KINDS[spec.kind]
        idx = {"layernorm": {"mu": "", "var": ""}}.get(spec.kind, {}) if spec.norm_width == spec.units else {}
        return [f"{p}{l}{idx.get(p, '[i]')}" for p in rule.parameters + rule.nodes] + [f"a{l}[i]"]

    # ------------------------------------------------------------------ the NumPy twin
    def numeric_params(self) -> dict:
        """Parameters as float64 arrays for :mod:`numeric.layers`."""
        arrays = {}
        for k, v in (self.params or {}).items():
            arrays[k] = np.array(v, dtype=float)
        return arrays

    def numeric_layers(self) -> list[dict]:
        """The layer list as :mod:`numeric.layers` takes it (floats)."""
        out = []
        for s in self.specs:
            out.append({"kind": s.kind, "units": s.units, "activation": s.activation, "bias": s.bias,
                        "eps": float(s.eps), "mode": s.mode, "running_mean": [float(v) for v in s.running_mean],
                        "running_var": [float(v) for v in s.running_var], "p": float(s.p),
                        "mask": [list(r) for r in s.mask], "normalized": s.norm_width, "inputs": s.inputs,
                        "settings": s.plugin.numeric(s) if s.plugin is not None else {}})
        return out
