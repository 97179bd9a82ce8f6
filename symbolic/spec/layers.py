"""A general layer list: ``[[layer]]`` tables of a derivation file, parsed and validated.

Contract
--------
:func:`build_layered` turns the ``[network]`` table (``inputs``, ``loss``), the ``[[layer]]``
tables, ``[parameters]`` and ``[data]`` into a :class:`LayeredNetwork`, or raises one
:class:`DerivcheckError` sentence naming the layer and key at fault (with a "did you mean" for
a near key or kind). Kinds and their keys come from the rule table
(:data:`symbolic.spec.layer_rules.LAYER_KINDS`):

* ``dense`` — ``units``, ``activation`` (default identity), ``bias`` (none / per-neuron / shared);
* ``batchnorm`` — ``eps`` (default 1e-5), ``mode`` (``train``: statistics of this batch;
  ``inference``: the given ``running_mean`` / ``running_var``), parameters ``gamma{l}``, ``beta{l}``;
* ``layernorm`` — ``eps`` (default 1e-5), ``normalized`` (H: each sample is rows of H features, each row
  normalized on its own — PyTorch's LayerNorm(H) of a [batch, rows, H] input; default: all features),
  parameters ``gamma{l}``, ``beta{l}`` (H entries, shared by the rows);
* ``dropout`` — ``p`` (0 ≤ p < 1) and ``mask`` (one row of 0/1 per sample: inverted dropout).

Layer l's output is ``a{l}[i]`` (per sample); dense adds ``u{l}[i]``, the normalizations
``xhat{l}[i]`` (per sample), ``mu{l}[i]`` / ``var{l}[i]`` (batchnorm: per feature, over the batch)
or ``mu{l}`` / ``var{l}`` (layernorm: one per sample). :meth:`LayeredNetwork.check_name`
validates a canonical name against the list (it is what :meth:`Name.check` calls). A batchnorm
in train mode with a batch of one sample is refused (its variance is 0: every output is β).
"""
from __future__ import annotations

from fractions import Fraction
from math import prod
from typing import Any, Mapping, Sequence

from .errors import DerivcheckError, brief, shorten
from .layer_rules import LAYER_KINDS
from .layered_network import DEFAULT_EPS, LayeredNetwork, LayerSpec, near as _near
from .network import BIAS_MODES, MAX_LAYER_WIDTH, MAX_PARAMETERS, exact_number, update_settings
from .rules import ACTIVATIONS, DEFAULT_LOSS, LINEAR_ACTIVATION, LOSSES

__all__ = ["LayerSpec", "LayeredNetwork", "build_layered", "DEFAULT_EPS", "LAYERED_NETWORK_KEYS"]

LAYERED_NETWORK_KEYS = {"inputs", "loss", "learning_rate", "update_biases"}
_MODES = ("train", "inference")


def _whole(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DerivcheckError(f"{what} is {brief(value)}; give a whole number from {low} to {high:,}.")
    return value


def _numbers(value: Any, n: int, what: str) -> tuple[Fraction, ...]:
    if not isinstance(value, (list, tuple)) or len(value) != n:
        got = f"{len(value)} numbers" if isinstance(value, (list, tuple)) else brief(value)
        raise DerivcheckError(f"{what} has {got}, but it needs one number per feature ({n}).")
    return tuple(exact_number(v, f"{what}[{i}]") for i, v in enumerate(value, 1))


def _layer(raw: Any, l: int, width: int, batch: int | None, last: bool, prev: LayerSpec | None = None) -> LayerSpec:
    where = f"[[layer]] {l}"
    if not isinstance(raw, dict):
        raise DerivcheckError(f"{where} is not a table; write it as [[layer]] with kind = \"dense\" and its keys.")
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in LAYER_KINDS:
        raise DerivcheckError(f"{where} has kind {brief(kind)}{_near(kind, LAYER_KINDS)}; use one of "
                              f"{', '.join(LAYER_KINDS)}.")
    rule = LAYER_KINDS[kind]
    where = f"{where} ({kind})"
    unknown = sorted(set(raw) - set(rule.keys) - {"kind"})
    if unknown:
        raise DerivcheckError(f"{where} has unknown key {shorten(str(unknown[0]))!r}{_near(unknown[0], rule.keys)}; "
                              f"a {kind} layer takes {', '.join(rule.keys)}.")
    if rule.plugin is not None:
        after = {"prev": prev} if rule.plugin.wants_previous else {}  # a kind reading the shape of the layer before
        units, extra = rule.plugin.parse(raw, l, width, batch, last, where, **after)
        return LayerSpec(l, kind, units, inputs=width, extra=extra)
    if kind == "dense":
        if "units" not in raw:
            raise DerivcheckError(f"{where} has no units; say how many neurons it has, e.g. units = 3.")
        units = _whole(raw["units"], f"{where}: units", 1, MAX_LAYER_WIDTH)
        act = raw.get("activation", LINEAR_ACTIVATION)
        if not isinstance(act, str) or act not in ACTIVATIONS:
            raise DerivcheckError(f"{where} has activation {brief(act)}{_near(act, ACTIVATIONS)}; use one of "
                                  f"{', '.join(ACTIVATIONS)}.")
        if ACTIVATIONS[act].output_only and not last:
            raise DerivcheckError(f"{where} has activation {act!r}, which may only be the last layer's.")
        bias = raw.get("bias", "per-neuron")
        if not isinstance(bias, str) or bias not in BIAS_MODES:
            raise DerivcheckError(f"{where} has bias {brief(bias)}{_near(bias, BIAS_MODES)}; use one of "
                                  f"{', '.join(BIAS_MODES)}.")
        return LayerSpec(l, kind, units, act, bias)
    if kind == "dropout":
        if "p" not in raw or "mask" not in raw:
            raise DerivcheckError(f"{where} needs p (the drop probability) and mask (one row of 0/1 per sample, "
                                  f"the units that are kept).")
        p = exact_number(raw["p"], f"{where}: p")
        if not 0 <= p < 1:
            raise DerivcheckError(f"{where}: p is {p}; the drop probability must be at least 0 and below 1.")
        mask = raw["mask"]
        rows = mask if isinstance(mask, list) and all(isinstance(r, list) for r in mask) else None
        if rows is None or (batch is not None and len(rows) != batch):
            need = f"{batch} rows (one per sample)" if batch is not None else "one row per sample"
            raise DerivcheckError(f"{where}: mask must be a list of {need} of {width} zeros and ones.")
        for s, row in enumerate(rows, 1):
            if len(row) != width or any(isinstance(v, bool) or v not in (0, 1) for v in row):
                raise DerivcheckError(f"{where}: mask row {s} is {brief(row)}; give {width} zeros and ones "
                                      f"(1 keeps the unit, 0 drops it).")
        return LayerSpec(l, kind, width, p=p, mask=tuple(tuple(int(v) for v in r) for r in rows))
    eps = exact_number(raw.get("eps", DEFAULT_EPS), f"{where}: eps")
    if eps < 0:
        raise DerivcheckError(f"{where}: eps is {eps}; it must be 0 or positive.")
    if kind == "layernorm":
        if width == 1:
            raise DerivcheckError(f"{where} normalizes over the features of one sample, but its input has a "
                                  f"single feature: x̂ is always 0; put it after a layer of at least 2 units.")
        rows = _whole(raw.get("normalized", width), f"{where}: normalized", 2, width)
        if width % rows:
            raise DerivcheckError(f"{where}: normalized = {rows} does not divide the {width} features of a sample; "
                                  f"give the size H of the normalized last axis (the sample is rows of H features).")
        return LayerSpec(l, kind, width, eps=eps, normalized=0 if rows == width else rows)
    mode = raw.get("mode", "train")
    if mode not in _MODES:
        raise DerivcheckError(f"{where} has mode {brief(mode)}{_near(mode, _MODES)}; use \"train\" (statistics of "
                              f"this batch) or \"inference\" (running_mean and running_var).")
    given = [k for k in ("running_mean", "running_var") if k in raw]
    if mode == "train" and given:
        raise DerivcheckError(f"{where} gives {given[0]}, which only inference mode uses; remove it or set "
                              f"mode = \"inference\".")
    if mode == "inference":
        if len(given) != 2:
            raise DerivcheckError(f"{where} is in inference mode and needs running_mean and running_var "
                                  f"({width} numbers each).")
        rm = _numbers(raw["running_mean"], width, f"{where}: running_mean")
        rv = _numbers(raw["running_var"], width, f"{where}: running_var")
        if any(v < 0 for v in rv) or any(v + eps == 0 for v in rv):
            raise DerivcheckError(f"{where}: running_var + eps must be positive for every feature.")
        return LayerSpec(l, kind, width, eps=eps, mode=mode, running_mean=rm, running_var=rv)
    if batch == 1:
        raise DerivcheckError(
            f"{where} normalizes each feature over the batch, but [data] has a single sample: its variance is 0, "
            f"every output equals beta{l} and no gradient reaches the layers before; give a batch of at least 3 "
            f"samples (2 with eps = 0 make every x̂ = ±1), or set mode = \"inference\" with running statistics.")
    return LayerSpec(l, kind, width, eps=eps)


def _parameters(specs: Sequence[LayerSpec], widths: Sequence[int], params: Any) -> dict[str, Any]:
    if not isinstance(params, Mapping):
        raise DerivcheckError("[parameters] must be a table of arrays such as W1 = [[...]] and gamma2 = [...].")
    expected = [a for s in specs for a in s.parameters]
    for name in params:
        if name not in expected:
            raise DerivcheckError(f"Parameter {shorten(str(name))!r} is not part of this layer list"
                                  f"{_near(name, expected)}; its parameters are {', '.join(expected)}.")
    out: dict[str, Any] = {}
    for s in specs:
        for array in s.parameters:
            if array not in params:
                hint = " (1 and 0 are PyTorch's initial values)" if array[0] in "gb" and s.kind != "dense" else ""
                raise DerivcheckError(f"Parameter {array} of layer {s.index} ({s.kind}) is missing{hint}; "
                                      f"give every one of {', '.join(expected)}.")
            value, n, prev = params[array], s.units, widths[s.index - 1]
            if s.plugin is not None:
                out[array] = _shaped(value, s.shapes()[array], array, s)
            elif array.startswith("W"):
                if not isinstance(value, list) or len(value) != n or not all(
                        isinstance(r, list) and len(r) == prev for r in value):
                    raise DerivcheckError(f"{array} must be {n} rows of {prev} numbers: one row per unit of layer "
                                          f"{s.index}, one column per unit of the layer before.")
                out[array] = tuple(tuple(exact_number(v, f"{array}[{i},{j}]") for j, v in enumerate(r, 1))
                                   for i, r in enumerate(value, 1))
            elif s.kind == "dense" and s.bias == "shared":
                if isinstance(value, list):
                    raise DerivcheckError(f"{array} must be one number: layer {s.index} has a shared bias.")
                out[array] = exact_number(value, array)
            else:
                out[array] = _numbers(value, s.norm_width, array)
    return out


def _shaped(value: Any, shape: tuple[int, ...], array: str, spec: LayerSpec, at: tuple[int, ...] = ()) -> Any:
    """``value`` as nested tuples of exact numbers of ``shape``, or one sentence naming the array and the shape."""
    if not shape:
        if isinstance(value, list):
            raise DerivcheckError(f"{array}{list(at) if at else ''} must be one number, not a list "
                                  f"({array} of layer {spec.index} ({spec.kind}) has the shape of "
                                  f"{' × '.join(map(str, spec.shapes()[array])) or 'one number'}).")
        return exact_number(value, f"{array}[{','.join(map(str, at))}]" if at else array)
    if not isinstance(value, list) or len(value) != shape[0]:
        full = spec.shapes()[array]
        raise DerivcheckError(f"{array} of layer {spec.index} ({spec.kind}) must have the shape "
                              f"{' × '.join(map(str, full))} (nested lists, row-major); "
                              f"{'it' if not at else f'its part {list(at)}'} has "
                              f"{f'{len(value)} entries' if isinstance(value, list) else 'a number'} where "
                              f"{shape[0]} belong.")
    return tuple(_shaped(v, shape[1:], array, spec, at + (i,)) for i, v in enumerate(value, 1))


def _batch(value: Any, width: int, name: str) -> tuple[tuple[Fraction, ...], ...]:
    rows = value if isinstance(value, list) and value and all(isinstance(r, list) for r in value) else [value]
    for s, row in enumerate(rows, 1):
        if not isinstance(row, list) or len(row) != width:
            raise DerivcheckError(f"sample {s} of {name} must be {width} numbers (the width of the "
                                  f"{'input' if name == 'x' else 'output'}).")
    return tuple(tuple(exact_number(v, f"{name}[{i}] of sample {s}") for i, v in enumerate(r, 1))
                 for s, r in enumerate(rows, 1))


def build_layered(network: Mapping[str, Any], layer_tables: Any, params: Any = None,
                  data: Mapping[str, Any] | None = None) -> LayeredNetwork:
    """Validate a layer list (see the module contract)."""
    bad = sorted(set(network) - LAYERED_NETWORK_KEYS)
    if bad:
        extra = {"layers": "give either layers = [...] (the dense shorthand) or [[layer]] tables, not both"}
        why = extra.get(bad[0], f"with [[layer]] tables, [network] takes only inputs, loss, learning_rate and "
                                f"update_biases{_near(bad[0], sorted(LAYERED_NETWORK_KEYS))}; "
                                f"activation and bias go into each dense layer's table")
        raise DerivcheckError(f"[network] has {shorten(str(bad[0]))!r}: {why}.")
    if not isinstance(layer_tables, list) or not layer_tables:
        raise DerivcheckError("[[layer]] must be a list of tables, one per layer.")
    data = data or {}
    if "inputs" not in network:
        raise DerivcheckError("[network] needs inputs = N, the number of input features, when layers are "
                              "given as [[layer]] tables.")
    widths = [_whole(network["inputs"], "[network] inputs", 1, MAX_LAYER_WIDTH)]
    x = None if data.get("x") is None else _batch(data["x"], widths[0], "x")
    batch = None if x is None else len(x)
    specs = []
    for l, raw in enumerate(layer_tables, 1):
        specs.append(_layer(raw, l, widths[-1], batch, l == len(layer_tables), specs[-1] if specs else None))
        widths.append(specs[-1].units)
    weights = sum(widths[s.index] * widths[s.index - 1] for s in specs if s.kind == "dense") + \
        sum(prod(shape) for s in specs for shape in s.shapes().values())
    if weights > MAX_PARAMETERS:
        raise DerivcheckError(f"The layer list has {weights:,} weights, more than derivcheck handles "
                              f"({MAX_PARAMETERS:,}); use a smaller network.")
    loss = network.get("loss", DEFAULT_LOSS)
    if not isinstance(loss, str) or loss not in LOSSES:
        raise DerivcheckError(f"Loss {brief(loss)}{_near(loss, LOSSES)} is unknown; use one of {', '.join(LOSSES)}.")
    needs = LOSSES[loss].needs_output
    last = specs[-1]
    per_step = getattr(last.extra, "output_activation", None)  # an rnn/lstm's ŷ_t = f(z_t) (docs/recurrent.md)
    if needs and (last.kind != "dense" or last.activation not in needs) and per_step not in needs:
        raise DerivcheckError(f"Loss {loss!r} needs the last layer to be dense with activation "
                              f"{' or '.join(needs)}; layer {last.index} is {last.kind}"
                              f"{' with ' + last.activation if last.kind == 'dense' else ''}.")
    y = None if data.get("y") is None else _batch(data["y"], widths[-1], "y")
    if x is not None and y is not None and len(x) != len(y):
        raise DerivcheckError(f"x has {len(x)} samples but y has {len(y)}; give one target per input.")
    no_arrays = params is None and not any(s.parameters for s in specs)  # a pool-only list needs no [parameters]
    exact_params = None if params is None and not no_arrays else _parameters(specs, widths, params or {})
    update_biases = network.get("update_biases", True)
    lr = update_settings(network.get("learning_rate"), update_biases)
    return LayeredNetwork(tuple(specs), tuple(widths), loss, exact_params, x, y, lr, update_biases)
