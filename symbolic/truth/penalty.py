"""The regularization penalty of the program: c·Σθ² and its partials, over the exact number domain.

Contract
--------
A network's ``regularization`` (:class:`symbolic.spec.optimizers.Regularization`, or None) adds
``penalty = c·Σθ²`` to the loss — c = λ/2 (``half``) or λ (``full``), θ over the weights and,
with ``include_biases``, the biases — so ``L = L_data + penalty`` and ∂L/∂θ gains 2c·θ.
:func:`penalty_value` and :func:`penalty_partial` compute both at parameter values of the
domain of :mod:`symbolic.truth.balls` (exact rationals stay exact); :class:`symbolic.truth.point.Point`
adds them to ``L`` and its parameter partials. A decoupled (AdamW-style) reading of the penalty
is not part of the loss (``Regularization.active`` is false) and adds nothing here.
"""
from __future__ import annotations

from ..spec.network import Network
from .balls import ZERO, add, exact, mul

__all__ = ["penalty_value", "penalty_partial", "penalized"]


def penalized(network: Network) -> bool:
    reg = getattr(network, "regularization", None)  # a [[layer]] list has none
    return reg is not None and reg.active


def penalty_value(network: Network, values: dict):
    """c·Σθ² over the penalized parameters (exact 0 without a penalty)."""
    if not penalized(network):
        return ZERO
    reg = network.regularization
    return mul((exact(reg.coefficient), add([mul((v, v)) for k, v in values.items() if reg.applies(k)])))


def penalty_partial(network: Network, parameter: str, values: dict):
    """∂penalty/∂θ = 2c·θ for a penalized parameter, else exact 0."""
    if not penalized(network) or not network.regularization.applies(parameter):
        return ZERO
    return mul((exact(2 * network.regularization.coefficient), values[parameter]))
