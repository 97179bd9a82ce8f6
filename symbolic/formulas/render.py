"""Printing formula nodes: :func:`to_latex` (the tutorials' notation) and :func:`to_text` (Unicode).

Contract
--------
* :func:`to_latex` prints a node as the tutorials write it
  (``\\left(W^{(2)}\\right)^T \\delta^{(2)} \\odot f'\\left(u^{(1)}\\right)``); the
  text reads back through :func:`symbolic.formulas.parser.parse_formula` to the
  same meaning (tested).
* :func:`to_text` prints it compactly in Unicode (``(W2)ᵀ δ2 ⊙ f'(u1)``), for
  messages and the command line.
* Both are one ``singledispatch`` function with one rule per node type, and
  both parenthesize by the one precedence table :func:`_prec` (``+ −`` loosest,
  then unary minus and Σ, then the products ⊙ ⊘ · and juxtaposition, which
  associate to the left and are parenthesized when ⊙ mixes with a matrix
  product, then postfix ᵀ, subscripts and powers, then atoms).
* A node type without a rule is a ``TypeError`` (a programming error, not input).
"""
from __future__ import annotations

from functools import singledispatch
from typing import Sequence

from ..spec.rules import ACTIVATIONS
from .nodes import (Add, Apply, Binary, Const, Deriv, Diag, Dot, Div, EDiv, Entry, Hadamard, Index, Juxt, Layer, Star,
                    LayerRef, MatMul, MatrixLit, Neg, Node, Norm, Pow, Sub, SumAll, SumIdx, Transpose, Var)

__all__ = ["to_latex", "to_text"]

# The one precedence table: parentheses in both printers follow these levels.
_ADD, _NEG, _MUL, _POST, _ATOM = 1, 2, 3, 4, 5


def _prec(node: Node) -> int:
    if isinstance(node, (Add, Sub)):
        return _ADD
    if isinstance(node, Neg):
        return _NEG
    if isinstance(node, SumIdx):
        return _NEG
    if isinstance(node, (MatMul, Juxt, Dot, Hadamard, EDiv, Star, SumAll)):
        return _MUL
    if isinstance(node, (Transpose, Entry, Pow)):
        return _POST
    if isinstance(node, Const) and (node.value < 0 or node.value.denominator != 1):
        return _MUL
    return _ATOM


def _layer_latex(layer: Layer) -> str:
    if isinstance(layer, LayerRef):
        return f"^{{({layer})}}"
    return f"^{{({layer})}}" if layer is not None else ""


def _index_latex(indices: Sequence[Index]) -> str:
    items = [str(i) for i in indices]
    sep = "" if all(len(s) == 1 for s in items) else ","
    return "_{" + sep.join(items) + "}"


_VAR_LETTER = {"W": "W", "b": "b", "u": "u", "a": "a", "x": "x", "y": "y", "delta": "\\delta", "L": "L"}


@singledispatch
def to_latex(node: Node) -> str:
    """LaTeX for a node (dispatch on its type), in the tutorials' notation."""
    raise TypeError(f"no LaTeX rule for {type(node).__name__}")


def _wrap(child: Node, minimum: int) -> str:
    text = to_latex(child)
    return f"\\left({text}\\right)" if _prec(child) < minimum else text


@to_latex.register
def _(node: Var) -> str:
    if node.kind == "a" and node.layer == 0:
        return "x"
    return _VAR_LETTER[node.kind] + _layer_latex(node.layer)


@to_latex.register
def _(node: Const) -> str:
    v = node.value
    if v.denominator == 1:
        return str(v.numerator)
    sign = "-" if v < 0 else ""
    return f"{sign}\\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"


@to_latex.register
def _(node: Entry) -> str:
    base = node.base
    if isinstance(base, Var) and base.kind != "L":
        letter = "w" if base.kind == "W" else _VAR_LETTER[base.kind]
        if base.kind == "a" and base.layer == 0:
            return "x" + _index_latex(node.indices)
        return letter + _index_latex(node.indices) + _layer_latex(base.layer)
    if isinstance(base, Var):
        return "L" + _index_latex(node.indices)
    return f"\\left({to_latex(base)}\\right)" + _index_latex(node.indices)


@to_latex.register
def _(node: Transpose) -> str:
    arg = node.arg
    if isinstance(arg, Var) and (arg.layer is None or (arg.kind == "a" and arg.layer == 0)):
        return to_latex(arg) + "^T"
    return f"\\left({to_latex(arg)}\\right)^T"


def _product(node: Binary, op: str) -> str:
    # left-associative chain: a right operand of the same level needs parentheses; mixing ⊙ with
    # matrix products is always parenthesized, for the reader's sake.
    def side(child: Node, right: bool) -> str:
        same = _prec(child) == _MUL
        mixed = same and (isinstance(child, (Hadamard, EDiv)) != isinstance(node, (Hadamard, EDiv)))
        if _prec(child) < _MUL or (same and right) or mixed:
            return f"\\left({to_latex(child)}\\right)"
        return to_latex(child)

    return f"{side(node.left, False)}{op}{side(node.right, True)}"


@to_latex.register
def _(node: MatMul) -> str:
    return _product(node, " ")


@to_latex.register
def _(node: Juxt) -> str:
    return _product(node, " ")


@to_latex.register
def _(node: Dot) -> str:
    return _product(node, " \\cdot ")


@to_latex.register
def _(node: Star) -> str:
    return _product(node, " * ")


@to_latex.register
def _(node: Hadamard) -> str:
    return _product(node, " \\odot ")


@to_latex.register
def _(node: EDiv) -> str:
    return _product(node, " \\oslash ")


@to_latex.register
def _(node: Add) -> str:
    return f"{to_latex(node.left)} + {_wrap(node.right, _NEG)}"


@to_latex.register
def _(node: Sub) -> str:
    return f"{to_latex(node.left)} - {_wrap(node.right, _MUL)}"


@to_latex.register
def _(node: Neg) -> str:
    return f"-{_wrap(node.arg, _MUL)}"


@to_latex.register
def _(node: Div) -> str:
    return f"\\frac{{{to_latex(node.left)}}}{{{to_latex(node.right)}}}"


@to_latex.register
def _(node: Pow) -> str:
    return f"{_wrap(node.base, _ATOM)}^{{{node.exponent}}}"


_FN_LATEX = {"f": "f", "exp": "\\exp", "log": "\\log",
             **{name: rule.latex for name, rule in ACTIVATIONS.items()}}  # the activations' names: the rule table


@to_latex.register
def _(node: Apply) -> str:
    name = _FN_LATEX[node.fn] + ("'" if node.prime else "")
    if node.fn == "f" and node.layer is not None:
        name = "f" + _layer_latex(node.layer) + ("'" if node.prime else "")
    return f"{name}\\left({to_latex(node.arg)}\\right)"


@to_latex.register
def _(node: Diag) -> str:
    return f"\\operatorname{{diag}}\\left({to_latex(node.arg)}\\right)"


@to_latex.register
def _(node: SumAll) -> str:
    return f"\\sum_{{k}} {to_latex(Entry(node.arg, ('k',)))}"


@to_latex.register
def _(node: SumIdx) -> str:
    bounds = f"_{{{node.var}={node.lo}}}^{{{node.hi}}}" if node.lo is not None else f"_{{{node.var}}}"
    return f"\\sum{bounds} {_wrap(node.body, _MUL)}"


def _deriv_target(node: Node) -> str:
    return to_latex(node)


@to_latex.register
def _(node: Deriv) -> str:
    of = to_latex(node.of)
    if node.nabla:
        return f"\\nabla_{{{_deriv_target(node.wrt)}}} {_wrap(node.of, _ATOM)}"
    simple = isinstance(node.of, (Var, Entry))
    return (f"\\frac{{\\partial {of}}}{{\\partial {_deriv_target(node.wrt)}}}" if simple else
            f"\\frac{{\\partial \\left({of}\\right)}}{{\\partial {_deriv_target(node.wrt)}}}")


@to_latex.register
def _(node: MatrixLit) -> str:
    rows = " \\\\ ".join(" & ".join(to_latex(c) for c in row) for row in node.rows)
    return f"\\begin{{bmatrix}} {rows} \\end{{bmatrix}}"


@to_latex.register
def _(node: Norm) -> str:
    return f"\\left\\|{to_latex(node.arg)}\\right\\|"


# ------------------------------------------------------------------------------------- unicode text
_SUP = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")


def _layer_text(layer: Layer) -> str:
    return "" if layer is None else str(layer)


@singledispatch
def to_text(node: Node) -> str:
    """A compact Unicode rendering (``δ1 = (W2)ᵀ δ2 ⊙ f'(u1)``)."""
    raise TypeError(f"no text rule for {type(node).__name__}")


def _twrap(child: Node, minimum: int) -> str:
    text = to_text(child)
    return f"({text})" if _prec(child) < minimum else text


@to_text.register
def _(node: Var) -> str:
    if node.kind == "a" and node.layer == 0:
        return "x"
    return {"delta": "δ"}.get(node.kind, node.kind) + _layer_text(node.layer)


@to_text.register
def _(node: Const) -> str:
    return str(node.value)


@to_text.register
def _(node: Entry) -> str:
    return f"{_twrap(node.base, _ATOM)}[{','.join(map(str, node.indices))}]"


@to_text.register
def _(node: Transpose) -> str:
    arg = node.arg
    inner = to_text(arg) if isinstance(arg, Var) and arg.layer in (None, 0) else f"({to_text(arg)})"
    return inner + "ᵀ"


def _tproduct(node: Binary, op: str) -> str:
    def side(child: Node, right: bool) -> str:
        same = _prec(child) == _MUL
        mixed = same and (isinstance(child, (Hadamard, EDiv)) != isinstance(node, (Hadamard, EDiv)))
        return f"({to_text(child)})" if _prec(child) < _MUL or (same and right) or mixed else to_text(child)

    return f"{side(node.left, False)}{op}{side(node.right, True)}"


to_text.register(MatMul, lambda n: _tproduct(n, " "))
to_text.register(Juxt, lambda n: _tproduct(n, " "))
to_text.register(Dot, lambda n: _tproduct(n, " · "))
to_text.register(Hadamard, lambda n: _tproduct(n, " ⊙ "))
to_text.register(Star, lambda n: _tproduct(n, " * "))
to_text.register(EDiv, lambda n: _tproduct(n, " ⊘ "))
to_text.register(Add, lambda n: f"{to_text(n.left)} + {_twrap(n.right, _NEG)}")
to_text.register(Sub, lambda n: f"{to_text(n.left)} − {_twrap(n.right, _MUL)}")
to_text.register(Neg, lambda n: f"−{_twrap(n.arg, _MUL)}")
to_text.register(Div, lambda n: f"{_twrap(n.left, _POST)}/{_twrap(n.right, _ATOM)}")
to_text.register(Pow, lambda n: f"{_twrap(n.base, _ATOM)}{str(n.exponent).translate(_SUP)}")
to_text.register(Diag, lambda n: f"diag({to_text(n.arg)})")
to_text.register(SumAll, lambda n: f"Σₖ {_twrap(n.arg, _ATOM)}[k]")
to_text.register(Norm, lambda n: f"‖{to_text(n.arg)}‖")
to_text.register(MatrixLit, lambda n: "[" + "; ".join(", ".join(to_text(c) for c in r) for r in n.rows) + "]")

_FN_TEXT = {"f": "f", "exp": "exp", "log": "log", **{name: rule.text for name, rule in ACTIVATIONS.items()}}


@to_text.register
def _(node: Apply) -> str:
    name = _FN_TEXT[node.fn] + (_layer_text(node.layer) if node.fn == "f" else "") + ("'" if node.prime else "")
    return f"{name}({to_text(node.arg)})"


@to_text.register
def _(node: SumIdx) -> str:
    bounds = f"{node.var}={node.lo}..{node.hi}" if node.lo is not None else node.var
    return f"Σ[{bounds}] {_twrap(node.body, _MUL)}"


@to_text.register
def _(node: Deriv) -> str:
    if node.nabla:
        return f"∇{to_text(node.wrt)} {_twrap(node.of, _ATOM)}"
    return f"∂{_twrap(node.of, _POST)}/∂{_twrap(node.wrt, _POST)}"
