"""derivcheck's symbolic truth: network spec, rule tables, closed-form loss, exact derivatives.

Public surface (see each module's docstring for its contract):

* :class:`Network` — validated network specification;
* :data:`ACTIVATIONS`, :data:`LOSSES` — the rule tables;
* :func:`closed_form`, :class:`Truth` — exact values and derivatives;
* :func:`cross_check` — the four gradient witnesses compared;
* :class:`DerivcheckError` — the one error type for bad input.
"""
__all__ = [
    "ClosedForm", "closed_form", "tree_size",
    "CrossCheck", "WitnessRow", "cross_check",
    "DerivcheckError", "KinkError", "TooLargeError",
    "DIGITS", "Truth", "evaluate",
    "BIAS_MODES", "Network",
    "Name", "latex_name", "parse_name", "symbol_for",
    "ACTIVATIONS", "LOSSES", "ActivationRule", "LossRule",
]


def __getattr__(name: str):
    """The public names are imported on first use (PEP 562): ``import symbolic.cli`` (every ``derivcheck``
    command) then loads only what the command needs, not the closed forms and cross-checks."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .truth.closed_form import ClosedForm, closed_form, tree_size
    from .truth.crosscheck import CrossCheck, WitnessRow, cross_check
    from .spec.errors import DerivcheckError, KinkError, TooLargeError
    from .truth.exact import DIGITS, Truth, evaluate
    from .spec.network import BIAS_MODES, Network
    from .spec.names import Name, latex_name, parse_name, symbol_for
    from .spec.rules import ACTIVATIONS, LOSSES, ActivationRule, LossRule

    found = locals()
    globals().update({k: found[k] for k in __all__})
    return found[name]


def __dir__():
    return sorted(set(globals()) | set(__all__))
