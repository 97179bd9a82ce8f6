r"""Give the names of a conv formula their meaning for the list's conv2d layer.

Contract
--------
:func:`resolve_conv` ``(formula, network, symbols) -> ConvFormula`` replaces every name
(:class:`~symbolic.formulas.conv_nodes.CSym`, derivative) by its meaning
(:class:`~symbolic.formulas.conv_nodes.CArr`) and records the layer and the ∗ convention;
:func:`conv_layer` is the list's one conv2d layer (or one sentence saying why there is none to read).

Meanings (``CArr.name``): ``X`` the layer's input, ``K`` its kernels, ``b`` its biases, ``u`` its
output before the activation, ``delta`` = ∂L/∂u, and the derivatives ``dX``, ``dK``, ``db``. Default
letters: X/x/I/A, K/W/F/w, b/B, Y/O/Z/u/out, δ/G/dout/dY/dO/dZ/du, and d… or ∂L/∂… of them (L, E, J,
ℓ, \mathcal{L} the loss). A claim's ``symbols`` maps a letter to ``x`` (or ``a{l−1}``, ``input``),
``K{l}``, ``b{l}``, ``u{l}``, ``delta{l}`` or ``dL/d…`` of one; its key ``*`` (or ``\ast``) set to
``flipped`` reads ∗ as the mathematical convolution (the kernel flipped), the default ``sliding``
as the sliding product deep-learning code calls convolution (= ⋆).
Its key ``indices`` set to ``0-based`` or ``1-based`` sets the index base of every indexed name
(default: 0-based for brackets ``x[c,i,j]``, 1-based for subscripts ``x_{c,i,j}``).

Which operand slides (docs/formulas.md, "Which operand slides"): of ``A ∗ B`` / ``A ⋆ B`` the second,
``B``, is the window that slides over ``A`` (:mod:`.conv_eval`). When exactly one operand is a kernel
(``K`` or a letter meaning it, the map ``K_{o,c}``, each under any number of ``rot180``) it is made
the second, whichever side it is written on (``conv_full(rot180(F), δ)`` reads as ``δ ∗_full
rot180(F)``); two non-kernels keep their written order. Both operands kernels is refused (one
sentence naming both readings) in a sliding product (⋆, and ∗ unless ``flipped``); the mathematical
convolution (``flipped``) is commutative, so there the order changes nothing in the full mode.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Mapping

from ..spec.errors import DerivcheckError
from .conv_nodes import CArr, CBin, CDeriv, CFn, CIdx, CNeg, CNode, COp, CSum, CSym, ConvFormula, crebuild
from .raw import ReadFailure
from .syntax import located_failures

__all__ = ["resolve_conv", "conv_layer", "CONVENTIONS"]

CONVENTIONS = ("sliding", "flipped")

# ------------------------------------------------------------------------------------- meanings
_DEFAULT = {"X": "X", "x": "X", "I": "X", "A": "X", "input": "X", "K": "K", "W": "K", "F": "K", "w": "K",
            "kernel": "K", "b": "b", "B": "b", "Y": "u", "O": "u", "Z": "u", "u": "u", "out": "u", "output": "u",
            "\\delta": "delta", "δ": "delta", "G": "delta", "delta": "delta", "dout": "delta"}
_LOSS = {"L", "E", "J", "\\ell", "ℓ", "loss", "C"}
_DERIV = {"X": "dX", "K": "dK", "b": "db", "u": "delta"}


def conv_layer(network) -> Any:
    """The list's one conv2d layer (a formula claim is about it), or one sentence saying why not."""
    convs = [s for s in network.specs if s.kind == "conv2d"]
    if len(convs) != 1:
        raise DerivcheckError(f"Formula claims about a convolution are read when the list has one conv2d layer; "
                              f"this one has {len(convs)} — claim the numbers instead.")
    return convs[0]


def _meaning_of(text: str, layer: int, pos: int | None) -> str:
    t = text.replace(" ", "")
    m = re.fullmatch(r"(dL/d)?(x|input|a(\d+)|K(\d+)|b(\d+)|u(\d+)|delta(\d+))", t)
    if m is None or any(g is not None and int(g) != (layer - 1 if i == 3 else layer)
                        for i, g in zip(range(3, 8), m.groups()[2:])) or (t.endswith("x") and layer != 1):
        prev = "x" if layer == 1 else f"a{layer - 1}"
        raise ReadFailure(f"symbols gives a meaning {text!r} that is not a quantity of conv2d layer {layer} ({prev}, "
                          f"K{layer}, b{layer}, u{layer}, delta{layer} or dL/d… of one)", pos)
    base = m.group(2)
    name = "X" if base in ("x", "input") or base.startswith("a") else base[0] if base[0] in "Kbu" else "delta"
    return _DERIV.get(name, name) if m.group(1) else name


class _Resolver:
    def __init__(self, layer: int, symbols: Mapping[str, str], zero_based: bool | None = None):
        self.layer, self.symbols, self.zero_based = layer, dict(symbols), zero_based

    def meaning(self, text: str, pos) -> str | None:
        if text in self.symbols:
            return _meaning_of(self.symbols[text], self.layer, pos)
        if text in _DEFAULT:
            return _DEFAULT[text]
        if len(text) > 1 and text.startswith("d") and text[1:] in _DEFAULT and text[1:] not in ("out",):
            inner = _DEFAULT[text[1:]]
            return _DERIV.get(inner)
        return None

    def __call__(self, node: CNode) -> CNode:
        pos = node.span[0] if node.span else None
        if isinstance(node, CSym):
            found = self.meaning(node.text, pos)
            if found is None:
                raise ReadFailure(f"The symbol {node.text} has no meaning in a formula about conv2d layer "
                                  f"{self.layer}; add it to the claim's symbols, e.g. symbols = {{ {node.text} = "
                                  f"\"delta{self.layer}\" }} if it is ∂L/∂u{self.layer}", pos)
            return CArr(found, span=node.span)
        if isinstance(node, CDeriv):
            of = node.of
            if not (isinstance(of, CSym) and (of.text in _LOSS or of.text == "\\mathcal")):
                raise ReadFailure("Only derivatives of the loss are read here (∂L/∂X, ∂L/∂K, ∂L/∂b, ∂L/∂Y)", pos)
            wrt = self(node.wrt)
            if isinstance(wrt, CIdx) and isinstance(wrt.base, CArr) and wrt.base.name in _DERIV:
                return replace(wrt, base=CArr(_DERIV[wrt.base.name], span=wrt.base.span), span=node.span)
            if not isinstance(wrt, CArr) or wrt.name not in _DERIV:
                raise ReadFailure("A derivative is taken with respect to the input, the kernel, the bias or the "
                                  "output (∂L/∂X, ∂L/∂K, ∂L/∂b, ∂L/∂Y)", pos)
            return CArr(_DERIV[wrt.name], span=node.span)
        if isinstance(node, CIdx):
            base = node.zero_based if self.zero_based is None else self.zero_based
            return replace(node, base=self(node.base), zero_based=base)
        if isinstance(node, (COp, CBin)):
            return replace(node, left=self(node.left), right=self(node.right))
        if isinstance(node, (CFn, CNeg)):
            return replace(node, arg=self(node.arg))
        if isinstance(node, CSum):
            return replace(node, body=self(node.body))
        return node


def _kernel(node: CNode) -> bool:
    """Whether ``node`` is a kernel: K (or the map K_{o,c}), possibly under rot180s."""
    while isinstance(node, CFn) and node.name == "rot":
        node = node.arg
    return (isinstance(node, CArr) and node.name == "K") or \
        (isinstance(node, CIdx) and isinstance(node.base, CArr) and node.base.name == "K" and len(node.indices) <= 2)


def _kernel_slides(node: CNode, convention: str, source: str) -> CNode:
    """``node`` with the kernel operand of every ∗ / ⋆ second, the window that slides (module contract)."""
    node = crebuild(node, lambda child: _kernel_slides(child, convention, source))
    if not isinstance(node, COp):
        return node
    first, second = _kernel(node.left), _kernel(node.right)
    if first and second and (node.kind == "corr" or convention == "sliding"):
        a, b = (source[n.span[0]:n.span[1]].strip() if n.span else "the kernel" for n in (node.left, node.right))
        raise ReadFailure(f"Both operands of this sliding product are kernels, so which one slides is ambiguous ({b} "
                          f"sliding over {a} as written, or {a} sliding over {b}; the two differ); write one operand "
                          f"that is not the kernel, e.g. \\delta \\ast_{{full}} rot180(K)", node.span[0] if node.span else None)
    return replace(node, left=node.right, right=node.left) if first and not second else node


def resolve_conv(formula: ConvFormula, network, symbols: Mapping[str, str] | None) -> ConvFormula:
    """Every name of ``formula`` given its meaning for the list's conv2d layer (module contract)."""
    spec = conv_layer(network)
    symbols = dict(symbols or {})
    convention = "sliding"
    for key in ("*", "\\ast"):
        if key in symbols:
            convention = symbols.pop(key).strip().lower()
            if convention not in CONVENTIONS:
                raise DerivcheckError(f"symbols gives {key} the meaning {convention!r}; use \"sliding\" (∗ is the "
                                      f"sliding product, as in deep-learning code; the default) or \"flipped\" (∗ is "
                                      f"the mathematical convolution, the kernel flipped).")
    base = symbols.pop("indices", None)
    if base is not None and base.strip().lower() not in ("0-based", "1-based"):
        raise DerivcheckError(f"symbols gives indices the meaning {base!r}; use \"0-based\" (NumPy's, the default for "
                              f"brackets x[c,i,j]) or \"1-based\" (the default for subscripts x_{{c,i,j}}).")
    resolver = _Resolver(spec.index, symbols, None if base is None else base.strip().lower() == "0-based")
    with located_failures(formula.source):
        sides = tuple(_kernel_slides(resolver(s), convention, formula.source) for s in formula.sides)
    return ConvFormula(sides, formula.source, spec.index, convention)
