r"""What the letters of a formula about a normalization layer mean: roles of one layer of a ``[[layer]]`` list.

Contract
--------
:func:`resolve_layer_formula` ``(formula, network, symbols) -> Resolved`` finds the normalization
layer the formula is about and replaces every name by a
:class:`~symbolic.formulas.layer_nodes.Quantity`:

* **defaults** (the batch-norm paper's, CS231n's and Kratzert's letters): ``x`` the layer's input,
  ``y`` and ``out`` its output γx̂ + β, ``\hat{x}``/``xhat`` x̂, ``\mu``/``mu`` the mean, ``\sigma^2``/
  ``var`` the variance, ``std``/``sqrtvar`` √(σ² + ε), ``ivar`` 1/√(σ² + ε), ``xmu`` x − μ,
  ``\gamma``, ``\beta``, ``\epsilon``/``\varepsilon``/``eps`` the layer's ε, ``N``/``m`` the count
  it normalizes over (batch norm: the batch size; layer norm: the features), ``L``/``\ell``/``J``/
  ``E``/``\mathcal{L}``/``loss`` the loss; ``\mu_B``, ``\sigma_B^2`` with the paper's batch mark;
* ``d`` + a name (``dx``, ``dout``, ``dgamma``, ``d\hat{x}``) is ∂L/∂ that name; ``\frac{\partial
  L}{\partial V}`` likewise (only derivatives of the loss are read);
* the claim's ``symbols`` (author's symbol → canonical name) win over the defaults: ``a1`` /
  ``a2`` (the layer's input and output; ``x`` for layer 1's input), ``xhat2``, ``mu2``, ``var2``,
  ``std2``, ``gamma2``, ``beta2``, ``eps2``, ``N``, ``L``, and ``dL/d…`` of any of them;
* **indices**: on x, y, x̂ (and their derivatives) one index runs along the normalized vector
  (batch norm: the samples; layer norm: the features), two are (sample, feature); on μ, σ² one
  index is the other axis (batch norm: the feature; layer norm: the sample); on γ, β the feature.

The layer: the one the ``symbols`` values name, else the network's only normalization layer; a
layer in inference mode, a vacuous layer (a batch of 2 / two features with ε = 0) and a formula
about anything else of a layer list are refused, each with one sentence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from ..spec.errors import DerivcheckError
from ..spec.layered_network import LayeredNetwork, LayerSpec, near
from .layer_nodes import Bin, Deriv, LNode, Name, Neg, Power, Quantity, Sqrt, Sub, Sum
from .layer_reading import LayerFormula
from .raw import ReadFailure

__all__ = ["Resolved", "resolve_layer_formula", "ENTRY_ROLES", "STAT_ROLES", "PARAM_ROLES", "role_axes",
           "normal_axis", "DEFAULT_LETTERS"]

ENTRY_ROLES = ("input", "output", "xhat", "xmu")
STAT_ROLES = ("mu", "var", "std", "istd")
PARAM_ROLES = ("gamma", "beta")
SCALAR_ROLES = ("eps", "count", "loss")

DEFAULT_LETTERS = {
    "x": "input", "y": "output", "out": "output", "\\hatx": "xhat", "xhat": "xhat", "\\mu": "mu", "mu": "mu",
    "\\muB": "mu", "var": "var", "std": "std", "sqrtvar": "std", "ivar": "istd", "xmu": "xmu",
    "\\gamma": "gamma", "gamma": "gamma", "\\beta": "beta", "beta": "beta", "\\epsilon": "eps",
    "\\varepsilon": "eps", "eps": "eps", "N": "count", "m": "count", "L": "loss", "\\ell": "loss", "J": "loss",
    "E": "loss", "loss": "loss",
}
_CANONICAL = re.compile(r"(?P<d>dL/d)?(?:(?P<role>a|xhat|mu|var|std|gamma|beta|eps)(?P<layer>\d+)|(?P<x>x)|"
                        r"(?P<n>N)|(?P<L>L))")
_ROLE_OF = {"xhat": "xhat", "mu": "mu", "var": "var", "std": "std", "gamma": "gamma", "beta": "beta", "eps": "eps"}


def _key(text: str) -> str:
    """A symbol as a lookup key: spaces, braces, ``_`` and font commands dropped (``\\hat{x}`` → ``\\hatx``)."""
    text = re.sub(r"\\(?:mathbf|boldsymbol|bm|mathit|mathrm|text|operatorname|mathcal)\s*", "", text)
    return re.sub(r"[\s{}_]", "", text)


def normal_axis(spec: LayerSpec) -> str:
    """The axis the layer normalizes along: the samples for batch norm, the features for layer norm."""
    return "s" if spec.kind == "batchnorm" else "f"


def role_axes(role: str, spec: LayerSpec) -> tuple[str, ...]:
    """The axes of a role's array: (sample, feature) entries, statistics, parameters or a scalar."""
    if role in ENTRY_ROLES:
        return ("s", "f")
    if role in STAT_ROLES:
        return ("f",) if spec.kind == "batchnorm" else ("s",)
    if role in PARAM_ROLES:
        return ("f",)
    return ()


@dataclass(frozen=True)
class Resolved:
    """The formula's sides with every name a :class:`Quantity`, and the layer they are about."""

    sides: tuple[LNode, ...]
    spec: LayerSpec
    source: str


def _norm_layers(network: LayeredNetwork) -> list[LayerSpec]:
    return [s for s in network.specs if s.kind in ("batchnorm", "layernorm")]


def _candidates(value: str, network: LayeredNetwork) -> set[int] | None:
    m = _CANONICAL.fullmatch(value.replace(" ", ""))
    if m is None:
        return None
    if m.group("x"):
        return {1}
    if m.group("n") or m.group("L"):
        return set(range(1, network.depth + 1))
    k = int(m.group("layer"))
    return {k, k + 1} if m.group("role") == "a" else {k}


def _choose_layer(network: LayeredNetwork, symbols: Mapping[str, str]) -> LayerSpec:
    norms = _norm_layers(network)
    if not norms:
        raise DerivcheckError("Formula claims on a [[layer]] list are read as formulas of its batchnorm or layernorm "
                              "layer, and this list has none; claim the numbers instead.")
    layers = {s.index for s in norms}
    for key, value in symbols.items():
        cands = _candidates(value, network)
        if cands is None:
            raise DerivcheckError(
                f"symbols gives {key!r} the meaning {value!r}, which is not a name of a normalization layer's "
                f"formula; use a{{l-1}} (its input), a{{l}} (its output), xhat{{l}}, mu{{l}}, var{{l}}, std{{l}}, "
                f"gamma{{l}}, beta{{l}}, eps{{l}}, N, L or dL/d… of one{near(value, _examples(norms[0]))}.")
        layers &= cands
    if not layers:
        raise DerivcheckError(f"The symbols ({', '.join(f'{k} = {v}' for k, v in symbols.items())}) do not all "
                              f"name one normalization layer of this list (its normalization layers: "
                              f"{', '.join(str(s.index) for s in norms)}).")
    if len(layers) > 1:
        first = norms[0].index
        raise DerivcheckError(f"This list has normalization layers {', '.join(map(str, sorted(layers)))}; say which "
                              f"layer the formula is about, e.g. symbols = {{ '\\gamma' = \"gamma{first}\" }}.")
    spec = network.specs[layers.pop() - 1]
    if spec.kind == "batchnorm" and spec.mode != "train":
        raise DerivcheckError(f"Formula claims about batchnorm layer {spec.index} in inference mode are not read "
                              f"(its x̂ uses the running statistics); claim the numbers instead.")
    count = len(network.x) if spec.kind == "batchnorm" else spec.units
    if count == 2 and spec.eps == 0:
        what = "a batch of 2" if spec.kind == "batchnorm" else "2 features"
        raise DerivcheckError(f"A formula about {spec.kind} layer {spec.index} holds trivially here: with {what} and "
                              f"eps = 0 it makes x̂ = ±1 whatever its input, so every derivative through it is 0 and a "
                              f"wrong formula that also vanishes would pass; choose eps > 0 or "
                              f"{'a batch' if spec.kind == 'batchnorm' else 'a layer'} of ≥ 3.")
    return spec


def _examples(spec: LayerSpec) -> list[str]:
    l = spec.index
    return [f"a{l - 1}" if l > 1 else "x", f"a{l}", f"xhat{l}", f"mu{l}", f"var{l}", f"std{l}", f"gamma{l}",
            f"beta{l}", f"eps{l}", "N", "L"]


class _Resolver:
    def __init__(self, spec: LayerSpec, symbols: Mapping[str, str], source: str):
        self.spec, self.source = spec, source
        self.symbols = {_key(k): v.replace(" ", "") for k, v in symbols.items()}

    def role_of(self, value: str) -> tuple[str, bool]:
        m = _CANONICAL.fullmatch(value)
        deriv = bool(m.group("d"))
        if m.group("x"):
            return "input", deriv
        if m.group("n"):
            return "count", deriv
        if m.group("L"):
            return "loss", deriv
        role, k = m.group("role"), int(m.group("layer"))
        if role == "a":
            return ("output" if k == self.spec.index else "input"), deriv
        return _ROLE_OF[role], deriv

    def lookup(self, text: str, pos: int | None) -> Quantity | None:
        key = _key(text)
        if key in self.symbols:
            role, deriv = self.role_of(self.symbols[key])
            return Quantity(role, deriv)
        if key in DEFAULT_LETTERS:
            return Quantity(DEFAULT_LETTERS[key])
        return None

    def name(self, node: Name) -> Quantity:
        pos = node.span[0] if node.span else None
        found = self.lookup(node.text, pos)
        if found is None and node.text.startswith("d") and len(node.text) > 1:
            inner = self.lookup(node.text[1:], pos)
            if inner is not None and not inner.deriv:
                found = Quantity(inner.role, True)
        if found is None:
            if _key(node.text) == "\\sigma":
                raise ReadFailure("\\sigma alone is not read: write \\sigma^2 for the variance, or give its meaning "
                                  "in symbols (e.g. { '\\sigma' = \"std2\" } for √(σ² + ε))", pos)
            l = self.spec.index
            raise ReadFailure(f"The symbol {node.text} has no meaning in a formula about {self.spec.kind} layer {l}; "
                              f"add it to the claim's symbols, e.g. symbols = {{ {_toml_key(node.text)} = "
                              f"\"a{l - 1 if l > 1 else ''}\" }} if it is the layer's input"
                              f"{near(_key(node.text), DEFAULT_LETTERS)}", pos)
        return found

    def __call__(self, node: LNode) -> LNode:
        pos = node.span[0] if node.span else None
        if isinstance(node, Name):
            return self.name(node)
        if isinstance(node, Power) and node.exponent == 2 and _is_sigma(node.base) and \
                self.lookup(_text(node.base), pos) is None:
            indices = node.base.indices if isinstance(node.base, Sub) else ()
            return self._indexed(Quantity("var", span=node.span), indices, pos)
        if isinstance(node, Sub):
            if node.batch:
                whole = self.lookup(_text(node), pos)
                if whole is not None:
                    return Quantity(whole.role, whole.deriv, span=node.span)
                inner = self(node.base)
                if not (isinstance(inner, Quantity) and inner.role in ("mu", "var")):
                    raise ReadFailure("The batch mark _B belongs on μ and σ² only", pos)
                return inner
            return self._indexed(self(node.base), node.indices, pos)
        if isinstance(node, Deriv):
            of, wrt = self(node.of), self(node.wrt)
            if not (isinstance(of, Quantity) and of.role == "loss" and not of.deriv):
                raise ReadFailure("Only derivatives of the loss are read here (∂L/∂x_i, ∂L/∂γ, …)", pos)
            if not isinstance(wrt, Quantity) or wrt.deriv or wrt.role in SCALAR_ROLES:
                raise ReadFailure("A derivative must be taken with respect to a quantity of the layer "
                                  "(x, y, x̂, μ, σ², γ, β)", pos)
            return Quantity(wrt.role, True, wrt.axes, span=node.span)
        if isinstance(node, Bin) and node.op == "*" and isinstance(node.left, Name) and node.left.text == "d" \
                and "d" not in self.symbols:
            inner = self(node.right)
            if isinstance(inner, Quantity) and not inner.deriv and inner.role not in SCALAR_ROLES:
                return Quantity(inner.role, True, inner.axes, span=node.span)
        if isinstance(node, Bin):
            return Bin(node.op, self(node.left), self(node.right), span=node.span)
        if isinstance(node, Neg):
            return Neg(self(node.arg), span=node.span)
        if isinstance(node, Power):
            return Power(self(node.base), node.exponent, span=node.span)
        if isinstance(node, Sqrt):
            return Sqrt(self(node.arg), span=node.span)
        if isinstance(node, Sum):
            return Sum(node.var, node.lo, node.hi, self(node.body), span=node.span)
        return node

    def _indexed(self, q: LNode, indices: tuple, pos: int | None) -> Quantity:
        if not isinstance(q, Quantity):
            raise ReadFailure("A subscript must follow a symbol", pos)
        if q.axes:
            raise ReadFailure("A second subscript on the same symbol", pos)
        if not indices:
            return q
        if any(isinstance(i, str) and len(i) > 1 for i in indices):
            raise ReadFailure("An index with an offset (such as t-1) has no meaning in a formula about a "
                              "normalization layer", pos)
        axes = role_axes(q.role, self.spec)
        if len(indices) == 2 and axes == ("s", "f"):
            return Quantity(q.role, q.deriv, (("s", indices[0]), ("f", indices[1])), span=q.span)
        if len(indices) == 1 and axes:
            axis = normal_axis(self.spec) if len(axes) == 2 else axes[0]
            return Quantity(q.role, q.deriv, ((axis, indices[0]),), span=q.span)
        what = {2: "two indices (sample, feature)", 1: "one index"}.get(len(axes), "no index")
        raise ReadFailure(f"This symbol takes {what} in a formula about {self.spec.kind} layer {self.spec.index}",
                          pos)


def _is_sigma(node: LNode) -> bool:
    base = node.base if isinstance(node, Sub) else node
    return isinstance(base, Name) and _key(base.text) == "\\sigma"


def _text(node: LNode) -> str:
    if isinstance(node, Name):
        return node.text
    if isinstance(node, Sub):
        return _text(node.base) + "_" + ("B" if node.batch else "".join(map(str, node.indices)))
    return ""


def _toml_key(text: str) -> str:
    return f"'{text}'" if "\\" in text or not text.isalnum() else text


def resolve_layer_formula(formula: LayerFormula, network: LayeredNetwork,
                          symbols: Mapping[str, str] | None) -> Resolved:
    """The resolved sides and the layer (module contract); refusals are :class:`ReadFailure` / errors."""
    symbols = dict(symbols or {})
    spec = _choose_layer(network, symbols)
    resolver = _Resolver(spec, symbols, formula.source)
    return Resolved(tuple(resolver(side) for side in formula.sides), spec, formula.source)

