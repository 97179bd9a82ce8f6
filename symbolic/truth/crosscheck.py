"""Four witnesses of one gradient, compared at a point.

Contract
--------
:func:`cross_check` computes dL/dθ for every parameter of a network (which
must carry parameters and data) four ways:

1. ``exact`` — ``sympy.diff`` of the closed form, evaluated exactly / at 60 digits;
2. ``lambdified`` — the same symbolic gradient compiled by ``lambdify`` (with
   ``cse``) over symbols we name ourselves, evaluated in float64;
3. ``backprop`` — the NumPy engine (never touches SymPy);
4. ``finite_difference`` — central differences on the NumPy loss.

Each :class:`WitnessRow` holds the four values and the worst relative error of
2–4 against 1; a row is ``agree`` when backprop and lambdify are within
``rtol_exact`` and finite differences within ``rtol_fd``; relative errors are
|witness − exact| / max(|exact|, ``atol``), so gradients that are (nearly) zero
are compared absolutely. :class:`CrossCheck` names every parameter where the
witnesses disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

import numeric

from ..spec.network import Network
from .compiled import gradient_function
from .exact import Truth, to_float

__all__ = ["WitnessRow", "CrossCheck", "cross_check", "lambdified_gradient"]


@dataclass(frozen=True)
class WitnessRow:
    parameter: str
    exact: sp.Expr
    lambdified: float
    backprop: float
    finite_difference: float
    rel_error_lambdified: float
    rel_error_backprop: float
    rel_error_fd: float
    agree: bool

    @property
    def worst(self) -> float:
        return max(self.rel_error_lambdified, self.rel_error_backprop, self.rel_error_fd)


@dataclass(frozen=True)
class CrossCheck:
    rows: list[WitnessRow]

    @property
    def disagreements(self) -> list[str]:
        return [r.parameter for r in self.rows if not r.agree]

    @property
    def ok(self) -> bool:
        return not self.disagreements

    def table(self) -> str:
        """A fixed-width text table, one row per parameter."""
        head = f"{'parameter':<10} {'exact':>22} {'backprop':>22} {'rel.err lambdify':>16} {'rel.err backprop':>16} " \
               f"{'rel.err FD':>11}  status"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(
                f"{r.parameter:<10} {sp.N(r.exact, 17)!s:>22.22} {r.backprop:>22.15g} {r.rel_error_lambdified:>16.2e} "
                f"{r.rel_error_backprop:>16.2e} {r.rel_error_fd:>11.2e}  {'ok' if r.agree else 'DISAGREE'}")
        worst = max((r.worst for r in self.rows), default=0.0)
        summary = (f"{len(self.rows)} parameters; worst relative error {worst:.2e}; "
                   + ("all witnesses agree." if self.ok else f"witnesses disagree on {', '.join(self.disagreements)}."))
        return "\n".join(lines + [summary])


def lambdified_gradient(truth: Truth, modules: str = "numpy"):
    """Compile the symbolic per-sample gradient into ``f(*values) -> list`` (one value per parameter).

    ``values`` is a flat sequence: the parameters in canonical order, then x, then y.
    ``modules`` is ``"numpy"`` (float64) or ``"mpmath"`` (the caller's working precision).
    The argument symbols are the ones :mod:`symbolic.spec.names` builds, never user text.
    Beyond ``MAX_TREE_SIZE`` the structured program stands in
    (:func:`symbolic.truth.compiled.gradient_function`, same signature).
    """
    if truth.structured is not None:
        return gradient_function(truth.network, modules)
    form = truth.form
    names = truth.network.parameter_names()
    args = [form.params[p] for p in names] + form.x + form.y
    grads = [sp.diff(form.loss, form.params[p]) for p in names]
    return sp.lambdify(args, grads, modules=modules, cse=True)


def cross_check(network: Network, h: float = 1e-5, rtol_exact: float = 1e-9, rtol_fd: float = 1e-6,
                atol: float = 1e-4) -> CrossCheck:
    """Compare the four witnesses at the network's point."""
    truth = Truth(network)
    names = network.parameter_names()
    exact = truth.gradient()

    fn = lambdified_gradient(truth)
    values = [float(v) for v in network.parameter_values().values()]
    X, Y = network.numeric_data()
    lam = np.mean([np.asarray(fn(*values, *X[s], *Y[s]), dtype=float) for s in range(X.shape[0])], axis=0)

    arch = network.architecture
    params = network.numeric_params()
    bp = numeric.flatten(arch, numeric.gradient(arch, params, X, Y))
    fd = numeric.flatten(arch, numeric.central_difference(lambda p: numeric.loss(arch, p, X, Y), params, h))

    rows = []
    for k, p in enumerate(names):
        e = to_float(exact[p])
        scale = max(abs(e), atol)
        rl, rb, rf = abs(lam[k] - e) / scale, abs(bp[p] - e) / scale, abs(fd[p] - e) / scale
        rows.append(WitnessRow(p, exact[p], float(lam[k]), bp[p], fd[p], rl, rb, rf,
                               agree=bool(rl <= rtol_exact and rb <= rtol_exact and rf <= rtol_fd)))
    return CrossCheck(rows)
