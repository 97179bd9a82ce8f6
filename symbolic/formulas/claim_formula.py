"""The formula claim of a derivation file, for either kind of network: the one entry point claims call.

Contract
--------
:func:`verify_claim_formula` ``(network, latex, symbols, aliases)`` is
:func:`symbolic.formulas.repair.verify_with_repair` for the dense shorthand and
:func:`symbolic.formulas.layer_repair.verify_layer_with_repair` for a ``[[layer]]`` list (a formula
about one of its normalization layers; the file's ``[aliases]`` name numbers, not a layer's letters,
so they are not read there). Both return a :class:`symbolic.formulas.verify.FormulaVerdict` with
its repairs, or raise a one-sentence :class:`symbolic.spec.errors.DerivcheckError`.
"""
from __future__ import annotations

from typing import Mapping

from ..spec.layered_network import LayeredNetwork
from .layer_repair import verify_layer_with_repair
from .repair import verify_with_repair
from .verify import FormulaVerdict

__all__ = ["verify_claim_formula"]


def verify_claim_formula(network, latex: str, symbols: Mapping[str, str] | None = None,
                         aliases: Mapping[str, str] | None = None) -> FormulaVerdict:
    """Verify a formula claim against ``network`` (module contract)."""
    if isinstance(network, LayeredNetwork):
        return verify_layer_with_repair(network, latex, symbols)
    return verify_with_repair(network, latex, symbols, aliases)
