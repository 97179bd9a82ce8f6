"""Names of activations and losses as authors write them: case, synonyms and "did you mean".

Contract
--------
:func:`activation_name` and :func:`loss_name` turn what a file or the command line
says (``"ReLU"``, ``"logistic"``, ``"MSELoss"``, ``"cross_entropy"``) into the rule
table's canonical name, returning ``(canonical, note)``: ``note`` is one sentence
when the spelling was not already canonical (the report shows it), else ``""``.
Matching ignores case and reads ``-`` and spaces as ``_``. Every spelling comes from
the rule table's ``synonyms`` (:mod:`symbolic.spec.rules`); a loss synonym that
depends on the output (``cross_entropy``: ``softmax_ce`` after softmax, ``bce``
after sigmoid) comes from ``after_synonyms``. An unknown name is one
:class:`DerivcheckError` sentence with "did you mean …" from the names that exist.
"""
from __future__ import annotations

import difflib

from .errors import DerivcheckError, brief
from .rules import ACTIVATIONS, LOSSES

__all__ = ["activation_name", "loss_name", "normalized", "did_you_mean"]


def normalized(text: str) -> str:
    return text.strip().lower().replace("-", "_").replace(" ", "_")


def did_you_mean(text: str, candidates: list[str], n: int = 3) -> str:
    """ "did you mean 'a' or 'b'?" for the candidates close to ``text`` ("" when none is close)."""
    close = difflib.get_close_matches(text, candidates, n=n, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in candidates}
        close = [lowered[c] for c in difflib.get_close_matches(text.lower(), list(lowered), n=n, cutoff=0.6)]
    if not close:
        return ""
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"


def _spellings(table: dict) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, rule in table.items():
        for spelling in (name, *rule.synonyms):
            out[normalized(spelling)] = name
    return out


def activation_name(text, layer: int | None = None) -> tuple[str, str]:
    """(canonical activation, note) for what the author wrote."""
    where = f" of layer {layer}" if layer is not None else ""
    if not isinstance(text, str):
        raise DerivcheckError(f"Activation {brief(text)}{where} is not a name; use one of {', '.join(ACTIVATIONS)}.")
    if text in ACTIVATIONS:
        return text, ""
    spellings = _spellings(ACTIVATIONS)
    found = spellings.get(normalized(text))
    if found is None:
        hint = _hint(did_you_mean(normalized(text), list(spellings)), spellings)
        raise DerivcheckError(f"Activation {brief(text)}{where} is unknown; {hint}{'Known' if hint else 'use one of'}"
                              f"{' activations:' if hint else ''} {', '.join(ACTIVATIONS)}.")
    return found, f"activation {text!r} read as {found!r}"


def loss_name(text, output: str | None = None) -> tuple[str, str]:
    """(canonical loss, note) for what the author wrote; ``output`` is the output layer's activation."""
    if not isinstance(text, str):
        raise DerivcheckError(f"Loss {brief(text)} is not a name; use one of {', '.join(LOSSES)}.")
    if text in LOSSES:
        return text, ""
    key = normalized(text)
    spellings = _spellings(LOSSES)
    if key in spellings:
        found = spellings[key]
        return found, f"loss {text!r} read as {found!r}"
    contextual = [(name, after) for name, rule in LOSSES.items()
                  for after, words in rule.after_synonyms if key in map(normalized, words)]
    for name, after in contextual:
        if output == after:
            return name, f"loss {text!r} read as {name!r} (the cross-entropy of a {output} output)"
    if contextual:
        options = ", ".join(f"{name!r} after {outputs}" for name, outputs in contextual)
        raise DerivcheckError(f"Loss {brief(text)} names a different loss for each output activation ({options}); "
                              f"the output here is {output!r}: name the loss itself ({', '.join(LOSSES)}).")
    every = list(spellings) + [normalized(w) for rule in LOSSES.values() for _, ws in rule.after_synonyms for w in ws]
    hint = _hint(did_you_mean(key, every), spellings)
    raise DerivcheckError(f"Loss {brief(text)} is unknown; {hint}{'Known losses:' if hint else 'use one of'} "
                          f"{', '.join(LOSSES)}.")


def _hint(hint: str, spellings: dict[str, str]) -> str:
    """A "did you mean" that names canonical names: a synonym is shown with what it stands for."""
    if not hint:
        return ""
    words = [w.strip("'") for w in hint[len("did you mean "):-1].split(" or ")]
    shown = []
    for w in words:
        target = spellings.get(w)
        text = repr(w) if target in (None, w) else f"{w!r} ({target})"
        if text not in shown:
            shown.append(text)
    return "did you mean " + " or ".join(shown) + "? "
