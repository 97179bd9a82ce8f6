"""Resolution: raw letters given their meaning (W, b, u, a, x, y, L, δ, f) from defaults and the claim's symbols.

Contract
--------
:class:`Resolver` ``(source, symbols)`` is called on the raw sides that
:class:`symbolic.formulas.reading.TreeBuilder` returns and gives back pure
formula nodes (:mod:`symbolic.formulas.nodes`): ``W``/``w`` weights, ``b``
biases, ``u`` pre-activations, ``a`` activations (``a^{(0)}`` is x), ``x``
input, ``y`` target, ``L`` loss, ``\\delta`` ∂L/∂u, ``e^{…}`` exp; a raw call
becomes :class:`Apply` (``diag`` a :class:`Diag`). The ``symbols`` map
overrides or adds letters: its keys are the author's letters (``z``,
``\\hat{y}``), its values canonical names (``y``, ``a1``, ``W2``, ``u``,
``a2[1]``, ``delta2``); nothing is guessed beyond that. A bad symbols map is a
:class:`DerivcheckError` when the resolver is made; a letter that cannot mean
anything (unknown, missing its layer, a layer it cannot take) raises
:class:`symbolic.formulas.reading.ReadFailure` at the letter's column.
"""
from __future__ import annotations

import re
from typing import Mapping

from ..spec.errors import DerivcheckError, brief
from ..spec.names import parse_name
from .nodes import Apply, Const, Diag, Entry, Juxt, Neg, Node, Var, rebuild
from .reading import RawCall, RawName, RawSup, ReadFailure, parse_indices

__all__ = ["Resolver"]


_DEFAULTS = {"W": ("W", None, ()), "w": ("W", None, ()), "b": ("b", None, ()), "u": ("u", None, ()),
             "a": ("a", None, ()), "x": ("x", None, ()), "y": ("y", None, ()), "L": ("L", None, ()),
             "\\delta": ("delta", None, ())}
_LAYERED = ("W", "b", "u", "a", "delta")


def _target(key: str, value: object) -> tuple[str, int | None, tuple[int, ...]]:
    """A symbols-map value → (kind, layer or None, fixed indices)."""
    if not isinstance(value, str):
        raise DerivcheckError(f"symbols maps {brief(key)} to {brief(value)}; give a canonical name such as \"a1\" or \"y\".")
    text = value.strip()
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


class Resolver:
    def __init__(self, source: str, symbols: Mapping[str, str]):
        self.source = source
        self.symbols = dict(symbols)
        for key in self.symbols:
            if not isinstance(key, str) or not key.strip():
                raise DerivcheckError(f"symbols has the key {brief(key)}; keys are the author's letters, such as z.")
            if key.strip() in ("f", "\\sigma", "e"):
                raise DerivcheckError(f"symbols may not redefine {key!r}; it is a function name.")
            _target(key, self.symbols[key])

    def fail(self, message: str, node: Node) -> ReadFailure:
        return ReadFailure(message, node.span[0] if node.span else None)

    def __call__(self, node: Node) -> Node:
        if isinstance(node, RawName):
            return self.name(node)
        if isinstance(node, RawSup):
            return self.sup(node)
        if isinstance(node, RawCall):
            arg = self(node.arg)
            if node.fn == "diag":
                return Diag(arg, span=node.span)
            return Apply(node.fn, arg, node.prime, node.layer, span=node.span)
        if isinstance(node, Juxt) and isinstance(node.left, RawName) and node.left.primes:
            raise self.fail(f"{node.left.letter}' is not a function this reader knows; use f'(…) or \\sigma'(…)",
                            node.left)
        return rebuild(node, self)

    def sup(self, node: RawSup) -> Node:
        base = node.base
        if isinstance(base, RawName) and base.letter == "e" and "e" not in self.symbols and base.layer is None \
                and base.indices is None and not base.primes:
            return Apply("exp", self(node.exponent), span=node.span)
        exponent = node.exponent
        if isinstance(exponent, Neg) and isinstance(exponent.arg, Const) and exponent.arg.value == 1:
            raise self.fail("Inverses (^{-1}) are not supported; write a fraction", node)
        raise self.fail("This superscript is not supported (layers are ^{(2)}, transposes ^T, powers ^2, "
                        "exponentials e^{…})", node)

    def name(self, node: RawName) -> Node:
        letter = node.letter
        if node.primes:
            raise self.fail(f"A prime on {letter} is not supported; only f' and \\sigma' are", node)
        if letter in self.symbols:
            kind, layer, fixed = _target(letter, self.symbols[letter])
        elif letter in _DEFAULTS:
            kind, layer, fixed = _DEFAULTS[letter]
        else:
            hint = " (e is only read as e^{…})" if letter == "e" else ""
            raise self.fail(f"The symbol {letter} is unknown{hint}; say what it means in the claim's symbols, "
                            f"e.g. {{ {letter if re.fullmatch(r'[A-Za-z]', letter) else repr(letter)} = \"y\" }}",
                            node)
        if node.layer is not None:
            if layer is not None:
                raise self.fail(f"{letter} already means a layer-{layer} quantity through symbols, so it cannot "
                                f"take the layer superscript too", node)
            if kind not in _LAYERED:
                raise self.fail(f"{letter} ({kind}) has no layers, so ^{{(…)}} does not apply", node)
            layer = node.layer
        if kind == "a" and layer == 0:
            kind, layer = "x", None
        if kind in _LAYERED and layer is None:
            raise self.fail(f"{letter} needs a layer superscript such as {letter}^{{(2)}}", node)
        var = Var(kind, layer, span=node.span)
        if fixed:
            var = Entry(var, fixed, span=node.span)
        if node.indices is None:
            return var
        if fixed:
            raise self.fail(f"{letter} already means a single entry through symbols, so it cannot take a subscript",
                            node)
        if kind == "L":
            raise self.fail("Subscripts on L are not supported", node)
        want = 2 if kind == "W" else 1
        indices = parse_indices(node.sub_text, want, node.span[0] if node.span else None)
        return Entry(var, indices, span=node.span)
