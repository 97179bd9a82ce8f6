"""Derivation files: a worked example transcribed as TOML, loaded and validated.

Contract
--------
:func:`load_derivation` reads one ``derivations/*.toml`` file (format in
DESIGN.md: ``title``, ``source``, ``[network]``, ``[data]``,
``[parameters]``, ``[aliases]``, ``[[claims]]``) into a :class:`Derivation`:
a validated :class:`Network`, the alias table and a list of :class:`Claim`.
Every tutorial name is mapped to a canonical name by ``[aliases]`` and
nothing else is guessed; a claim's ``name`` is either a quantity (``out_h1``,
``a1[1]``) or a derivative ``dX/dY`` (``dE_total/dw5``, ``∂L/∂W2[1,1]``).

Errors are :class:`DerivcheckError` sentences naming the file and, for a
claim, its number, name and line. Whole-file problems (malformed TOML, bad
network) raise; a problem confined to one claim is recorded on that claim
(``Claim.error``) so the other claims of the file are still checked.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..spec.files import read_regular_text
from ..spec.errors import DerivcheckError, brief
from .costs import raw_sample_bound
from .printed import claimed_text, printed_numbers
from ..spec.errors import shorten as _short
from ..spec.layered_network import LayeredNetwork
from ..spec.layer_rules import LAYER_KINDS
from ..spec.layers import build_layered
from ..spec.network import Network, exact_number
from ..spec.names import Name, parse_name
from ..spec.optimizers import parse_training
from ..spec.rules import DEFAULT_ACTIVATION, DEFAULT_LOSS
from ..spec.vocabulary import activation_name, did_you_mean, loss_name

__all__ = ["Claim", "Derivation", "load_derivation", "parse_derivation", "CLAIM_KEYS", "EXPECT_VALUES"]

CLAIM_KEYS = {"name", "value", "formula", "symbols", "after", "with", "expect", "note", "sample", "per_sample",
              "points", "carried", "rounding"}  # the last three: answer keys (symbolic.grading, docs/grading.md)
TOP_KEYS = {"title", "source", "notes", "network", "data", "parameters", "aliases", "claims", "unchecked", "layer",
            "optimizer", "regularization", "grading"}  # [grading]: answer keys (symbolic.grading, docs/grading.md)
NETWORK_KEYS = {"layers", "activation", "loss", "bias", "learning_rate", "update_biases"}
EXPECT_VALUES = ("ok", "rounding", "WRONG", "shape error")
MAX_UPDATES = 100_000
MAX_FILE_BYTES = 10_000_000
MAX_NESTING = 100  # [ and { levels; tomllib recurses on each
_LINE_KEY = "derivcheck header line 3f1c"
_CLAIM_HEADER = re.compile(r"^\s*\[\[\s*claims\s*\]\]\s*(#.*)?$")
_STATE_OF = re.compile(r"^(?P<word>[A-Za-z][A-Za-z_]*)\((?P<inner>[^()]*)\)$")
_DERIVATIVE = re.compile(r"^\s*(?:d|∂|\\partial\s*)(?P<of>[^/]+?)\s*/\s*(?:d|∂|\\partial\s*)(?P<wrt>.+?)\s*$")


@dataclass
class Claim:
    """One claim of a derivation file, resolved to canonical names where possible."""

    index: int  # 1-based position among the file's claims
    line: int | None
    name: str | None
    value: str | None = None
    formula: str | None = None
    symbols: dict[str, str] = field(default_factory=dict)
    after: int = 0
    with_values: dict[str, Fraction] = field(default_factory=dict)
    expect: str | None = None
    note: str = ""
    sample: int = 1
    per_sample: bool = False  # L is the sample's own loss (not the batch mean)
    kind: str = ""  # "value", "derivative" or "formula"
    quantity: Name | None = None  # for "value"; the numerator for "derivative"
    wrt: Name | None = None  # for "derivative"
    error: str | None = None  # a problem confined to this claim

    @property
    def label(self) -> str:
        shown = self.name if self.name else ("formula" if self.formula else "?")
        return f"claim {self.index} ({_short(shown)})"

    @property
    def where(self) -> str:
        return f"line {self.line}" if self.line else f"claim {self.index}"


@dataclass
class Derivation:
    path: Path
    title: str
    source: str
    network: Network
    aliases: dict[str, str]
    claims: list[Claim]
    unchecked: str = ""
    notes: list[str] = field(default_factory=list)  # how the author's names were read ("loss 'MSE' read as 'mse'")

    def display_name(self, canonical: str) -> str:
        """The file's own name for a canonical one, if it has an alias for it."""
        for alias, target in self.aliases.items():
            if target == canonical:
                return alias
        return canonical


def _fail(path: Path, message: str) -> DerivcheckError:
    shown = str(path) if str(path).isprintable() else brief(str(path))  # control characters shown escaped
    return DerivcheckError(f"{shown}: {message}")


_NESTING_TOKENS = re.compile(r""""(?:[^"\\\n]|\\.)*"|'[^'\n]*'|#[^\n]*|[\[{]|[\]}]""")


def _nesting(text: str) -> int:
    """Deepest nesting of [ and { outside quoted text (an over-estimate is harmless: it only refuses)."""
    depth = deepest = 0
    for m in _NESTING_TOKENS.finditer(text):
        ch = m.group()[0]
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(depth - 1, 0)
    return deepest


def _claim_lines(text: str) -> list[int]:
    """Line numbers of the ``[[claims]]`` headers (not of such lines quoted inside a multi-line string).

    Each candidate header gets a marker key on the next line and the text is parsed once:
    a real header's table then carries its line number, a quoted one only changes the string.
    """
    lines = text.split("\n")
    marked = []
    for n, line in enumerate(lines, 1):
        marked.append(line)
        if _CLAIM_HEADER.match(line):
            marked.append(f'"{_LINE_KEY}" = {n}')
    try:
        claims = tomllib.loads("\n".join(marked)).get("claims", [])
        return [c[_LINE_KEY] for c in claims]
    except (ValueError, RecursionError, TypeError, KeyError, AttributeError):
        return []


def _resolve(text: str, aliases: dict[str, str], network: Network) -> Name:
    """An alias or canonical name → checked canonical Name."""
    key = text.strip()
    target = aliases.get(key, key)
    state = _STATE_OF.match(key)  # optimizer state of an aliased parameter: m(w5)
    if key not in aliases and state and state["inner"].strip() in aliases:
        target = f"{state['word']}({aliases[state['inner'].strip()]})"
    try:
        return parse_name(target).check(network)
    except DerivcheckError as err:
        if key in aliases:
            raise DerivcheckError(f"alias {_short(key)!r} maps to {_short(target)!r}, which is not valid here: "
                                  f"{str(err).rstrip('.')}") from None
        if "is not a canonical name" not in str(err) and not _is_name(key):  # e.g. an index of 100,000 digits
            raise DerivcheckError(str(err).rstrip(".")) from None
        known = [*aliases, *network.parameter_names(), *_node_names(network)]
        hint = did_you_mean(key, known) if len(key) <= 100 else ""
        last = f"{_node_kinds(network, network.depth)[0]}{network.depth}[1]"
        examples = ", ".join(dict.fromkeys([network.parameter_names()[0], "a1[1]", last, "L"]))
        if _is_name(key):  # canonical in form, but not in this network: say why
            raise DerivcheckError(f"{str(err).rstrip('.')}" + (f"; {hint} names here are like {examples}"
                                                                if hint else "")) from None
        raise DerivcheckError(f"{_short(key)!r} is neither an alias in [aliases] nor a canonical name; "
                              + (hint + " " if hint else "") + f"canonical names here are like {examples}") from None


def _node_kinds(network: Network, l: int) -> str:
    """The one-index node kinds of layer ``l``: u and a for dense layers, a for a layer list's other kinds."""
    spec = network.specs[l - 1] if isinstance(network, LayeredNetwork) else None
    return "ua" if spec is None or (spec.plugin is None and "u" in LAYER_KINDS[spec.kind].nodes) else "a"


def _node_names(network: Network) -> list[str]:
    layers = network.layers
    return [f"{k}{l}[{i}]" for l in range(1, len(layers)) for k in _node_kinds(network, l) for i in range(1, layers[l] + 1)] + \
        [f"x[{i}]" for i in range(1, layers[0] + 1)] + ["L"] + [f"L[{k}]" for k in range(1, layers[-1] + 1)]


def _parse_claim(raw: Any, index: int, line: int | None, aliases: dict[str, str], network: Network,
                 printed: str | None = None) -> Claim:
    if not isinstance(raw, dict):
        return Claim(index, line, None, error="is not a table; write it as [[claims]] with name/value keys")
    name = raw.get("name")
    claim = Claim(index, line, name if isinstance(name, str) else None)
    try:
        unknown = sorted(set(raw) - CLAIM_KEYS)
        if unknown:
            raise DerivcheckError(f"has unknown key(s) {', '.join(map(_short, unknown))}; allowed keys are {', '.join(sorted(CLAIM_KEYS))}")
        if name is not None and not isinstance(name, str):
            raise DerivcheckError(f"has name {brief(name)}, which is not text")
        expect = raw.get("expect")
        if expect is not None and expect not in EXPECT_VALUES:
            raise DerivcheckError(f"has expect = {brief(expect)}; use one of {', '.join(EXPECT_VALUES)}")
        claim.expect = expect
        note = raw.get("note", "")
        claim.note = note if isinstance(note, str) else str(note)
        if "formula" in raw:
            if "value" in raw:
                raise DerivcheckError("has both a value and a formula; split it into two claims")
            formula, symbols = raw["formula"], raw.get("symbols", {})
            if not isinstance(formula, str) or not formula.strip():
                raise DerivcheckError("has a formula that is not LaTeX text")
            if not isinstance(symbols, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                         for k, v in symbols.items()):
                raise DerivcheckError("has symbols that are not a table of letter = \"canonical name\"")
            claim.formula, claim.symbols, claim.kind = formula, dict(symbols), "formula"
            return claim
        if "value" not in raw:
            raise DerivcheckError("has neither a value nor a formula; give the number or LaTeX the author wrote")
        if name is None:
            raise DerivcheckError("has a value but no name saying what the value is")
        claim.value = claimed_text(raw["value"], printed)
        after = raw.get("after", 0)
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise DerivcheckError(f"has after = {brief(after)}; it must be a whole number of updates (0 or more)")
        if after > MAX_UPDATES:
            raise DerivcheckError(f"asks for {after:,} updates, more than the {MAX_UPDATES:,} derivcheck will run")
        if after and network.learning_rate is None:
            raise DerivcheckError("asks for a value after updates, but [network] has no learning_rate")
        claim.after = after
        sample = raw.get("sample", 1)
        if isinstance(sample, bool) or not isinstance(sample, int) or sample < 1 or (
                network.x is not None and sample > len(network.x)):
            raise DerivcheckError(f"has sample = {brief(sample)}, which is not a sample of [data]")
        claim.sample = sample
        changes = raw.get("with", {})
        if not isinstance(changes, dict):
            raise DerivcheckError("has a 'with' that is not a table of name = number")
        for key, v in changes.items():
            target = _resolve(key, aliases, network)
            if not target.is_parameter:
                raise DerivcheckError(f"changes {_short(key)!r} in 'with', but only parameters (W, b) can be changed")
            claim.with_values[str(target)] = exact_number(v, f"'with' value of {key}")
        m = _DERIVATIVE.match(name)
        if m and not (name in aliases or _is_name(name)):
            claim.kind = "derivative"
            claim.quantity = _resolve(m["of"], aliases, network)
            claim.wrt = _resolve(m["wrt"], aliases, network)
            if claim.wrt.kind in ("y", "L"):
                raise DerivcheckError(f"differentiates with respect to {claim.wrt}; use a parameter (W, b), a node "
                                      f"(u, a) or an input (x[i])")
        else:
            claim.kind = "value"
            claim.quantity = _resolve(name, aliases, network)
        per_sample = raw.get("per_sample", False)
        if not isinstance(per_sample, bool):
            raise DerivcheckError(f"has per_sample = {brief(per_sample)}; write per_sample = true or leave it out")
        if per_sample and ("sample" not in raw or after or not hasattr(network, "with_data")):
            raise DerivcheckError("has per_sample = true, which needs a sample = N, no 'after' (updates use the "
                                  "whole batch) and dense layers (batch norm couples the samples)")
        claim.per_sample = per_sample
        if "sample" in raw and not per_sample and claim.quantity.kind == "L" and not claim.quantity.indices \
                and (claim.kind == "value" or claim.wrt.is_parameter):
            raise DerivcheckError("gives a sample, but L is the mean loss over the whole batch; add per_sample = "
                                  "true for that sample's own loss, remove sample, or claim L[k] of that sample")
        m = 0 if "sample" in raw or isinstance(network, LayeredNetwork) else len(network.x or ())  # issue 21: a dense
        if m > 1 and (nodes := [q for q in (claim.quantity, claim.wrt) if q is not None and (q.kind in ("u", "a", "x", "y") or q.kind == "L" and q.indices)]):
            raise DerivcheckError(f"claims {nodes[0]}, which has one value per sample, on a batch of {m} samples without saying which; add sample = N (1 to {m})")  # batch's node claim: never silently sample 1
        if "sample" in raw and isinstance(network, LayeredNetwork):
            network.refuse_sample(claim.wrt if claim.kind == "derivative" else claim.quantity)
        needs_data = network.params is None or network.x is None or network.y is None
        if needs_data:
            raise DerivcheckError("claims a number, but the file has no [parameters] and [data] to compute it from")
    except DerivcheckError as err:
        claim.error = str(err).rstrip(".")
    return claim


def _is_name(text: str) -> bool:
    try:
        parse_name(text)
        return True
    except DerivcheckError:
        return False


def load_derivation(path: str | Path) -> Derivation:
    """Load and validate one derivation file (see the module contract)."""
    path = Path(path)
    try:  # issue 21: regular files only, refused by type before opening; the size bounded while reading
        text = read_regular_text(path, MAX_FILE_BYTES, f"is larger than {MAX_FILE_BYTES // 1_000_000} MB; a derivation "
                                 f"file is a few kilobytes of TOML — split it or check that this is the right file.")
    except DerivcheckError as err:
        raise _fail(path, str(err)) from None
    except OSError as err:
        raise _fail(path, f"cannot be read ({err.strerror or err}).") from None
    except UnicodeDecodeError:
        raise _fail(path, "is not UTF-8 text; save it as UTF-8.") from None
    except ValueError:  # a NUL character in the name: no file system accepts it
        raise _fail(path, "is not a usable file name (it contains a NUL character).") from None
    return parse_derivation(text, path)


def parse_derivation(text: str, path: str | Path) -> Derivation:
    """Validate derivation-file TOML ``text``; messages name ``path`` (a document's network block uses this)."""
    path = Path(path)
    if _nesting(text) > MAX_NESTING:
        raise _fail(path, f"nests arrays or tables too deeply (more than {MAX_NESTING} levels); a derivation file needs at most "
                          f"matrices (lists of lists).")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _fail(path, f"is not valid TOML ({err}); fix the syntax there.") from None
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise _fail(path, f"is not usable TOML ({_short(str(err), 80)}); write numbers of a sensible size.") from None
    except RecursionError:
        raise _fail(path, "nests arrays or tables too deeply to read; a derivation file needs at most matrices "
                          "(lists of lists).") from None
    unknown = sorted(set(doc) - TOP_KEYS)
    if unknown:
        raise _fail(path, f"has unknown top-level key(s) {', '.join(map(_short, unknown))}; allowed are {', '.join(sorted(TOP_KEYS))}.")
    net = doc.get("network")
    if not isinstance(net, dict):
        raise _fail(path, "has no [network] table; add one with layers, activation, loss and bias.")
    bad = sorted(set(net) - NETWORK_KEYS)
    if "layer" in doc:  # a general layer list (symbolic.spec.layers): it validates [network] itself
        bad = []
    if bad:
        raise _fail(path, f"[network] has unknown key(s) {', '.join(map(_short, bad))}; allowed are {', '.join(sorted(NETWORK_KEYS))}.")
    if "layers" not in net and "layer" not in doc:
        raise _fail(path, "[network] has no layers; add e.g. layers = [2, 2, 2].")
    data = doc.get("data", {})
    if not isinstance(data, dict) or set(data) - {"x", "y"}:
        raise _fail(path, "[data] must hold exactly x and y.")
    if bool("x" in data) != bool("y" in data):
        raise _fail(path, "[data] must give both x and y.")
    if (too_many := raw_sample_bound(data.get("x"))) is not None:  # before 20,000 rows become Fractions (0.4 s)
        raise _fail(path, too_many)
    try:
        network = build_layered(net, doc["layer"], doc.get("parameters"), data) if "layer" in doc else Network.build(
            layers=net["layers"],
            activation=net.get("activation", DEFAULT_ACTIVATION),
            loss=net.get("loss", DEFAULT_LOSS),
            bias=net.get("bias", "per-neuron"),
            learning_rate=net.get("learning_rate"),
            update_biases=net.get("update_biases", True),
            params=doc.get("parameters"),
            x=data.get("x"),
            y=data.get("y"),
        )
        optimizer, regularization = parse_training(doc.get("optimizer"), doc.get("regularization"),
                                                   network.parameter_names())  # dense or [[layer]] list
    except DerivcheckError as err:
        raise _fail(path, str(err)) from None
    if optimizer is not None and (not optimizer.plain or optimizer.state or regularization.l2):
        network = replace(network, optimizer=None if optimizer.plain and not optimizer.state else optimizer,
                          regularization=regularization if regularization.l2 else None)
    notes = _name_notes(net, network)
    aliases = doc.get("aliases", {})
    if not isinstance(aliases, dict):
        raise _fail(path, "[aliases] must be a table of tutorial name = \"canonical name\".")
    for alias, target in aliases.items():
        if not isinstance(target, str):
            raise _fail(path, f"alias {_short(alias)!r} maps to {brief(target)}; the target must be a canonical name in quotes.")
        try:
            parse_name(target).check(network)
        except DerivcheckError as err:
            raise _fail(path, f"alias {_short(alias)!r} → {_short(target)!r} is not valid: {str(err).rstrip('.')}.") from None
    seen: dict[str, str] = {}
    for alias, target in aliases.items():
        # TOML itself rejects a key written twice; two spellings of one alias after trimming are caught here.
        key = alias.strip()
        if key in seen:
            raise _fail(path, f"alias {_short(key)!r} is defined twice ({_short(seen[key])!r} and {_short(target)!r}); keep one.")
        seen[key] = target
    raw_claims = doc.get("claims", [])
    if not isinstance(raw_claims, list):
        raise _fail(path, "claims must be written as [[claims]] tables.")
    lines = _claim_lines(text)
    if len(lines) != len(raw_claims) or not all(isinstance(n, int) for n in lines):
        lines = [None] * len(raw_claims)
    printed = printed_numbers(text, raw_claims)
    claims = [_parse_claim(raw, k, lines[k - 1], aliases, network, printed.get(k))
              for k, raw in enumerate(raw_claims, 1)]
    for c in claims:
        if c.error:
            c.error = f"{path}{f':{c.line}' if c.line else ''}: {c.label} {c.error}."
    unchecked = doc.get("unchecked", "")
    return Derivation(path, str(doc.get("title", path.stem)), str(doc.get("source", "")), network,
                      {k.strip(): v for k, v in aliases.items()}, claims, unchecked if isinstance(unchecked, str) else "",
                      notes)


def _name_notes(net: dict, network: Network) -> list[str]:
    """One sentence per activation or loss the file spells other than canonically (the network is built)."""
    notes: list[str] = []
    given = net.get("activation", DEFAULT_ACTIVATION)
    for text in dict.fromkeys(given if isinstance(given, list) else [given]):
        note = activation_name(text)[1]
        if note:
            notes.append(note)
    note = loss_name(net.get("loss", DEFAULT_LOSS), network.activations[-1])[1]
    return notes + ([note] if note else [])
