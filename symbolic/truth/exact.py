"""Exact truth at a point: values and derivatives of any canonical quantity.

Contract
--------
:class:`Truth` wraps a network that has parameters and data. It answers

* :meth:`Truth.value` — any ``u``, ``a``, ``x``, ``y``, parameter, ``L`` or ``L[k]``;
* :meth:`Truth.derivative` — ``dX/dY`` for any two canonical quantities,
  parameters or nodes: X as a function of Y through the network graph, with
  everything that does not depend on Y held fixed (:mod:`symbolic.truth.closed_form`'s
  ``cut``), by ``sympy.diff``;
* :meth:`Truth.gradient` — ``dL/dθ`` for every parameter.

Results are SymPy numbers: a ``Rational`` when the inputs are rational and
no exp/log enters (truly exact), otherwise a ``Float`` evaluated to
``DIGITS`` (60) significant digits by mpmath. Node quantities refer to one
sample (``sample``, 1-based); ``L`` is the mean loss over the batch, so its
derivative w.r.t. one sample's node carries the 1/m factor.

A derivative that passes through relu exactly at its kink (u = 0) raises
:class:`KinkError` naming the node, never a one-sided value.

When the closed form would exceed ``closed_form.MAX_TREE_SIZE`` nodes, values,
derivatives and the gradient come from the structured derivation
(:mod:`symbolic.truth.program`, same contract; ``Truth.structured``) instead.
"""
from __future__ import annotations

from functools import cached_property

import sympy as sp

from .evaluator import DIGITS, evaluate, refuse_data_variable
from .closed_form import MAX_TREE_SIZE, ClosedForm, closed_form, tree_size
from ..spec.errors import DerivcheckError, KinkError
from ..spec.network import Network
from ..spec.names import Name, parse_name


__all__ = ["Truth", "evaluate", "DIGITS", "to_float"]


def to_float(value: sp.Expr) -> float:
    """A SymPy number as a Python float (for comparison with the numeric witnesses)."""
    return float(value)


def _position(name: Name, depth: int) -> tuple[int, int]:
    """Order of quantities along the forward pass: parameters of layer l feed u_l, then a_l."""
    if name.kind in ("W", "b"):
        return (name.layer, 0)
    if name.kind == "u":
        return (name.layer, 1)
    if name.kind == "a":
        return (name.layer, 2)
    if name.kind in ("x",):
        return (0, 2)
    return (depth + 1, 0)  # L, L[k], y


class Truth:
    """Exact values and derivatives of one network at its parameters and data."""

    def __init__(self, network: Network, sample: int = 1):
        if network.params is None:
            raise DerivcheckError("The network has no parameter values, so there is no point to evaluate at.")
        if network.x is None or network.y is None:
            raise DerivcheckError("The network has no data (x and y), so there is no point to evaluate at.")
        if not 1 <= sample <= len(network.x):
            raise DerivcheckError(f"Sample {sample} does not exist; the batch has {len(network.x)} samples.")
        self.network = network
        self.sample = sample
        self.m = len(network.x)

    @cached_property
    def structured(self):
        """The structured program's truth (:mod:`symbolic.truth.program`) when the closed form would be
        too large (``tree_size > MAX_TREE_SIZE``); None otherwise."""
        if tree_size(self.network) <= MAX_TREE_SIZE:
            return None
        from .program import StructuredTruth
        return StructuredTruth(self.network, self.sample)

    @cached_property
    def form(self) -> ClosedForm:
        return closed_form(self.network)

    def point(self, sample: int | None = None) -> dict[sp.Symbol, sp.Rational]:
        """Exact values of every parameter and of one sample's data, keyed by symbol."""
        s = (sample or self.sample) - 1
        f = self.form
        pt = {sym: sp.Rational(v.numerator, v.denominator) for sym, v in
              ((f.params[k], v) for k, v in self.network.parameter_values().items())}
        pt.update({sym: sp.Rational(v.numerator, v.denominator) for sym, v in zip(f.x, self.network.x[s])})
        pt.update({sym: sp.Rational(v.numerator, v.denominator) for sym, v in zip(f.y, self.network.y[s])})
        return pt

    def _name(self, name: Name | str) -> Name:
        return (parse_name(name) if isinstance(name, str) else name).check(self.network)

    def _batch_mean(self, expr: sp.Expr, what: str) -> sp.Expr:
        total = sum((evaluate(expr, self.point(s), what) for s in range(1, self.m + 1)), sp.Integer(0))
        return total / self.m if self.m > 1 else total

    # ----------------------------------------------------------------- values
    def value(self, name: Name | str) -> sp.Expr:
        """The exact value of a canonical quantity (``L`` is the batch mean)."""
        n = self._name(name)
        if self.structured is not None:
            return self.structured.value(n)
        if n.kind == "L" and not n.indices:
            return self._batch_mean(self.form.loss, "L")
        return evaluate(self.form.expr(n), self.point(), str(n))

    # ------------------------------------------------------------ derivatives
    def derivative(self, of: Name | str, wrt: Name | str) -> sp.Expr:
        """d(of)/d(wrt) at the point, exactly (see the module contract)."""
        top, var = self._name(of), self._name(wrt)
        refuse_data_variable(var)
        if self.structured is not None:
            return self.structured.derivative(top, var)
        self._check_kinks(top, var)
        what = f"d{top}/d{var}"
        if var.is_parameter:
            expr = sp.diff(self.form.expr(top), self.form.params[str(var)])
            if top.kind == "L":
                return self._batch_mean(expr, what) if not top.indices else evaluate(expr, self.point(), what)
            return evaluate(expr, self.point(), what)
        t = sp.Dummy("t", real=True)
        cut = closed_form(self.network, cut={str(var): t})
        expr = sp.diff(cut.expr(top), t)
        node_value = self.value(var)
        pt = self.point()
        pt[t] = node_value
        result = evaluate(expr, pt, what)
        if top.kind == "L" and not top.indices and self.m > 1:
            result = result / self.m
        return result

    def gradient(self) -> dict[str, sp.Expr]:
        """dL/dθ for every parameter, in canonical order."""
        if self.structured is not None:
            return self.structured.gradient()
        return {p: self.derivative("L", p) for p in self.network.parameter_names()}

    # ------------------------------------------------------------------ kinks
    def _check_kinks(self, top: Name, var: Name) -> None:
        """Raise if a relu kink (u = 0 exactly) lies between ``var`` and ``top``."""
        depth = self.network.depth
        lo, hi = _position(var, depth), _position(top, depth)
        for l, act in enumerate(self.network.activations, 1):
            if act != "relu" or not (lo <= (l, 1) and hi >= (l, 2)):
                continue
            for s in range(1, self.m + 1):
                pt = self.point(s)
                for i, ue in enumerate(self.form.u[l], 1):
                    v = evaluate(ue, pt, f"u{l}[{i}]")
                    if v == 0 or (not v.is_Rational and abs(v) < sp.Float(10) ** (10 - DIGITS)):
                        where = f" for sample {s}" if self.m > 1 else ""
                        raise KinkError(
                            f"u{l}[{i}] = 0{where} lies exactly on relu's kink, where d{top}/d{var} does not "
                            f"exist; move the point off the kink.")
