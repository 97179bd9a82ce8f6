"""The network specification: shape, rules, bias modes, training settings and numbers.

Contract
--------
:class:`Network` is immutable and validated on construction
(:meth:`Network.build`): every problem is a :class:`DerivcheckError` with one
sentence naming the offending item. Numbers are kept exact as
:class:`fractions.Fraction` (a float such as ``0.15`` becomes ``3/20`` via its
shortest decimal repr; a string ``"0.15"`` the same), so the symbolic truth
can stay rational.

* ``layers`` — sizes n_0..n_L, each ≥ 1, at least one non-input layer.
* ``activations`` / ``bias`` — one per non-input layer (a single value is
  broadcast); bias modes ``none``, ``per-neuron``, ``shared``.
* ``params`` — optional ``{"W1": ((…),…), "b1": (…) or scalar}``; when given,
  every array the architecture has must be present with the right shape.
* ``x`` / ``y`` — optional data, stored as a batch (tuple of rows); a single
  sample may be given as a flat list.
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping, Sequence

import numpy as np

from numeric.engine import Architecture
from numeric.parameters import array_names, entry_index, entry_names

from .errors import DerivcheckError, brief
from .vocabulary import activation_name, loss_name
from .rules import ACTIVATIONS, DEFAULT_ACTIVATION, DEFAULT_LOSS, LOSSES

__all__ = ["Network", "BIAS_MODES", "exact_number", "update_settings"]

BIAS_MODES = ("none", "per-neuron", "shared")
MAX_LAYER_WIDTH = 100_000
MAX_PARAMETERS = 1_000_000  # weights and biases; beyond this even the NumPy witnesses need gigabytes
MAX_NUMBER_CHARS = 100  # a number written as text (0.35, 7/20, 3.5e-2): longer is no printed number
MAX_MAGNITUDE = 10 ** 300  # about float64's range; beyond it exp() and the float witnesses are meaningless
_EXPONENT = re.compile(r"[eE]\s*([+-]?\d+)")


_SMALLEST = Fraction(1, MAX_MAGNITUDE)


def _bounded(number: Fraction, what: str) -> Fraction:
    if number and not _SMALLEST <= abs(number) <= MAX_MAGNITUDE:
        raise DerivcheckError(f"{what} is about 1e{_log10(number)}; derivcheck handles magnitudes from 1e-300 to 1e300.")
    return number


def _log10(number: Fraction) -> int:
    return round((abs(number.numerator).bit_length() - number.denominator.bit_length()) * math.log10(2))


def exact_number(value: Any, what: str) -> Fraction:
    """A finite number as an exact Fraction; ``what`` names it in the error."""
    if isinstance(value, bool):
        raise DerivcheckError(f"{what} is a boolean ({value}); give a number.")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return _bounded(Fraction(value), what)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DerivcheckError(f"{what} is {value}; only finite numbers can be checked.")
        if value == 0 or 1e-299 < abs(value) < 1e299:  # well inside the bounds: no Fraction comparisons (a
            return Fraction(repr(value))               # 20,000-sample [data] spent 0.4 s on them)
        return _bounded(Fraction(repr(value)), what)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_CHARS:
            raise DerivcheckError(f"{what} is {len(text):,} characters long; write a number of at most "
                                  f"{MAX_NUMBER_CHARS} characters, like 0.35 or 7/20.")
        m = _EXPONENT.search(text)
        if m and abs(int(m[1])) > 400:
            raise DerivcheckError(f"{what} is {value!r}; derivcheck handles magnitudes from 1e-300 to 1e300.")
        try:
            number = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise DerivcheckError(f"{what} is {brief(value)}, which is not a number; write it like 0.35 or 7/20.") from None
        return _bounded(number, what)
    raise DerivcheckError(f"{what} is {type(value).__name__} {brief(value)}; give a number.")


def _per_layer(value: Any, depth: int, what: str) -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) != depth:
            raise DerivcheckError(
                f"{what} lists {len(value)} entries but the network has {depth} non-input layers; "
                f"give one per non-input layer or a single value.")
        return tuple(value)
    return (value,) * depth


def _matrix(value: Any, rows: int, cols: int, name: str) -> tuple[tuple[Fraction, ...], ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(r, (list, tuple)) for r in value):
        raise DerivcheckError(f"{name} must be a matrix (a list of {rows} rows of {cols} numbers).")
    shape = (len(value), tuple(len(r) for r in value))
    if len(value) != rows or any(len(r) != cols for r in value):
        got = f"{len(value)} rows of lengths {list(shape[1])}"
        raise DerivcheckError(
            f"{name} has {got}, but its shape must be ({rows}, {cols}): "
            f"one row per neuron of layer {name[1:]}, one column per neuron of the layer before.")
    return tuple(tuple(exact_number(v, f"{name}[{i + 1},{j + 1}]") for j, v in enumerate(r))
                 for i, r in enumerate(value))


def _batch(value: Any, width: int, name: str) -> tuple[tuple[Fraction, ...], ...]:
    if not isinstance(value, (list, tuple)) or len(value) == 0:
        raise DerivcheckError(f"{name} must be a list of {width} numbers (or a list of such rows for a batch).")
    rows = value if all(isinstance(r, (list, tuple)) for r in value) else [value]
    for s, row in enumerate(rows, 1):
        if not isinstance(row, (list, tuple)) or len(row) != width:
            length = len(row) if isinstance(row, (list, tuple)) else 1
            where = f"{name}" if len(rows) == 1 else f"sample {s} of {name}"
            raise DerivcheckError(f"{where} has {length} numbers, but the layer it feeds has {width} neurons.")
    return tuple(tuple(exact_number(v, f"{name}[{i + 1}]") for i, v in enumerate(r)) for r in rows)



def update_settings(learning_rate: Any, update_biases: Any) -> Fraction | None:
    """The exact learning rate (positive, or None) after checking both update settings (one sentence each)."""
    lr = None if learning_rate is None else exact_number(learning_rate, "learning_rate")
    if lr is not None and lr <= 0:
        raise DerivcheckError(f"learning_rate is {lr}; it must be positive.")
    if not isinstance(update_biases, bool):
        raise DerivcheckError(f"update_biases is {brief(update_biases)}; write true or false.")
    return lr

@dataclass(frozen=True)
class Network:
    """A validated network specification (build it with :meth:`Network.build`)."""

    layers: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    bias: tuple[str, ...]
    learning_rate: Fraction | None = None
    update_biases: bool = True
    params: Mapping[str, Any] | None = field(default=None, compare=False)
    x: tuple[tuple[Fraction, ...], ...] | None = None
    y: tuple[tuple[Fraction, ...], ...] | None = None
    # training beyond plain gradient descent (symbolic.spec.optimizers): None is plain θ ← θ − η g, no penalty
    optimizer: Any = None
    regularization: Any = None

    # ------------------------------------------------------------------ build
    @classmethod
    def build(
        cls,
        layers: Sequence[int],
        activation: str | Sequence[str] = DEFAULT_ACTIVATION,
        loss: str = DEFAULT_LOSS,
        bias: str | Sequence[str] = "per-neuron",
        learning_rate: Any = None,
        update_biases: bool = True,
        params: Mapping[str, Any] | None = None,
        x: Any = None,
        y: Any = None,
    ) -> "Network":
        """Validate everything and return the network; errors are one sentence each."""
        if not isinstance(layers, (list, tuple)) or len(layers) < 2:
            raise DerivcheckError("layers must list at least two sizes (the input layer and one more), e.g. [2, 2, 2].")
        for k, n in enumerate(layers):
            if isinstance(n, bool) or not isinstance(n, int):
                raise DerivcheckError(f"Layer {k} has size {brief(n)}; layer sizes must be whole numbers.")
            if n < 1:
                raise DerivcheckError(f"Layer {k} has size {brief(n)}; every layer needs at least one neuron.")
            if n > MAX_LAYER_WIDTH:
                raise DerivcheckError(
                    f"Layer {k} has {brief(n)} neurons, more than derivcheck handles ({MAX_LAYER_WIDTH}); use a smaller network.")
        depth = len(layers) - 1
        weights = sum(layers[l] * layers[l - 1] for l in range(1, depth + 1))
        if weights > MAX_PARAMETERS:
            raise DerivcheckError(
                f"The {'-'.join(map(str, layers[:12]))}{'-…' if len(layers) > 12 else ''} network has {weights:,} "
                f"weights, more than derivcheck handles ({MAX_PARAMETERS:,}); use a smaller network.")
        acts = [activation_name(act, l)[0] for l, act in enumerate(_per_layer(activation, depth, "activation"), 1)]
        for l, act in enumerate(acts, 1):
            if ACTIVATIONS[act].output_only and l != depth:
                raise DerivcheckError(
                    f"Activation {act!r} on hidden layer {l} is not supported; {act} may only be the output layer's.")
        loss = loss_name(loss, acts[-1])[0]
        allowed = LOSSES[loss].needs_output
        if allowed and acts[-1] not in allowed:
            raise DerivcheckError(
                f"Loss {loss!r} needs the output activation to be {' or '.join(allowed)}, not {acts[-1]!r}.")
        # a 0/1-target loss with log(1 − a) (bce) on a one-neuron vector output (softmax ≡ 1)
        if LOSSES[loss].targets == "binary" and not ACTIVATIONS[acts[-1]].elementwise and layers[-1] == 1:
            raise DerivcheckError(
                "Loss 'bce' with a softmax output of one neuron is undefined: softmax of a single output is "
                "always 1, so log(1 − a) is −∞; use sigmoid for a single output.")
        biases = _per_layer(bias, depth, "bias")
        for l, mode in enumerate(biases, 1):
            if not isinstance(mode, str) or mode not in BIAS_MODES:
                raise DerivcheckError(f"Bias mode {brief(mode)} of layer {l} is unknown; use one of {', '.join(BIAS_MODES)}.")
        lr = update_settings(learning_rate, update_biases)
        layers_t = tuple(int(n) for n in layers)
        arch = Architecture(layers_t, tuple(acts), loss, tuple(biases))
        exact_params = None if params is None else cls._check_params(arch, params)
        xs = None if x is None else _batch(x, layers_t[0], "x")
        ys = None if y is None else _batch(y, layers_t[-1], "y")
        if xs is not None and ys is not None and len(xs) != len(ys):
            raise DerivcheckError(f"x has {len(xs)} samples but y has {len(ys)}; give one target per input.")
        return cls(layers_t, tuple(acts), loss, tuple(biases), lr, update_biases, exact_params, xs, ys)

    @staticmethod
    def _check_params(arch: Architecture, params: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(params, Mapping):
            raise DerivcheckError("parameters must be a table of arrays such as W1 = [[...]] and b1 = [...].")
        expected = array_names(arch)
        for name in params:
            if name not in expected:
                if name.startswith("b") and name[1:].isascii() and name[1:].isdigit() and len(name) < 8 and 1 <= int(name[1:]) <= arch.depth:
                    raise DerivcheckError(f"{name} is given, but layer {name[1:]} has bias mode 'none'; "
                                          f"remove {name} or set its bias mode.")
                raise DerivcheckError(
                    f"Parameter {brief(name)} is not part of this network; its parameters are {', '.join(expected)}.")
        out: dict[str, Any] = {}
        for name in expected:
            if name not in params:
                raise DerivcheckError(f"Parameter {name} is missing; give every one of {', '.join(expected)}.")
            l = int(name[1:])
            value = params[name]
            if name[0] == "W":
                out[name] = _matrix(value, arch.layers[l], arch.layers[l - 1], name)
            elif arch.bias[l - 1] == "shared":
                if isinstance(value, (list, tuple)):
                    raise DerivcheckError(f"{name} must be one number: layer {l} has a shared bias.")
                out[name] = exact_number(value, name)
            else:
                n = arch.layers[l]
                if not isinstance(value, (list, tuple)) or len(value) != n:
                    got = f"{len(value)} numbers" if isinstance(value, (list, tuple)) else "one number"
                    raise DerivcheckError(f"{name} has {got}, but layer {l} has {n} neurons, each with its own bias "
                                          f"(use bias = \"shared\" for one number per layer).")
                out[name] = tuple(exact_number(v, f"{name}[{i + 1}]") for i, v in enumerate(value))
        return out

    # -------------------------------------------------------------- queries
    @property
    def depth(self) -> int:
        return len(self.layers) - 1

    @property
    def architecture(self) -> Architecture:
        """The NumPy engine's view of this network."""
        return Architecture(self.layers, self.activations, self.loss, self.bias)

    def parameter_names(self) -> list[str]:
        """Every scalar parameter's canonical name (``W1[1,1]``, ``b1`` or ``b1[1]``)."""
        return entry_names(self.architecture)

    def parameter_values(self) -> dict[str, Fraction]:
        """``{canonical entry: exact value}``; needs ``params``."""
        if self.params is None:
            raise DerivcheckError("This network has no parameter values; give W and b numbers.")
        out = {}
        for entry, (name, idx) in entry_index(self.architecture).items():
            v = self.params[name]
            for i in idx:
                v = v[i]
            out[entry] = v
        return out

    def with_data(self, sample: int) -> "Network":
        """The same network with one sample of its batch as its data (that sample's own loss and gradients)."""
        return dataclasses.replace(self, x=(self.x[sample - 1],), y=(self.y[sample - 1],))

    def with_values(self, values: Mapping[str, Any]) -> "Network":
        """A copy with some scalar parameters replaced (``{"W2[1,1]": 0.35}``)."""
        current = self.parameter_values()
        for k, v in values.items():
            if k not in current:
                raise DerivcheckError(f"{k!r} is not a parameter of this network.")
            current[k] = exact_number(v, k)
        return self._from_entries(current)

    def _from_entries(self, entries: Mapping[str, Fraction]) -> "Network":
        arrays: dict[str, Any] = {}
        arch = self.architecture
        for name in array_names(arch):
            l = int(name[1:])
            if name[0] == "W":
                arrays[name] = tuple(tuple(entries[f"{name}[{i + 1},{j + 1}]"] for j in range(self.layers[l - 1]))
                                     for i in range(self.layers[l]))
            elif self.bias[l - 1] == "shared":
                arrays[name] = entries[name]
            else:
                arrays[name] = tuple(entries[f"{name}[{i + 1}]"] for i in range(self.layers[l]))
        return Network(self.layers, self.activations, self.loss, self.bias, self.learning_rate,
                       self.update_biases, arrays, self.x, self.y, self.optimizer, self.regularization)

    def numeric_params(self) -> dict[str, np.ndarray]:
        """Parameters as float64 arrays for the NumPy engine."""
        if self.params is None:
            raise DerivcheckError("This network has no parameter values; give W and b numbers.")
        return {k: np.array(v, dtype=float) if isinstance(v, tuple) else np.array(float(v))
                for k, v in self.params.items()}

    def numeric_data(self) -> tuple[np.ndarray, np.ndarray]:
        """``(X, Y)`` as float64 arrays (m, n_0) and (m, n_L)."""
        if self.x is None or self.y is None:
            raise DerivcheckError("This network has no data; give x and y.")
        return np.array(self.x, dtype=float), np.array(self.y, dtype=float)
