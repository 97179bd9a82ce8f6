r"""The claim loop the layer-list formula verifiers share: prove, else a certified counterexample.

Contract
--------
:func:`settle` runs it for one formula claim about a layer of a ``[[layer]]`` list (normalization
layers :mod:`.layer_verify`, rnn :mod:`.recurrent_verify`, conv2d :mod:`.conv_verify`): ``prove()``
returns the first entry not proved (falsy when every entry is proved) or raises
:class:`~symbolic.formulas.layer_eval.LayerShapeError` (the ``shape error`` verdict); when proved,
``proof()`` gives the ``ok`` verdict's message and method; else ``refute(first)`` gives the
``WRONG`` verdict or raises the undecided sentence. :func:`counterexample` is that verdict for an
entry (``Counterexample {where}: {entry} is {claimed} but the truth is {true}.``), :func:`shown`
prints an exact value (a long rational, or a ball, to 12 digits) and :func:`certified_nonzero`
says whether a value is certainly not 0 (a nonzero rational, a ball that excludes 0, a nonzero
field element).
"""
from __future__ import annotations

from typing import Callable, Mapping

from flint import arb, fmpq

from .layer_eval import LayerShapeError
from .verify import FormulaVerdict

__all__ = ["settle", "counterexample", "shown", "certified_nonzero"]


def settle(label: str, steps: int, prove: Callable[[], object], proof: Callable[[], tuple[str, str]],
           refute: Callable[[object], FormulaVerdict]) -> FormulaVerdict:
    """The verdict of one claim with ``steps`` right-hand sides (module contract)."""
    try:
        first = prove()
    except LayerShapeError as exc:
        return FormulaVerdict("shape error", str(exc), label, steps=steps)
    if not first:
        message, method = proof()
        return FormulaVerdict("ok", message, label, method=method, steps=steps)
    return refute(first)


def counterexample(label: str, steps: int, where: str, step: int, entry: str, bindings: Mapping[str, object],
                   claimed: str, true: str, index: tuple[int, ...]) -> FormulaVerdict:
    """``WRONG``: right-hand side ``step``'s ``entry`` (e.g. ``entry [2]``) is ``claimed``, the truth ``true``."""
    parts = [f"right-hand side {step} of {steps}"] if steps > 1 else []
    parts.append(entry)
    subject = ", ".join(parts) + (" with " + ", ".join(f"{a} = {b}" for a, b in bindings.items()) if bindings else "")
    return FormulaVerdict("WRONG", f"Counterexample {where}: {subject} is {claimed} but the truth is {true}.", label,
                          method="counterexample", steps=steps, step=step, entry=index, bindings=dict(bindings),
                          claimed=claimed, true=true)


def shown(v, longest: int = 14) -> str:
    """A rational as it is when at most ``longest`` characters long, else (and a ball) to 12 digits."""
    if type(v) is fmpq:
        text = str(v)
        return text if len(text) <= longest else arb(v).str(12, radius=False)
    return v.str(12, radius=False)


def certified_nonzero(x) -> bool:
    if type(x) is fmpq:
        return x != 0
    if type(x) is arb:
        return not x.contains(0)
    return not x.is_zero()
