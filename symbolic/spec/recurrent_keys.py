"""The validated keys of a recurrent ``[[layer]]`` table (rnn, lstm): one :class:`DerivcheckError` sentence each.

Contract
--------
:mod:`symbolic.spec.recurrent` parses a table with these: :func:`whole` (``hidden``, ``steps``, ``outputs``),
:func:`states` (``h0``, ``c0``), :func:`output_activation`, :func:`loss_steps` (the steps with a loss, a last
layer) and :func:`loss_over_steps` (``"sum"`` / ``"mean"``, a last layer); :func:`near` is the "did you mean"
suffix and :func:`steps_text` words a set of steps ("steps 1 to 3", "steps 1, 3"). Keys: docs/recurrent.md.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from .errors import DerivcheckError, brief
from .network import exact_number
from .rules import ACTIVATIONS, LINEAR_ACTIVATION
from .vocabulary import activation_name, did_you_mean

__all__ = ["EMIT_CHOICES", "OVER_STEPS_CHOICES", "BIAS_CHOICES", "near", "whole", "states", "output_activation",
           "steps_text", "loss_steps", "loss_over_steps"]

EMIT_CHOICES = ("all", "last")
OVER_STEPS_CHOICES = ("sum", "mean")
BIAS_CHOICES = ("per-neuron", "none")


def near(word: object, choices) -> str:
    close = did_you_mean(str(word), [str(c) for c in choices], n=1)
    return f" ({close})" if close else ""


def whole(raw: dict, key: str, where: str, low: int, high: int, default: int | None = None) -> int:
    if key not in raw and default is not None:
        return default
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        hint = {"hidden": "the hidden state's size, e.g. hidden = 2", "steps": "the number of time steps, e.g. steps = 3",
                "outputs": "the output size per step, 0 for no output projection"}[key]
        raise DerivcheckError(f"{where}: {key} is {brief(value) if key in raw else 'missing'}; give a whole number "
                              f"from {low} to {high:,} ({hint}).")
    return value


def states(raw: dict, key: str, where: str, H: int, batch: int | None) -> tuple[tuple[Fraction, ...], ...]:
    if key not in raw:
        return ()
    value = raw[key]
    rows = value if isinstance(value, list) and value and all(isinstance(r, list) for r in value) else [value]
    ok = all(isinstance(r, list) and len(r) == H for r in rows) and (len(rows) == 1 or batch is None or
                                                                       len(rows) == batch)
    if not ok:
        numbers = f"{H} number{'s' if H > 1 else ''}"
        raise DerivcheckError(f"{where}: {key} must be {numbers} (the initial state, for every sample) or one row "
                              f"of {numbers} per sample.")
    return tuple(tuple(exact_number(v, f"{where}: {key}[{i}]") for i, v in enumerate(r, 1)) for r in rows)


def output_activation(raw: Any, l: int, where: str, K: int) -> str:
    if "output_activation" not in raw:
        return LINEAR_ACTIVATION
    if not K:
        raise DerivcheckError(f"{where} has output_activation but no outputs; give outputs = K (the output size per "
                              f"step) for ŷ_t = f(Wy h_t + by).")
    act = activation_name(raw["output_activation"], l)[0]
    if not ACTIVATIONS[act].elementwise and K < 2:  # softmax: a vector rule over each step's K outputs
        raise DerivcheckError(f"{where}: a {act} over outputs = 1 is always 1; give outputs ≥ 2 or an elementwise "
                              f"output_activation.")
    return act


def steps_text(steps: tuple[int, ...]) -> str:
    """"steps 1 to 3" for a run, else "steps 1, 3" ("step 3" for one)."""
    if len(steps) == 1:
        return f"step {steps[0]}"
    if list(steps) == list(range(steps[0], steps[-1] + 1)):
        return f"steps {steps[0]} to {steps[-1]}"
    return "steps " + ", ".join(map(str, steps))


def loss_steps(raw: Any, where: str, T: int, last: bool) -> tuple[int, ...]:
    """The validated ``loss_steps``: the steps with a loss, increasing, within 1 … T (a last layer only)."""
    if "loss_steps" not in raw:
        return ()
    value = raw["loss_steps"]
    if not last:
        raise DerivcheckError(f"{where} has loss_steps, but a layer follows it; loss_steps (the steps with a loss) "
                              f"belongs to the last layer — use emit = \"last\" to pass step {T}'s output on.")
    if "emit" in raw:
        raise DerivcheckError(f"{where} has both emit and loss_steps; give one (loss_steps = [{T}] is emit = "
                              f"\"last\", loss_steps = [1, …, {T}] is emit = \"all\").")
    if not isinstance(value, list) or not value or not all(isinstance(t, int) and not isinstance(t, bool)
                                                           for t in value):
        raise DerivcheckError(f"{where}: loss_steps is {brief(value)}; give a list of whole step numbers from 1 to "
                              f"{T}, e.g. loss_steps = [{T}] (the steps with a loss).")
    for t in value:
        if not 1 <= t <= T:
            raise DerivcheckError(f"{where}: loss_steps has step {t}, which is out of range: the layer runs steps 1 to "
                                  f"{T} (steps = {T}).")
    if any(b <= a for a, b in zip(value, value[1:])):
        raise DerivcheckError(f"{where}: loss_steps {brief(value)} must list each step once, in increasing order "
                              f"(the targets y follow that order), e.g. {sorted(set(value))}.")
    return tuple(value)


def loss_over_steps(raw: Any, where: str, last: bool) -> str:
    if "loss_over_steps" not in raw:
        return ""
    value = raw["loss_over_steps"]
    if value not in OVER_STEPS_CHOICES:
        raise DerivcheckError(f"{where} has loss_over_steps {brief(value)}{near(value, OVER_STEPS_CHOICES)}; use \"sum\" "
                              f"(the steps' losses added) or \"mean\" (averaged over the steps with a loss).")
    if not last:
        raise DerivcheckError(f"{where} has loss_over_steps, but a layer follows it; the loss over the steps belongs "
                              f"to the last layer.")
    return value
