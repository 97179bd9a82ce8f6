"""A document's network: its ``toml derivcheck`` block or a sidecar file, read as a derivation file's tables.

Contract
--------
:func:`read_network` ``(source, sidecar=None) -> DocumentNetwork | None``: the sidecar
(``--network FILE.toml``, a derivation file whose ``[[claims]]`` are ignored) wins over
the block in the document; no block and no sidecar gives None. The TOML holds the
``[network]``, ``[data]``, ``[parameters]`` and ``[aliases]`` tables of a derivation
file (validated by :func:`symbolic.claims.derivation.parse_derivation`, so every rule
and message is the derivation file's) and, for documents only:

* ``[symbols]`` — the author's letters in formulas (``z = "y"``), as a claim's ``symbols``;
  ``[[symbols_at]]`` tables (``line = 32``, then letters) change them from that line on;
* ``[[prose]]`` — what prose says that the reader cannot: ``{ line = 216, name = "E_total",
  after = 1 }`` reads the number printed on line 216 (the one after the name, or
  ``number = "…"`` to pick one) as a claim of that quantity after that many updates; on a
  line whose display has no ``=`` (the prose said what it is), ``name`` is its left side.

An alias may also name a derivative (``"\\delta^{(2)}" = "dL/du2[1]"``), which a derivation
file's aliases cannot. Alias keys are compared without LaTeX decoration (:func:`symbolic.formulas.arithmetic.name_key`):
``net_h1`` names ``net_{h_1}`` and ``\\text{net}_{h1}``. Bad TOML raises one
:class:`DerivcheckError` sentence naming the document and the block's line.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...formulas.arithmetic import name_key
from ...spec.errors import DerivcheckError, shorten
from ...spec.names import parse_name
from ..derivation import Derivation, parse_derivation
from .draft import TABLES, toml_tables
from .equations import Source, fail, read_text

__all__ = ["DocumentNetwork", "read_network", "EXTRA_KEYS"]

EXTRA_KEYS = ("symbols", "symbols_at", "prose")
_PROSE_KEYS = {"line", "name", "after", "number"}
_DERIVATIVE = re.compile(r"^\s*d(?P<of>[^/]+?)\s*/\s*d(?P<wrt>.+?)\s*$")


@dataclass
class DocumentNetwork:
    """The network a document's equations are checked against, and how to read the document's names."""

    derivation: Derivation  # no claims; path = the document
    tables: dict[str, Any]
    origin: str  # "block at line N" or the sidecar's path
    symbols: dict[str, str] = field(default_factory=dict)
    symbols_at: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    prose: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # name_key(alias) -> canonical name

    def symbols_for(self, line: int) -> dict[str, str]:
        out = dict(self.symbols)
        for start, table in self.symbols_at:
            if line >= start:
                out.update(table)
        return out


def _letters(table: Any, where: str) -> dict[str, str]:
    if not isinstance(table, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
        raise DerivcheckError(f"{where} must be a table of letter = \"canonical name\", e.g. z = \"y\"")
    return dict(table)


def _extras(doc: dict, net: DocumentNetwork) -> None:
    net.symbols = _letters(doc.get("symbols", {}), "[symbols]")
    for k, table in enumerate(doc.get("symbols_at", []) or [], 1):
        if not isinstance(table, dict) or not isinstance(table.get("line"), int) or isinstance(table.get("line"), bool):
            raise DerivcheckError(f"[[symbols_at]] number {k} needs line = N (the line from which its letters hold)")
        rest = {a: b for a, b in table.items() if a != "line"}
        net.symbols_at.append((table["line"], _letters(rest, f"[[symbols_at]] number {k}")))
    net.symbols_at.sort(key=lambda item: item[0])
    for k, entry in enumerate(doc.get("prose", []) or [], 1):
        ok = isinstance(entry, dict) and not set(entry) - _PROSE_KEYS and isinstance(entry.get("line"), int) \
            and isinstance(entry.get("name"), str) and isinstance(entry.get("after", 0), int) \
            and not isinstance(entry.get("after", 0), bool) and entry.get("after", 0) >= 0 \
            and isinstance(entry.get("number", ""), str)
        if not ok:
            raise DerivcheckError(f"[[prose]] number {k} must be {{ line = N, name = \"…\", after = N }} "
                                  f"(and optionally number = \"…\")")
        net.prose.append(dict(entry))


def _parse(text: str, path: Path, where: str) -> tuple[dict, dict]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise fail(path, f"{where}: the network block is not valid TOML ({err}); fix the syntax there.") from None
    except (ValueError, RecursionError) as err:
        raise fail(path, f"{where}: the network block is not usable TOML ({shorten(str(err), 80)}).") from None
    tables = {k: v for k, v in doc.items() if k in TABLES or k in ("title", "source")}
    unknown = sorted(set(doc) - set(tables) - set(EXTRA_KEYS) - {"claims", "unchecked"})
    if unknown:
        raise fail(path, f"{where}: the network block has unknown key(s) {', '.join(map(shorten, unknown))}; allowed "
                         f"are {', '.join(TABLES + EXTRA_KEYS)}.")
    return doc, tables


def read_network(source: Source, sidecar: str | Path | None = None) -> DocumentNetwork | None:
    """The document's network (see the module contract)."""
    if sidecar is not None:
        side = Path(sidecar)
        text, where = read_text(side), f"network file {side}"
    elif source.network is not None:
        text, where = source.network, f"line {source.network_line or '?'}"
    else:
        return None
    doc, tables = _parse(text, source.path, where)
    derivatives = _derivative_aliases(tables, source.path, where)
    try:
        derivation = parse_derivation(toml_tables(tables), source.path)
    except DerivcheckError as err:
        message = str(err)
        prefix = f"{source.path}: "
        raise DerivcheckError(f"{prefix}{where}: {message[len(prefix):] if message.startswith(prefix) else message}") \
            from None
    derivation.claims = []
    net = DocumentNetwork(derivation, tables, where)
    try:
        _extras(doc, net)
    except DerivcheckError as err:
        raise fail(source.path, f"{where}: {err}.") from None
    net.keys = {name_key(alias): target for alias, target in derivation.aliases.items()}
    for alias, (of, wrt) in derivatives.items():
        try:
            net.keys[name_key(alias)] = f"d{parse_name(of).check(derivation.network)}/d{parse_name(wrt).check(derivation.network)}"
        except DerivcheckError as err:
            raise fail(source.path, f"{where}: alias {shorten(alias)!r} → d{of}/d{wrt} is not valid: {err}") from None
    return net


def _derivative_aliases(tables: dict, path: Path, where: str) -> dict[str, tuple[str, str]]:
    """Take the aliases whose target is a derivative (``delta2 = "dL/du2[1]"``) out of ``tables``."""
    aliases = tables.get("aliases")
    if not isinstance(aliases, dict):
        return {}
    out = {}
    for alias, target in list(aliases.items()):
        m = _DERIVATIVE.match(target) if isinstance(target, str) else None
        if m:
            out[alias] = (m["of"], m["wrt"])
            del aliases[alias]
    return out
