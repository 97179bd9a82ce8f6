"""Canonical names: parsing, validation against a network, SymPy symbols and LaTeX.

Contract
--------
A canonical name is one of (indices 1-based):

* parameters ``W{l}[i,j]``, ``b{l}[i]`` (per-neuron) or ``b{l}`` (shared);
* nodes ``u{l}[i]`` (pre-activation), ``a{l}[i]`` (activation; ``a0[i]`` is
  the input ``x[i]``), data ``x[i]`` and ``y[k]``;
* the loss ``L`` and its per-output terms ``L[k]``; with a ``[regularization]`` penalty, ``L`` is
  ``L_data + penalty`` and both terms have those names;
* optimizer state per parameter, ``word(parameter)``: ``m(W1[1,1])``, ``v(b2)``, ``velocity(b1[2])``,
  ``m_hat(…)``, and ``step(…)`` (the change Δθ an update made); the word is checked against the
  network's optimizer (:func:`symbolic.spec.optimizers.state_word`), the parameter as above.
* in a ``[[layer]]`` list (:mod:`symbolic.spec.layers`, which checks them): normalization
  parameters ``gamma{l}[i]``, ``beta{l}[i]`` and nodes ``xhat{l}[i]``, ``mu{l}[i]``, ``var{l}[i]``.

:func:`parse_name` turns text into a :class:`Name` (kind, layer, indices)
without ever evaluating it; :meth:`Name.check` validates it against a network
and raises a one-sentence :class:`DerivcheckError` otherwise.
:func:`symbol_for` makes the SymPy symbol of a parameter or data entry: its
``name`` is an identifier we build (``W2_1_1``), never user text, and
:func:`latex_name` renders it as ``W^{(2)}_{11}``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from .errors import DerivcheckError, brief, shorten
from .optimizers import OPTIMIZERS, state_word

__all__ = ["Name", "parse_name", "symbol_for", "latex_name", "canonical_of_symbol", "LAYER_PARAMETER_WORDS",
           "LAYER_NODE_WORDS"]

# Name words of the layer kinds beyond dense (docs/layers.md and the kinds' pages): one tuple entry per word.
LAYER_PARAMETER_WORDS: tuple[str, ...] = ("gamma", "beta", "K",  # K: conv kernels (docs/convolution.md)
                                          "Wx", "Wh", "Wy", "by", "Wxg", "Wxi", "Wxf", "Wxo", "Whg", "Whi", "Whf", "Who",
                                          "bg", "bi", "bf", "bo")  # rnn, lstm (docs/recurrent.md)
LAYER_NODE_WORDS: tuple[str, ...] = ("xhat", "mu", "var",
                                     "h", "z", "yhat", "ug", "ui", "uf", "uo", "g", "i", "f", "o", "c")  # rnn, lstm
_WORDS = sorted(LAYER_PARAMETER_WORDS + LAYER_NODE_WORDS, key=lambda w: (-len(w), w))
_NAME = re.compile(rf"^(?P<kind>{'|'.join(_WORDS)}|[Wbuaxy]|L)(?P<layer>\d*)(?:_t(?P<step>\d+))?"
                   r"(?:\[(?P<idx>\d+(?:,\s*\d+){0,3})\])?$")
_STATE = re.compile(r"^(?P<word>[A-Za-z][A-Za-z_]{0,19})\(\s*(?P<inner>[^()]*?)\s*\)$")
LOSS_TERMS = ("L_data", "penalty")  # the data term and the regularization penalty of L


@dataclass(frozen=True)
class Name:
    """A parsed canonical name."""

    kind: str  # "W", "b", "u", "a", "x", "y", "L", "L_data", "penalty", an optimizer state word; layer lists
    # add "gamma", "beta", "xhat", "mu", "var"
    layer: int | None
    indices: tuple[int, ...]
    of: str = ""  # for optimizer state: the parameter's kind ("W" or "b"); layer and indices are its own
    step: int | None = None  # the time step of a recurrent layer's node (h1_t2[3]); None elsewhere

    def __str__(self) -> str:
        layer = "" if self.layer is None else str(self.layer)
        idx = f"[{','.join(map(str, self.indices))}]" if self.indices else ""
        if self.step is not None:
            layer += f"_t{self.step}"
        if self.of:
            return f"{self.kind}({self.of}{layer}{idx})"
        return f"{self.kind}{layer}{idx}"

    @property
    def is_state(self) -> bool:
        """Optimizer state (or the step) of a parameter."""
        return bool(self.of)

    @property
    def parameter(self) -> "Name":
        """The parameter an optimizer-state name refers to."""
        return Name(self.of, self.layer, self.indices)

    @property
    def is_parameter(self) -> bool:
        return self.kind in ("W", "b") + LAYER_PARAMETER_WORDS

    def check(self, network) -> "Name":
        """Raise unless this name exists in ``network``; returns a normalized name (a0[i] → x[i])."""
        if self.of:
            optimizer = getattr(network, "optimizer", None)
            rule = optimizer.rule if optimizer is not None else OPTIMIZERS["sgd"]
            parameter = self.parameter.check(network)
            return Name(state_word(self.kind, rule), parameter.layer, parameter.indices, parameter.kind)
        if self.kind in LOSS_TERMS:
            return self
        if hasattr(network, "check_name"):  # a [[layer]] list (symbolic.spec.layers) knows its own names
            return network.check_name(self)
        layers, depth = network.layers, network.depth
        text = str(self)

        def fail(why: str):
            raise DerivcheckError(f"{text!r} {why}")

        if self.step is not None:
            fail("has a time step, but only recurrent layers have steps (a [[layer]] list; see docs/layers.md).")

        def index_ok(i: int, n: int, what: str):
            if not 1 <= i <= n:
                fail(f"refers to {what} {i}, but there are only {n} (indices start at 1).")

        k = self.kind
        if k in ("W", "b", "u", "a"):
            if self.layer is None:
                fail("needs a layer number, like W2[1,1] or a1[2].")
            lo = 0 if k == "a" else 1
            if not lo <= self.layer <= depth:
                fail(f"names layer {self.layer}, but the network's layers run from {lo} to {depth}.")
        if k == "W":
            if len(self.indices) != 2:
                fail("needs two indices [row, column], like W2[1,2].")
            index_ok(self.indices[0], layers[self.layer], f"row (neuron of layer {self.layer})")
            index_ok(self.indices[1], layers[self.layer - 1], f"column (neuron of layer {self.layer - 1})")
        elif k == "b":
            mode = network.bias[self.layer - 1]
            if mode == "none":
                fail(f"is a bias, but layer {self.layer} has no bias (bias mode 'none').")
            if mode == "shared":
                if self.indices:
                    fail(f"has an index, but layer {self.layer} has one shared bias; write b{self.layer}.")
            elif len(self.indices) != 1:
                fail(f"needs one index, like b{self.layer}[1]: layer {self.layer} has a bias per neuron.")
            else:
                index_ok(self.indices[0], layers[self.layer], "neuron")
        elif k in ("u", "a", "x", "y"):
            if len(self.indices) != 1:
                fail("needs exactly one index, like u1[2].")
            if k in ("x", "y") and self.layer is not None:
                fail(f"should be written {k}[{self.indices[0]}] (no layer number).")
            n = {"x": layers[0], "y": layers[-1]}.get(k) or layers[self.layer]
            index_ok(self.indices[0], n, "neuron")
            if k == "a" and self.layer == 0:
                return Name("x", None, self.indices)
        elif k not in ("L",):
            fail("names a normalization quantity, but this network has no batchnorm or layernorm layer "
                 "(they exist in a [[layer]] list; see docs/layers.md).")
        elif k == "L":
            if self.layer is not None or len(self.indices) > 1:
                fail("is not a loss name; write L for the loss or L[k] for output k's term.")
            if self.indices:
                index_ok(self.indices[0], layers[-1], "output")
        return self


def parse_name(text: str) -> Name:
    """Parse a canonical name; anything else is a one-sentence error."""
    if not isinstance(text, str):
        raise DerivcheckError(f"{brief(text)} is not a name; names are text such as W2[1,1] or a1[2].")
    state = _STATE.match(text.strip())
    if state:
        inner = parse_name(state["inner"])
        if not inner.is_parameter:
            raise DerivcheckError(f"{shorten(text.strip())!r} names the state of {str(inner)!r}, which is not a parameter; "
                                  f"optimizer state belongs to a weight or bias, e.g. m(W1[1,1]).")
        return Name(state["word"], inner.layer, inner.indices, inner.kind)
    if text.strip() in LOSS_TERMS:
        return Name(text.strip(), None, ())
    m = _NAME.match(text.strip())
    if not m or (m["kind"] == "L" and m["layer"]):
        shown = shorten(text)
        raise DerivcheckError(
            f"{shown!r} is not a canonical name; use W2[1,1], b1 or b1[2], u1[1], a2[1], x[1], y[1], L or L[1], L_data, "
            f"penalty, or optimizer state such as m(W1[1,1]) "
            f"(map tutorial names to these in [aliases]).")
    numbers = [m["layer"], m["step"] or ""] + (m["idx"] or "").split(",")
    if any(len(i.strip()) > 6 for i in numbers):
        raise DerivcheckError(f"{brief(text.strip())} has a layer or index number of more than 6 digits; "
                              f"no network derivcheck handles is that large.")
    layer = int(m["layer"]) if m["layer"] else None
    idx = tuple(int(i) for i in m["idx"].split(",")) if m["idx"] else ()
    return Name(m["kind"], layer, idx, step=int(m["step"]) if m["step"] else None)


def _ident(name: Name) -> str:
    parts = [name.kind + ("" if name.layer is None else str(name.layer))] + [str(i) for i in name.indices]
    return "_".join(parts)


def symbol_for(name: Name) -> sp.Symbol:
    """The real SymPy symbol of a parameter or data entry (identifier-safe name we build)."""
    return sp.Symbol(_ident(name), real=True)


def canonical_of_symbol(symbol: sp.Symbol) -> str:
    """Inverse of :func:`symbol_for` for the symbols we make (``W2_1_1`` → ``W2[1,1]``)."""
    head, *idx = symbol.name.split("_")
    return head + (f"[{','.join(idx)}]" if idx else "")


def latex_name(name: Name) -> str:
    """``W2[1,1]`` → ``W^{(2)}_{11}``, ``b1`` → ``b^{(1)}``, ``x[2]`` → ``x_{2}``, ``L[1]`` → ``L_{1}``."""
    sep = "," if any(i > 9 for i in name.indices) else ""
    sub = f"_{{{sep.join(map(str, name.indices))}}}" if name.indices else ""
    sup = f"^{{({name.layer})}}" if name.layer is not None else ""
    return f"{name.kind}{sup}{sub}"
