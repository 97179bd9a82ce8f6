r"""Verify one hand-written formula against a network: ``ok``, ``WRONG`` or ``shape error``.

Contract
--------
:func:`verify_formula` ``(network, latex, symbols=None, aliases=None) -> FormulaVerdict`` (the
repair search of a wrong one is :func:`symbolic.formulas.repair.verify_with_repair`).

* The left side names what is claimed: a matrix gradient (``\nabla_{W^{(2)}} L``,
  ``\frac{\partial L}{\partial W^{(2)}}``), an entry with free indices
  (``\frac{\partial L}{\partial w_{ij}^{(1)}}``), a scalar partial (``\frac{\partial L}{\partial b_1^{(2)}}``),
  a δ (``\delta^{(1)}``, ``\delta_i^{(1)}``, ``\frac{\partial L}{\partial u^{(1)}}``), a node's
  definition (``u^{(2)}``, ``y_1`` with ``y = "a1"``) or any derivative
  ``\frac{\partial X}{\partial V}``. Its value under the network's definitions is the truth.
* Every right side of the chain ``LEFT = R1 = R2 …`` is evaluated under the same definitions
  (δ^{(l)} is ∂L/∂u^{(l)}, y/z/… mean what ``symbols`` says) and compared with the truth,
  entry by entry, for every value of the free indices (their ranges come from the left side:
  in ∂L/∂w_{ij}^{(1)}, i and j run over the rows and columns of W^{(1)}; a condition such as
  ``\quad (i = 1)`` fixes one) and of a layer variable ``l`` (every layer where all the
  layers named exist).
* ``ok`` — proved equal for all parameter and data values, first with the truth side read from the
  program (:func:`symbolic.formulas.node_proof.prove_by_program`: node-symbol identity, or a
  counterexample at the program's exact values), else by :func:`symbolic.formulas.proofs.prove_equal`
  against the closed form (structural identity, or the elementwise difference is exactly 0 — for every elementwise
  activation, through the activations' derivative rules, or in the concrete closed form); the
  message says which. ``WRONG`` — a concrete counterexample: the point (the network's own
  numbers when it has them, else an exact test point), the entry and index values, both
  values. ``shape error`` — the product, sum or ⊙ whose shapes do not fit (both shapes), an
  index that runs past a dimension, or sides of different shapes.
* ``network`` may carry no numbers: proofs are for all values.
* Unreadable LaTeX, unknown letters and claims about things the network does not have are
  :class:`DerivcheckError` (one sentence), never a verdict.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterator, Mapping

import sympy as sp

from ..spec.errors import DerivcheckError
from ..spec.network import Network
from .evaluation import evaluate
from .models import Model
from .nodes import Deriv, Entry, LayerRef, Node, Var, free_indices, layer_vars, walk
from .parser import Formula, parse_formula
from .node_proof import prove_by_program
from .proofs import prove_equal
from .render import to_text
from .shapes import Ctx, ShapeMismatch, check_index_ranges, fmt_shape, index_ranges, shape_of

__all__ = ["FormulaVerdict", "verify_formula", "VERDICTS", "Plan", "plan_formula", "formula_items", "claim_label",
           "layer_bindings", "index_bindings"]

VERDICTS = ("ok", "WRONG", "shape error")


@dataclass(frozen=True)
class FormulaVerdict:
    """The verdict on one formula claim."""

    verdict: str                          # 'ok' | 'WRONG' | 'shape error'
    message: str                          # one or two sentences
    lhs: str                              # what was claimed, e.g. "∇W2" or "dL/dW1[i,j]"
    method: str | None = None             # how 'ok' was proved (see symbolic.formulas.proofs.Proof.method)
    steps: int = 1                        # right-hand sides in the chain
    step: int | None = None               # the (1-based) right-hand side that failed
    entry: tuple[int, ...] | None = None  # 1-based entry of the failing side
    bindings: Mapping[str, int] = field(default_factory=dict)  # index / layer values of the failure
    claimed: str | None = None
    true: str | None = None
    point: Mapping[str, object] | None = None
    repairs: tuple = ()                   # symbolic.formulas.repair.Repair: corrected formulas (a WRONG / shape error)
    repair_note: str = ""                 # the repair search's sentence (found, none, gave up)
    diagnosis: str = ""                   # a WRONG formula's proved diagnosis (conv formulas), else ""

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


# --------------------------------------------------------------------------------------- naming
def _name(node: Node) -> str:
    """Canonical-style name of a differentiation variable or node."""
    if isinstance(node, Var):
        if node.kind == "a" and node.layer == 0:
            return "x"
        head = "δ" if node.kind == "delta" else node.kind
        return head + ("" if node.layer is None else str(node.layer))
    if isinstance(node, Entry) and isinstance(node.base, Var):
        base = _name(node.base)
        idx = ",".join(map(str, node.indices))
        if node.base.kind == "W" and len(node.indices) == 1:
            return f"{base}[{idx},:]"
        return f"{base}[{idx}]"
    return f"({to_text(node)})"


def claim_label(formula: Formula) -> str:
    """What the left side claims, e.g. ``∇W2``, ``dL/dW1[i,j]``, ``δ1``, ``a1[1]``."""
    lhs = formula.lhs
    if isinstance(lhs, Deriv):
        of = "L" if isinstance(lhs.of, Var) and lhs.of.kind == "L" else _name(lhs.of)
        if lhs.nabla and of == "L":
            label = f"∇{_name(lhs.wrt)}"
        else:
            label = f"d{of}/d{_name(lhs.wrt)}"
    elif isinstance(lhs, (Var, Entry)):
        label = _name(lhs)
    else:
        label = to_text(lhs)
    if formula.conditions:
        label += " (" + ", ".join(f"{k} = {v}" for k, v in formula.conditions.items()) + ")"
    return label


# ------------------------------------------------------------------------------------ bindings
def layer_bindings(formula: Formula, network: Network) -> list[dict[str, int]]:
    names: list[str] = []
    for side in formula.sides:
        for v in layer_vars(side):
            if v not in names:
                names.append(v)
    if not names:
        return [{}]
    if len(names) > 1:
        raise DerivcheckError(f"The formula uses several layer variables ({', '.join(names)}); use one, like l.")
    var = names[0]
    refs: list[tuple[str, int]] = []  # (kind, offset)
    for side in formula.sides:
        for n in walk(side):
            layer = getattr(n, "layer", None)
            if isinstance(layer, LayerRef) and layer.var == var:
                kind = n.kind if isinstance(n, Var) else "f"
                refs.append((kind, layer.offset))
    depth = network.depth
    valid = []
    for l in range(0, depth + 1):
        ok = True
        for kind, off in refs:
            lo = 0 if kind == "a" else 1
            if not lo <= l + off <= depth:
                ok = False
            elif kind == "b" and network.bias[l + off - 1] == "none":
                ok = False
        if ok:
            valid.append({var: l})
    if not valid:
        raise DerivcheckError(f"No layer of the {'-'.join(map(str, network.layers))} network fits the layer variable "
                              f"{var}: the layers the formula names do not all exist for any value of {var}.")
    return valid


def _origin(formula: Formula, ctx: Ctx) -> dict[str, str]:
    """For each free index of the left side, the subscript that set its range (for messages)."""
    out: dict[str, str] = {}
    lhs = formula.lhs
    roots = [n.wrt for n in walk(lhs) if isinstance(n, Deriv)] + [lhs]
    for root in roots:
        for n in walk(root):
            if isinstance(n, Entry):
                for i in n.indices:
                    if isinstance(i, str) and i not in out:
                        out[i] = f"set by {ctx.show(n)} on the left"
    for k in formula.conditions:
        out[k] = f"fixed by the condition {k} = {formula.conditions[k]}"
    return out


# ----------------------------------------------------------------------------------- formatting
def _fmt_value(v: sp.Expr) -> str:
    if v.is_Rational:
        if v.q == 1 or len(str(v)) <= 12:
            return str(v)
    text = sp.N(v, 12)
    s = f"{float(text):.10g}" if abs(float(text)) < 1e300 else str(text)
    return s


def _fmt_number(v) -> str:
    f = Fraction(v)
    if f.denominator == 1:
        return str(f.numerator)
    d = f.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:
        return f"{float(f):g}" if len(f"{float(f):g}") < 12 else str(f)
    return str(f)


def _fmt_array(v) -> str:
    if isinstance(v, tuple):
        return "[" + ", ".join(_fmt_array(e) for e in v) + "]"
    return _fmt_number(v)


def _fmt_point(point: Mapping[str, object], own: bool) -> str:
    if own:
        return "at the network's own parameters and data"
    parts = [f"{k} = {_fmt_array(v)}" for k, v in point.items()]
    return "at the test point " + ", ".join(parts)


def _fmt_entry(shape: tuple[int, int], pos: tuple[int, int]) -> str:
    if shape == (1, 1):
        return ""
    if shape[1] == 1:
        return f"entry [{pos[0] + 1}]"
    if shape[0] == 1:
        return f"entry [{pos[1] + 1}]"
    return f"entry [{pos[0] + 1},{pos[1] + 1}]"


# ---------------------------------------------------------------------------------------- verify
@dataclass(frozen=True)
class Plan:
    """One layer binding of a formula whose shapes fit: its context, index ranges and shape."""

    layers: dict[str, int]
    ctx: Ctx
    ranges: dict[str, tuple[int, int]]
    shape: tuple[int, int]


def plan_formula(network: Network, formula: Formula) -> tuple[list[Plan], FormulaVerdict | None]:
    """The plans of every layer binding, or the ``shape error`` verdict (bad input raises)."""
    label = claim_label(formula)
    steps = len(formula.sides) - 1
    free_all: set[str] = set()
    for side in formula.sides:
        free_all.update(free_indices(side))
    for var in formula.conditions:
        if var not in free_all:
            raise DerivcheckError(f"The condition {var} = {formula.conditions[var]} names an index the formula does "
                                  f"not use.")
    plans: list[Plan] = []
    for lb in layer_bindings(formula, network):
        ctx = Ctx(network, layers=lb, source=formula.source)
        where = "" if not lb else " (for " + ", ".join(f"{k} = {v}" for k, v in lb.items()) + ")"
        try:
            memo: dict = {}
            shapes = [shape_of(side, ctx, memo) for side in formula.sides]
            ranges = index_ranges(formula.lhs, ctx, formula.conditions)
            origin = _origin(formula, ctx)
            for side in formula.sides:
                check_index_ranges(side, ctx, ranges, origin)
        except ShapeMismatch as exc:
            text = str(exc)
            if where:
                text = text.rstrip(".") + where + "."
            return plans, FormulaVerdict("shape error", text, label, steps=steps, bindings=dict(lb))
        for k, shape in enumerate(shapes[1:], 1):
            if shape != shapes[0]:
                step = f"right-hand side {k} of {steps}" if steps > 1 else "the right side"
                msg = (f"The left side {ctx.show(formula.lhs)} is {fmt_shape(shapes[0])}, but {step} "
                       f"{ctx.show(formula.sides[k])} is {fmt_shape(shape)}{where}.")
                return plans, FormulaVerdict("shape error", msg, label, steps=steps, step=k, bindings=dict(lb))
        plans.append(Plan(lb, ctx, ranges, shapes[0]))
    cases = sum(len(list(index_bindings(p.ranges))) for p in plans) * steps
    if cases > MAX_CASES:
        raise DerivcheckError(f"The formula expands to {cases} index cases; at most {MAX_CASES} are supported — "
                              f"use a smaller network.")
    return plans, None


def formula_items(network: Network, formula: Formula, plans: list[Plan], model) -> Iterator[tuple]:
    """``(key, truth, claim)`` for every layer binding, index binding and right-hand side, under ``model``."""
    memo: dict = {}
    steps = len(formula.sides) - 1
    for plan in plans:
        for idx in index_bindings(plan.ranges):
            c = Ctx(network, layers=plan.layers, idx=idx, source=formula.source)
            truth = evaluate(formula.lhs, model, c, memo)
            for k, side in enumerate(formula.sides[1:], 1):
                claim = evaluate(side, model, c, memo)
                if any(e.has(sp.zoo, sp.nan, sp.oo, -sp.oo) for e in claim):
                    which = "the right side" if steps == 1 else f"right-hand side {k}"
                    raise DerivcheckError(f"{which[0].upper()}{which[1:]} is not a finite expression: it divides "
                                          f"by zero or takes the log of 0.")
                yield (_Key(tuple(sorted(plan.layers.items())), k, tuple(sorted(idx.items()))), truth, claim)


@dataclass(frozen=True)
class _Key:
    layers: tuple
    step: int
    idx: tuple


def index_bindings(ranges: Mapping[str, tuple[int, int]]) -> Iterator[dict[str, int]]:
    names = list(ranges)
    if not names:
        yield {}
        return

    def rec(k: int, acc: dict[str, int]):
        if k == len(names):
            yield dict(acc)
            return
        lo, hi = ranges[names[k]]
        for v in range(lo, hi + 1):
            acc[names[k]] = v
            yield from rec(k + 1, acc)

    yield from rec(0, {})


MAX_CASES = 2000


def verify_formula(network: Network, latex: str, symbols: Mapping[str, str] | None = None,
                   aliases: Mapping[str, str] | None = None) -> FormulaVerdict:
    """Prove ``latex`` right for ``network`` or show exactly where it is wrong (module docstring).

    ``symbols`` is the claim's map of the author's symbols, ``aliases`` the file's tutorial names
    (``w5 = "W2[1,1]"``), both read inside the formula (see :mod:`symbolic.formulas.resolution`).
    """
    if not isinstance(network, Network):
        raise DerivcheckError(f"verify_formula needs a Network, not {type(network).__name__}.")
    formula = parse_formula(latex, symbols, aliases, network.depth)
    label = claim_label(formula)
    steps = len(formula.sides) - 1
    plans, shape_verdict = plan_formula(network, formula)
    if shape_verdict is not None:
        return shape_verdict

    def build(model: Model):
        return formula_items(network, formula, plans, model)

    proof = prove_by_program(network, build) or prove_equal(network, build)
    if proof.ok:
        how = proof.describe(network.activations)
        head = ("Proved for all parameter and data values" if steps == 1 else
                f"All {steps} right-hand sides are proved equal to the left for all parameter and data values")
        return FormulaVerdict("ok", f"{head}, {how}.", label, method=proof.method, steps=steps)
    cx = proof.counterexample
    key: _Key = cx.key
    shape = plans[0].shape
    bindings = dict(key.layers) | dict(key.idx)
    parts = []
    if steps > 1:
        parts.append(f"right-hand side {key.step} of {steps}")
    entry = _fmt_entry(shape, cx.entry)
    if entry:
        parts.append(entry)
    if bindings:
        parts.append("with " + ", ".join(f"{k} = {v}" for k, v in bindings.items()))
    main = [p for p in parts if not p.startswith("with")] or ["the right side"]
    subject = ", ".join(main) + "".join(" " + p for p in parts if p.startswith("with"))
    claimed, true = _fmt_value(cx.claimed), _fmt_value(cx.true)
    message = (f"Counterexample {_fmt_point(cx.point, cx.own_point)}: {subject} is {claimed} "
               f"but the truth is {true}.")
    return FormulaVerdict("WRONG", message, label, method="counterexample", steps=steps, step=key.step,
                          entry=tuple(p + 1 for p in cx.entry), bindings=bindings, claimed=claimed, true=true,
                          point=dict(cx.point))
