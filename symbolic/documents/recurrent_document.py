"""Documents of recurrent layers: the unrolled forward pass and backpropagation through time, step by step.

Contract
--------
:func:`recurrent_forward` and :func:`recurrent_backward` write the LaTeX of one ``rnn`` or ``lstm`` layer
for :mod:`symbolic.documents.layer_document` (which calls them through :data:`RECURRENT_SECTIONS`). Every number is read
from the exact batch evaluation (:class:`symbolic.truth.layered.BatchPoint`: the op's saved nodes, the
reverse sweep's node adjoints and parameter partials) and printed to ``digits`` significant digits;
nothing is recomputed here.

* forward, per sample and step t = 1..T: each pre-activation with the numbers substituted
  (u_t = Wx x_t + Wh h_{t−1} + b; an lstm's four gates), its activation, the cell
  c_t = f_t c_{t−1} + i_t g_t and h_t = o_t tanh c_t, the output ŷ_t;
* backward, from t = T down to 1, per sample: δŷ_t (and δz_t through the output activation), then
  δh_t = Wyᵀ δz_t + (the term from step t+1, Whᵀ δu_{t+1}, written out with its numbers), δu_t = f'(u_t) δh_t (an lstm: δc_t with its
  f_{t+1} δc_{t+1} term, δo, δi, δf, δg, the gate pre-activations), then step t's contribution to every
  shared array (∂L/∂Wh at step t = δu_t h_{t−1}ᵀ, summed over the batch);
* the totals: each shared entry's gradient as the sum of its step contributions, with the numbers.
"""
from __future__ import annotations

import re

from itertools import product
from typing import Any

from ..spec.recurrent import CELL_ACTIVATION, GATE_ACTIVATIONS, GATES, Recurrent
from ..spec.rules import ACTIVATIONS, LINEAR_ACTIVATION
from .convolution_document import tex_float

__all__ = ["recurrent_forward", "recurrent_backward", "RECURRENT_SECTIONS"]

_GATE_TEX = {"g": "g", "i": "i", "f": "f", "o": "o"}


def _tex(activation: str) -> str:
    """The rule table's LaTeX name of an activation (identity: none)."""
    return "" if activation == LINEAR_ACTIVATION else ACTIVATIONS[activation].latex


def _num(value: Any, digits: int, wrap: bool = True) -> str:
    """A number for a formula: negatives in parentheses where ``wrap``."""
    text = tex_float(value, digits)
    return f"({text})" if wrap and float(value) < 0 else text


LINE_WIDTH = 300.0  # points of terms on one display line (the text block is 483; room for the name and "= value")


def _width(term: str) -> float:
    """A generous estimate of a term's printed width in points: a command (\\cdot, \\tanh) as one wide symbol,
    each other visible character 6 pt, a binary operator's spacing 5 pt."""
    visible = re.sub(r"\\[a-zA-Z]+", "#", term).replace("{", "").replace("}", "").replace(" ", "")
    return 6.0 * len(visible) + 5.0 * sum(visible.count(op) for op in "#+-=")


def _terms(terms: list[str], per_line: int = 3) -> str:
    """Terms joined by +, a new display line (inside align*) after ``per_line`` of them or when the next term
    would take the line past :data:`LINE_WIDTH`."""
    if not terms:
        return "0"
    rows: list[list[str]] = [[]]
    for term in terms:
        row = rows[-1]
        if row and (len(row) == per_line or sum(map(_width, row)) + 13.0 * len(row) + _width(term) > LINE_WIDTH):
            rows.append([term])
        else:
            row.append(term)
    return " \\\\ &\\qquad + ".join(" + ".join(row) for row in rows)


def _node(word: str, l: int, t: int, i: int) -> str:
    return f"{word}{l}_t{t}[{i}]"


def _sym(word: str, t: int | str, i: int | str = "") -> str:
    tex = {"yhat": r"\hat{y}", "ug": "u_g", "ui": "u_i", "uf": "u_f", "uo": "u_o"}.get(word, word)
    sub = f"{t},{i}" if i != "" else f"{t}"
    return f"{tex}_{{{sub}}}" if "_" not in tex else f"{tex.split('_')[0]}_{{{tex.split('_')[1]},{sub}}}"


def _delta(word: str, t: int, i: int) -> str:
    return f"\\frac{{\\partial L}}{{\\partial {_sym(word, t, i)}}}"


def _affine(p, l: int, W: str, b: str | None, xs: list, hs: list, Wh: str, row: int, d: int) -> str:
    v = p.values
    terms = [f"{_num(v[f'{W}[{row},{j}]'], d)} \\cdot {_num(x, d)}" for j, x in enumerate(xs, 1)]
    terms += [f"{_num(v[f'{Wh}[{row},{j}]'], d)} \\cdot {_num(h, d)}" for j, h in enumerate(hs, 1)]
    if b is not None and f"{b}[{row}]" in v:
        terms.append(_num(v[f"{b}[{row}]"], d))
    return _terms(terms)


def recurrent_forward(p, spec, d: int) -> list[str]:
    """The unrolled forward pass of one recurrent layer (module contract)."""
    l, r = spec.index, spec.extra
    saved = p.saved[l]
    rule = _tex(CELL_ACTIVATION if r.kind == "lstm" else r.activation)
    out = [f"\\subsection*{{Layer {l}: {r.kind}, {r.steps} steps, hidden size {r.hidden}}}",
           _forward_rule(r, rule)]
    for s, sample in enumerate(saved.samples, 1):
        nodes = sample.nodes
        for t in range(1, r.steps + 1):
            x, h_prev = sample.xs[t - 1], [nodes[_node("h", l, t - 1, j)] for j in range(1, r.hidden + 1)]
            head = f"\\paragraph{{Step {t}" + (f", sample {s}" if p.m > 1 else "") + "}"
            lines = []
            for i in range(1, r.hidden + 1):
                if r.kind == "rnn":
                    u = nodes[_node("u", l, t, i)]
                    lines.append(f"{_sym('u', t, i)} &= {_affine(p, l, f'Wx{l}', f'b{l}', x, h_prev, f'Wh{l}', i, d)}"
                                 f" = {_num(u, d, False)} \\\\")
                    lines.append(f"{_sym('h', t, i)} &= {rule}({_num(u, d, False)}) = "
                                 f"{_num(nodes[_node('h', l, t, i)], d, False)} \\\\")
                    continue
                for g in GATES:
                    u = nodes[_node(f"u{g}", l, t, i)]
                    fn = _tex(GATE_ACTIVATIONS[g])
                    lines.append(f"{_sym('u' + g, t, i)} &= "
                                 f"{_affine(p, l, f'Wx{g}{l}', f'b{g}{l}', x, h_prev, f'Wh{g}{l}', i, d)}"
                                 f" = {_num(u, d, False)}, \\quad {_GATE_TEX[g]}_{{{t},{i}}} = {fn}({_num(u, d, False)})"
                                 f" = {_num(nodes[_node(g, l, t, i)], d, False)} \\\\")
                c_prev, c = nodes[_node("c", l, t - 1, i)], nodes[_node("c", l, t, i)]
                lines.append(f"c_{{{t},{i}}} &= {_num(nodes[_node('f', l, t, i)], d)} \\cdot {_num(c_prev, d)} + "
                             f"{_num(nodes[_node('i', l, t, i)], d)} \\cdot {_num(nodes[_node('g', l, t, i)], d)}"
                             f" = {_num(c, d, False)} \\\\")
                lines.append(f"h_{{{t},{i}}} &= {_num(nodes[_node('o', l, t, i)], d)} \\cdot {_tex(CELL_ACTIVATION)}({_num(c, d, False)})"
                             f" = {_num(nodes[_node('h', l, t, i)], d, False)} \\\\")
            for k in range(1, r.outputs + 1):
                hs = [nodes[_node("h", l, t, j)] for j in range(1, r.hidden + 1)]
                terms = [f"{_num(p.values[f'Wy{l}[{k},{j}]'], d)} \\cdot {_num(h, d)}" for j, h in enumerate(hs, 1)]
                if f"by{l}[{k}]" in p.values:
                    terms.append(_num(p.values[f"by{l}[{k}]"], d))
                z, yhat = _num(nodes[_node("z", l, t, k)], d, False), _num(nodes[_node("yhat", l, t, k)], d, False)
                if r.output_activation == LINEAR_ACTIVATION:
                    lines.append(f"{_sym('yhat', t, k)} &= {_terms(terms)} = {yhat} \\\\")
                    continue
                lines.append(f"{_sym('z', t, k)} &= {_terms(terms)} = {z} \\\\ "
                             f"{_sym('yhat', t, k)} &= {_tex(r.output_activation)}"
                             f"(z_{{{t}}})_{{{k}}} = {yhat} \\\\")
            out += [head, "\\begin{align*}", *lines, "\\end{align*}"]
    return out


def _forward_rule(r: Recurrent, rule: str) -> str:
    if r.kind == "rnn":
        text = f"$u_t = W_x x_t + W_h h_{{t-1}}{' + b' if r.bias else ''}, \\quad h_t = {rule or 'u_t'}" + \
               (f"({'u_t'})" if rule else "")
    else:
        text = (r"$u_{\cdot,t} = W_{x\cdot} x_t + W_{h\cdot} h_{t-1}" + (r" + b_\cdot" if r.bias else "") +
                r"$ for the gates $\cdot = g, i, f, o$; $g_t = \tanh u_{g,t}$, $i_t, f_t, o_t = \sigma(u_{\cdot,t})$, "
                r"$c_t = f_t c_{t-1} + i_t g_t$, $h_t = o_t \tanh c_t")
    if r.outputs:
        z = r"W_y h_t" + (" + b_y" if r.bias else "")
        text += rf", \quad \hat{{y}}_t = {z}" if r.output_activation == LINEAR_ACTIVATION else \
            rf", \quad z_t = {z}, \ \hat{{y}}_t = {_tex(r.output_activation)}(z_t)"
    emit = "every step's" if len(r.emitted) == r.steps else \
        f"step{'s' if len(r.emitted) > 1 else ''} {', '.join(map(str, r.emitted))}'s"
    node = r"$\hat{y}_t$" if r.outputs else "$h_t$"
    return text + f"$ (the layer's output: {emit} {node}).\n"


def recurrent_backward(p, spec, sw, d: int) -> list[str]:
    """Backpropagation through time for one recurrent layer, step by step (module contract)."""
    l, r = spec.index, spec.extra
    saved, adj = p.saved[l], sw.g_nodes.get(l, {})
    out = [f"\\subsection*{{Layer {l}: backpropagation through time, from step {r.steps} down to 1}}",
           "Each $\\partial L/\\partial h_t$ is the total derivative: the output of step $t$ and, through "
           "$h_{t+1}$, every later step."]
    for t in range(r.steps, 0, -1):
        for s, sample in enumerate(saved.samples, 1):
            lines = _step_back(p, l, r, sample.nodes, adj, sw.g_a[l], t, s, d)
            head = f"\\paragraph{{Step {t}" + (f", sample {s}" if p.m > 1 else "") + "}"
            out += [head, "\\begin{align*}", *lines, "\\end{align*}"]
        out += _contributions(p, l, r, sw, saved, t, d)
    out.append(f"\\paragraph{{Totals: each shared weight's gradient is the sum of its {r.steps} step contributions}}")
    out.append("\\begin{align*}")
    for array, shape in r.arrays(l).items():
        for idx in _indices(shape):
            entry = f"{array}[{','.join(map(str, idx))}]"
            parts = [_num(sw.grads.get(f"{array}_t{t}[{','.join(map(str, idx))}]", 0), d) for t in range(1, r.steps + 1)]
            out.append(f"\\frac{{\\partial L}}{{\\partial {_tex_entry(array, l, idx)}}} &= "
                       f"{_terms(parts, 5)} = {_num(sw.grads[entry], d, False)} \\\\")
    out.append("\\end{align*}")
    return out


def _step_back(p, l: int, r: Recurrent, nodes: dict, adj: dict, p_out: list, t: int, s: int, d: int) -> list[str]:
    H, v, lines = r.hidden, p.values, []

    def a(word: str, step: int, i: int):
        return adj[_node(word, l, step, i)][s - 1]

    for k in range(1, r.outputs + 1):
        lines.append(f"{_delta('yhat', t, k)} &= {_num(a('yhat', t, k), d, False)}" +
                     ("" if r.output_activation == LINEAR_ACTIVATION else
                      f", \\quad {_delta('z', t, k)} = {_num(a('z', t, k), d, False)}") + " \\\\")
    gates = [""] if r.kind == "rnn" else list(GATES)
    for i in range(1, H + 1):
        terms = [f"{_num(v[f'Wy{l}[{k},{i}]'], d)} \\cdot {_num(a('z', t, k), d)}" for k in range(1, r.outputs + 1)]
        if not r.outputs and t in r.emitted:  # h_t is the layer's output: its adjoint from above
            flat = r.emitted.index(t) * H + i
            terms.append(_num(p_out[s - 1][flat - 1], d))
        if t < r.steps:
            terms += [f"{_num(v[f'Wh{g}{l}[{j},{i}]'], d)} \\cdot {_num(a('u' + g if g else 'u', t + 1, j), d)}"
                      for g in gates for j in range(1, H + 1)]
        lines.append(f"{_delta('h', t, i)} &= {_terms(terms)} = {_num(a('h', t, i), d, False)} \\\\")
        if r.kind == "rnn":
            slope = f"{_tex(r.activation)}'({_num(nodes[_node('u', l, t, i)], d, False)})"
            lines.append(f"{_delta('u', t, i)} &= {_num(a('h', t, i), d)} \\cdot {slope} = {_num(a('u', t, i), d, False)} \\\\")
            continue
        c, o = nodes[_node("c", l, t, i)], nodes[_node("o", l, t, i)]
        later = f" \\\\ &\\qquad + {_num(nodes[_node('f', l, t + 1, i)], d)} \\cdot {_num(a('c', t + 1, i), d)}" if t < r.steps else ""
        lines.append(f"{_delta('c', t, i)} &= {_num(a('h', t, i), d)} \\cdot {_num(o, d)} \\cdot "
                     f"{_tex(CELL_ACTIVATION)}'({_num(c, d, False)}){later} = {_num(a('c', t, i), d, False)} \\\\")
        gate = {g: nodes[_node(g, l, t, i)] for g in GATES}
        source = {"o": (a("h", t, i), f"{_tex(CELL_ACTIVATION)}({_num(c, d, False)})"), "i": (a("c", t, i), _num(gate["g"], d)),
                  "f": (a("c", t, i), _num(nodes[_node("c", l, t - 1, i)], d)), "g": (a("c", t, i), _num(gate["i"], d))}
        for g in GATES:
            up, factor = source[g]
            slope = f"{_tex(GATE_ACTIVATIONS[g])}'({_num(nodes[_node('u' + g, l, t, i)], d, False)})"
            lines.append(f"{_delta(g, t, i)} &= {_num(up, d)} \\cdot {factor} = {_num(a(g, t, i), d, False)} \\\\ "
                         f"{_delta('u' + g, t, i)} &= {_num(a(g, t, i), d)} \\cdot {slope} = "
                         f"{_num(a('u' + g, t, i), d, False)} \\\\")
    return lines


def _contributions(p, l: int, r: Recurrent, sw, saved, t: int, d: int) -> list[str]:
    """Step t's contribution to every shared array, Σ over the samples of δ · (its input at step t)."""
    lines = [f"\\paragraph{{Step {t}'s contributions to the shared weights}}", "\\begin{align*}"]
    for array, shape in r.arrays(l).items():
        for idx in _indices(shape):
            name = f"{array}_t{t}[{','.join(map(str, idx))}]"
            lines.append(f"\\frac{{\\partial L}}{{\\partial {_tex_entry(array, l, idx)}}}\\Big|_{{t={t}}}"
                         f" &= {_factors(l, r, array, idx, t, saved, sw, d)} = {_num(sw.grads.get(name, 0), d, False)} \\\\")
    return lines + ["\\end{align*}"]


def _factors(l: int, r: Recurrent, array: str, idx: tuple, t: int, saved, sw, d: int) -> str:
    head = array[:-len(str(l))]
    gate = "" if head in ("Wx", "Wh", "b", "Wy", "by") else head[-1]
    delta_word = "z" if head in ("Wy", "by") else ("u" + gate if gate else "u")
    adj = sw.g_nodes.get(l, {})
    terms = []
    for s, sample in enumerate(saved.samples, 1):
        delta = adj[_node(delta_word, l, t, idx[0])][s - 1]
        if len(idx) == 1:
            terms.append(_num(delta, d))
            continue
        source = sample.xs[t - 1][idx[1] - 1] if head.startswith("Wx") else \
            sample.nodes[_node("h", l, t - 1 if head.startswith("Wh") else t, idx[1])]
        terms.append(f"{_num(delta, d)} \\cdot {_num(source, d)}")
    return _terms(terms)


def _tex_entry(array: str, l: int, idx: tuple) -> str:
    """``Wxg1`` and (1, 2) → ``W_{xg,12}``; ``b1`` and (3,) → ``b_{3}``."""
    head, sub = array[:-len(str(l))], "".join(map(str, idx))
    return f"{head[0]}_{{{head[1:]},{sub}}}" if len(head) > 1 else f"{head}_{{{sub}}}"


def _indices(shape: tuple[int, ...]):
    return product(*(range(1, n + 1) for n in shape))


RECURRENT_SECTIONS = {"rnn": (recurrent_forward, recurrent_backward), "lstm": (recurrent_forward, recurrent_backward)}
