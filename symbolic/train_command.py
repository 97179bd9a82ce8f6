"""The ``derivcheck train`` command's optimizer keys and its per-step report (a face, beside cli.py).

Contract
--------
:func:`training_keys` merges a file's ``[optimizer]`` / ``[regularization]`` with the ``train``
options (``--optimizer``, ``--momentum``, ``--convention``, ``--beta1``, ``--beta2``, ``--eps``,
``--rho``, ``--weight-decay``, ``--t0``, ``--l2``, ``--l2-convention``, ``--include-biases``) and
validates them with :func:`symbolic.spec.optimizers.parse_training`, so the command and the file
accept the same keys and refuse the same values with the same sentence. :func:`train_optimizer`
runs :func:`numeric.optimizers.optimize` (a ``[[layer]]`` list: ``optimize_layers`` on its twin) and prints, per update, the loss (penalty included) and
for every parameter its value, state, corrected moments and step Δθ (the first ``show`` updates
and the last).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

import numeric
from numeric.layers import loss as layer_loss
from numeric.optimizers import Settings, optimize, optimize_layers, penalty
from .spec.layered_network import LayeredNetwork
from .spec.optimizers import parse_training

__all__ = ["training_keys", "train_optimizer"]


def training_keys(args, network):
    """The file's [optimizer]/[regularization], overridden by the train options (validated by the spec)."""
    opt, reg = network.optimizer, network.regularization
    raw_opt = {} if opt is None else {"name": opt.name, **({"convention": opt.convention} if opt.rule.conventions else {}),
                                      **{k: v for k, v in opt.hyper}, "t0": opt.t0}
    raw_reg = {} if reg is None else {"l2": reg.l2, "convention": reg.convention, "include_biases": reg.include_biases}
    for key in ("momentum", "convention", "beta1", "beta2", "eps", "rho", "weight_decay", "t0"):
        if getattr(args, key, None) is not None:
            raw_opt[key] = getattr(args, key)
    if args.optimizer is not None:
        raw_opt["name"] = args.optimizer
    for key, option in (("l2", "l2"), ("convention", "l2_convention"), ("include_biases", "include_biases")):
        if getattr(args, option, None) is not None:
            raw_reg[key] = getattr(args, option)
    state = {f"{s}({p})": v for s, p, v in opt.state} if opt is not None else {}
    optimizer, regularization = parse_training({**raw_opt, **({"state": state} if state else {})} if raw_opt else None,
                                               raw_reg or None, network.parameter_names())
    return replace(network, optimizer=optimizer, regularization=regularization)


def train_optimizer(network, lr: float, updates: int, show: int) -> int:
    """Per-step state of an optimizer / penalty run (numeric.optimizers)."""
    with np.errstate(all="ignore"):  # a diverging run prints inf/nan, as numeric.train's does
        return _report(network, lr, updates, show)


def _flat(arrays: dict) -> dict[str, float]:
    """A layer list's arrays as canonical entries (``W1[2,1]``, ``gamma2[1]``, a shared ``b1``)."""
    out = {}
    for k, v in arrays.items():
        v = np.asarray(v)
        for idx in np.ndindex(v.shape):
            out[k + (f"[{','.join(str(i + 1) for i in idx)}]" if idx else "")] = float(v[idx])
    return out


def _arrays_like(params: dict, values: dict[str, float]) -> dict:
    """Entries ``values`` (missing ones 0) as arrays shaped like ``params`` (the inverse of :func:`_flat`)."""
    out = {}
    for k, v in params.items():
        a = np.zeros_like(np.asarray(v, dtype=float))
        for idx in np.ndindex(a.shape):
            a[idx] = values.get(k + (f"[{','.join(str(i + 1) for i in idx)}]" if idx else ""), 0.0)
        out[k] = a
    return out


def _report(network, lr: float, updates: int, show: int) -> int:
    opt, reg = network.optimizer, network.regularization
    settings = Settings(opt.name, lr, {k: float(v) for k, v in opt.h.items()}, opt.convention, float(reg.l2),
                        reg.convention, reg.include_biases, network.update_biases)
    params = network.numeric_params()
    initial = {s: {p: float(opt.initial(s, p)) for p in network.parameter_names()} for s in opt.rule.state}
    if isinstance(network, LayeredNetwork):  # a [[layer]] list's twin (numeric.layers), the whole batch
        layers, X, Y = network.numeric_layers(), np.array(network.x, dtype=float), np.array(network.y, dtype=float)
        flatten, data_loss = _flat, float(layer_loss(layers, network.loss, params, X, Y))
        state = {s: _arrays_like(params, values) for s, values in initial.items()}
        run = optimize_layers(layers, network.loss, params, X, Y, settings, updates, state, opt.t0, record=True)
    else:
        arch = network.architecture
        X, Y = network.numeric_data()
        flatten, data_loss = (lambda arrays: numeric.flatten(arch, arrays)), float(numeric.loss(arch, params, X, Y))
        state = {s: numeric.unflatten(arch, values) for s, values in initial.items()}
        run = optimize(arch, params, X, Y, settings, updates, state, opt.t0, record=True)
    print(f"optimizer: {opt.describe()}; learning rate {lr:g}"
          + (f"; L2 penalty λ = {float(reg.l2):g} ({reg.convention}{', biases included' if reg.include_biases else ''})" if reg.l2 else ""))
    print(f"loss before: {data_loss + penalty(params, settings):.12g}")
    last = len(run.records) - 1
    for k, r in enumerate(run.records):
        if k >= show and k != last:
            continue
        if k == last and last > show:
            print(f"  … {last - show:,} update(s) not shown (--show N) …")
        print(f"update {k + 1:,} (t = {r['t']}): loss {r['loss']:.12g}")
        columns = {"": flatten(r["params"])}
        for group in ("state", "derived"):
            columns.update({s: flatten({a: arrays.get(a, 0 * v) for a, v in r["params"].items()})
                            for s, arrays in r[group].items()})
        columns["step"] = flatten({a: r["step"].get(a, 0 * v) for a, v in r["params"].items()})
        for name in network.parameter_names():
            cells = [f"{name} = {columns[''][name]:.12g}"] + [f"{s}({name}) = {c[name]:.12g}" for s, c in columns.items() if s]
            print("  " + "  ".join(cells))
    return 0
