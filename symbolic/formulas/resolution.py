"""Resolution: raw letters given their meaning (W, b, u, a, x, y, L, δ, f) from defaults, the claim's symbols
and the file's aliases.

Contract
--------
:class:`Resolver` ``(source, symbols, aliases=None, depth=None)`` is called on the raw sides that
:class:`symbolic.formulas.reading.TreeBuilder` returns and gives back pure formula nodes
(:mod:`symbolic.formulas.nodes`).

Default meanings (docs/formulas.md has the table): ``W``/``w`` weights, ``b`` biases, ``u`` and
``z`` pre-activations, ``a`` activations (``a^{(0)}`` is x), ``x`` input, ``y`` target, ``\\hat{y}``
the network's output a^{(L)}, ``L``/``C``/``J``/``E`` the loss, ``\\delta`` ∂L/∂u, ``e^{…}`` exp.
A layered letter (W, b, u, z, a, δ) takes its layer from ``^{(2)}``, ``^{[2]}``, ``^l``/``^{l+1}``,
``^2`` (a layer when the letter has no subscript; with a subscript ``a_j^2`` is refused: a layer
or a square), or, when it has no superscript, a one-digit or ``l``/``L`` subscript (``z_2``, ``W_1``).

The ``symbols`` map overrides or adds: keys are the author's symbols as written (``z``,
``\\hat{y}``, ``\\hat y``, ``w_8``, ``out_{h1}``; spaces, braces, ``_`` and ``\\text{}`` do not
matter), values canonical names (``y``, ``a1``, ``W2``, ``u``, ``a2[1]``, ``delta2``) or a gradient of the
loss (``dL/dW``, ``dL/dW2``, ``dL/du``: Ng's ``dW^{[2]}``, ``dz^{[1]}``). Three special
forms: ``j = "layer 1"`` (the index j counts units of layer 1, so ``\\delta_j`` is δ^{(1)}_j and
``w_{kj}`` is W^{(l)}[k,j] for k's layer l), ``"a^{(k)}" = "a1[k]"`` (a parenthesized superscript
on a is a unit of layer 1), ``"'" = "transpose"`` (the author writes ' for the transpose) and
``h = "f"`` (h is the author's name of the activation: ``h'(a_j)`` is f'(…)).
The file's ``[aliases]`` (tutorial name → canonical name) are read the same way inside formulas,
also when the name is several letters (``out_{h1}``, ``net_{o1}``, ``E_{total}``); symbols win
over aliases, aliases over defaults. Nothing else is guessed: a reading with two meanings
(``W'``, ``a_j^2``, ``\\frac{dL}{dW}`` when d is in symbols) is refused naming both.

A bad symbols map is a :class:`DerivcheckError` when the resolver is made; a letter that cannot
mean anything raises :class:`symbolic.formulas.raw.ReadFailure` at its column, with a hint
that is an exact TOML line which works when pasted into the claim.
"""
from __future__ import annotations

import re
from typing import Mapping

from ..spec.errors import DerivcheckError, brief
from .nodes import (Apply, Const, Deriv, Diag, Dot, EDiv, Entry, Hadamard, Juxt, LayerRef, Neg, Node, Pow, Star, Transpose,
                    Var, rebuild)
from .raw import RawCall, RawDeriv, RawName, RawPrime, RawSup, ReadFailure, parse_indices
from .symbol_map import _DEFAULT_KEYS, _LAYER_SUB, _LAYERED, _target, normalize_key, toml_key

__all__ = ["Resolver"]

class Resolver:
    def __init__(self, source: str, symbols: Mapping[str, str], aliases: Mapping[str, str] | None = None,
                 depth: int | None = None):
        self.source = source
        self.depth = depth
        self.symbols: dict[str, tuple] = {}
        self.index_layers: dict[str, int] = {}
        self.units: dict[str, tuple] = {}  # letter -> (kind, layer): a^{(k)} is unit k
        self.prime_transposes = False
        self.functions: set[str] = set()
        for key, value in dict(symbols).items():
            if not isinstance(key, str) or not key.strip():
                raise DerivcheckError(f"symbols has the key {brief(key)}; keys are the author's letters, such as z.")
            k = key.strip()
            if k in ("f", "\\sigma", "e"):
                raise DerivcheckError(f"symbols may not redefine {key!r}; it is a function name.")
            if k == "'":
                if value != "transpose":
                    raise DerivcheckError(f"symbols maps \"'\" to {brief(value)}; the only meaning it can take is "
                                          f"\"transpose\": symbols = {{ \"'\" = \"transpose\" }}.")
                self.prime_transposes = True
                continue
            if value == "f" and re.fullmatch(r"[A-Za-z]", k):  # h = "f": the author's name of the activation
                self.functions.add(k)
                continue
            m = re.fullmatch(r"layer\s*(\d+)", value.strip()) if isinstance(value, str) else None
            if m and re.fullmatch(r"[a-z]", k):
                self.index_layers[k] = int(m.group(1))
                continue
            unit = re.fullmatch(r"(.+?)\^\s*\{?\s*\(\s*([a-z])\s*\)\s*\}?", k)
            if unit and isinstance(value, str):
                m = re.fullmatch(r"([A-Za-z]+\d+)\[\s*" + unit.group(2) + r"\s*\]", value.strip())
                if m:
                    kind, layer, _ = _target(key, m.group(1))
                    self.units[normalize_key(unit.group(1))] = (kind, layer)
                    continue
            self.symbols[normalize_key(k)] = _target(key, value)
        self.aliases: dict[str, tuple] = {}
        for key, value in dict(aliases or {}).items():
            try:
                self.aliases[normalize_key(str(key))] = _target(str(key), value)
            except DerivcheckError:  # the loader reports bad aliases; a formula only uses the good ones
                continue
        self.words = {k for k in list(self.symbols) + list(self.aliases)
                      if re.fullmatch(r"[A-Za-z]{2,}\w*|[A-Za-z]\w*\(\d+\)", k)}

    def fail(self, message: str, node: Node) -> ReadFailure:
        return ReadFailure(message, node.span[0] if node.span else None)

    def text(self, node: Node) -> str:
        return self.source[node.span[0]:node.span[1]].strip() if node.span else "…"

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
        if isinstance(node, RawPrime):
            return self.primed(self(node.arg), node)
        if isinstance(node, RawDeriv):
            return self.deriv(node)
        if isinstance(node, Juxt) and isinstance(node.left, RawName) and node.left.primes \
                and not self.prime_transposes and re.match(r"\s*(?:\(|\\left|\\big|\[)", self.text(node.right)):
            raise self.fail(f"{node.left.letter}' is not a function this reader knows; use f'(…) or \\sigma'(…)",
                            node.left)
        if isinstance(node, Juxt) and (self.words or self.functions):
            node = self.join_words(node)
            if not isinstance(node, Juxt):
                return self(node)
        return rebuild(node, self)

    # ------------------------------------------------------------------ special forms
    def primed(self, resolved: Node, raw: Node) -> Node:
        if self.prime_transposes:
            return Transpose(resolved, span=raw.span)
        shown = self.text(raw)
        raise self.fail(f"{shown} can mean the transpose of {shown[:-1].strip()} or another quantity written with a "
                        f"prime (a new value, a derivative); if the author writes ' for the transpose, add "
                        f"symbols = {{ \"'\" = \"transpose\" }} to the claim, else write ^T", raw)

    def deriv(self, node: RawDeriv) -> Node:
        if "d" in self.symbols:
            raise ReadFailure(f"{self.text(node)} reads as a derivative written with d, but the claim's symbols give d "
                              f"a meaning, so it could also be a fraction of products with d; take d out of symbols "
                              f"or write \\partial", node.span[0] if node.span else None)
        if node.of is None:
            raise self.fail("\\frac{d}{d…} needs the quantity it differentiates after it", node)
        return Deriv(self(node.of), self(node.wrt), span=node.span)

    def join_words(self, node: Juxt) -> Node:
        """Adjacent letters that spell a name of symbols or aliases (o u t_{h1} → out_h1) become one name."""
        factors: list[Node] = []
        n: Node = node
        while isinstance(n, Juxt):
            factors.append(n.right)
            n = n.left
        factors.append(n)
        factors.reverse()
        head = factors[0]
        wrap = None
        if isinstance(head, Neg) and isinstance(head.arg, RawName):
            # −net_{h1}: the minus binds to the first letter only; it is the whole word's
            factors[0], wrap = head.arg, (lambda w: Neg(w, span=w.span))
        elif isinstance(head, (Star, Dot, Hadamard, EDiv)) and isinstance(head.right, RawName):
            # x * out_{o1}: the operator takes the first letter only; it takes the whole word
            factors[0] = head.right
            wrap = (lambda w, h=head: type(h)(h.left, w, span=(h.span[0], w.span[1]) if h.span and w.span else None))
        out: list[Node] = []
        k = 0
        changed = False
        while k < len(factors):
            best = None
            f, g = factors[k], factors[k + 1] if k + 1 < len(factors) else None
            if isinstance(f, RawName) and f.letter in self.functions and g is not None and f.span and g.span \
                    and f.primes <= 1 and re.match(r"\s*(?:\(|\\left|\\big)", self.source[g.span[0]:g.span[1]]):
                out.append(RawCall("f", g, bool(f.primes), f.layer, span=(f.span[0], g.span[1])))
                k += 2
                changed = True
                continue
            if isinstance(f, RawName) and isinstance(g, Const) and f.span and g.span and f.layer is None \
                    and f.indices is None and not f.primes and f.power is None:  # a(1): the file's name a(1)
                call = normalize_key(f.letter + self.source[g.span[0]:g.span[1]])
                if call in self.words and re.fullmatch(r"\s*\(\s*\d+\s*\)\s*", self.source[g.span[0]:g.span[1]]):
                    out.append(RawName(call, span=(f.span[0], g.span[1])))
                    k += 2
                    changed = True
                    continue
            for end in range(len(factors), k + 1, -1):
                run = factors[k:end]
                if self._is_word_run(run):
                    word = "".join(f.letter for f in run)
                    last = run[-1]
                    key = normalize_key(word + (last.sub_text or ""))
                    if key in self.words or normalize_key(word) in self.words:
                        best = (end, RawName(word, last.layer, last.indices, last.sub_text, last.primes,
                                             last.transposed_layer, last.power, last.layer_written,
                                             span=(run[0].span[0], last.span[1])))
                        break
            if best is None:
                out.append(factors[k])
                k += 1
            else:
                out.append(best[1])
                k = best[0]
                changed = True
        if not changed:
            return node
        if wrap is not None:
            out[0] = wrap(out[0])
        result = out[0]
        for f in out[1:]:
            span = (result.span[0], f.span[1]) if result.span and f.span else None
            result = Juxt(result, f, span=span)
        return result

    @staticmethod
    def _is_word_run(run: list[Node]) -> bool:
        if not all(isinstance(f, RawName) and f.span and re.fullmatch(r"[A-Za-z]+", f.letter) for f in run):
            return False
        for f, g in zip(run, run[1:]):
            if f.span[1] != g.span[0] or f.indices is not None or f.layer is not None or f.primes or f.power:
                return False
        return True

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

    # ----------------------------------------------------------------------- letters
    def meaning(self, node: RawName) -> tuple[tuple, bool]:
        """(kind, layer, fixed) and whether the subscript was part of the name (w_8, out_{h1})."""
        letter = node.letter
        if node.sub_text is not None:
            full = normalize_key(letter + node.sub_text)
            for table in (self.symbols, self.aliases):
                if full in table:
                    return table[full], True
        key = normalize_key(letter)
        for table in (self.symbols, _DEFAULT_KEYS, self.aliases):
            if key in table:
                return table[key], False
        raise self.fail(self.unknown(node), node)

    def unknown(self, node: RawName) -> str:
        letter = node.letter
        if letter == "e":
            return "The symbol e is unknown (e is only read as e^{…})"
        shown = letter if not letter.startswith("\\") else letter
        key = toml_key(letter)
        out = f"a{self.depth}" if self.depth else "a2"
        return (f"The symbol {shown} is unknown; say what it means in the claim's symbols, e.g. "
                f"symbols = {{ {key} = \"y\" }} if it is the target or symbols = {{ {key} = \"{out}\" }} if it is "
                f"the network's output")

    def name(self, node: RawName) -> Node:
        letter = node.letter
        if node.primes:
            if node.primes > 1:
                raise self.fail(f"A double prime on {letter} is not supported; only f' and \\sigma' are", node)
            self.meaning(node)  # an unknown letter is named as such first
            plain = RawName(letter, node.layer, node.indices, node.sub_text, 0, node.transposed_layer, node.power,
                            node.layer_written, span=node.span)
            return self.primed(self.name(plain) if self.prime_transposes else Const(0), node)
        (kind, layer, fixed), named = self.meaning(node)
        grad = kind.startswith("grad:")
        kind = kind[5:] if grad else kind
        if kind == "L" and fixed:
            raise self.fail(f"{self.text(node)} means a loss term L[{fixed[0]}] through symbols or aliases; formulas "
                            f"support the whole loss L only", node)
        indices_text = None if named else node.sub_text
        power = node.power
        if layer is not None and isinstance(layer, LayerRef) and layer.var == "L" and self.depth:
            layer = self.depth + layer.offset
        if node.layer is not None:
            unit = self.units.get(normalize_key(letter))
            if unit is not None and node.layer_written == "paren":
                kind, layer = unit
                idx = node.layer if isinstance(node.layer, int) else node.layer.var
                if isinstance(node.layer, LayerRef) and node.layer.offset:
                    raise self.fail(f"The unit index of {self.text(node)} must be a letter or a number", node)
                return Entry(Var(kind, layer, span=node.span), (idx,), span=node.span)
            if layer is not None:
                raise self.fail(f"{letter} already means a layer-{layer} quantity through symbols, so it cannot "
                                f"take the layer superscript too", node)
            if kind not in _LAYERED:
                raise self.fail(f"{letter} ({kind}) has no layers, so ^{{(…)}} does not apply", node)
            layer = node.layer
        elif kind in _LAYERED and layer is None and power is not None:
            if indices_text is not None:
                n = power
                raise self.fail(f"{self.text(node)} can mean layer {n} ({letter}^{{({n})}}_{{{indices_text}}}) or the "
                                f"square of {letter}_{{{indices_text}}}; write {letter}^{{({n})}}_{{{indices_text}}} "
                                f"for the layer or ({letter}_{{{indices_text}}})^{power} for the power", node)
            layer, power = power, None
        elif kind in _LAYERED and layer is None and indices_text is not None:
            m = _LAYER_SUB.fullmatch(indices_text)
            first = re.match(r"\s*([a-z])", indices_text)
            if m:
                if m.group(1):
                    layer = int(m.group(1))
                else:
                    var = "l" if m.group(2) is None else m.group(2)
                    off = 0 if not m.group(3) else (int(m.group(4)) if m.group(3) == "+" else -int(m.group(4)))
                    layer = LayerRef(var, off)
                    if var == "L" and self.depth:
                        layer = self.depth + off
                indices_text = None
            elif first and first.group(1) in self.index_layers:
                layer = self.index_layers[first.group(1)]
        if kind == "a" and layer == 0:
            kind, layer = "x", None
        if kind in _LAYERED and layer is None:
            hint = ""
            if letter == "z":
                hint = (" (z is read as the pre-activation u); if z is the target or the output, say so: "
                        'symbols = { z = "y" }')
            elif indices_text and re.match(r"\s*[a-z]", indices_text):
                i = re.match(r"\s*([a-z])", indices_text).group(1)
                hint = f", or say which layer's units {i} counts: symbols = {{ {i} = \"layer 1\" }}"
            raise self.fail(f"{letter} needs a layer superscript such as {letter}^{{(2)}}{hint}", node)
        var = Var(kind, layer, span=node.span)
        if fixed:
            var = Entry(var, fixed, span=node.span)
        if indices_text is not None:
            if fixed:
                raise self.fail(f"{letter} already means a single entry through symbols, so it cannot take a "
                                f"subscript", node)
            if kind == "L":
                raise self.fail("Subscripts on L are not supported", node)
            want = 2 if kind == "W" else 1
            at = self.source.find("_", node.span[0], node.span[1]) if node.span else -1
            indices = parse_indices(indices_text, want, at if at >= 0 else (node.span[0] if node.span else None))
            if kind == "W" and len(indices) == 2 and isinstance(layer, int):
                self._check_weight_layers(node, indices, layer)
            var = Entry(var, indices, span=node.span)
        if grad:
            var = Deriv(Var("L", span=node.span), var, nabla=True, span=node.span)
        if power is not None:
            return Pow(var, power, span=node.span)
        return var

    def _check_weight_layers(self, node: RawName, indices: tuple, layer: int) -> None:
        row, col = indices
        for idx, want in ((row, layer), (col, layer - 1)):
            got = self.index_layers.get(idx) if isinstance(idx, str) else None
            if got is not None and got != want:
                raise self.fail(f"In {self.text(node)} the index {idx} counts units of layer {got} (symbols), but "
                                f"as {'a row' if idx == row else 'a column'} of W^{{({layer})}} it must count units "
                                f"of layer {want}", node)
