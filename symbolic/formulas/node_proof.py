"""Proving a formula with its truth side read from the program, or refuting it at exact points.

Contract
--------
:func:`prove_by_program` ``(network, build)`` takes the same ``build(model)`` as
:func:`symbolic.formulas.proofs.prove_equal` (it yields ``(key, truth, claim)`` matrices) and
returns a :class:`symbolic.formulas.proofs.Proof`, or None when it can decide nothing (the caller
then runs :func:`prove_equal` against the closed form):

1. *program*: both sides under :class:`symbolic.formulas.program_model.NodeModel` — the truth is
   the program's reverse sweep over node symbols, the claim the same atoms — and every entry of
   the difference is exactly 0 by :func:`symbolic.formulas.zero_test.is_zero`; else the same after
   df is written through a (σ' = a(1 − a), tanh' = 1 − a²): method ``program`` / ``program
   relations``. Sound because an identity in independent atoms holds for all their values.
2. *points*: both sides under :class:`symbolic.formulas.program_model.PointModel` at the exact
   test points of :func:`symbolic.formulas.proofs.sample_points` (the network's own numbers
   first); a difference beyond 10^-40 relative (60-digit values) is a
   :class:`symbolic.formulas.proofs.Counterexample` — the WRONG verdict. A point on a relu kink
   is skipped.

Nothing here calls ``sympy.diff`` of a closed form; the cost grows with the program, not with
the closed form's tree. Softmax-with-cross-entropy targets (Σy = 1) and anything the program does
not give (∂ of a non-loss quantity, ∂/∂x) return None.
"""
from __future__ import annotations

import itertools
from typing import Callable, Iterable

import sympy as sp

from ..spec.errors import DerivcheckError, KinkError
from ..spec.network import Network
from ..spec.rules import LOSSES
from ..truth.program import Structured
from .program_model import NodeModel, NotInProgram, PointModel, point_env, relate
from .proofs import Counterexample, Item, Proof, sample_points
from .zero_test import Rationalizer, is_zero

__all__ = ["prove_by_program", "refute_at_points"]

_TOLERANCE = sp.Float(10) ** -40


def _differs(claimed: sp.Expr, true: sp.Expr) -> bool:
    if claimed.is_Rational and true.is_Rational:
        return claimed != true
    if not (claimed.is_Number and true.is_Number):
        return False
    return abs(claimed - true) > _TOLERANCE * max(abs(true), 1)


def _programs(network: Network, cache: dict) -> Structured:
    if "program" not in cache:
        cache["program"] = Structured(network)
    return cache["program"]


def prove_by_program(network: Network, build: Callable[[object], Iterable[Item]],
                     cache: dict | None = None) -> Proof | None:
    """A proof or a counterexample from the program, or None (module contract)."""
    if LOSSES[network.loss].targets == "distribution":
        return None
    cache = {} if cache is None else cache
    try:
        program = _programs(network, cache)
        model = NodeModel(network, program)
        items = list(build(model))
    except NotInProgram:
        return None
    identical = True
    failing: list[sp.Expr] = []
    for _, truth, claim in items:
        for t, c in zip(truth, claim):
            if t == c:
                continue
            identical = False
            d = t - c
            if not is_zero(d, Rationalizer()):
                failing.append(d)
    if not failing:
        return Proof(True, "structural identity" if identical else "program")
    if all(is_zero(relate(d, model), Rationalizer()) for d in failing):
        return Proof(True, "program relations")
    return refute_at_points(network, build, program)


def refute_at_points(network: Network, build: Callable[[object], Iterable[Item]],
                     program: Structured | None = None) -> Proof | None:
    """A counterexample at an exact test point (program values), or None when every point agrees."""
    program = program or Structured(network)
    for point, own in sample_points(network):
        try:
            model = PointModel(network, point_env(program, point), program)
            items = list(build(model))
        except NotInProgram:
            return None
        except (KinkError, DerivcheckError):  # a relu kink or an undefined value at this point
            continue
        for key, truth, claim in items:
            for pos in itertools.product(range(truth.shape[0]), range(truth.shape[1])):
                tv, cv = sp.N(truth[pos], 60), sp.N(claim[pos], 60)
                if truth[pos].is_Rational and claim[pos].is_Rational:
                    tv, cv = truth[pos], claim[pos]
                if _differs(cv, tv):
                    return Proof(False, "counterexample", None, Counterexample(key, pos, cv, tv, point, own))
    return None
