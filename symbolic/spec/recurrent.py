"""The recurrent layer kinds ``rnn`` and ``lstm``: their ``[[layer]]`` keys, parameters and canonical names.

Contract
--------
:data:`RECURRENT_KINDS` holds the rule-table entries (:class:`LayerKind` with a :class:`RecurrentPlugin`)
that :mod:`symbolic.spec.layer_rules` adds to its table. A recurrent layer is unrolled over ``steps``
(T) time steps; its input (the layer before's flat output, or the data) is step-major, T·n numbers;
its flat output ``a{l}[k]`` is every step's ŷ_t (or h_t without ``outputs``) for ``emit = "all"``,
step T's for ``"last"``, the listed steps' for ``loss_steps`` (a last layer: the loss only at those
steps), and ``loss_over_steps`` (``"sum"`` / ``"mean"``, a last layer) scales the loss (:meth:`Recurrent.loss_scale`).
Keys (docs/recurrent.md): ``hidden`` (H), ``steps`` (T), ``outputs`` (K,
default 0: no projection), ``output_activation``, ``emit``, ``bias`` (``per-neuron`` or ``none``),
``h0`` (and ``c0``: one list for every sample or one row per sample, default zeros), rnn ``activation``
(tanh default).

Names (1-based, ``_t{t}`` the step; :meth:`RecurrentPlugin.check_name`): rnn ``Wx{l}[i,j]``,
``Wh{l}[i,j]``, ``b{l}[i]``; lstm ``Wx{g}{l}``, ``Wh{g}{l}``, ``b{g}{l}`` for the gates g ∈ g, i, f, o;
``Wy{l}``, ``by{l}`` with outputs; a parameter with a step (``Wh1_t2[1,2]``) is the copy used at that
step of the unrolled graph (its derivative is that step's contribution). Nodes: rnn ``u{l}_t{t}[i]``,
``h{l}_t{t}[i]`` (t = 0: h0); lstm ``ug ui uf uo`` (pre-activations), ``g i f o`` (gates), ``c``, ``h``
(t = 0: the initial state); with outputs ``z{l}_t{t}[k]`` = Wy h_t + by and ``yhat{l}_t{t}[k]`` = f(z_t)
(``output_activation``, identity by default; softmax is taken per step over its K outputs).

:class:`RecurrentMistakes` are the transformations the diagnosis replays (a mistake is a program
transformation, read by :mod:`symbolic.truth.recurrent`). The unrolled graph's size is guarded when
the layer is parsed: over :data:`MAX_UNROLLED` scalar products the file is refused with its size.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from numeric.layers import NUMERIC_KINDS

from .errors import DerivcheckError, brief
from .layer_plugin import KindPlugin, LayerKind
from .names import Name
from .network import MAX_LAYER_WIDTH
from .rules import ACTIVATIONS, LINEAR_ACTIVATION
from .recurrent_keys import (BIAS_CHOICES, EMIT_CHOICES, loss_over_steps, loss_steps, near, output_activation,
                             states, steps_text, whole)
from .vocabulary import activation_name

__all__ = ["GATES", "RNN_ACTIVATION", "GATE_ACTIVATIONS", "CELL_ACTIVATION", "MAX_STEPS", "MAX_UNROLLED",
           "RecurrentMistakes", "NO_RECURRENT_MISTAKES", "Recurrent", "RecurrentPlugin", "RECURRENT_KINDS",
           "unrolled_size"]

GATES = ("g", "i", "f", "o")  # the lstm's candidate (tanh) and its input, forget and output gates (σ)
RNN_ACTIVATION = "tanh"  # an rnn's f in h_t = f(u_t) unless its table says otherwise
GATE_ACTIVATIONS = {"g": "tanh", "i": "sigmoid", "f": "sigmoid", "o": "sigmoid"}  # the lstm's gate functions
CELL_ACTIVATION = "tanh"  # the lstm's h_t = o_t ⊙ tanh(c_t)
MAX_STEPS = 1_000
MAX_UNROLLED = 1_000_000  # scalar products of one forward over the batch (≈ 30 s of one exact sweep, measured)
_WEIGHT_STEPS = ("all", "last", "first", "mean", "first_use")


@dataclass(frozen=True)
class RecurrentMistakes:
    """BPTT terms a hand derivation may get wrong (all correct by default).

    * ``weight_steps`` — how a shared array's gradient is formed from its per-step contributions:
      ``"all"`` (Σ_t, true), ``"last"`` (only step T's), ``"first"`` (overwritten in a backward loop
      from T down to 1: ``dW = …`` for ``dW += …`` leaves step 1's), ``"mean"`` (averaged over steps),
      ``"first_use"`` (only the first step at which the array enters the forward formulas: step 1, but
      step 2 for Wh when h0 is zero for every sample, since h_1 = f(Wx x_1 + b) then has no Wh);
    * ``h_path`` — False: δh_t lacks the path through h_{t+1} (∂h_t/∂W taken as local: the recurrent
      path through h_{t−1} forgotten);
    * ``c_path`` — False (lstm): δc_t lacks the path through c_{t+1} (f_{t+1} δc_{t+1});
    * ``output_sign`` — −1: the gradient arriving at the layer's output is negated (dL/dŷ written y − ŷ
      where ŷ − y belongs);
    * ``entrywise_jacobian`` (rnn) — True: the path to h_{t−1} is (Whᵀ f'(u_t)) ⊙ δh_t, the Jacobian
      ∂h_t/∂h_{t−1} = diag(f'(u_t)) Wh taken as the row vector f'(u_t)ᵀ Wh and multiplied entrywise,
      where Whᵀ (f'(u_t) ⊙ δh_t) belongs;
    * ``dot_inputs`` (rnn) — True: ∂h_t/∂A taken as numpy's ``f'(u_t).dot(v)`` for the array A that
      multiplies v (x_t for Wx, h_{t−1} for Wh): with v of H entries the number Σ_m f'(u_t)[m] v[m], so
      step t's contribution is the H-vector c = δh_t · (f'(u_t)·v), broadcast over A's rows as numpy's
      ``A -= eta * c`` does (entry [i,j] gets c[j]); with v of one entry it is the true f'(u_t) v.
    """

    weight_steps: str = "all"
    h_path: bool = True
    c_path: bool = True
    output_sign: int = 1
    entrywise_jacobian: bool = False
    dot_inputs: bool = False


NO_RECURRENT_MISTAKES = RecurrentMistakes()


@dataclass(frozen=True)
class Recurrent:
    """The settings of one recurrent layer (``LayerSpec.extra``)."""

    kind: str  # "rnn" | "lstm"
    hidden: int
    steps: int
    inputs: int  # n, per step
    outputs: int = 0
    emit: str = "all"
    activation: str = RNN_ACTIVATION
    h0: tuple[tuple[Fraction, ...], ...] = ()  # one row per sample, or one row for all
    c0: tuple[tuple[Fraction, ...], ...] = ()
    bias: bool = True  # b (b·) and by exist; bias = "none" in the table: they are 0 and not parameters
    output_activation: str = LINEAR_ACTIVATION  # ŷ_t = f(z_t), z_t = Wy h_t + by (softmax: per step, over its K outputs)
    loss_steps: tuple[int, ...] = ()  # the steps with a loss (``loss_steps``, increasing); (): from ``emit``
    loss_over_steps: str = ""  # "sum" | "mean" over the steps with a loss; "": the loss's own reduction

    @property
    def width(self) -> int:
        """Numbers per step of the layer's flat output."""
        return self.outputs or self.hidden

    @property
    def emitted(self) -> tuple[int, ...]:
        """The steps whose output is the layer's flat output, in order (the steps with a loss for a last layer)."""
        if self.loss_steps:
            return self.loss_steps
        return tuple(range(1, self.steps + 1)) if self.emit == "all" else (self.steps,)

    def loss_scale(self, averaged: bool) -> Fraction:
        """The factor on the loss of the emitted entries for ``loss_over_steps``. With ℓ_t the loss of step t's
        K outputs (the table's own reduction over K), the loss of all S emitted entries is Σ_t ℓ_t for a summing
        loss and (1/S) Σ_t ℓ_t for an ``averaged`` one (mse); "sum" and "mean" ask for those two."""
        natural = "mean" if averaged else "sum"
        over, S = self.loss_over_steps or natural, len(self.emitted)
        if over == natural:
            return Fraction(1)
        return Fraction(1, S) if over == "mean" else Fraction(S)

    def state(self, which: str, sample: int) -> tuple[Fraction, ...]:
        """The initial ``h`` or ``c`` of a sample (1-based)."""
        rows = self.h0 if which == "h" else self.c0
        if not rows:
            return (Fraction(0),) * self.hidden
        return rows[0] if len(rows) == 1 else rows[sample - 1]

    def arrays(self, l: int) -> dict[str, tuple[int, ...]]:
        """Parameter arrays and shapes, in order."""
        H, n = self.hidden, self.inputs
        gates = ("",) if self.kind == "rnn" else GATES
        out: dict[str, tuple[int, ...]] = {}
        for g in gates:
            out.update({f"Wx{g}{l}": (H, n), f"Wh{g}{l}": (H, H), **({f"b{g}{l}": (H,)} if self.bias else {})})
        if self.outputs:
            out.update({f"Wy{l}": (self.outputs, H), **({f"by{l}": (self.outputs,)} if self.bias else {})})
        return out

    def node_words(self) -> dict[str, tuple[int, int]]:
        """Node kind → (first step, size): h and c start at step 0 (the initial state)."""
        H = self.hidden
        words = {"u": (1, H), "h": (0, H)} if self.kind == "rnn" else \
            {**{f"u{g}": (1, H) for g in GATES}, **{g: (1, H) for g in GATES}, "c": (0, H), "h": (0, H)}
        if self.outputs:
            words.update({"z": (1, self.outputs), "yhat": (1, self.outputs)})
        return words


def unrolled_size(r: Recurrent, batch: int) -> int:
    """Scalar products of one forward of the unrolled graph over the batch."""
    per_step = r.hidden * (r.inputs + r.hidden + 1) * (4 if r.kind == "lstm" else 1) + r.outputs * r.hidden
    return per_step * r.steps * max(batch, 1)


class RecurrentPlugin(KindPlugin):
    """The spec side of ``rnn`` or ``lstm`` (the layer-kind plugin protocol)."""

    def __init__(self, kind: str):
        self.kind = kind
        params = ("Wx", "Wh", "b") if kind == "rnn" else tuple(f"{a}{g}" for g in GATES for a in ("Wx", "Wh", "b"))
        nodes = ("u", "h") if kind == "rnn" else tuple(f"u{g}" for g in GATES) + GATES + ("c", "h")
        self.words = params + ("Wy", "by") + nodes + ("z", "yhat")

    def parse(self, raw: Any, l: int, width: int, batch: int | None, last: bool, where: str) -> tuple[int, Recurrent]:
        H = whole(raw, "hidden", where, 1, MAX_LAYER_WIDTH)
        T = whole(raw, "steps", where, 1, MAX_STEPS)
        if width % T:
            raise DerivcheckError(f"{where}: its input has {width} numbers per sample, which is not a multiple of "
                                  f"steps = {T}; the inputs are step-major, T·n numbers (n per step).")
        K = whole(raw, "outputs", where, 0, MAX_LAYER_WIDTH, default=0)
        emit = raw.get("emit", "all")
        if emit not in EMIT_CHOICES:
            raise DerivcheckError(f"{where} has emit {brief(emit)}{near(emit, EMIT_CHOICES)}; use \"all\" (an output at "
                                  f"every step: a loss per step) or \"last\" (the last step's: a loss at the end).")
        act = RNN_ACTIVATION
        if self.kind == "rnn" and "activation" in raw:
            act = activation_name(raw["activation"], l)[0]
            if not ACTIVATIONS[act].elementwise:
                raise DerivcheckError(f"{where} has activation {act!r}, which is not elementwise; a recurrent layer's "
                                      f"h_t = f(u_t) takes tanh (default), identity, sigmoid or relu.")
        bias = raw.get("bias", "per-neuron")
        if bias not in BIAS_CHOICES:
            raise DerivcheckError(f"{where} has bias {brief(bias)}{near(bias, BIAS_CHOICES)}; use \"per-neuron\" (b and by, the "
                                  f"default) or \"none\" (no biases: the tutorial's equations have none).")
        out_act = output_activation(raw, l, where, K)
        steps, over = loss_steps(raw, where, T, last), loss_over_steps(raw, where, last)
        r = Recurrent(self.kind, H, T, width // T, K, emit, act, states(raw, "h0", where, H, batch),
                      states(raw, "c0", where, H, batch) if self.kind == "lstm" else (), bias == "per-neuron", out_act,
                      steps, over)
        size = unrolled_size(r, batch or 1)
        if size > MAX_UNROLLED:
            per_step = unrolled_size(Recurrent(self.kind, H, 1, width // T, K), 1)
            raise DerivcheckError(
                f"{where} unrolls into {size:,} scalar products ({T:,} steps × {per_step:,} per step for hidden {H:,}"
                f" and {width // T:,} inputs per step{f' × {batch:,} samples' if batch and batch > 1 else ''}); the "
                f"exact-mode limit is {MAX_UNROLLED:,} — use fewer steps, a smaller hidden state or fewer samples.")
        return r.width * len(r.emitted), r

    def loss_scale(self, spec: Any, averaged: bool) -> Fraction:
        return spec.extra.loss_scale(averaged)

    def arrays(self, spec: Any) -> dict[str, tuple[int, ...]]:
        return spec.extra.arrays(spec.index)

    def cost(self, spec: Any) -> int:
        return unrolled_size(spec.extra, 1)

    def names(self, spec: Any) -> list[str]:
        """The node name patterns of this layer, for messages (``t`` a step)."""
        l, r = spec.index, spec.extra
        nodes = [f"{w}{l}_t{{t}}[i]" for w in r.node_words()]
        return nodes + [f"a{l}[k]", f"{next(iter(r.arrays(l)))}_t{{t}}[i,j] (step t's copy)"]

    def numeric(self, spec: Any) -> dict[str, Any]:
        r: Recurrent = spec.extra
        return {"kind": r.kind, "hidden": r.hidden, "steps": r.steps, "outputs": r.outputs, "emit": r.emit,
                "activation": r.activation, "output_activation": r.output_activation, "bias": r.bias,
                "h0": [[float(v) for v in row] for row in r.h0] or None,
                "c0": [[float(v) for v in row] for row in r.c0] or None,
                "loss_steps": list(r.loss_steps) or None, "loss_over_steps": r.loss_over_steps or None}

    def _data_name(self, spec: Any, name: Name, fail) -> Name:
        """``x_t2[j]`` (input j of step 2) / ``y_t2[k]`` (target k of step 2) as the flat data name; ``L_t2`` (step 2's
        loss) as its one loss term ``L[k]`` when each step has one output."""
        r, t = spec.extra, name.step
        emitted = r.emitted
        if name.kind == "L":
            if name.indices or r.width != 1 or t not in emitted:
                fail(f"names the loss of step {t}, which is one loss term only when each step has one output "
                     f"(here {r.width}, {steps_text(emitted)} with a loss); claim the terms L[k] of that step "
                     f"(step-major over the steps with a loss, {r.width} per step) or L.")
            return Name("L", None, (emitted.index(t) + 1,))
        n = r.inputs if name.kind == "x" else r.width
        if name.kind == "y" and r.emit == "last" and not r.loss_steps:
            fail(f"has a step, but layer {spec.index} emits only its last step (emit = \"last\"); write y[k].")
        if name.kind == "y" and r.loss_steps and 1 <= t <= r.steps and t not in emitted:
            fail(f"names the target of step {t}, which has no loss (loss_steps = {list(emitted)}); the targets y are "
                 f"those of {steps_text(emitted)}.")
        if name.layer is not None or len(name.indices) != 1 or not 1 <= t <= r.steps or \
                not 1 <= name.indices[0] <= n:
            fail(f"needs a step from 1 to {r.steps} and one index from 1 to {n}, like {name.kind}_t1[1].")
        position = t - 1 if name.kind == "x" else emitted.index(t)
        return Name(name.kind, None, (position * n + name.indices[0],))

    def _output_name(self, spec: Any, name: Name, fail) -> Name:
        """``a{l}[k]`` (the flat output, step-major), or ``a{l}_t{t}[k]`` as that flat name."""
        r, t, l = spec.extra, name.step, spec.index
        if t is None:
            if len(name.indices) != 1 or not 1 <= name.indices[0] <= spec.units:
                fail(f"needs one index from 1 to {spec.units} (layer {l}'s flat output, step-major).")
            return name
        emitted = r.emitted
        if t not in emitted or len(name.indices) != 1 or not 1 <= name.indices[0] <= r.width:
            fail(f"needs one of {steps_text(emitted)} (the steps layer {l} emits) and one index from 1 to "
                 f"{r.width}, like a{l}_t{emitted[-1]}[1].")
        return Name("a", l, (emitted.index(t) * r.width + name.indices[0],))

    def check_name(self, spec: Any, name: Name, network: Any) -> Name:
        l, r, text = spec.index, spec.extra, str(name)
        step = getattr(name, "step", None)

        def fail(why: str):
            raise DerivcheckError(f"{text!r} {why}")

        if name.kind in ("x", "y", "L"):
            return self._data_name(spec, name, fail)
        arrays = r.arrays(l)
        array = f"{name.kind}{l}"
        if array in arrays:
            shape = arrays[array]
            if step is not None and not 1 <= step <= r.steps:
                fail(f"names the copy of {array} at step {step}, but layer {l} runs steps 1 to {r.steps}.")
            if len(name.indices) != len(shape) or not all(1 <= i <= n for i, n in zip(name.indices, shape)):
                form = f"[{','.join('ij'[:len(shape)])}]" if len(shape) > 1 else "[i]"
                fail(f"needs {len(shape)} ind{'ices' if len(shape) > 1 else 'ex'} within {' × '.join(map(str, shape))}, "
                     f"like {array}{form}.")
            return name
        words = r.node_words()
        if name.kind == "a":
            return self._output_name(spec, name, fail)
        if name.kind not in words:
            names = [a + ("[i,j]" if len(s) == 2 else "[i]") for a, s in arrays.items()] + self.names(spec)
            fail(f"does not exist: layer {l} is an {self.kind} layer (its names: {', '.join(names)})"
                 f"{near(name.kind, list(words) + [a[:-len(str(l))] for a in arrays])}.")
        first, size = words[name.kind]
        if step is None:
            fail(f"needs a time step, like {name.kind}{l}_t{max(first, 1)}[1] (steps {first} to {r.steps}).")
        if not first <= step <= r.steps:
            fail(f"names step {step}, but {name.kind}{l} exists at steps {first} to {r.steps}.")
        if len(name.indices) != 1 or not 1 <= name.indices[0] <= size:
            fail(f"needs one index from 1 to {size}, like {name.kind}{l}_t{step}[1].")
        return name


_OUTPUT_FORWARD = (r"z_t = W_y h_t + b_y, \quad \hat{y}_t = f_{\text{out}}(z_t)",)
_OUTPUT_BACKWARD = (
    r"\frac{\partial L}{\partial z_t} = f_{\text{out}}'(z_t)^{\mathsf T}\frac{\partial L}{\partial \hat{y}_t}, \quad "
    r"\frac{\partial L}{\partial W_y} = \sum_{t=1}^{T}\frac{\partial L}{\partial z_t}h_t^{\mathsf T}",)
_RNN_FORWARD = (r"u_t = W_x x_t + W_h h_{t-1} + b", r"h_t = f(u_t)") + _OUTPUT_FORWARD
_RNN_BACKWARD = _OUTPUT_BACKWARD + (
    r"\frac{\partial L}{\partial h_t} = W_y^{\mathsf T}\frac{\partial L}{\partial z_t}"
    r" + W_h^{\mathsf T}\frac{\partial L}{\partial u_{t+1}}",
    r"\frac{\partial L}{\partial u_t} = f'(u_t)\odot\frac{\partial L}{\partial h_t}",
    r"\frac{\partial L}{\partial W_h} = \sum_{t=1}^{T}\frac{\partial L}{\partial u_t}h_{t-1}^{\mathsf T},\quad "
    r"\frac{\partial L}{\partial W_x} = \sum_{t=1}^{T}\frac{\partial L}{\partial u_t}x_t^{\mathsf T},\quad "
    r"\frac{\partial L}{\partial b} = \sum_{t=1}^{T}\frac{\partial L}{\partial u_t}")
_LSTM_FORWARD = (r"g_t = \tanh(W_{xg} x_t + W_{hg} h_{t-1} + b_g)",
                 r"i_t, f_t, o_t = \sigma(W_{x\cdot} x_t + W_{h\cdot} h_{t-1} + b_\cdot)",
                 r"c_t = f_t \odot c_{t-1} + i_t \odot g_t", r"h_t = o_t \odot \tanh(c_t)") + _OUTPUT_FORWARD
_LSTM_BACKWARD = _OUTPUT_BACKWARD + (
    r"\frac{\partial L}{\partial h_t} = W_y^{\mathsf T}\frac{\partial L}{\partial z_t}"
    r" + \sum_{\cdot} W_{h\cdot}^{\mathsf T}\frac{\partial L}{\partial u_{\cdot,t+1}}",
    r"\frac{\partial L}{\partial c_t} = \frac{\partial L}{\partial h_t}\odot o_t\odot(1-\tanh^2 c_t)"
    r" + f_{t+1}\odot\frac{\partial L}{\partial c_{t+1}}",
    r"\frac{\partial L}{\partial o_t} = \frac{\partial L}{\partial h_t}\odot\tanh c_t,\ "
    r"\frac{\partial L}{\partial i_t} = \frac{\partial L}{\partial c_t}\odot g_t,\ "
    r"\frac{\partial L}{\partial f_t} = \frac{\partial L}{\partial c_t}\odot c_{t-1},\ "
    r"\frac{\partial L}{\partial g_t} = \frac{\partial L}{\partial c_t}\odot i_t",
    r"\frac{\partial L}{\partial W_{h\cdot}} = \sum_{t=1}^{T}\frac{\partial L}{\partial u_{\cdot,t}}h_{t-1}^{\mathsf T},"
    r"\quad \frac{\partial L}{\partial W_{x\cdot}} = \sum_{t=1}^{T}\frac{\partial L}{\partial u_{\cdot,t}}x_t^{\mathsf T}")

RECURRENT_KINDS: dict[str, LayerKind] = {
    "rnn": LayerKind("rnn", ("hidden", "steps", "activation", "outputs", "output_activation", "emit", "bias", "h0",
                             "loss_steps", "loss_over_steps"), (),
                     ("u", "h", "z", "yhat"),
                     False, NUMERIC_KINDS["rnn"], "a recurrent layer unrolled over T steps, weights shared over time",
                     _RNN_FORWARD, _RNN_BACKWARD, plugin=RecurrentPlugin("rnn")),
    "lstm": LayerKind("lstm", ("hidden", "steps", "outputs", "output_activation", "emit", "bias", "h0", "c0",
                               "loss_steps", "loss_over_steps"), (),
                      ("ug", "ui", "uf", "uo", "g", "i", "f", "o", "c", "h", "z", "yhat"), False,
                      NUMERIC_KINDS["lstm"],
                      "an LSTM layer unrolled over T steps (PyTorch's gate equations), weights shared over time",
                      _LSTM_FORWARD, _LSTM_BACKWARD, plugin=RecurrentPlugin("lstm")),
}
