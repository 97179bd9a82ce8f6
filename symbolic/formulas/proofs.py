"""Proving a claimed matrix equal to the truth, exactly, or finding a counterexample.

Contract
--------
:func:`prove_equal` takes a network and ``build(model)``, which yields
``(key, truth, claim)`` matrices under a :class:`symbolic.formulas.models.Model`,
and returns a :class:`Proof`. ``simplify`` on exp-laden expressions is
unusable (minutes, DESIGN), so equality is decided exactly, never at sampled
points, in stages (:data:`STAGES`) that stop at the first success:

1. *generic*: both sides in the generic model (undefined f, f'), through the
   zero test of :mod:`symbolic.formulas.zero_test`. Zero is a proof for every
   elementwise activation at once. Identical expressions are reported as
   *structural identity*.
2. *relations*: the same, after writing f' through f where the rule allows
   (σ' = σ(1 − σ), tanh' = 1 − tanh², identity, relu's step with H² = H);
   this proves activation-specific forms such as a ⊙ (1 − a) and the
   sigmoid + cross-entropy δ = a − y.
3. *test points*: both sides in the concrete model at exact points
   (:func:`sample_points`: the network's own numbers first), mpmath at 60
   digits; a difference is a :class:`Counterexample` (the WRONG verdict).
4. *concrete*: the closed form itself with every exp(·)/tanh(·)/log(·) as a
   fresh symbol and the same numerator test.

For softmax with cross-entropy the textbook δ = a − y holds only for targets
that sum to 1; each symbolic stage is retried with y_n = 1 − Σ_{k<n} y_k and
the proof says so (:data:`SUM_TO_ONE`). Anything neither proved nor refuted is
a :class:`DerivcheckError`, never a guess.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import sympy as sp

from ..spec.errors import DerivcheckError
from ..spec.names import parse_name
from ..spec.network import Network
from ..spec.rules import _GENERIC, ACTIVATIONS, LOSSES
from ..truth.evaluator import DIGITS, evaluate as exact_evaluate
from .models import Matrix, Model
from .zero_test import Rationalizer, Step, is_zero

__all__ = ["Proof", "Counterexample", "Item", "prove_equal", "sample_points", "point_symbols", "STAGES",
           "SUM_TO_ONE"]


@dataclass(frozen=True)
class Counterexample:
    """Where a claimed formula and the truth differ."""

    key: object                     # what the caller's item was (a label)
    entry: tuple[int, int]          # 0-based entry of the matrix
    claimed: sp.Expr
    true: sp.Expr
    point: dict[str, object]        # canonical array name -> nested lists of Fractions
    own_point: bool                 # the network's own parameters and data


@dataclass(frozen=True)
class Proof:
    ok: bool
    method: str                     # structural identity | program | program relations | generic | relations |
                                    # concrete | counterexample
    assumption: str | None = None
    counterexample: Counterexample | None = None

    def describe(self, activations: Sequence[str] = ()) -> str:
        """How it was proved, as a clause: ``by structural identity: …`` / ``for every elementwise …``."""
        tail = f" ({self.assumption})" if self.assumption else ""
        acts = "/".join(dict.fromkeys(activations)) or "the network's activations"
        if self.method == "structural identity":
            return "by structural identity: both sides build the same expression for every entry" + tail
        if self.method == "generic":
            return ("for every elementwise activation f: each entry of the difference expands to exactly 0 "
                    "with f and f' kept as undefined functions" + tail)
        if self.method == "relations":
            return (f"for {acts}: each entry of the difference expands to exactly 0 once f' is written "
                    f"through f (σ' = σ(1 − σ), tanh' = 1 − tanh², …)" + tail)
        if self.method == "program":
            return ("from the program: with the truth read from its reverse sweep over node symbols (a and f'(u) "
                    "of every layer as independent atoms), each entry of the difference is exactly 0 — for every "
                    "elementwise activation" + tail)
        if self.method == "program relations":
            return (f"from the program: with the truth read from its reverse sweep over node symbols and f' "
                    f"written through f (σ' = σ(1 − σ), tanh' = 1 − tanh², …), each entry of the difference is "
                    f"exactly 0 — for {acts}" + tail)
        if self.method == "concrete":
            return (f"for {acts}: with every exp(·) (tanh, log) replaced by a fresh symbol, each entry of the "
                    f"difference cancels to exactly 0" + tail)
        return "not proved"


SUM_TO_ONE = "assuming the target sums to 1, Σ_k y_k = 1, as a one-hot or probability target does"


def _sum_to_one(model: Model) -> dict[sp.Symbol, sp.Expr]:
    ys = model.y
    return {ys[-1]: 1 - sp.Add(*ys[:-1])}


def sample_points(network: Network, count: int = 3, seed: int = 20240531) -> Iterator[tuple[dict, bool]]:
    """Exact test points ``{canonical array name: values}``: the network's own numbers first (if any)."""
    if network.params is not None and network.x is not None and network.y is not None:
        own = {k: v for k, v in network.params.items()}
        own["x"], own["y"] = network.x[0], network.y[0]
        if LOSSES[network.loss].targets != "distribution" or sum(own["y"]) == 1:
            yield own, True
    rng = random.Random(seed)
    net = network

    def val() -> Fraction:
        return Fraction(rng.choice([-9, -8, -7, -6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 10)

    for _ in range(count):
        point: dict[str, object] = {}
        for l in range(1, net.depth + 1):
            point[f"W{l}"] = tuple(tuple(val() for _ in range(net.layers[l - 1])) for _ in range(net.layers[l]))
            if net.bias[l - 1] == "shared":
                point[f"b{l}"] = val()
            elif net.bias[l - 1] == "per-neuron":
                point[f"b{l}"] = tuple(val() for _ in range(net.layers[l]))
        point["x"] = tuple(val() for _ in range(net.layers[0]))
        ys = [Fraction(rng.randint(1, 9), 10) for _ in range(net.layers[-1])]
        if LOSSES[net.loss].targets == "distribution":
            total = sum(ys)
            ys = [v / total for v in ys]
        point["y"] = tuple(ys)
        yield point, False


def point_symbols(model: Model, point: Mapping[str, object]) -> dict[sp.Symbol, sp.Rational]:
    out: dict[sp.Symbol, sp.Rational] = {}
    rat = lambda v: sp.Rational(v.numerator, v.denominator)  # noqa: E731
    for name, sym in model.params.items():
        n = parse_name(name)
        v = point[f"{n.kind}{n.layer}"]
        for i in n.indices:
            v = v[i - 1]
        out[sym] = rat(v)
    for sym, v in zip(model.x, point["x"]):
        out[sym] = rat(v)
    for sym, v in zip(model.y, point["y"]):
        out[sym] = rat(v)
    return out


def _on_kink(model: Model, pt: dict) -> bool:
    for l, act in enumerate(model.network.activations, 1):
        if ACTIVATIONS[act].has_kink:
            for ue in model.u[l]:
                v = ue.xreplace(pt)
                v = v if v.is_Rational else sp.piecewise_fold(v).evalf(30)
                if v == 0 or (v.is_Number and abs(v) < sp.Float(10) ** -25):
                    return True
    return False


def _differs(claimed: sp.Expr, true: sp.Expr) -> bool:
    if claimed.is_Rational and true.is_Rational:
        return claimed != true
    scale = max(abs(true), 1)
    return abs(claimed - true) > sp.Float(10) ** (20 - DIGITS) * scale


Item = tuple[object, Matrix, Matrix]  # (key, truth, claim)


def _relations(expr: sp.Expr) -> sp.Expr:
    """Generic atoms with the true derivative rules substituted, f(·) itself kept opaque.

    sigmoid: f' = f (1 − f); tanh: f' = 1 − f²; identity: f(v) = v, f' = 1;
    relu: f(v) = v·H(v), f' = H(v) with the step H (H² = H away from the kink).
    """
    out = expr
    for name, (fn, prime) in list(_GENERIC.items()):
        if not (out.has(fn) or out.has(prime)):
            continue
        rule = ACTIVATIONS[name]
        if rule.prime_of_output is not None:  # sigmoid: f' = f (1 − f); tanh: f' = 1 − f²
            out = out.replace(prime, lambda v, fn=fn, rule=rule: rule.prime_of_output(fn(v)))
        elif rule.step_form is not None:  # identity: f(v) = v, f' = 1; relu: f(v) = v·H(v), f' = H(v)
            out = out.replace(prime, lambda v, rule=rule: rule.step_form(v, Step)[1]).replace(
                fn, lambda v, rule=rule: rule.step_form(v, Step)[0])
    return out


def _failing(items: Sequence[Item], entries: Iterable[tuple[int, int]],
             transform: Callable[[sp.Expr], sp.Expr] = lambda e: e) -> tuple[list[tuple[int, int]], bool]:
    """Entries (item, flat position) whose difference is not proved 0, and whether all were identical."""
    failing, identical = [], True
    for k, pos in entries:
        t, c = items[k][1][pos], items[k][2][pos]
        if t == c:
            continue
        identical = False
        if not is_zero(transform(t - c), Rationalizer()):
            failing.append((k, pos))
    return failing, identical


STAGES = ("generic", "relations", "concrete")


def prove_equal(network: Network, build: Callable[[Model], Iterable[Item]],
                stages: Sequence[str] = STAGES) -> Proof:
    """Prove ``truth == claim`` for every item ``build(model)`` yields, or find a counterexample.

    ``build`` is called with the generic model and, if needed, the concrete one; it must yield
    the same keys in the same order for both. Stages (module docstring): generic f, f'; the
    same atoms with the activations' derivative rules; exact test points; the concrete closed
    form with exp(·) as fresh symbols. For softmax cross-entropy each symbolic stage is retried
    with Σ_k y_k = 1. ``stages`` may leave out ``generic``/``relations`` (tests use
    ``("concrete",)`` to prove against the closed form alone).
    """
    unknown = set(stages) - set(STAGES)
    if unknown or "concrete" not in stages:
        raise ValueError(f"stages must be a subset of {STAGES} that includes 'concrete'")
    sum_one = LOSSES[network.loss].targets == "distribution"
    rel: list[tuple[int, int]] | None = None
    if "generic" in stages or "relations" in stages:
        generic = Model(network, concrete=False)
        items = list(build(generic))
        for key, truth, claim in items:
            if truth.shape != claim.shape:
                raise ValueError(f"internal: shapes differ for {key}")
        entries = [(k, p) for k, (_, t, _) in enumerate(items) for p in range(len(t))]
        sub = _sum_to_one(generic) if sum_one else {}
        rel = entries
        if "generic" in stages:
            failing, identical = _failing(items, entries)
            if not failing:
                return Proof(True, "structural identity" if identical else "generic")
            if sub and not _failing(items, failing, lambda e: e.xreplace(sub))[0]:
                return Proof(True, "generic", SUM_TO_ONE)
            rel = failing
        if "relations" in stages:
            rel, _ = _failing(items, rel, _relations)
            if not rel:
                return Proof(True, "relations")
            if sub and not _failing(items, rel, lambda e: _relations(e.xreplace(sub)))[0]:
                return Proof(True, "relations", SUM_TO_ONE)
    concrete = Model(network, concrete=True)
    citems = list(build(concrete))
    if rel is None:
        rel = [(k, p) for k, (_, t, _) in enumerate(citems) for p in range(len(t))]
    first = list(dict.fromkeys(k for k, _ in rel))
    order = first + [k for k in range(len(citems)) if k not in first]
    for point, own in sample_points(network):
        pt = point_symbols(concrete, point)
        if _on_kink(concrete, pt):
            continue
        for k in order:
            key, truth, claim = citems[k]
            for pos in itertools.product(range(truth.shape[0]), range(truth.shape[1])):
                try:
                    tv = exact_evaluate(truth[pos], pt, "the true value")
                    cv = exact_evaluate(claim[pos], pt, "the claimed value")
                except DerivcheckError:
                    break
                if _differs(cv, tv):
                    return Proof(False, "counterexample", None, Counterexample(key, pos, cv, tv, point, own))
    csub = _sum_to_one(concrete) if sum_one else {}
    left, _ = _failing(citems, rel)
    assumption = None
    if left and csub:
        left, _ = _failing(citems, left, lambda e: e.xreplace(csub))
        assumption = SUM_TO_ONE
    if left:
        raise DerivcheckError(
            "derivcheck could neither prove nor refute this formula exactly (it agrees at every test point "
            "but its difference from the truth does not cancel symbolically); rewrite it in terms of f and f'.")
    return Proof(True, "concrete", assumption)
