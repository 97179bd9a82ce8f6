"""derivcheck's symbolic truth: network spec, rule tables, closed-form loss, exact derivatives.

Public surface (see each module's docstring for its contract):

* :class:`Network` — validated network specification;
* :data:`ACTIVATIONS`, :data:`LOSSES` — the rule tables;
* :func:`closed_form`, :class:`Truth` — exact values and derivatives;
* :func:`cross_check` — the four gradient witnesses compared;
* :class:`DerivcheckError` — the one error type for bad input.
"""
from .truth.closed_form import ClosedForm, closed_form, tree_size
from .truth.crosscheck import CrossCheck, WitnessRow, cross_check
from .spec.errors import DerivcheckError, KinkError, TooLargeError
from .truth.exact import DIGITS, Truth, evaluate
from .spec.network import BIAS_MODES, Network
from .spec.names import Name, latex_name, parse_name, symbol_for
from .spec.rules import ACTIVATIONS, LOSSES, ActivationRule, LossRule

__all__ = [
    "ClosedForm", "closed_form", "tree_size",
    "CrossCheck", "WitnessRow", "cross_check",
    "DerivcheckError", "KinkError", "TooLargeError",
    "DIGITS", "Truth", "evaluate",
    "BIAS_MODES", "Network",
    "Name", "latex_name", "parse_name", "symbol_for",
    "ACTIVATIONS", "LOSSES", "ActivationRule", "LossRule",
]
