"""The NumPy twin of the recurrent layer kinds ``rnn`` and ``lstm``: forward and BPTT (NumPy only, no SymPy).

Contract
--------
A layer is a plain dict: ``kind`` (``"rnn"`` or ``"lstm"``), ``hidden`` (H), ``steps`` (T),
``outputs`` (K, 0 for none), ``emit`` (``"all"`` or ``"last"``), ``h0`` (and ``c0`` for an lstm) as
float arrays of shape (H,), (1, H) or (m, H), and for an rnn ``activation`` (a name of
``numeric.functions.ACTIVATIONS``), and with outputs ``output_activation`` (ŷ_t = f(z_t), z_t = Wy h_t + by;
softmax per step). Parameters are keyed by array name, l the layer number: rnn
``Wx{l}`` (H, n), ``Wh{l}`` (H, H), ``b{l}`` (H,); lstm ``Wx{g}{l}``, ``Wh{g}{l}``, ``b{g}{l}`` for each gate
g of ``g i f o``; with outputs ``Wy{l}`` (K, H) and ``by{l}`` (K,); a missing bias array is 0. The layer
input ``V`` is (m, T·n), step-major; its output is (m, T·K) for ``emit = "all"`` (every step's ŷ_t, or h_t without outputs)
and (m, K) for ``"last"``; ``loss_steps`` (a list of steps) makes it those steps' outputs, in order, (m, S·K).
``loss_over_steps`` (``"sum"``/``"mean"``) is read by :func:`step_losses`: the per-step form of the loss of a
recurrent last layer.

Recurrences: rnn ``u_t = Wx x_t + Wh h_{t−1} + b``, ``h_t = f(u_t)``, ``ŷ_t = Wy h_t + by``; lstm
(PyTorch's) ``g = tanh(u_g)``, ``i, f, o = σ(u_i), σ(u_f), σ(u_o)``, ``c_t = f c_{t−1} + i g``,
``h_t = o tanh(c_t)``.

* :func:`forward` — ``(out, cache)``; :func:`backward` — ``(dL/dV, {array: total gradient})``
  (the :class:`numeric.layers.NumericKind` contract: :data:`RECURRENT_TWINS`; a layer dict of
  :mod:`numeric.layers` carries these settings under ``settings``);
* :func:`bptt` — everything the exact side claims, keyed by canonical name without indices: nodes
  (``"h1_t2"`` → (m, H)), their adjoints, and each step's contribution to every shared array's
  gradient (``"Wh1_t2"`` → summed over the batch); written here as the textbook BPTT loop, which
  is independent of the exact side's unrolled program.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from .functions import ACTIVATIONS, sigmoid

__all__ = ["GATES", "Trace", "forward", "backward", "bptt", "emitted", "step_losses", "RECURRENT_TWINS"]

GATES = ("g", "i", "f", "o")  # the lstm's candidate (tanh) and its input, forget and output gates (σ)
Params = Mapping[str, np.ndarray]


@dataclass
class Trace:
    """The unrolled forward (``nodes``), the BPTT adjoints and the per-step parameter contributions."""

    nodes: dict[str, np.ndarray] = field(default_factory=dict)
    adjoints: dict[str, np.ndarray] = field(default_factory=dict)
    steps: dict[str, np.ndarray] = field(default_factory=dict)  # "Wh1_t2" -> step 2's contribution
    totals: dict[str, np.ndarray] = field(default_factory=dict)  # "Wh1" -> Σ_t
    dV: np.ndarray | None = None


def _state(value, m: int, H: int) -> np.ndarray:
    v = np.zeros(H) if value is None else np.asarray(value, dtype=float)
    v = v[0] if v.ndim == 2 and v.shape[0] == 1 else v  # one row for every sample
    return np.broadcast_to(v, (m, H)).astype(float) if v.ndim == 1 else v.astype(float)


def _slices(V: np.ndarray, T: int) -> list[np.ndarray]:
    n = V.shape[1] // T
    return [V[:, t * n:(t + 1) * n] for t in range(T)]


def forward(l: int, spec: dict, params: Params, V: np.ndarray):
    """The layer's output and what :func:`backward` needs (see the module contract)."""
    spec = spec.get("settings") or spec  # a layer of numeric.layers carries the settings of its plugin
    V = np.atleast_2d(np.asarray(V, dtype=float))
    m, T, H, K = V.shape[0], spec["steps"], spec["hidden"], spec.get("outputs", 0)
    xs = _slices(V, T)
    tr = Trace()
    h = _state(spec.get("h0"), m, H)
    tr.nodes[f"h{l}_t0"] = h
    lstm = spec["kind"] == "lstm"
    if lstm:
        c = _state(spec.get("c0"), m, H)
        tr.nodes[f"c{l}_t0"] = c
    outs = []
    for t, x in enumerate(xs, 1):
        if lstm:
            for g in GATES:
                u = x @ params[f"Wx{g}{l}"].T + h @ params[f"Wh{g}{l}"].T + params.get(f"b{g}{l}", 0)
                tr.nodes[f"u{g}{l}_t{t}"] = u
                tr.nodes[f"{g}{l}_t{t}"] = np.tanh(u) if g == "g" else sigmoid(u)
            n = tr.nodes
            c = n[f"f{l}_t{t}"] * c + n[f"i{l}_t{t}"] * n[f"g{l}_t{t}"]
            h = n[f"o{l}_t{t}"] * np.tanh(c)
            n[f"c{l}_t{t}"] = c
        else:
            u = x @ params[f"Wx{l}"].T + h @ params[f"Wh{l}"].T + params.get(f"b{l}", 0)
            tr.nodes[f"u{l}_t{t}"] = u
            h = ACTIVATIONS[spec["activation"]].value(u)
        tr.nodes[f"h{l}_t{t}"] = h
        if K:
            z = h @ params[f"Wy{l}"].T + params.get(f"by{l}", 0)
            tr.nodes[f"z{l}_t{t}"] = z
            out = spec.get("output_activation")  # None: ŷ_t = z_t
            tr.nodes[f"yhat{l}_t{t}"] = z if out is None else ACTIVATIONS[out].value(z)
        outs.append(tr.nodes[f"yhat{l}_t{t}" if K else f"h{l}_t{t}"])
    out = np.concatenate([outs[t - 1] for t in emitted(spec)], axis=1)
    return out, (l, spec, params, xs, tr)


def emitted(spec: dict) -> list[int]:
    """The steps whose outputs make the layer's output (1-based, in order)."""
    spec = spec.get("settings") or spec
    T = spec["steps"]
    if spec.get("loss_steps"):
        return list(spec["loss_steps"])
    return list(range(1, T + 1)) if spec.get("emit", "all") == "all" else [T]


def _out_adjoints(spec: dict, G: np.ndarray, m: int) -> list[np.ndarray]:
    width = spec.get("outputs", 0) or spec["hidden"]
    G = np.atleast_2d(G)
    gys = [np.zeros((m, width)) for _ in range(spec["steps"])]
    for position, t in enumerate(emitted(spec)):
        gys[t - 1] = G[:, position * width:(position + 1) * width]
    return gys


def step_losses(spec: dict, loss, A: np.ndarray, Y: np.ndarray):
    """For a last layer with ``loss_over_steps``: (per-sample loss (m,), dL/dA (m, S·K)) with the loss taken per
    step — ℓ_t = ``loss`` of step t's K outputs, then Σ_t ℓ_t ("sum") or its mean over the S steps ("mean");
    None without the key (the loss is then the table's over all S·K outputs)."""
    spec = spec.get("settings") or spec
    over = spec.get("loss_over_steps")
    if not over:
        return None
    width, S = spec.get("outputs", 0) or spec["hidden"], len(emitted(spec))
    blocks = [slice(p * width, (p + 1) * width) for p in range(S)]
    factor = 1.0 / S if over == "mean" else 1.0
    value = sum(loss.value(A[:, b], Y[:, b]) for b in blocks) * factor
    grad = np.concatenate([loss.gradient(A[:, b], Y[:, b]) for b in blocks], axis=1) * factor
    return value, grad


def _contribute(tr: Trace, array: str, t: int, value: np.ndarray) -> None:
    tr.steps[f"{array}_t{t}"] = value
    tr.totals[array] = tr.totals.get(array, 0) + value


def bptt(cache, G: np.ndarray) -> Trace:
    """Backpropagation through time from dL/d(output) = ``G`` (see the module contract)."""
    l, spec, params, xs, tr = cache
    m, T, H, K = xs[0].shape[0], spec["steps"], spec["hidden"], spec.get("outputs", 0)
    lstm = spec["kind"] == "lstm"
    n, adj = tr.nodes, tr.adjoints
    gys = _out_adjoints(spec, G, m)
    dh_next, dc_next = np.zeros((m, H)), np.zeros((m, H))
    dxs: list[np.ndarray] = [np.zeros(0)] * T
    for t in range(T, 0, -1):
        h_prev = n[f"h{l}_t{t - 1}"]
        if K:
            adj[f"yhat{l}_t{t}"] = gys[t - 1]
            out = spec.get("output_activation")
            dz = gys[t - 1] if out is None else ACTIVATIONS[out].backprop(n[f"z{l}_t{t}"], n[f"yhat{l}_t{t}"],
                                                                           gys[t - 1])
            adj[f"z{l}_t{t}"] = dz
            _contribute(tr, f"Wy{l}", t, dz.T @ n[f"h{l}_t{t}"])
            _contribute(tr, f"by{l}", t, dz.sum(axis=0))
            dh = dz @ params[f"Wy{l}"] + dh_next
        else:
            dh = gys[t - 1] + dh_next
        adj[f"h{l}_t{t}"] = dh
        if lstm:
            c, c_prev = n[f"c{l}_t{t}"], n[f"c{l}_t{t - 1}"]
            tc = np.tanh(c)
            o, i, f, g = (n[f"{k}{l}_t{t}"] for k in "oifg")
            dc = dh * o * (1 - tc * tc) + dc_next
            adj[f"c{l}_t{t}"] = dc
            gate_adj = {"o": dh * tc, "i": dc * g, "f": dc * c_prev, "g": dc * i}
            local = {"g": 1 - g * g, "i": i * (1 - i), "f": f * (1 - f), "o": o * (1 - o)}
            dc_next = dc * f
            dx, dh_next = 0, 0
            for k in GATES:
                adj[f"{k}{l}_t{t}"] = gate_adj[k]
                du = gate_adj[k] * local[k]
                adj[f"u{k}{l}_t{t}"] = du
                _contribute(tr, f"Wx{k}{l}", t, du.T @ xs[t - 1])
                _contribute(tr, f"Wh{k}{l}", t, du.T @ h_prev)
                _contribute(tr, f"b{k}{l}", t, du.sum(axis=0))
                dx = dx + du @ params[f"Wx{k}{l}"]
                dh_next = dh_next + du @ params[f"Wh{k}{l}"]
        else:
            du = dh * ACTIVATIONS[spec["activation"]].derivative(n[f"u{l}_t{t}"])
            adj[f"u{l}_t{t}"] = du
            _contribute(tr, f"Wx{l}", t, du.T @ xs[t - 1])
            _contribute(tr, f"Wh{l}", t, du.T @ h_prev)
            _contribute(tr, f"b{l}", t, du.sum(axis=0))
            dx = du @ params[f"Wx{l}"]
            dh_next = du @ params[f"Wh{l}"]
        dxs[t - 1] = dx
    adj[f"h{l}_t0"] = dh_next
    if lstm:
        adj[f"c{l}_t0"] = dc_next
    tr.dV = np.concatenate(dxs, axis=1)
    return tr


def backward(l: int, cache, G: np.ndarray):
    """(dL/dV, {array name: gradient summed over steps and samples}) — the NumericKind contract."""
    tr = bptt(cache, G)
    return tr.dV, dict(tr.totals)


# kind -> (forward, backward): numeric.layers wraps them as its NumericKind entries
RECURRENT_TWINS = {"rnn": (forward, backward), "lstm": (forward, backward)}
