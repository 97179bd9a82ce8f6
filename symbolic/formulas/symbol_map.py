"""The spellings of the author's symbols, their default meanings, and the targets a symbols map may name.

Contract
--------
:data:`DEFAULT_MEANINGS` is the table of what each letter means when the claim does not say
(docs/formulas.md prints it): letter → (kind, layer or None, fixed indices).
:func:`normalize_key` is the one spelling of a symbol under which symbols, aliases and the
formula's names are compared (``\\hat y`` = ``\\hat{y}``, ``out_{h1}`` = ``out_h1``);
:func:`toml_key` writes a key so that it reads back in TOML (hints are pasted into files);
:func:`_target` reads one value of a symbols map or of ``[aliases]`` (a canonical name, a bare
kind ``W``/``a``, ``delta2``, or a gradient of the loss ``dL/dW2``) into (kind, layer, fixed
indices), or raises :class:`symbolic.spec.errors.DerivcheckError` in one sentence.
"""
from __future__ import annotations

import json
import re

from ..spec.errors import DerivcheckError, brief
from ..spec.names import parse_name
from .nodes import LayerRef

__all__ = ["DEFAULT_MEANINGS", "normalize_key", "toml_key", "_target", "_DEFAULT_KEYS", "_LAYERED", "_LAYER_SUB"]

_OUTPUT = LayerRef("L", 0)
_LOSS = ("L", None, ())
# letter -> (kind, layer or None, fixed indices); documented in docs/formulas.md
DEFAULT_MEANINGS: dict[str, tuple] = {
    "W": ("W", None, ()), "w": ("W", None, ()), "b": ("b", None, ()), "u": ("u", None, ()), "z": ("u", None, ()),
    "a": ("a", None, ()), "x": ("x", None, ()), "y": ("y", None, ()), "L": _LOSS, "C": _LOSS, "J": _LOSS,
    "E": _LOSS, "\\delta": ("delta", None, ()), "\\hat{y}": ("a", _OUTPUT, ()),
}
_LAYERED = ("W", "b", "u", "a", "delta")
_DEFAULT_KEYS = {re.sub(r"[{}]", "", k): v for k, v in DEFAULT_MEANINGS.items()}
_FUNCTIONS = ("f", "\\sigma", "e", "d")
_LAYER_SUB = re.compile(r"\s*(?:(\d)|([lL])\s*(?:([+-])\s*(\d+))?|\\ell)\s*")


def normalize_key(text: str) -> str:
    """One spelling of an author's symbol: ``\\hat y`` = ``\\hat{y}``, ``out_{h1}`` = ``out_h1`` = ``outh1``."""
    t = re.sub(r"\\(?:text|textrm|textit|mathrm|rm|mathit|operatorname|mathbf|boldsymbol|bm|vec|mathsf|mathcal)"
               r"\s*\{([^{}]*)\}", r"\1", text)
    t = re.sub(r"\\(?:widehat)", r"\\hat", t)
    t = re.sub(r"\\(?:overline)", r"\\bar", t)
    t = re.sub(r"\\(?:widetilde)", r"\\tilde", t)
    return re.sub(r"[\s_{}]", "", t)


def toml_key(key: str) -> str:
    """``key`` as a TOML key that reads back as ``key`` (bare, 'literal' or "basic" string)."""
    if re.fullmatch(r"[A-Za-z0-9_-]+", key):
        return key
    if "'" not in key and "\n" not in key:
        return f"'{key}'"
    return json.dumps(key)


def _target(key: str, value: object) -> tuple[str, object, tuple]:
    """A symbols-map value → (kind, layer or None, fixed indices)."""
    if not isinstance(value, str):
        raise DerivcheckError(f"symbols maps {brief(key)} to {brief(value)}; give a canonical name such as \"a1\" or \"y\".")
    text = value.strip()
    m = re.fullmatch(r"dL/d([Wbua])(\d*)(?:\[(\d+)(?:,(\d+))?\])?", text)  # Ng's dW, db, dz, da
    if m:
        fixed = tuple(int(g) for g in m.groups()[2:] if g)
        return "grad:" + m.group(1), int(m.group(2)) if m.group(2) else None, fixed
    m = re.fullmatch(r"(delta|δ)(\d*)(?:\[(\d+)\])?", text)
    if m:
        return "delta", int(m.group(2)) if m.group(2) else None, (int(m.group(3)),) if m.group(3) else ()
    m = re.fullmatch(r"([Wbua])", text)
    if m:
        return m.group(1), None, ()
    try:
        name = parse_name(text)
    except DerivcheckError:
        raise DerivcheckError(
            f"symbols maps {brief(key)} to {brief(value)}, which is not a canonical name; use W2, b1, u2, a1, x, y, L, "
            f"delta2, or an entry such as a1[2].") from None
    return name.kind, name.layer, name.indices


