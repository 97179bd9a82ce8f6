"""File-level patterns: one cause behind every root error of a file, said once.

Contract
--------
:func:`loss_scale_pattern` looks at the root WRONG claims of a checked file (WRONG and
not carried; at least two of them). If every one is reproduced by one scaling of the
loss — the program with every loss term times ``s`` (the mistake table's
:func:`~symbolic.claims.mistakes.scaled_loss`), for ``s`` in 2, ½, n, 1/n, 2/n, n/2
(n outputs) and m, 1/m (m samples) — the file's loss is not the one declared: the
sentence names the rule-table loss whose terms are exactly ``s`` times the declared
ones where there is one ("the tutorial's loss is half_sse, ½Σ(y−a)², not mse"). It
returns the sentence and the claim numbers it explains, or None.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction

import sympy as sp

from .costs import MAX_DIAGNOSED_SAMPLES
from .derivation import Claim
from .mistakes import scaled_loss
from .verdict import Verdict, judge
from ..spec.rules import LOSSES

__all__ = ["loss_scale_pattern"]


def _scales(n: int, m: int) -> list[Fraction]:
    out = []
    for s in (Fraction(2), Fraction(1, 2), Fraction(n), Fraction(1, n), Fraction(2, n), Fraction(n, 2),
              Fraction(m), Fraction(1, m)):
        if s != 1 and s not in out:
            out.append(s)
    return out


def _loss_named(current: str, scale: Fraction, n: int) -> str | None:
    """The rule-table loss whose terms are ``scale`` times the current loss's (same targets), if any."""
    a = [sp.Symbol(f"a{k}", real=True) for k in range(n)]
    y = [sp.Symbol(f"y{k}", real=True) for k in range(n)]
    base = sp.Add(*LOSSES[current].terms(a, y))
    for name, rule in LOSSES.items():
        if name == current or rule.targets != LOSSES[current].targets:
            continue
        ratio = sp.simplify(sp.Add(*rule.terms(a, y)) / base)
        if ratio.is_Rational and Fraction(int(ratio.p), int(ratio.q)) == scale:
            return name
    return None


def loss_scale_pattern(ctx, claims: list[Claim], results: list) -> tuple[str, list[int]] | None:
    roots = [c for c, r in zip(claims, results) if r.verdict == Verdict.WRONG and not r.carried_from
             and c.kind in ("value", "derivative") and not c.error]
    if len(roots) < 2:
        return None
    net = ctx.network
    n, m = net.layers[-1], len(net.x)
    if m > MAX_DIAGNOSED_SAMPLES:  # issue 21: each scale re-evaluates the whole batch, like the mistake table
        return None
    found = _learning_rate_pattern(ctx, roots)
    if found is not None:
        return found, [c.index for c in roots]
    for s in _scales(n, m):
        predict = scaled_loss(s)
        if all(_reproduces(ctx, c, predict) for c in roots):
            name = _loss_named(net.loss, s, n)
            shown = f"×{s}" if s.denominator == 1 else f"×{s.numerator}/{s.denominator}"
            if name is not None:
                sentence = (f"every WRONG number is off by the same factor ({shown} on the loss): the loss these "
                            f"numbers use is {name} ({LOSSES[name].description}), not {net.loss} "
                            f"({LOSSES[net.loss].description})")
            else:
                sentence = f"every WRONG number is what a loss {shown} the declared {net.loss} gives"
            return sentence, [c.index for c in roots]
    return None


def _reproduces(ctx, c: Claim, predict) -> bool:
    try:
        return any(v is not None and judge(c.value, v).verdict in (Verdict.OK, Verdict.ROUNDING)
                   for v, _ in predict(ctx, c))
    except ctx.skippable:
        return False


def _learning_rate_pattern(ctx, roots: list[Claim]) -> str | None:
    """Every root error is a value after updates that a learning rate 2× or ½× the declared one gives."""
    net = ctx.network
    if net.learning_rate is None or not all(c.after > 0 for c in roots):
        return None
    for factor in (Fraction(2), Fraction(1, 2)):
        rate = Fraction(net.learning_rate) * factor
        other = type(ctx)(dataclasses.replace(ctx.d, network=dataclasses.replace(net, learning_rate=rate)))
        try:
            if all(judge(c.value, other.exact(c)).verdict in (Verdict.OK, Verdict.ROUNDING) for c in roots):
                return (f"every WRONG number is what a learning rate of {rate} gives ({'twice' if factor > 1 else 'half'} "
                        f"the declared {net.learning_rate})")
        except ctx.skippable:
            continue
    return None

