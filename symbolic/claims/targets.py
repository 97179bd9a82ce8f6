"""File-level note: training targets the network's output cannot reach, said once per file.

Contract
--------
:func:`output_of` gives the output a derivation's targets y are compared with, as an :class:`Output`
(its text, its :class:`~symbolic.spec.rules.OutputRange` from the rule table, the entries per output
vector and, for a recurrent layer, the step of each vector), or None when its range is not known:

* a dense ``[network]`` file, or a ``[[layer]]`` list ending in a dense or conv2d layer: that layer's
  activation (``a2 = σ(u2)`` lies in (0, 1));
* a last rnn / lstm layer: its per-step output — ŷ = f_out(z) with ``outputs``, else h: f(u) for an
  rnn, o·tanh(c) for an lstm (the product of the o gate's and the cell function's ranges: (−1, 1));
* flatten passes the layer before's output on unchanged; maxpool / avgpool keep each entry's range (a
  maximum or a mean of values in an interval lies in it), not a softmax's sum;
* batchnorm, layernorm and dropout (an affine map or a rescaling of what comes before) end the walk:
  no note.

:func:`unreachable_note` compares every target entry exactly (Fractions) with that range, and each
output vector's targets with a vector rule's sum (softmax: 1). An entry outside the closed interval of
the range cannot be reached. An entry on an end is not noted: a closed end (relu: y = 0) is reached, an
open end (sigmoid's 0 and 1, the usual class labels) is approached as the weights grow — the loss's
infimum there is still 0 (the cross-entropy losses intend exactly that; for the squared errors it is the
known reason to prefer targets like 0.1 / 0.9, not an error of the derivation). The note is one sentence naming the file, each
unreachable entry (``y[2] = 1.25 (step 2)``; the sample too when there are several), the output, its
range and the consequence; it changes no verdict. None when every target can be reached.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..spec.convolution import ConvSettings, FlattenSettings, PoolSettings
from ..spec.recurrent import CELL_ACTIVATION, GATE_ACTIVATIONS, Recurrent
from ..spec.rules import ACTIVATIONS, LOSSES, OutputRange

__all__ = ["Output", "output_of", "unreachable_note", "MAX_LISTED"]

MAX_LISTED = 4  # entries named in the note; the rest are counted ("and 3 more")


@dataclass(frozen=True)
class Output:
    """What the targets are compared with: ``text`` (``h = o·tanh(c)``), its ``range``, ``width`` entries per
    output vector (a step's K for a recurrent layer) and ``steps`` (the step of each vector, () if none)."""

    text: str
    range: OutputRange
    width: int
    steps: tuple[int, ...] = ()


def _activation(act: str, node: str, pre: str, width: int, steps: tuple[int, ...] = ()) -> Output:
    rule = ACTIVATIONS[act]
    return Output(f"{node} = {rule.text}({pre})", rule.output_range, width, steps)


def _recurrent(r: Recurrent) -> Output:
    if r.outputs:
        return _activation(r.output_activation, "ŷ", "z", r.width, r.emitted)
    if r.kind == "rnn":
        return _activation(r.activation, "h", "u", r.width, r.emitted)
    gate, cell = ACTIVATIONS[GATE_ACTIVATIONS["o"]], ACTIVATIONS[CELL_ACTIVATION]
    return Output(f"h = o·{cell.text}(c)", gate.output_range.times(cell.output_range), r.width, r.emitted)


def output_of(network) -> Output | None:
    """The output the targets of ``network`` (a dense Network or a LayeredNetwork) are compared with."""
    specs = getattr(network, "specs", None)
    if specs is None:  # the dense shorthand
        L = network.depth
        return _activation(network.activations[-1], f"a{L}", f"u{L}", network.layers[-1])
    wrappers: list[str] = []
    for spec in reversed(specs):
        extra, l = spec.extra, spec.index
        if isinstance(extra, FlattenSettings):
            wrappers.append(f"a{l}, the flattened")
            continue
        if isinstance(extra, PoolSettings):
            wrappers.append(f"a{l}, a {extra.how} pool of")
            continue
        if spec.kind == "dense":
            found = _activation(spec.activation, f"a{l}", f"u{l}", spec.units)
        elif isinstance(extra, ConvSettings):
            found = _activation(extra.activation, f"a{l}", f"u{l}", spec.units)
        elif isinstance(extra, Recurrent):
            found = _recurrent(extra)
        else:
            return None
        break
    else:
        return None
    if not wrappers:
        return found
    pooled = any(" pool of" in w for w in wrappers)
    text = " ".join(reversed(wrappers)) + " " + found.text
    rng = found.range
    if pooled:  # each entry keeps its range; a vector's sum and its steps do not survive pooling
        rng = OutputRange(rng.low, rng.high, rng.low_closed, rng.high_closed)
        return Output(text, rng, network.layers[-1])
    return Output(text, rng, found.width, found.steps)


def _number(v: Fraction) -> str:
    """The exact value as a decimal when it has one (1.25), else p/q."""
    if v.denominator == 1:
        return str(v.numerator)
    for digits in range(1, 41):
        if (10 ** digits) % v.denominator == 0:
            whole = abs(v.numerator) * (10 ** digits // v.denominator)
            text = f"{whole // 10 ** digits}.{whole % 10 ** digits:0{digits}d}".rstrip("0")
            return ("-" if v < 0 else "") + text
    return f"{v.numerator}/{v.denominator}"


def _where(sample: int, samples: int, step: int | None) -> str:
    parts = ([f"sample {sample}"] if samples > 1 else []) + ([f"step {step}"] if step is not None else [])
    return f" ({', '.join(parts)})" if parts else ""


def _listing(items: list[str]) -> str:
    shown = items[:MAX_LISTED]
    rest = len(items) - len(shown)
    if rest:
        return ", ".join(shown) + f" and {rest} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def unreachable_note(path: str, network) -> str | None:
    """The file-level note on the targets of ``network`` that its output cannot reach (module contract)."""
    if network.y is None:
        return None
    out = output_of(network)
    if out is None or not (out.range.bounded or out.range.total is not None):
        return None
    rng, width, samples = out.range, out.width, len(network.y)
    own = () if LOSSES[network.loss].targets == "real" else (Fraction(0), Fraction(1))
    entries, sums = [], []
    for s, row in enumerate(network.y, 1):
        for start in range(0, len(row), width):
            group = row[start:start + width]
            step = out.steps[start // width] if out.steps else None
            if rng.total is not None and sum(group, Fraction(0)) != rng.total:
                names = " + ".join(f"y[{start + k}]" for k in range(1, len(group) + 1))
                if len(group) > 3:
                    names = f"y[{start + 1}] + … + y[{start + len(group)}]"
                sums.append(f"{names} = {_number(sum(group, Fraction(0)))}{_where(s, samples, step)}")
            if rng.total is not None and width == 1:
                continue  # a softmax of one output is always 1: its sum says it all
            for k, v in enumerate(group, start + 1):
                if not rng.closure_contains(v):
                    entries.append(f"y[{k}] = {_number(v)}{_where(s, samples, step)}")
    if not entries and not sums:
        return None
    parts = []
    if entries:
        parts.append(f"{_listing(entries)} cannot be reached: {out.text} lies in {rng}")
    if sums:
        parts.append(f"{_listing(sums)} cannot be reached: the outputs of {out.text} sum to {_number(rng.total)}")
    one = len(entries) + len(sums) == 1
    these, it = ("this target", "it") if one else ("these targets", "them")
    reach = f"the loss cannot reach 0 at {these}" if not own else f"the output never equals {these}"
    return f"{path}: " + "; ".join(parts) + f", so {reach} and gradient descent cannot converge to {it}"
