"""Gradient-descent updates with common mistakes replayed, on the one program (60-digit answers).

Contract
--------
:class:`Replay` answers the mistake table's "which mistake reproduces the claimed number?"
with forward passes, gradients and updates of a :class:`Network` in which a
:class:`~symbolic.truth.point.Mistakes` value switches on a known hand-derivation error.
It is not a second backprop: every forward pass and gradient is the exact point
evaluation (:class:`symbolic.truth.point.Point`, balls at ``PREC`` bits) of the network's
program transformed by the mistake (a scaled loss, f' through the output taken at the net
input, the output f' at the source unit, the updated weights in the backward pass).

Parameters are dicts of canonical entry names → mpmath numbers at ``DIGITS`` (60) digits
(or Fractions, taken exactly); answers are mpmath numbers at ``DIGITS`` digits. A value
that passes through relu's kink is ``nan``, so a caller's conversion refuses it. A network with an
optimizer or a penalty is trained by :class:`symbolic.truth.optimize.OptimizerRun` (its update rule,
the mistake applied to its gradients).
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
from flint import arb, fmpq

from ..spec.errors import DerivcheckError
from ..spec.network import Network
from .balls import EXTREME_BITS, Undecided, Undefined, exact, magnitude_bits, to_fraction, to_mpf, workprec
from .optimize import OptimizerRun, trained
from .point import NO_MISTAKES, Mistakes, Point

__all__ = ["Mistakes", "Replay", "NO_MISTAKES", "DIGITS"]

DIGITS = 60
PRECISIONS = (256, 1024, 4096)  # bits of the balls behind the 60-digit answers; more where a branch is close


def _mp(value) -> mpmath.mpf:
    if isinstance(value, mpmath.mpf):
        return value
    if hasattr(value, "numerator"):
        return mpmath.mpf(value.numerator) / value.denominator
    return mpmath.mpf(value)


def _ball(value):
    """A parameter value as a domain value: Fractions exactly, mpmath numbers as exact dyadic balls."""
    if isinstance(value, Fraction):
        return exact(value)
    if isinstance(value, mpmath.mpf):
        sign, man, exp, _ = value._mpf_
        if not mpmath.isfinite(value):
            raise DerivcheckError(f"a replayed parameter is {value} (an earlier update was undefined)")
        q = fmpq(int(man) << exp) if exp >= 0 else fmpq(int(man), 1 << -exp)
        return arb(-q if sign else q)
    return exact(Fraction(value))


def _out(value) -> mpmath.mpf:
    if type(value) is Undefined:
        return mpmath.nan
    with mpmath.workdps(DIGITS):
        if type(value) is not fmpq and not value.contains(0) and abs(magnitude_bits(value)) > EXTREME_BITS:
            # e^(−10^15): a same-signed stand-in at 2^±EXTREME_BITS gives every printed claim's verdict
            top = EXTREME_BITS if magnitude_bits(value) > 0 else -EXTREME_BITS
            return mpmath.ldexp(mpmath.mpf(1 if value > 0 else -1), top)
        return to_mpf(value)


class Replay:
    """Forward/backward/update of one network with mistakes, read from the exact point evaluation."""

    def __init__(self, network: Network):
        self.net = network

    def _run(self, read, p, m: Mistakes = NO_MISTAKES, updated: dict | None = None):
        """``read(point)`` of the transformed program, raising the precision while a ball straddles a branch
        (still undecided at the last precision: nan)."""
        for prec in PRECISIONS:
            with workprec(prec):
                values = {k: _ball(v) for k, v in p.items()}
                back = {k: _ball(v) for k, v in updated.items()} if (m.sequential and updated) else None
                try:
                    return read(Point(self.net, prec, values=values, mistakes=m, backward_values=back))
                except Undecided:
                    continue
        return read(None)

    # ------------------------------------------------------------ parameters
    def initial(self, overrides: dict | None = None) -> dict[str, mpmath.mpf]:
        values = self.net.parameter_values()
        values.update(overrides or {})
        with mpmath.workdps(DIGITS):
            return {k: _mp(v) for k, v in values.items()}

    # --------------------------------------------------------------- forward
    def forward(self, p, sample: int = 1):
        """``(u, a)`` lists per layer for one sample (u[0] is empty, a[0] = x)."""
        def read(point):
            if point is None:
                return [[]] + [[mpmath.nan] * n for n in self.net.layers[1:]], [[mpmath.nan] * n for n in self.net.layers]
            fw = point.forward(sample)
            return [[]] + [[_out(v) for v in layer] for layer in fw.u[1:]], [[_out(v) for v in layer] for layer in fw.a]
        return self._run(read, p)

    def loss_terms(self, p, sample: int = 1, m: Mistakes = NO_MISTAKES):
        return self._run(lambda pt: [_out(t) for t in pt.forward(sample).terms] if pt else
                         [mpmath.nan] * self.net.layers[-1], p, m)

    def loss(self, p, m: Mistakes = NO_MISTAKES):
        """Mean loss over the batch."""
        return self._run(lambda pt: _out(pt.value("L")) if pt else mpmath.nan, p, m)

    # -------------------------------------------------------------- backward
    def gradient(self, p, m: Mistakes = NO_MISTAKES, updated: dict | None = None):
        """dL/dθ (batch mean) keyed by canonical entry names, with the given mistakes.

        ``updated`` (for ``sequential``) supplies already-updated upper-layer weights.
        """
        return self._run(lambda pt: {k: _out(v) for k, v in pt.gradient().items()} if pt else
                         {k: mpmath.nan for k in p}, p, m, updated)

    # ---------------------------------------------------------------- update
    def step(self, p, lr, m: Mistakes = NO_MISTAKES):
        """One gradient-descent update of every parameter (biases per the setting or mistake)."""
        update_biases = self.net.update_biases if m.update_biases is None else m.update_biases
        with mpmath.workdps(DIGITS):
            eta = _mp(lr) * m.sign
            if not m.sequential:
                grads = self.gradient(p, m)
            else:
                grads, new = {}, dict(p)
                for l in range(self.net.depth, 0, -1):
                    layer = self.gradient(p, m, updated=new)
                    for k, v in layer.items():
                        if int(k[1:].split("[")[0]) == l:
                            grads[k] = v
                            new[k] = p[k] - eta * v
            return {k: (v - eta * grads[k]) if (k.startswith("W") or update_biases) else v for k, v in p.items()}

    def train(self, p, n: int, lr, m: Mistakes = NO_MISTAKES):
        if trained(self.net):  # an optimizer or a penalty: its exact run (symbolic.truth.optimize), mistakes applied
            start = {k: to_fraction(_ball(v)) for k, v in p.items()}
            for prec in PRECISIONS:
                try:
                    update = OptimizerRun(self.net, start, m, prec).at(n)
                except Undecided:
                    continue
                with mpmath.workdps(DIGITS):
                    return {k: _out(v) for k, v in update.params.items()}
            raise DerivcheckError("the replayed optimizer trajectory crosses a branch too closely to decide")
        for _ in range(n):
            p = self.step(p, lr, m)
        return p
