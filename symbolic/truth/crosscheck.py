"""Four witnesses of one gradient, compared at a point.

Contract
--------
:func:`cross_check` computes dL/dθ for every parameter of a network (which
must carry parameters and data) four ways:

1. ``exact`` — ``sympy.diff`` of the closed form, evaluated exactly / at 60 digits;
2. ``lambdified`` — the same symbolic gradient compiled by ``lambdify`` (with
   ``cse``) over symbols we name ourselves, evaluated in float64 (on larger networks the
   structured program's generated gradient: see :func:`lambdified_gradient`);
3. ``backprop`` — the NumPy engine (never touches SymPy);
4. ``finite_difference`` — central differences on the NumPy loss.

Each :class:`WitnessRow` holds the four values and the worst relative error of
2–4 against 1; a row is ``agree`` when backprop and lambdify are within
``rtol_exact`` and finite differences within ``rtol_fd`` (plus their own float64 rounding noise,
16ε·max(|L|, 1)/h); relative errors are
|witness − exact| / max(|exact|, ``atol``), so gradients that are (nearly) zero
are compared absolutely. :class:`CrossCheck` names every parameter where the
witnesses disagree.

At saturation (sigmoid at ±440 and beyond) the lambdified closed form — a naive
float64 formula, ``exp(±u)`` and ``1/(1 − σ)`` — overflows, divides by zero or cancels
while the exact value is finite. An entry where it is non-finite or disagrees is then
re-evaluated — only where a unit saturates (:attr:`Truth.saturated_bits`) — from the same
lambdified closed form over mpmath at 0.3 × that many digits: the summary names
those entries; an entry still non-finite shows ``overflow`` and is not counted. Float
warnings of the witnesses never reach stderr.
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

import numeric

from ..spec.network import Network
from .closed_form import tree_size
from .compiled import gradient_function
from .exact import Truth, to_float

__all__ = ["WitnessRow", "CrossCheck", "cross_check", "lambdified_gradient", "CLOSED_FORM_WORK"]

CLOSED_FORM_WORK = 60_000  # parameters x closed-form tree nodes up to which the witness is sympy.diff + lambdify


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
    lambdify_unable: bool = False  # the closed form overflowed even over mpmath where the exact value is finite
    lambdify_mpmath: bool = False  # float64 failed here; the lambdify column is the closed form over mpmath

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

    @property
    def overflowed(self) -> list[str]:
        return [r.parameter for r in self.rows if r.lambdify_unable]

    @property
    def over_mpmath(self) -> list[str]:
        return [r.parameter for r in self.rows if r.lambdify_mpmath]

    def table(self) -> str:
        """A fixed-width text table, one row per parameter."""
        head = f"{'parameter':<10} {'exact':>22} {'backprop':>22} {'rel.err lambdify':>16} {'rel.err backprop':>16} " \
               f"{'rel.err FD':>11}  status"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lam = f"{'overflow':>16}" if r.lambdify_unable else f"{r.rel_error_lambdified:>16.2e}"
            lines.append(
                f"{r.parameter:<10} {sp.N(r.exact, 17)!s:>22.22} {r.backprop:>22.15g} {lam} "
                f"{r.rel_error_backprop:>16.2e} {r.rel_error_fd:>11.2e}  {'ok' if r.agree else 'DISAGREE'}")
        worst = max((r.worst for r in self.rows if not r.lambdify_unable),
                    default=max((max(r.rel_error_backprop, r.rel_error_fd) for r in self.rows), default=0.0))
        summary = (f"{len(self.rows)} parameters; worst relative error {worst:.2e}; "
                   + (("the other witnesses agree." if self.overflowed else "all witnesses agree.") if self.ok else f"witnesses disagree on {', '.join(self.disagreements)}."))
        if self.over_mpmath:
            summary += (f" The lambdified closed form fails in float64 on {', '.join(self.over_mpmath)} (saturated "
                        f"units); its column there is the same form evaluated over mpmath.")
        if self.overflowed:
            summary += (f" The lambdified closed form overflows on {', '.join(self.overflowed)} "
                        f"(saturated units); that witness is not counted there.")
        return "\n".join(lines + [summary])


def lambdified_gradient(truth: Truth, modules: str = "numpy"):
    """Compile the symbolic per-sample gradient into ``f(*values) -> list`` (one value per parameter).

    ``values`` is a flat sequence: the parameters in canonical order, then x, then y.
    ``modules`` is ``"numpy"`` (float64) or ``"mpmath"`` (the caller's working precision).
    The argument symbols are the ones :mod:`symbolic.spec.names` builds, never user text.
    Beyond ``MAX_TREE_SIZE``, or where one ``sympy.diff`` per parameter of the tree would take seconds
    (parameters × tree nodes over ``CLOSED_FORM_WORK``: 4-8-4 is 51,984, ~1 s; ``gradcheck --layers 70,70``
    is 4,970 parameters and took minutes), the structured program stands in
    (:func:`symbolic.truth.compiled.gradient_function`, same signature).
    """
    names = truth.network.parameter_names()
    if truth.structured is not None or len(names) * tree_size(truth.network) > CLOSED_FORM_WORK:
        return gradient_function(truth.network, modules)
    form = truth.form
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
    arch = network.architecture
    params = network.numeric_params()
    with np.errstate(all="ignore"):  # a saturated float witness says so in its column, not on stderr
        lam = np.mean([np.asarray(fn(*values, *X[s], *Y[s]), dtype=float) for s in range(X.shape[0])], axis=0)
        bp = numeric.flatten(arch, numeric.gradient(arch, params, X, Y))
        fd = numeric.flatten(arch, numeric.central_difference(lambda p: numeric.loss(arch, p, X, Y), params, h))
        # central differences round: (L(θ+h) − L(θ−h)) / 2h carries ~ε·|L|/h of float64 noise whatever the
        # gradient (70 inputs summed: 1e-10 absolute), so that much is no disagreement
        fd_noise = 16 * np.finfo(float).eps * max(abs(float(numeric.loss(arch, params, X, Y))), 1.0) / h

    failed = [k for k, p in enumerate(names) if not np.isfinite(lam[k]) or
              abs(lam[k] - to_float(exact[p])) > rtol_exact * max(abs(to_float(exact[p])), atol)]
    over_mp = _over_mpmath(truth, network, X, Y) if failed and truth.saturated_bits else None
    rows = []
    for k, p in enumerate(names):
        e = to_float(exact[p])
        scale = max(abs(e), atol)
        lam_k = over_mp[k] if (over_mp is not None and k in failed) else lam[k]
        rl, rb, rf = abs(lam_k - e) / scale, abs(bp[p] - e) / scale, abs(fd[p] - e) / scale
        unable = bool(not np.isfinite(lam_k) and np.isfinite(e))
        rows.append(WitnessRow(p, exact[p], float(lam_k), bp[p], fd[p], rl, rb, rf,
                               agree=bool((unable or rl <= rtol_exact) and rb <= rtol_exact and
                                          abs(fd[p] - e) <= rtol_fd * scale + fd_noise),
                               lambdify_unable=unable, lambdify_mpmath=bool(over_mp is not None and k in failed)))
    return CrossCheck(rows)


def _over_mpmath(truth: Truth, network: Network, X, Y) -> list[float]:
    """The lambdified closed form's gradient (batch mean) over mpmath, at 50 digits or the saturation's."""
    bits = truth.saturated_bits
    fn = lambdified_gradient(truth, "mpmath")
    with mpmath.workdps(max(50, int(0.3 * bits) if bits else 50)):
        values = [mpmath.mpf(v.numerator) / v.denominator for v in network.parameter_values().values()]
        rows = []
        for s in range(X.shape[0]):
            data = [mpmath.mpf(v.numerator) / v.denominator for v in (*network.x[s], *network.y[s])]
            try:
                rows.append([mpmath.mpf(g) for g in fn(*values, *data)])
            except (ZeroDivisionError, OverflowError, ValueError):  # still beyond the digits: not counted
                rows.append([mpmath.nan] * len(values))
        out = []
        for k in range(len(values)):
            v = sum(r[k] for r in rows) / len(rows)
            out.append(float(v) if mpmath.isfinite(v) else float("nan"))
        return out
