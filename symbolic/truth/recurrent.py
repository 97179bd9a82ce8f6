"""Exact truth of the recurrent layers: the unrolled program of ``rnn`` and ``lstm``, forward and BPTT.

Contract
--------
:class:`RecurrentOp` is the truth side of the layer-kind plugin protocol (:class:`LayerOp`) for the
kinds of :mod:`symbolic.spec.recurrent`. Its program is the graph unrolled over the T steps, one
sample at a time, written as the textbook recurrences over the exact domain of
:mod:`symbolic.truth.balls` (rationals stay rational; tanh and σ give certified balls; relu at 0 an
:class:`Undefined` naming the unit and step):

forward, t = 1..T (x_t the t-th slice of the step-major input)
  rnn   u_t = Wx x_t + Wh h_{t−1} + b,  h_t = f(u_t)
  lstm  u·_t = Wx· x_t + Wh· h_{t−1} + b· (· = g, i, f, o);  g_t = tanh(ug_t), i/f/o_t = σ(u·_t),
        c_t = f_t c_{t−1} + i_t g_t,  h_t = o_t tanh(c_t)
  both  z_t = Wy h_t + by, ŷ_t = f_out(z_t) (with outputs; softmax per step); the flat output is every ŷ_t
        (or h_t), or step T's only.

reverse, t = T..1 (δ = ∂top/∂node, everything not downstream held fixed)
  δz_t = f_out'ᵀ δŷ_t,  δh_t = Wyᵀ δz_t + [δh from step t+1];  rnn δu_t = f'(u_t) δh_t, step t+1's term Whᵀ δu_t
  lstm  δc_t = δh_t o_t (1 − tanh² c_t) + f_{t+1} δc_{t+1};  δo = δh tanh c,  δi = δc g,  δf = δc c_{t−1},
        δg = δc i;  δu· = δ· ·'(u·);  step t+1's term Σ· Wh·ᵀ δu·
  per step t, for each shared array: ∂/∂Wx_t = δu_t x_tᵀ, ∂/∂Wh_t = δu_t h_{t−1}ᵀ, ∂/∂b_t = δu_t,
  ∂/∂Wy_t = δz_t h_tᵀ, ∂/∂by_t = δz_t; the array's gradient is Σ_t.

:meth:`RecurrentOp.backward` returns the layer input's adjoint, every parameter's total (summed over
steps and samples) beside each step's contribution (``Wh1_t2[1,1]``, summed over the samples: the
partial with respect to the copy of Wh1 at step 2), and the node adjoints per sample keyed by canonical
name (``h1_t2[1]``). A :class:`RecurrentMistakes` in ``mistakes`` transforms the reverse sweep (the
path through h_{t+1} or c_{t+1} dropped, the steps not summed or only the first use kept, the output
gradient's sign flipped, the Jacobian ∂h_t/∂h_{t−1} multiplied entrywise, ∂h_t/∂A taken as a dot product).

Given ``pins`` (:class:`symbolic.truth.pins.LayerPins`, the author's printed numbers keyed by
``(sample, canonical name)``), the forward uses a pinned node (``h1_t1[1]``, ``u1_t2[1]``, a gate, ``c``,
``z``, ``yhat``) in place of its own value as it unrolls, so every later step is computed from the
author's number; a local slope whose rule is written through its output (tanh's 1 − h², σ's s(1 − s)) is
taken from the pinned output, as the author would; and the reverse sweep uses pinned adjoints
(``dL/dh1_t2[1]``) in place of its own from there back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from itertools import product
from typing import Any

from ..spec.layered_network import LayerSpec
from ..spec.names import Name
from ..spec.recurrent import (CELL_ACTIVATION, GATE_ACTIVATIONS, GATES, NO_RECURRENT_MISTAKES, Recurrent,
                              RecurrentMistakes)
from .balls import ZERO, ONE, add, exact, mul
from .layer_op import LayerOp
from .ops import Activation

__all__ = ["RecurrentOp", "Unrolled", "RECURRENT_OPS"]


@dataclass
class Unrolled:
    """The forward nodes of one sample, keyed by canonical name (``h1_t2[1]``), and its input slices."""

    nodes: dict[str, Any] = field(default_factory=dict)
    xs: list[list] = field(default_factory=list)


@dataclass
class _Saved:
    samples: list[Unrolled]
    values: dict
    outputs: list[list]
    pins: Any = None  # the forward's pins (local slopes through a pinned output)


def _key(word: str, l: int, t: int, *idx: int) -> str:
    return f"{word}{l}_t{t}[{','.join(map(str, idx))}]"


def _affine(values: dict, W: str, x: list, rows: int) -> list:
    """W x for the array named ``W`` (its entries ``W[i,j]``)."""
    return [add([mul((values[f"{W}[{i},{j}]"], xj)) for j, xj in enumerate(x, 1)]) for i in range(1, rows + 1)]


def _bias(values: dict, array: str, n: int) -> list:
    """The bias vector named ``array`` (0 where the layer has bias = "none")."""
    return [values.get(f"{array}[{i}]", ZERO) for i in range(1, n + 1)]


def _plus(*vectors: list) -> list:
    return [add(parts) for parts in zip(*vectors)]


def _transpose_times(values: dict, W: str, g: list, cols: int) -> list:
    """Wᵀ g for the array named ``W``."""
    return [add([mul((values[f"{W}[{i},{j}]"], gi)) for i, gi in enumerate(g, 1)]) for j in range(1, cols + 1)]


def _outer(g: list, x: list) -> list[list]:
    return [[mul((gi, xj)) for xj in x] for gi in g]


def _dotted(dh: list, local: list, v: list) -> list[list]:
    """The mistaken contribution c = δh_t · (f'(u_t)·v), a vector of H, broadcast over the array's H rows."""
    c = [mul((a, add([mul((p, q)) for p, q in zip(local, v)]))) for a in dh]
    return [list(c) for _ in dh]


class RecurrentOp(LayerOp):
    """The unrolled program of one rnn or lstm layer (see the module contract)."""

    reads_pins = True

    # ------------------------------------------------------------------------------------- forward
    def forward(self, spec: LayerSpec, prev: list[list], values: dict, mistakes: tuple = (),
                pins: Any = None) -> tuple[list[list], Any]:
        r: Recurrent = spec.extra
        samples = [self._sample(spec.index, r, row, values, s, pins) for s, row in enumerate(prev, 1)]
        outputs = []
        for u in samples:
            word, size = ("yhat", r.outputs) if r.outputs else ("h", r.hidden)
            outputs.append([u.nodes[_key(word, spec.index, t, k)] for t in r.emitted for k in range(1, size + 1)])
        return outputs, _Saved(samples, values, outputs, pins)

    def _sample(self, l: int, r: Recurrent, row: list, values: dict, sample: int, pins: Any = None) -> Unrolled:
        H, n = r.hidden, r.inputs
        u = Unrolled(xs=[list(row[t * n:(t + 1) * n]) for t in range(r.steps)])
        nodes = u.nodes

        def store(word: str, t: int, vector: list) -> list:
            return self._store(nodes, word, l, t, vector, pins, sample)

        h = store("h", 0, [exact(v) for v in r.state("h", sample)])
        c = store("c", 0, [exact(v) for v in r.state("c", sample)]) if r.kind == "lstm" else []
        for t, x in enumerate(u.xs, 1):
            if r.kind == "rnn":
                pre = store("u", t, _plus(_affine(values, f"Wx{l}", x, H), _affine(values, f"Wh{l}", h, H),
                                          _bias(values, f"b{l}", H)))
                h = Activation(l, r.activation, H).forward(pre)
            else:
                gate = {}
                for g in GATES:
                    pre = store(f"u{g}", t, _plus(_affine(values, f"Wx{g}{l}", x, H), _affine(values, f"Wh{g}{l}", h, H),
                                                  _bias(values, f"b{g}{l}", H)))
                    gate[g] = store(g, t, Activation(l, GATE_ACTIVATIONS[g], H).forward(pre))
                c = store("c", t, [add((mul((fi, ci)), mul((ii, gi))))
                                   for fi, ci, ii, gi in zip(gate["f"], c, gate["i"], gate["g"])])
                h = [mul((oi, ti)) for oi, ti in zip(gate["o"], Activation(l, CELL_ACTIVATION, H).forward(c))]
            h = store("h", t, h)
            if r.outputs:
                z = store("z", t, _plus(_affine(values, f"Wy{l}", h, r.outputs), _bias(values, f"by{l}", r.outputs)))
                store("yhat", t, Activation(l, r.output_activation, r.outputs).forward(z))
        return u

    @staticmethod
    def _store(nodes: dict, word: str, l: int, t: int, vector: list, pins: Any = None, sample: int = 0) -> list:
        """Store one node vector (the author's pinned entries in place of its own) and return what was stored."""
        out = list(vector)
        for i, v in enumerate(out, 1):
            key = _key(word, l, t, i)
            if pins is not None:
                v = out[i - 1] = pins.node(sample, key, v)
            nodes[key] = v
        return out

    @staticmethod
    def _vector(nodes: dict, word: str, l: int, t: int, n: int) -> list:
        return [nodes[_key(word, l, t, i)] for i in range(1, n + 1)]

    # ------------------------------------------------------------------------------------- reverse
    def backward(self, spec: LayerSpec, saved: _Saved, g_out: list[list], values: dict,
                 seed: tuple[Name, int] | None = None, mistakes: tuple = (),
                 pins: Any = None) -> tuple[list[list], dict[str, Any], dict[str, list]]:
        r: Recurrent = spec.extra
        mis = next((m for m in mistakes if isinstance(m, RecurrentMistakes)), NO_RECURRENT_MISTAKES)
        g_in, contributions, adjoints = [], {}, {}
        if mis.output_sign != 1:
            g_out = [[mul((exact(Fraction(mis.output_sign)), v)) for v in row] for row in g_out]
        for s, (u, g) in enumerate(zip(saved.samples, g_out), 1):
            at = str(seed[0]) if seed is not None and seed[1] == s else None
            dx, adj, steps = self._sample_back(spec.index, r, u, g, values, at, mis, s, saved.pins, pins)
            g_in.append(dx)
            for k, v in adj.items():
                adjoints.setdefault(k, [ZERO] * len(g_out))[s - 1] = v
            for k, v in steps.items():
                contributions[k] = add((contributions.get(k, ZERO), v))
        return g_in, {**contributions, **self._totals(spec.index, r, contributions, mis)}, adjoints

    def _totals(self, l: int, r: Recurrent, contributions: dict, mis: RecurrentMistakes) -> dict[str, Any]:
        """Each shared entry's gradient from its per-step contributions (Σ_t, or the mistake's rule)."""
        how = mis.weight_steps
        chosen = {"all": range(1, r.steps + 1), "mean": range(1, r.steps + 1), "last": (r.steps,), "first": (1,),
                  "first_use": (1,)}[how]
        scale = exact(Fraction(1, r.steps)) if how == "mean" else ONE
        zero_h0 = all(v == 0 for row in r.h0 for v in row)
        totals = {}
        for array, shape in r.arrays(l).items():
            steps = chosen
            if how == "first_use" and array.startswith("Wh") and zero_h0 and r.steps > 1:
                steps = (2,)  # h_1 = f(Wx x_1 + b): Wh first enters at step 2
            for idx in _indices(shape):
                entry = f"{array}[{','.join(map(str, idx))}]"
                parts = [contributions.get(_step_name(entry, t), ZERO) for t in steps]
                totals[entry] = mul((add(parts), scale))
        return totals

    def _sample_back(self, l: int, r: Recurrent, u: Unrolled, g_flat: list, values: dict, at: str | None,
                     mis: RecurrentMistakes, sample: int = 1, forward_pins: Any = None, pins: Any = None):
        H, K, n, T = r.hidden, r.outputs, r.inputs, r.steps
        nodes = u.nodes
        adj: dict[str, Any] = {}
        steps: dict[str, Any] = {}

        def seeded(word: str, t: int, vector: list) -> list:
            """The adjoint vector of a node, plus 1 where the sweep starts at one of its entries (the author's
            pinned adjoint in its place, when given)."""
            out = list(vector)
            for i in range(len(out)):
                if at == _key(word, l, t, i + 1):
                    out[i] = add((out[i], ONE))
            if pins is not None:
                out = [pins.node(sample, _key(word, l, t, i), v, back=True) for i, v in enumerate(out, 1)]
            self._store(adj, word, l, t, out)
            return out

        def slope(rule: Activation, pre: list, word: str, t: int, where: str) -> list:
            """f'(pre) per unit; from the pinned output where the rule writes f' through it (1 − h², s(1 − s))."""
            local = rule.local(pre, where)
            through = rule.through_output() if forward_pins is not None else None
            if through is None:
                return local
            return [through(nodes[_key(word, l, t, i)]) if (sample, _key(word, l, t, i)) in forward_pins.nodes else d
                    for i, d in enumerate(local, 1)]

        def contribute(array: str, t: int, matrix: list[list] | list) -> None:
            rows = matrix if matrix and isinstance(matrix[0], list) else [[v] for v in matrix]
            for i, row in enumerate(rows, 1):
                for j, v in enumerate(row, 1):
                    idx = f"{i},{j}" if isinstance(matrix[0], list) else f"{i}"
                    steps[f"{array}_t{t}[{idx}]"] = v

        width = K or H
        gy = [[ZERO] * width for _ in range(T)]
        for position, t in enumerate(r.emitted):  # the flat output is the emitted steps' outputs, in order
            gy[t - 1] = list(g_flat[position * width:(position + 1) * width])
        dh_next, dc_next = [ZERO] * H, [ZERO] * H
        dxs: list[list] = [[] for _ in range(T)]
        cell = Activation(l, CELL_ACTIVATION, H)
        gate_rule = {g: Activation(l, GATE_ACTIVATIONS[g], H) for g in GATES}
        for t in range(T, 0, -1):
            h, h_prev, x = (self._vector(nodes, "h", l, t, H), self._vector(nodes, "h", l, t - 1, H), u.xs[t - 1])
            if K:
                dy = seeded("yhat", t, gy[t - 1])
                z, out = self._vector(nodes, "z", l, t, K), Activation(l, r.output_activation, K)
                local = out.local(z, f" (z) at step {t}") if out.elementwise else None
                dz = seeded("z", t, out.vjp(z, self._vector(nodes, "yhat", l, t, K), local, dy))
                contribute(f"Wy{l}", t, _outer(dz, h))
                contribute(f"by{l}", t, dz)
                dh = _transpose_times(values, f"Wy{l}", dz, H)
            else:
                dh = gy[t - 1]
            dh = seeded("h", t, _plus(dh, dh_next) if mis.h_path else dh)
            where = f" at step {t}"
            if r.kind == "rnn":
                pre = self._vector(nodes, "u", l, t, H)
                local = slope(Activation(l, r.activation, H), pre, "h", t, where)
                du = {"": seeded("u", t, [mul((a, b)) for a, b in zip(dh, local)])}
                rnn_local = (dh, local)
            else:
                c, c_prev = self._vector(nodes, "c", l, t, H), self._vector(nodes, "c", l, t - 1, H)
                tc, dtc = cell.forward(c), cell.local(c, where)
                gate = {g: self._vector(nodes, g, l, t, H) for g in GATES}
                dc = [mul((a, o, d)) for a, o, d in zip(dh, gate["o"], dtc)]
                dc = seeded("c", t, _plus(dc, dc_next) if mis.c_path else dc)
                dgate = {"o": [mul((a, b)) for a, b in zip(dh, tc)], "i": [mul((a, b)) for a, b in zip(dc, gate["g"])],
                         "f": [mul((a, b)) for a, b in zip(dc, c_prev)], "g": [mul((a, b)) for a, b in zip(dc, gate["i"])]}
                du = {}
                for g in GATES:
                    d = seeded(g, t, dgate[g])
                    local = slope(gate_rule[g], self._vector(nodes, f"u{g}", l, t, H), g, t, where)
                    du[g] = seeded(f"u{g}", t, [mul((a, b)) for a, b in zip(d, local)])
                dc_next = [mul((a, f)) for a, f in zip(dc, gate["f"])]
            dx, dh_next = [ZERO] * n, [ZERO] * H
            for g, d in du.items():
                dot = mis.dot_inputs and r.kind == "rnn"
                contribute(f"Wx{g}{l}", t, _dotted(*rnn_local, x) if dot and n == H else _outer(d, x))
                contribute(f"Wh{g}{l}", t, _dotted(*rnn_local, h_prev) if dot else _outer(d, h_prev))
                contribute(f"b{g}{l}", t, d)
                dx = _plus(dx, _transpose_times(values, f"Wx{g}{l}", d, n))
                dh_next = _plus(dh_next, _transpose_times(values, f"Wh{g}{l}", d, H))
            if mis.entrywise_jacobian and r.kind == "rnn":  # (Whᵀ f'(u_t)) ⊙ δh_t for Whᵀ (f'(u_t) ⊙ δh_t)
                dh, local = rnn_local
                dh_next = [mul((a, b)) for a, b in zip(_transpose_times(values, f"Wh{l}", local, H), dh)]
            dxs[t - 1] = dx
        seeded("h", 0, dh_next if mis.h_path else [ZERO] * H)
        if r.kind == "lstm":
            seeded("c", 0, dc_next if mis.c_path else [ZERO] * H)
        return [v for dx in dxs for v in dx], adj, steps

    # ------------------------------------------------------------------------------------- answers
    def value(self, spec: LayerSpec, saved: _Saved, name: Name, sample: int):
        text = str(name)
        if getattr(name, "step", None) is not None and f"{name.kind}{spec.index}" in spec.extra.arrays(spec.index):
            return saved.values[_step_name(text, None)]
        if name.kind == "a":
            return saved.outputs[sample - 1][name.indices[0] - 1]
        return saved.samples[sample - 1].nodes[text]


def _indices(shape: tuple[int, ...]):
    return product(*(range(1, n + 1) for n in shape))


def _step_name(entry: str, t: int | None) -> str:
    """``Wh1[1,2]`` at step t → ``Wh1_t2[1,2]``; ``t = None`` strips the step back off."""
    head, _, idx = entry.partition("[")
    if t is None:
        return f"{head.split('_t')[0]}[{idx}"
    return f"{head}_t{t}[{idx}"


RECURRENT_OPS = {"rnn": RecurrentOp(), "lstm": RecurrentOp()}
