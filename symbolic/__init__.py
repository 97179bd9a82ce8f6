"""derivcheck's symbolic truth: network spec, rule tables, closed-form loss, exact derivatives.

Public surface (see each module's docstring for its contract):

* :class:`Network` — validated network specification;
* :data:`ACTIVATIONS`, :data:`LOSSES` — the rule tables;
* :func:`closed_form`, :class:`Truth` — exact values and derivatives;
* :func:`cross_check` — the four gradient witnesses compared;
* :class:`DerivcheckError` — the one error type for bad input.
"""
from importlib import import_module

__all__ = [
    "ClosedForm", "closed_form", "tree_size",
    "CrossCheck", "WitnessRow", "cross_check",
    "DerivcheckError", "KinkError", "TooLargeError",
    "DIGITS", "Truth", "evaluate",
    "BIAS_MODES", "Network",
    "Name", "latex_name", "parse_name", "symbol_for",
    "ACTIVATIONS", "LOSSES", "ActivationRule", "LossRule",
]

# Each name is imported from its module on first use (PEP 562): ``import symbolic.cli`` (every
# ``derivcheck`` command) then loads only what the command needs, not SymPy's closed forms and cross-checks.
_LAZY = {
    "ClosedForm": "truth.closed_form", "closed_form": "truth.closed_form", "tree_size": "truth.closed_form",
    "CrossCheck": "truth.crosscheck", "WitnessRow": "truth.crosscheck", "cross_check": "truth.crosscheck",
    "DerivcheckError": "spec.errors", "KinkError": "spec.errors", "TooLargeError": "spec.errors",
    "DIGITS": "truth.exact", "Truth": "truth.exact", "evaluate": "truth.exact",
    "BIAS_MODES": "spec.network", "Network": "spec.network",
    "Name": "spec.names", "latex_name": "spec.names", "parse_name": "spec.names", "symbol_for": "spec.names",
    "ACTIVATIONS": "spec.rules", "LOSSES": "spec.rules", "ActivationRule": "spec.rules", "LossRule": "spec.rules",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
