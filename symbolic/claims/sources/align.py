"""Substitution: which printed number stands in the place of which name, between two sides of a chain.

Contract
--------
:func:`align` ``(pattern, numbers) -> [(name node, printed number)] | None`` walks a side
with names (``w_1 * i_1 + b_1 * 1``) and a side with numbers (``0.15 * 0.05 + 0.35 * 1``)
together: where the pattern has a name and the other side a number (maybe negated), the
pair is returned; number-only subtrees must be equal in value (``\\frac{1}{2}`` and
``0.5``); ``sigmoid(x)`` also matches its written-out form ``\\frac{1}{1 + e^{-x}}``, and
``a + b`` matches ``a - 0.019`` (b put in as a negative number). Any other difference in
shape gives None: the numbers are not in the names' places.
"""
from __future__ import annotations

from ...formulas.arithmetic import Apply, Call, Deriv, Node, Num, Op, Ref, Unbound, evaluate, names_of
from ...truth.balls import Unevaluable, workprec
from .values import PRECISIONS, same_value

__all__ = ["align"]


def _sigmoid(arg: Node) -> Node:
    return Op("/", (Num("1"), Op("+", (Num("1"), Call("exp", Op("neg", (arg,)))))))


def _constant(node: Node):
    try:
        with workprec(PRECISIONS[0]):
            return evaluate(node)
    except (Unbound, Unevaluable, ArithmeticError):
        return None


def align(pattern: Node, numbers: Node) -> list[tuple[Node, str]] | None:
    """(name, printed number) pairs where ``numbers`` has a number in the place of a name of ``pattern``."""
    if isinstance(pattern, (Ref, Deriv, Apply)):
        if isinstance(numbers, Num):
            return [(pattern, numbers.text)]
        if isinstance(numbers, Op) and numbers.kind == "neg" and isinstance(numbers.args[0], Num):
            return [(pattern, "-" + numbers.args[0].text)]
        return None
    if not names_of(pattern):
        a, b = _constant(pattern), _constant(numbers)
        return [] if a is not None and b is not None and same_value(a, b) else None
    if isinstance(pattern, Call) and pattern.fn == "logistic" and not (isinstance(numbers, Call)
                                                                       and numbers.fn == "logistic"):
        return align(_sigmoid(pattern.arg), numbers)
    if isinstance(pattern, Op) and isinstance(numbers, Op) and pattern.kind == "+" and numbers.kind == "-":
        return align(pattern, Op("+", (numbers.args[0], Op("neg", (numbers.args[1],)))))
    if isinstance(pattern, Op) and isinstance(numbers, Op) and pattern.kind == numbers.kind \
            and len(pattern.args) == len(numbers.args):
        out: list[tuple[Node, str]] = []
        for a, b in zip(pattern.args, numbers.args):
            sub = align(a, b)
            if sub is None:
                return None
            out += sub
        return out
    if type(pattern) is type(numbers) and hasattr(pattern, "arg") and getattr(pattern, "fn", None) == \
            getattr(numbers, "fn", None):
        return align(pattern.arg, numbers.arg)
    return None


