"""Carried errors: a claim recomputed from the author's own earlier printed numbers.

Contract
--------
A hand derivation is a chain: each step reuses the author's earlier numbers. For a
claim that is not ok against the truth, :meth:`Chain.explain` recomputes it with the
author's earlier claims at the same point (same ``with`` changes, same ``after``)
substituted at their printed digits — one feeding claim at a time, nearest first, then
all of them together — through the program's own point evaluation
(:class:`symbolic.truth.point.Point` with :class:`symbolic.truth.pins.Pins`). An updated
parameter (``after = n``) is also recomputed as θ − η·g from the author's θ and dL/dθ
claimed at ``after = n − 1`` — for a ``[[layer]]`` list too, from its claimed dL/dθ (plain gradient
descent; the layer list's program takes no other pins yet); when no claim of dL/dθ itself exists, the
claimed gradient of another entry of the same array is tried, one at a time (the author's update applied
one entry's number to another: numpy's ``U -= eta * dU`` with a vector ``dU`` moves every row of ``U`` by
the same numbers), and named in the diagnosis. If a recomputation reproduces the claimed digits (within the
rounding band: at most one unit of the last printed digit) the claim is explained:

* by earlier WRONG claims → verdict ``WRONG``, diagnosis "carried from claim N (…, itself
  WRONG: …)", naming the *root*: the first WRONG claim of the chain that is not itself
  carried;
* by rounded earlier claims only → verdict ``rounding``, "computed from the rounded
  name = value of claim N".

A ``[[layer]]`` list runs the same way through its batch evaluation
(:class:`symbolic.truth.layered.BatchPoint` with :class:`symbolic.truth.pins.LayerPins`): the author's
outputs ``a{l}[…]`` of every kind, a dense layer's ``u`` and slopes, a normalization's ``xhat``, ``mu`` and
``var``, a recurrent layer's step nodes (``h1_t2[1]``, …), loss terms, and their d L/d(node); θ − η·g uses
the batch gradient.

``carried_from`` lists the 1-based numbers of the substituted claims that feed the claim
and are not exactly the truth. A claim with no feeding claim, or none that reproduces it,
is not explained here (the mistake table is asked next).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from .context import domain_fraction
from .derivation import Claim
from .verdict import Verdict, judge
from ..spec.errors import DerivcheckError
from ..spec.layers import LayeredNetwork
from ..truth.balls import Undecided, Unevaluable, exact, to_fraction, workprec
from ..truth.layered import BatchPoint
from ..truth.layer_pin_keys import node_pin_key, output_index
from ..truth.pins import LayerPins, Pins
from ..truth.point import Point

__all__ = ["Carry", "Chain", "MAX_SINGLE_TRIES"]

MAX_SINGLE_TRIES = 40  # feeding claims tried one at a time per claim (nearest first); all together is tried too
_PREC = 320


@dataclass(frozen=True)
class Carry:
    verdict: str  # WRONG (from WRONG claims) or rounding (from rounded ones)
    carried_from: list[int]
    diagnosis: str


@dataclass
class _Done:
    claim: Claim
    verdict: str
    carried_from: list[int]
    root: list[int]  # the root WRONG claims (itself, when it is a root error)
    diagnosis: str


@dataclass(frozen=True)
class _Pin:
    index: int  # the claim's number
    kind: str  # "forward" | "local" | "backward" | "param" | "gradient"
    key: tuple
    value: Fraction


@dataclass
class Chain:
    """The claims checked so far, in file order, and the carried-error analysis over them."""

    ctx: object
    done: dict[int, _Done] = field(default_factory=dict)

    def record(self, claim: Claim, verdict: str, carried_from: list[int], diagnosis: str) -> None:
        root: list[int] = []
        if verdict == Verdict.WRONG:
            for n in carried_from:
                earlier = self.done[n]
                if earlier.verdict == Verdict.WRONG:
                    root.extend(r for r in earlier.root if r not in root)
            if not root:
                root = [claim.index]
        self.done[claim.index] = _Done(claim, verdict, list(carried_from), root, diagnosis)

    # ------------------------------------------------------------------------------ explain
    def explain(self, claim: Claim, within_rounding: bool = False) -> Carry | None:
        """Whether the author's earlier numbers reproduce this claim's digits (see the module contract).

        ``within_rounding``: the claim is already within one unit of the truth, so a recomputation explains
        it only by matching better — to half a unit (ok)."""
        if claim.kind not in ("value", "derivative") or claim.per_sample or \
                (claim.quantity is not None and claim.quantity.is_state):
            return None  # a per-sample claim is checked on its own sample's network; optimizer state is not pinned
        pins = self._pins_for(claim)
        accepted = (Verdict.OK,) if within_rounding else (Verdict.OK, Verdict.ROUNDING)
        tries = [[p] for p in sorted(pins, key=lambda p: -p.index)[:MAX_SINGLE_TRIES]]
        if len(pins) > 1:
            tries.append(pins)
        for group in tries:
            value = self._recompute(claim, group)
            if value is None or judge(claim.value, value).verdict not in accepted:
                continue
            feeding = group if len(group) == 1 else [p for p in group if self._feeds(claim, group, p, value)]
            if feeding:
                return self._carry(sorted({p.index for p in feeding}))
        if _updated_parameter(claim) and not any(p.kind == "gradient" for p in pins):
            return self._other_entry(claim, pins, accepted)
        return None

    def _other_entry(self, claim: Claim, pins: list[_Pin], accepted: tuple) -> Carry | None:
        """θ[i,j] − η·g from the claimed gradient of another entry of the same array (exactly one must match)."""
        own = [p for p in pins if p.kind == "param"]
        found = []
        for pin in self._sibling_gradients(claim)[:MAX_SINGLE_TRIES]:
            value = self._recompute(claim, own + [_Pin(pin.index, "gradient", (str(claim.quantity),), pin.value)])
            if value is not None and judge(claim.value, value).verdict in accepted:
                found.append(pin)
        if len(found) != 1:
            return None
        pin, name = found[0], self.done[found[0].index].claim
        carry = self._carry(sorted({found[0].index} | {p.index for p in own}))
        show = self.ctx.display
        moved = f" (the gradient claimed for {show(str(name.wrt))} was applied to {show(str(claim.quantity))})"
        return Carry(carry.verdict, carry.carried_from, carry.diagnosis + moved)

    def _sibling_gradients(self, claim: Claim) -> list[_Pin]:
        """Claimed dL/d(another entry of the claim's array) at the update before the claim's, latest first."""
        q, before = claim.quantity, (tuple(sorted(claim.with_values.items())), claim.after - 1)
        array = str(q).split("[")[0]
        chosen: dict[str, _Pin] = {}
        for n, d in sorted(self.done.items()):
            c = d.claim
            if n >= claim.index or c.kind != "derivative" or d.verdict == Verdict.ERROR or \
                    (tuple(sorted(c.with_values.items())), c.after) != before:
                continue
            pin = self._pin(c)
            if pin is not None and pin.kind == "gradient" and pin.key[0].split("[")[0] == array and \
                    pin.key[0] != str(q):
                chosen[pin.key[0]] = pin
        return sorted(chosen.values(), key=lambda p: -p.index)

    def _feeds(self, claim: Claim, group: list[_Pin], pin: _Pin, value: Fraction) -> bool:
        without = self._recompute(claim, [p for p in group if p is not pin])
        return without is None or without != value

    def _carry(self, numbers: list[int]) -> Carry:
        wrong = [n for n in numbers if self.done[n].verdict == Verdict.WRONG]
        if wrong:
            return Carry(Verdict.WRONG, numbers, "; ".join(self._carried_text(n) for n in wrong))
        shown = " and ".join(f"{self._shown(n)}" for n in numbers)
        which = f"claim {numbers[0]}" if len(numbers) == 1 else "claims " + ", ".join(map(str, numbers))
        return Carry(Verdict.ROUNDING, numbers, f"computed from the rounded {shown} of {which}")

    def _shown(self, n: int) -> str:
        c = self.done[n].claim
        return f"{c.name} = {c.value}"

    def _carried_text(self, n: int) -> str:
        d = self.done[n]
        roots = [r for r in d.root if r != n]
        if not roots:
            why = f": {d.diagnosis}" if d.diagnosis else ""
            return f"carried from claim {n} ({self._shown(n)}, itself WRONG{why})"
        root_texts = []
        for r in roots:
            rd = self.done[r]
            why = f": {rd.diagnosis}" if rd.diagnosis else ""
            root_texts.append(f"claim {r} ({self._shown(r)}, WRONG{why})")
        return f"carried from claim {n} ({self._shown(n)}, itself carried); its root is " + " and ".join(root_texts)

    # --------------------------------------------------------------------------------- pins
    def _pins_for(self, claim: Claim) -> list[_Pin]:
        """The earlier claims that can feed ``claim``, as pins (the latest claim of each key wins)."""
        here = (tuple(sorted(claim.with_values.items())), claim.after)
        before = (here[0], claim.after - 1)
        updated = _updated_parameter(claim)
        chosen: dict[tuple, _Pin] = {}
        for n, d in self.done.items():
            c = d.claim
            if n >= claim.index or c.kind not in ("value", "derivative") or d.verdict == Verdict.ERROR:
                continue
            point = (tuple(sorted(c.with_values.items())), c.after)
            pin = self._pin(c)
            if pin is None:
                continue
            if updated:
                if point == before and pin.kind in ("param", "gradient") and pin.key == (str(claim.quantity),):
                    chosen[(pin.kind, pin.key)] = pin
            elif point == here and pin.kind != "gradient":
                chosen[(pin.kind, pin.key)] = pin
        return list(chosen.values())

    def _pin(self, c: Claim) -> _Pin | None:
        net = self.ctx.network
        return _layer_pin_of(c, net) if isinstance(net, LayeredNetwork) else _pin_of(c, len(net.x))

    # ---------------------------------------------------------------------------- recompute
    def _recompute(self, claim: Claim, group: list[_Pin]) -> Fraction | None:
        try:
            if _updated_parameter(claim):
                return self._updated(claim, group)
            return self._at_point(claim, group)
        except (Undecided, Unevaluable, DerivcheckError, ArithmeticError, ValueError):
            return None

    def _updated(self, claim: Claim, group: list[_Pin]) -> Fraction | None:
        """θ_n = θ_{n−1} − η·g_{n−1} from the author's θ_{n−1} and/or dL/dθ."""
        ctx, name = self.ctx, str(claim.quantity)
        given = {p.kind: p.value for p in group}
        if not given or getattr(ctx.network, "optimizer", None) is not None or \
                getattr(ctx.network, "regularization", None) is not None:
            return None  # θ − η·g is plain gradient descent; other optimizers' state is not pinned yet
        with workprec(_PREC):
            previous = ctx.domain(claim, claim.after - 1)
            theta = given["param"] if "param" in given else to_fraction(previous[name])
            if claim.quantity.kind in ("b", "beta") and not ctx.network.update_biases:
                return theta
            g = given.get("gradient")
            if g is None:
                point = BatchPoint if isinstance(ctx.network, LayeredNetwork) else Point
                g = domain_fraction(point(ctx.network, _PREC, values=previous).gradient()[name])
        return None if g is None else theta - Fraction(ctx.network.learning_rate) * g

    def _at_point(self, claim: Claim, group: list[_Pin]) -> Fraction | None:
        pins, overrides = LayerPins() if isinstance(self.ctx.network, LayeredNetwork) else Pins(), {}
        for p in group:
            if p.kind == "param":
                overrides[p.key[0]] = p.value
            else:
                getattr(pins, p.kind)[p.key] = exact(p.value)
        return self.ctx.transformed(claim, pins=pins, overrides=overrides)


def _updated_parameter(claim: Claim) -> bool:
    return claim.kind == "value" and claim.quantity.is_parameter and claim.after > 0


def _layer_pin_of(c: Claim, net: LayeredNetwork) -> _Pin | None:
    """Where claim ``c``'s printed number enters a layer list's batch evaluation (see :class:`LayerPins`)."""
    value = Fraction(Decimal(c.value))
    q = c.quantity
    if c.kind == "value":
        k = output_index(q, net)
        if k is not None:
            return _Pin(c.index, "outputs", (c.sample, q.layer, k), value)
        if q.kind == "L" and q.indices:
            return _Pin(c.index, "nodes", (c.sample, f"L[{q.indices[0]}]"), value)
        if q.is_parameter:
            return _Pin(c.index, "param", (str(q),), value) if q.step is None else None
        key = node_pin_key(q, net, c.sample)
        return None if key is None else _Pin(c.index, "nodes", key, value)
    w = c.wrt
    if q.kind == "L" and not q.indices:  # the batch mean's d L/d(node): the sweep's own number, as printed
        k = output_index(w, net)
        if k is not None:
            return _Pin(c.index, "back_outputs", (c.sample, w.layer, k), value)
        if w.is_parameter:
            return _Pin(c.index, "gradient", (str(w),), value) if w.step is None else None
        key = node_pin_key(w, net, c.sample)
        return None if key is None else _Pin(c.index, "back_nodes", key, value)
    dense = bool(q.layer) and q.kind in ("a", "u") and net.specs[q.layer - 1].plugin is None  # only dense has u
    if dense and q.kind == "a" and w.kind == "u" and q.layer == w.layer and q.indices == w.indices:
        return _Pin(c.index, "local", (c.sample, q.layer, q.indices[0]), value)
    if dense and q.kind == "u" and w.kind == "W" and q.layer == w.layer and q.indices[0] == w.indices[0] and q.layer > 1:
        return _Pin(c.index, "outputs", (c.sample, q.layer - 1, w.indices[1]), value)
    return None


def _pin_of(c: Claim, batch: int) -> _Pin | None:
    """Where claim ``c``'s printed number enters the program (None: nothing downstream reads it)."""
    value = Fraction(Decimal(c.value))
    q = c.quantity
    if c.kind == "value":
        if q.kind in ("u", "a") and q.layer >= 1:
            return _Pin(c.index, "forward", (c.sample, q.kind, q.layer, q.indices[0]), value)
        if q.kind == "L" and q.indices:
            return _Pin(c.index, "forward", (c.sample, "L", 0, q.indices[0]), value)
        if q.is_parameter:
            return _Pin(c.index, "param", (str(q),), value)
        return None
    w = c.wrt
    if q.kind == "L" and not q.indices:
        if w.kind in ("u", "a") and w.layer >= 1:  # the sweep's d(sample loss)/d(node): the mean form times m
            return _Pin(c.index, "backward", (c.sample, w.kind, w.layer, w.indices[0]),
                        value if c.per_sample else value * batch)
        if w.is_parameter and not c.per_sample:
            return _Pin(c.index, "gradient", (str(w),), value)
        return None
    if q.kind == "a" and w.kind == "u" and q.layer == w.layer and q.indices == w.indices:
        return _Pin(c.index, "local", (c.sample, q.layer, q.indices[0]), value)
    if q.kind == "u" and w.kind == "W" and q.layer == w.layer and q.indices[0] == w.indices[0] and q.layer > 1:
        return _Pin(c.index, "forward", (c.sample, "a", q.layer - 1, w.indices[1]), value)
    return None
