"""The numbers a document prints for one sample, read from the one truth.

Contract
--------
:class:`SampleNumbers` ``(network, sample)`` answers what the chain-rule
sections print, every answer read from :class:`symbolic.truth.exact.Truth`
(exact rationals, or 60 significant digits):

* :meth:`SampleNumbers.value` — any canonical quantity of the sample
  (``u2[1]``, ``a1[2]``, ``L[1]``, a parameter);
* :meth:`SampleNumbers.d` — ``d(of, wrt)``: for ``of = "L"`` the derivative of
  *this sample's own loss* L_s = Σ_k L[k] (the document derives one sample at a
  time; the batch loss is their mean), i.e. Σ_k ``Truth.derivative("L[k]", wrt)``:
  δ = ∂L/∂u, ∂L/∂a and ∂L/∂θ; otherwise ``Truth.derivative(of, wrt)``, such as
  f'(u) = ∂a/∂u;
* :meth:`SampleNumbers.target` — y_k of the sample; :meth:`SampleNumbers.sample_loss` — L_s.

A derivative through relu's kink is the :class:`symbolic.spec.errors.KinkError`
that ``Truth`` raises. Answers are cached per instance.
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp

from ..spec.network import Network
from ..truth.exact import Truth

__all__ = ["SampleNumbers"]


class SampleNumbers:
    """Exact numbers of one sample (see the module contract)."""

    def __init__(self, network: Network, sample: int):
        self.network = network
        self.sample = sample
        self.truth = Truth(network, sample)
        self._terms = [f"L[{k}]" for k in range(1, network.layers[-1] + 1)]
        self._cache: dict[tuple[str, ...], sp.Expr] = {}

    def value(self, name: str) -> sp.Expr:
        """The exact value of a canonical quantity of this sample."""
        key = ("value", name)
        if key not in self._cache:
            self._cache[key] = self.truth.value(name)
        return self._cache[key]

    def d(self, of: str, wrt: str) -> sp.Expr:
        """d(of)/d(wrt); ``of = "L"`` is this sample's own loss Σ_k L[k]."""
        key = ("d", of, wrt)
        if key not in self._cache:
            if of == "L":
                self._cache[key] = sum((self.truth.derivative(t, wrt) for t in self._terms), sp.Integer(0))
            else:
                self._cache[key] = self.truth.derivative(of, wrt)
        return self._cache[key]

    def target(self, k: int) -> Fraction:
        """y_k of this sample (1-based k)."""
        return self.network.y[self.sample - 1][k - 1]

    def sample_loss(self) -> sp.Expr:
        """L_s = Σ_k L[k] of this sample."""
        return sum((self.value(t) for t in self._terms), sp.Integer(0))
