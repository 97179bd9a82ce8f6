r"""What a BPTT formula about an ``rnn`` layer says, and its value over a :class:`RecurrentModel`.

Contract
--------
:func:`resolve_recurrent` ``(formula, network, symbols) -> RecurrentFormula`` gives every name of a
formula read by :mod:`symbolic.formulas.layer_reading` its meaning, and
:meth:`RecurrentFormula.cases` ``(model)`` yields ``(binding, left, [right_1, …])`` as matrices
(lists of rows) for every value of a free step letter (t = 1..T).

Letters (defaults; the claim's ``symbols`` win, with canonical values ``Wx1``, ``Wh1``, ``b1``,
``Wy1``, ``by1``, ``h1``, ``u1``, ``yhat1``, ``x``, ``y``, ``L``, ``delta1`` and ``dL/d…`` of one):
``W_{hh}``/``W_h`` the recurrent weights, ``W_{xh}``/``W_{hx}``/``W_x`` the input weights,
``W_{hy}``/``W_{yh}``/``W_{qh}``/``W_y`` the output weights, ``b``/``b_h`` and ``b_y``/``b_q`` the
biases; ``h_t``, ``x_t``, ``y_t`` (the target), ``\hat{y}_t``/``o_t``, ``u_t``/``z_t`` (the
pre-activation), ``\delta_t`` = ∂L/∂u_t; ``L``, ``E``, ``J``, ``\ell``, ``\mathcal{L}`` the sample's loss
(summed over the steps). A step is a number, ``T``, or a letter with an offset (``h_{t-1}``,
``\delta_{t+1}``); δ_{T+1} and ∂L/∂h_{T+1} are 0 (the usual convention), h_0 is the initial state.

Operations: juxtaposition and ``\cdot`` are a scalar multiple or the matrix product, ``\odot``
elementwise, ``\times``/``*`` a scalar multiple, elementwise for equal shapes, else the matrix
product; ``+ -`` with a scalar broadcast (``1 - h_t^2``); ``^2`` of a column is elementwise (the
tutorials' h_t²); ``^T`` transposes; ``\sum_{t=1}^{T}`` / ``\sum_t`` sums over the steps. Shapes that
do not fit are :class:`~symbolic.formulas.layer_eval.LayerShapeError` (``shape error``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator, Mapping

from ..spec.errors import DerivcheckError
from .layer_eval import LayerShapeError
from .layer_nodes import Bin, Deriv, LNode, Name, Neg, Num, Power, Sub, Sum, Transpose
from .layer_reading import LayerFormula
from .layer_symbols import _key
from .raw import ReadFailure
from .recurrent_model import PARAMETERS, RecurrentModel

__all__ = ["RQ", "RecurrentFormula", "resolve_recurrent", "RECURRENT_LETTERS"]

RECURRENT_LETTERS = {
    "Whh": "Wh", "Wh": "Wh", "Wxh": "Wx", "Whx": "Wx", "Wx": "Wx", "Why": "Wy", "Wyh": "Wy", "Wqh": "Wy",
    "Wy": "Wy", "b": "b", "bh": "b", "by": "by", "bq": "by", "h": "h", "x": "x", "y": "y", "\\haty": "yhat",
    "o": "yhat", "u": "u", "z": "u", "\\delta": "delta", "L": "L", "E": "L", "J": "L", "\\ell": "L", "loss": "L",
}
_VALUE = re.compile(r"(?P<d>dL/d)?(?:(?P<p>Wx|Wh|Wy|by|b|h|u|yhat|delta)(?P<l>\d+)|(?P<x>x|y|L))")


@dataclass(frozen=True)
class RQ(LNode):
    """A quantity of the rnn: ``name`` (a parameter, node or L), ``deriv`` ∂L/∂ it, ``step`` (letter, offset) or int."""

    name: str
    deriv: bool = False
    step: tuple[str, int] | int | None = None


def _step(text: str | int, pos: int | None) -> tuple[str, int] | int:
    if isinstance(text, int):
        return text
    m = re.fullmatch(r"([A-Za-z])([+-]\d+)?", text)
    if m is None:
        raise ReadFailure(f"The step {text} is not a step (write t, t-1, t+1, T or a number)", pos)
    if m.group(1) == "T":
        return ("T", int(m.group(2) or 0))
    return (m.group(1), int(m.group(2) or 0))


class _Resolver:
    def __init__(self, layer: int, symbols: Mapping[str, str]):
        self.layer = layer
        self.symbols = {_key(k): v.replace(" ", "") for k, v in symbols.items()}

    def meaning(self, key: str, pos: int | None) -> tuple[str, bool] | None:
        if key in self.symbols:
            m = _VALUE.fullmatch(self.symbols[key])
            if m is None or (m.group("l") and int(m.group("l")) != self.layer):
                raise ReadFailure(f"symbols gives {key} the meaning {self.symbols[key]!r}, which is not a quantity "
                                  f"of rnn layer {self.layer} (Wx{self.layer}, Wh{self.layer}, b{self.layer}, "
                                  f"Wy{self.layer}, by{self.layer}, h{self.layer}, u{self.layer}, yhat{self.layer}, "
                                  f"delta{self.layer}, x, y, L or dL/d… of one)", pos)
            name = m.group("p") or m.group("x")
            return ("u", True) if name == "delta" else (name, bool(m.group("d")))
        if key in RECURRENT_LETTERS:
            name = RECURRENT_LETTERS[key]
            return ("u", True) if name == "delta" else (name, False)
        if key.startswith("d") and len(key) > 1:
            inner = self.meaning(key[1:], pos)
            if inner is not None and not inner[1]:
                return inner[0], True
        return None

    def __call__(self, node: LNode) -> LNode:
        pos = node.span[0] if node.span else None
        if isinstance(node, Name):
            found = self.meaning(_key(node.text), pos)
            if found is None:
                raise ReadFailure(f"The symbol {node.text} has no meaning in a formula about rnn layer {self.layer}; "
                                  f"add it to the claim's symbols, e.g. symbols = {{ {node.text} = \"Wh{self.layer}\" "
                                  f"}} if it is the recurrent weight matrix", pos)
            return RQ(found[0], found[1], span=node.span)
        if isinstance(node, Sub):
            whole = self.meaning(_key(node.base.text if isinstance(node.base, Name) else "") +
                                 "".join(map(str, node.indices)), pos) if isinstance(node.base, Name) else None
            if whole is not None and whole[0] in PARAMETERS:
                return RQ(whole[0], whole[1], span=node.span)
            base = self(node.base)
            if not isinstance(base, RQ) or base.name in PARAMETERS + ("L",) or len(node.indices) != 1:
                raise ReadFailure("A subscript here must be one step (h_t, x_{t-1}, \\delta_{t+1})", pos)
            return RQ(base.name, base.deriv, _step(node.indices[0], pos), span=node.span)
        if isinstance(node, Deriv):
            of, wrt = self(node.of), self(node.wrt)
            if not (isinstance(of, RQ) and of.name == "L" and not of.deriv):
                raise ReadFailure("Only derivatives of the loss are read here (∂L/∂W_{hh}, ∂L/∂h_t, …)", pos)
            if not isinstance(wrt, RQ) or wrt.deriv or wrt.name in ("L", "x", "y"):
                raise ReadFailure("A derivative must be taken with respect to a weight, a bias or a node "
                                  "(h_t, u_t, \\hat{y}_t)", pos)
            return RQ(wrt.name, True, wrt.step, span=node.span)
        if isinstance(node, Bin):
            return Bin(node.op, self(node.left), self(node.right), span=node.span)
        if isinstance(node, (Neg, Transpose)):
            return type(node)(self(node.arg), span=node.span)
        if isinstance(node, Power):
            return Power(self(node.base), node.exponent, node.caret, span=node.span)
        if isinstance(node, Sum):
            return Sum(node.var, node.lo, node.hi, self(node.body), span=node.span)
        if isinstance(node, Num):
            return node
        raise ReadFailure("This construct is not read in a formula about an rnn layer (no square roots)", pos)


Mat = list  # a matrix: a list of rows


@dataclass(frozen=True)
class RecurrentFormula:
    """The resolved sides of a formula about rnn layer ``layer``."""

    sides: tuple[LNode, ...]
    layer: int
    source: str

    def free(self) -> list[str]:
        """The free step letters of the left side (a right side's own free step is a shape error)."""
        left = _free_steps(self.sides[0])
        for side in self.sides[1:]:
            extra = [v for v in _free_steps(side) if v not in left]
            if extra:
                raise LayerShapeError(f"The step {extra[0]} is free on the right-hand side only: a sum over "
                                      f"{extra[0]} missing?")
        return left

    def cases(self, model: RecurrentModel) -> Iterator[tuple[dict, Mat, list[Mat]]]:
        free = self.free()
        if len(free) > 1:
            raise LayerShapeError(f"The formula has two free steps ({', '.join(free)}); use one letter.")
        values = [{}] if not free else [{free[0]: t} for t in range(1, model.T + 1)]
        ev = _Evaluator(model)
        for env in values:
            left = ev(self.sides[0], env)
            rights = [ev(side, env) for side in self.sides[1:]]
            for k, right in enumerate(rights, 1):
                if _shape(right) != _shape(left):
                    which = "the right side" if len(rights) == 1 else f"right-hand side {k}"
                    raise LayerShapeError(f"The left side is {_fmt(_shape(left))} but {which} is "
                                          f"{_fmt(_shape(right))}.")
            yield env, left, rights


def _free_steps(node: LNode) -> list[str]:
    out: list[str] = []
    stack = [(node, frozenset())]
    while stack:
        n, bound = stack.pop()
        if isinstance(n, Sum):
            stack.append((n.body, bound | {n.var}))
            continue
        if isinstance(n, RQ) and isinstance(n.step, tuple) and n.step[0] != "T" and n.step[0] not in bound \
                and n.step[0] not in out:
            out.append(n.step[0])
        kids = (n.left, n.right) if isinstance(n, Bin) else (n.arg,) if isinstance(n, (Neg, Transpose)) else \
            (n.base,) if isinstance(n, Power) else ()
        stack.extend((c, bound) for c in kids)
    return out


def _shape(m: Mat) -> tuple[int, int]:
    return (len(m), len(m[0]))


def _fmt(shape: tuple[int, int]) -> str:
    return "a scalar" if shape == (1, 1) else f"{shape[0]}×{shape[1]}"


class _Evaluator:
    def __init__(self, model: RecurrentModel):
        self.m, self.ar = model, model.ar

    def __call__(self, node: LNode, env: dict) -> Mat:
        ar, m = self.ar, self.m
        if isinstance(node, Num):
            return [[ar.const(node.value)]]
        if isinstance(node, RQ):
            return self._quantity(node, env)
        if isinstance(node, Neg):
            return self._map(self(node.arg, env), lambda x: ar.mul((ar.const(Fraction(-1)), x)))
        if isinstance(node, Transpose):
            a = self(node.arg, env)
            return [list(col) for col in zip(*a)]
        if isinstance(node, Power):
            a = self(node.base, env)
            e = node.exponent
            if e.denominator != 1 or e < 0 or (_shape(a) != (1, 1) and a and len(a[0]) != 1):
                raise LayerShapeError(f"The power {e} of {_fmt(_shape(a))} is not read here (a column's ^2 is "
                                      f"elementwise).")
            return self._map(a, lambda x: ar.mul([x] * int(e)) if e else ar.const(Fraction(1)))
        if isinstance(node, Sum):
            if node.var is None:
                raise LayerShapeError("A \\sum without its step letter is not read here; write \\sum_{t=1}^{T}.")
            lo = node.lo if node.lo is not None else 1
            hi = node.hi if isinstance(node.hi, int) else m.T
            terms = [self(node.body, env | {node.var: t}) for t in range(lo, hi + 1)]
            total = terms[0]
            for t in terms[1:]:
                total = self._zip(total, t, "+")
            return total
        if isinstance(node, Bin):
            a, b = self(node.left, env), self(node.right, env)
            if node.op in ("+", "-"):
                return self._zip(a, b, node.op)
            if node.op == "/":
                if _shape(b) != (1, 1):
                    raise LayerShapeError("A division by a matrix is not read here.")
                return self._map(a, lambda x: ar.mul((x, ar.inv(b[0][0]))))
            return self._product(a, b, node.op)
        raise LayerShapeError("A part of the formula could not be evaluated.")  # pragma: no cover

    def _quantity(self, q: RQ, env: dict) -> Mat:
        m = self.m
        if q.name in PARAMETERS or q.name == "L":
            if q.step is not None:
                raise LayerShapeError(f"{q.name} takes no step.")
            return m.derivative(q.name) if q.deriv else m.value(q.name)
        if q.step is None:
            raise LayerShapeError(f"The node {q.name} needs its step (h_t, u_{{t-1}}, …).")
        if isinstance(q.step, int):
            t = q.step
        else:
            letter, offset = q.step
            t = (m.T if letter == "T" else env[letter]) + offset
        lo, hi = m.steps_of(q.name)
        if q.deriv and t == m.T + 1:
            rows, cols = m.shape(q.name)
            return [[m.zero] * cols for _ in range(rows)]
        if not lo <= t <= hi:
            raise LayerShapeError(f"The step {t} of {q.name} is outside the steps {lo} to {hi} of the rnn.")
        return m.derivative(q.name, t) if q.deriv else m.value(q.name, t)

    def _map(self, a: Mat, fn) -> Mat:
        return [[fn(x) for x in row] for row in a]

    def _zip(self, a: Mat, b: Mat, op: str) -> Mat:
        ar = self.ar
        sa, sb = _shape(a), _shape(b)
        if sa != sb and (1, 1) not in (sa, sb):
            raise LayerShapeError(f"{_fmt(sa)} {op} {_fmt(sb)}: the shapes do not fit.")
        shape = sb if sa == (1, 1) else sa
        pick = lambda m, i, j: m[0][0] if _shape(m) == (1, 1) else m[i][j]  # noqa: E731
        sign = ar.const(Fraction(-1 if op == "-" else 1))
        return [[ar.add((pick(a, i, j), ar.mul((sign, pick(b, i, j))))) for j in range(shape[1])]
                for i in range(shape[0])]

    def _product(self, a: Mat, b: Mat, op: str) -> Mat:
        ar = self.ar
        sa, sb = _shape(a), _shape(b)
        if sa == (1, 1) or sb == (1, 1):
            s, mat = (a[0][0], b) if sa == (1, 1) else (b[0][0], a)
            return self._map(mat, lambda x: ar.mul((s, x)))
        if op == "⊙" or (op == "×" and sa == sb):
            if sa != sb:
                raise LayerShapeError(f"⊙ of {_fmt(sa)} and {_fmt(sb)}: the shapes differ.")
            return [[ar.mul((x, y)) for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]
        if sa[1] != sb[0]:
            hint = " (⊙ or a transpose missing?)" if sa == sb else ""
            raise LayerShapeError(f"The product of {_fmt(sa)} and {_fmt(sb)} does not fit{hint}.")
        return [[ar.add([ar.mul((a[i][k], b[k][j])) for k in range(sa[1])]) for j in range(sb[1])]
                for i in range(sa[0])]


def resolve_recurrent(formula: LayerFormula, network, symbols: Mapping[str, str] | None) -> RecurrentFormula:
    """The resolved formula about the list's rnn layer (module contract)."""
    rnns = [s for s in network.specs if s.kind == "rnn"]
    if len(rnns) != 1 or rnns[0].index != network.depth:
        raise DerivcheckError("Formula claims about an rnn are read when the list's last layer is its only rnn "
                              "layer (the loss right after it); claim the numbers instead.")
    layer = rnns[0].index
    resolver = _Resolver(layer, dict(symbols or {}))
    return RecurrentFormula(tuple(resolver(side) for side in formula.sides), layer, formula.source)
