"""TOML text for a derivation file: the network block's tables and the claims a document implies.

Contract
--------
:func:`toml_tables` ``(tables) -> str`` writes plain TOML for ``title``/``source`` strings
and the ``[network]``, ``[data]``, ``[parameters]``, ``[aliases]`` tables as read from a
network block (numbers, strings, booleans, lists and small tables only — the shapes a
derivation file has). :func:`toml_claims` ``(claims) -> str`` writes ``[[claims]]``
tables from plain dicts (``name``, ``value`` — the author's printed digits as a string —,
``after``, ``with``, ``formula``, ``symbols``, ``note``). The two together are the draft
that ``derivcheck check DOC --draft OUT.toml`` writes and that
:func:`symbolic.claims.derivation.parse_derivation` reads back; every string is
escaped, so nothing from the document can end a string or start a table.
"""
from __future__ import annotations

import json
import math
from typing import Any, Mapping

from ...spec.errors import DerivcheckError

__all__ = ["toml_value", "toml_tables", "toml_claims", "TABLES"]

TABLES = ("network", "data", "parameters", "aliases")


def _key(key: str) -> str:
    return key if key and all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in key) else json.dumps(key)


def toml_value(value: Any) -> str:
    """One TOML value (see the module contract)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DerivcheckError(f"{value} cannot be written as a number of a derivation file")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\u007f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(str(k))} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise DerivcheckError(f"a value of type {type(value).__name__} cannot be written to a derivation file")


def toml_tables(tables: Mapping[str, Any]) -> str:
    lines = [f"{k} = {toml_value(tables[k])}" for k in ("title", "source", "unchecked") if isinstance(tables.get(k), str)]
    for name in TABLES:
        table = tables.get(name)
        if isinstance(table, Mapping):
            lines += ["", f"[{name}]"] + [f"{_key(str(k))} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def toml_claims(claims: list[Mapping[str, Any]]) -> str:
    out = []
    for claim in claims:
        out += ["", "[[claims]]"] + [f"{_key(k)} = {toml_value(v)}" for k, v in claim.items() if v not in (None, {}, "")]
    return "\n".join(out) + "\n"
