"""The closed-form reference for tests: sympy.diff of the network's closed form, evaluated exactly.

This is the independent side that the exact point evaluation (symbolic.truth.point, read by
Truth) and the structured program are compared with: the closed form is one SymPy tree of every
parameter (symbolic.truth.closed_form), its derivatives come from ``sympy.diff``, and values
from SymPy's own evaluation (Rationals stay Rationals; else ``evalf`` at 70 digits). It shares
no code with the sweeps.

sympy.diff of relu's Piecewise is one-sided at u = 0, so :func:`on_kink` tells the tests which
points to leave out (some relu input exactly 0, for any sample).
"""
from __future__ import annotations

import sympy as sp

from symbolic.spec.names import parse_name
from symbolic.truth.closed_form import closed_form

__all__ = ["closed_point", "on_kink", "closed_gradient", "closed_value", "closed_derivative"]


def closed_point(network, form, sample: int = 1) -> dict:
    s = sample - 1
    pt = {form.params[k]: sp.Rational(v.numerator, v.denominator) for k, v in network.parameter_values().items()}
    pt.update({sym: sp.Rational(v.numerator, v.denominator) for sym, v in zip(form.x, network.x[s])})
    pt.update({sym: sp.Rational(v.numerator, v.denominator) for sym, v in zip(form.y, network.y[s])})
    return pt


def _number(expr: sp.Expr, point: dict) -> sp.Expr:
    v = expr.xreplace(point)
    if v.is_Rational:
        return v
    if v.has(sp.Piecewise):
        v = sp.piecewise_fold(v)
    return v.evalf(70)


def on_kink(network) -> bool:
    """Whether some relu unit's input is exactly 0 for some sample."""
    form = closed_form(network)
    for l, act in enumerate(network.activations, 1):
        if act != "relu":
            continue
        for s in range(1, len(network.x) + 1):
            pt = closed_point(network, form, s)
            if any(_number(u, pt) == 0 for u in form.u[l]):
                return True
    return False


def closed_gradient(network) -> dict:
    """dL/dθ (batch mean) for every parameter by sympy.diff of the closed form."""
    form = closed_form(network)
    m = len(network.x)
    out = {}
    for p in network.parameter_names():
        d = sp.diff(form.loss, form.params[p])
        total = sum((_number(d, closed_point(network, form, s)) for s in range(1, m + 1)), sp.Integer(0))
        out[p] = total / m if m > 1 else total
    return out


def closed_value(network, name: str, sample: int = 1) -> sp.Expr:
    """A node, parameter or loss-term value of one sample (``L``: the batch mean)."""
    form = closed_form(network)
    if name == "L":
        m = len(network.x)
        total = sum((_number(form.loss, closed_point(network, form, s)) for s in range(1, m + 1)), sp.Integer(0))
        return total / m if m > 1 else total
    return _number(form.expr(parse_name(name)), closed_point(network, form, sample))


def closed_derivative(network, of: str, wrt: str, sample: int = 1) -> sp.Expr:
    """d(of)/d(wrt) of one sample with the cut semantics (wrt a node: the node replaced by a symbol)."""
    var = parse_name(wrt)
    m = len(network.x)
    if var.is_parameter:
        form = closed_form(network)
        d = sp.diff(form.expr(parse_name(of)), form.params[wrt])
        if of == "L":
            total = sum((_number(d, closed_point(network, form, s)) for s in range(1, m + 1)), sp.Integer(0))
            return total / m if m > 1 else total
        return _number(d, closed_point(network, form, sample))
    t = sp.Symbol("t_cut", real=True)
    cut = closed_form(network, cut={wrt: t})
    d = sp.diff(cut.expr(parse_name(of)), t)
    pt = closed_point(network, cut, sample)
    pt[t] = closed_value(network, wrt, sample)
    value = _number(d, pt)
    return value / m if of == "L" and m > 1 else value
