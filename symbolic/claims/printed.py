"""A claimed number as the author printed it: the text, its digits kept, never re-rounded.

Contract
--------
:func:`claimed_text` validates a claim's ``value`` and returns its printed text: a TOML
string as written, a TOML number by its source text (``value = -0.1360`` keeps its
trailing zero: :func:`printed_numbers` reads it back with tomlkit, which keeps source
text). Bounds: at most ``MAX_CLAIM_DIGITS`` significant digits, exponents within
``MAX_CLAIM_EXPONENT``; anything else is one :class:`DerivcheckError` sentence.
:func:`singled_out` is the chance rule of a diagnosis found by search: enough printed digits.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import tomlkit

from ..spec.errors import DerivcheckError, brief
from ..spec.errors import shorten as _short

__all__ = ["claimed_text", "printed_numbers", "singled_out", "MAX_CLAIM_DIGITS", "MAX_CLAIM_EXPONENT"]

MAX_CLAIM_DIGITS = 50  # significant digits a claimed value may print (the truth has 60)
MAX_CLAIM_EXPONENT = 1_000


def claimed_text(value: Any, printed: str | None = None) -> str:
    """The claimed number as the author printed it: a string as written, a TOML number by its source text
    (``printed``; ``-0.1360`` keeps its trailing zero), never re-rounded."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise DerivcheckError(f"value {brief(value)} is not a number; write it as a string such as \"0.593269992\"")
    if not isinstance(value, str) and printed is not None and math.isfinite(value):
        value = printed.replace("_", "")
    elif not isinstance(value, str) and math.isfinite(value):
        raise DerivcheckError(f"value {brief(value)} is a TOML number whose printed digits could not be read back; "
                              f"write it as a string, e.g. value = \"{value!r}\"")
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 4 * MAX_CLAIM_DIGITS or not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
            raise DerivcheckError(f"value {brief(value)} is not a decimal number of at most {MAX_CLAIM_DIGITS} "
                                  f"digits; write it like \"0.593269992\" or \"3.51e-5\"")
    elif isinstance(value, float) and not math.isfinite(value):
        raise DerivcheckError(f"value is {value}; write the number the author printed")
    else:
        text = repr(value)
    try:
        digits = Decimal(text).as_tuple()
    except InvalidOperation:  # an exponent beyond what Decimal represents
        raise DerivcheckError(f"value {_short(text)} is beyond 1e±{MAX_CLAIM_EXPONENT}; write the number the author printed") from None
    if len(digits.digits) > MAX_CLAIM_DIGITS:
        raise DerivcheckError(f"value {_short(text)} prints more than {MAX_CLAIM_DIGITS} significant digits, more than "
                              f"derivcheck's exact values carry; shorten it to the digits the author printed")
    if abs(digits.exponent + len(digits.digits)) > MAX_CLAIM_EXPONENT:
        raise DerivcheckError(f"value {_short(text)} is beyond 1e±{MAX_CLAIM_EXPONENT}; write the number the author printed")
    return text


def printed_numbers(text: str, raw_claims: list) -> dict[int, str]:
    """Claim number → the source text of a value written as a TOML number (``value = -0.1360``), read with
    tomlkit, which keeps it; only parsed when some claim has such a value."""
    numeric = [k for k, raw in enumerate(raw_claims, 1) if isinstance(raw, dict) and
               isinstance(raw.get("value"), (int, float)) and not isinstance(raw.get("value"), bool)]
    if not numeric:
        return {}
    try:
        kept = tomlkit.parse(text).get("claims", [])
        out = {}
        for k in numeric:
            item = kept[k - 1]["value"]
            source = item.as_string().strip()
            if re.fullmatch(r"[+-]?[\d_]+(\.[\d_]+)?([eE][+-]?[\d_]+)?", source):
                out[k] = source
        return out
    except Exception:  # noqa: BLE001 — tomlkit disagreeing with tomllib: the value is then refused in one sentence
        return {}


def singled_out(text: str, candidates: int) -> bool:
    """The chance rule for a diagnosis found by searching ``candidates`` alternatives: the printed number
    must carry at least ⌈log10(candidates)⌉ + 2 significant digits, so that a match within the rounding band
    singles out one candidate instead of happening by chance (seed 002's 3 siblings: 3 digits; a 32-wide
    layer's ~1,000: 5 digits)."""
    digits = len("".join(map(str, Decimal(text).as_tuple().digits)).lstrip("0"))
    return digits >= math.ceil(math.log10(max(candidates, 1))) + 2
