r"""The minimal repair of a wrong formula about a layer of a ``[[layer]]`` list, and the verifier that searches for it.

Contract
--------
:func:`repair_layer_formula` ``(network, latex, symbols, step=None)`` tries the edits of
:data:`LAYER_EDITS` on the author's text of the right-hand side(s) — every single edit first, then,
only if none works, pairs of edits on separate parts — and returns a
:class:`symbolic.formulas.repair.RepairSearch` whose repairs are each *proved* right by
:func:`symbolic.formulas.layer_verify.prove_layer` (the surd identity over the layer's symbols).
Edits keep the author's notation (they change the text at the columns of one part):

* ``transpose`` (rnn formulas only) — a transpose taken away, or ``^T`` added after one symbol;
* ``term`` — one summand dropped (``- \hat{x}_i \sum_j …`` gone), or its sign turned round;
* ``factor`` — one factor of a product dropped, or γ, N, 1/N, 2 or ½ put in front of the right side
  or of one summand;
* ``power`` — an exponent ½ / −½ / −3/2 / −1 / 1 changed to another of them;
* ``epsilon`` — ``+ \epsilon`` added after a σ² that has none (ε dropped), or a ``+ \epsilon`` dropped
  (covered by ``term``);
* ``count`` — N (or m) replaced by N − 1, or N − 1 by N;
* ``index`` — an index of one symbol replaced by another index of the formula (``h_{t}`` for ``h_{t-1}``);
* ``hat`` — x replaced by x̂ or x̂ by x.

The search is bounded like issue 15's (:data:`symbolic.formulas.repair.MAX_TRIES` candidates,
:data:`symbolic.formulas.repair.MAX_SECONDS` of CPU time) and says when it gave up.
:func:`verify_layer_with_repair` is :func:`~symbolic.formulas.layer_verify.verify_layer_formula` (a list with
an rnn layer: :func:`~symbolic.formulas.recurrent_verify.verify_recurrent_formula`) followed by the search
for a ``WRONG`` or ``shape error`` verdict; a list with a conv2d layer: :func:`~symbolic.formulas.conv_verify.
verify_conv_formula` (its own proved diagnoses, no repair search) — with a normalization layer too, a formula
that does not read as the conv layer's is read as the normalization layer's (the conv sentence when neither reads).
"""
from __future__ import annotations

import re
import time
from dataclasses import replace
from fractions import Fraction
from typing import Callable, Iterator, Mapping

from ..spec.errors import DerivcheckError
from ..spec.layered_network import LayeredNetwork
from .layer_eval import LayerShapeError
from .layer_nodes import PRODUCTS, Bin, LNode, Name, Power, Sub, Sum, Transpose, lwalk
from .layer_reading import read_layer_formula
from .layer_verify import prove_layer, read_resolved, symbolic_model, verify_layer_formula
from .conv_verify import verify_conv_formula
from .recurrent_verify import prove_recurrent, read_recurrent, symbolic_rnn, verify_recurrent_formula
from .repair import MAX_SECONDS, MAX_TRIES, Repair, search_edits
from .repair_edits import Edit, _edit, apply_edits
from .verify import FormulaVerdict

__all__ = ["LAYER_EDITS", "repair_layer_formula", "verify_layer_with_repair"]

LAYER_EDITS = ("transpose", "term", "factor", "power", "epsilon", "count", "index", "hat")
_FACTORS = (("\\gamma ", "γ"), ("N ", "N"), ("\\frac{1}{N} ", "1/N"), ("2 ", "2"), ("\\frac{1}{2} ", "½"))
_POWERS = (Fraction(1, 2), Fraction(-1, 2), Fraction(-3, 2), Fraction(-1), Fraction(1))


def _is_var(n: LNode) -> bool:
    return isinstance(n, Power) and n.exponent == 2 and isinstance(n.base, (Name, Sub)) and \
        "sigma" in (n.base.text if isinstance(n.base, Name) else getattr(n.base.base, "text", ""))


def _letters(side: LNode) -> list[str]:
    out: list[str] = []
    for n in lwalk(side):
        if isinstance(n, Sub):
            out.extend(i for i in n.indices if isinstance(i, str) and i not in out)
        if isinstance(n, Sum) and n.var and n.var not in out:
            out.append(n.var)
    return out


def _summands(node: LNode) -> list[LNode]:
    if isinstance(node, Bin) and node.op in "+-":
        return _summands(node.left) + [node.right]
    return [node]


def _edits(source: str, side: LNode, recurrent: bool = False) -> Iterator[Edit]:
    """The single edits of one right side (module contract), in the table's order."""
    nodes = [n for n in lwalk(side) if n.span]
    if recurrent:  # transpose: one taken away, or one added after a symbol
        for n in nodes:
            if isinstance(n, Transpose) and n.arg.span:
                yield _edit("transpose", source, n.arg.span[1], n.span[1], "",
                            f"{_short(source, n.arg)} replaces {_short(source, n)}")
            elif isinstance(n, (Name, Sub)) and not (isinstance(n, Name) and n.text in ("d", "L")):
                yield _edit("transpose", source, n.span[1], n.span[1], "^T", f"{_short(source, n)}^T replaces "
                            f"{_short(source, n)}")
    for n in nodes:  # term: drop a summand, or turn its sign round
        if isinstance(n, Bin) and n.op in "+-" and n.left.span and n.right.span:
            yield _edit("term", source, n.left.span[1], n.right.span[1], "",
                        f"the term {n.op} {_short(source, n.right)} is dropped")
            op_at = source.find(n.op, n.left.span[1], n.right.span[0])
            if op_at >= 0:
                flip = "-" if n.op == "+" else "+"
                yield _edit("term", source, op_at, op_at + 1, flip,
                            f"{flip} {_short(source, n.right)} replaces {n.op} {_short(source, n.right)}")
    for n in nodes:  # factor: drop one factor of a product
        if isinstance(n, Bin) and n.op in PRODUCTS and n.left.span and n.right.span:
            yield _edit("factor", source, n.left.span[0], n.right.span[0], "",
                        f"the factor {_short(source, n.left)} is dropped")
            yield _edit("factor", source, n.left.span[1], n.right.span[1], "",
                        f"the factor {_short(source, n.right)} is dropped")
    starts = [side] + [t for t in _summands(side) if t is not side]
    for target in starts:  # factor: put γ, N, 1/N, 2, ½ in front
        if target.span:
            for text, shown in _FACTORS:
                where = "the right side" if target is side else _short(source, target)
                yield _edit("factor", source, target.span[0], target.span[0], text,
                            f"{shown} is put in front of {where}")
    for n in nodes:  # power
        if isinstance(n, Power) and n.caret is not None and n.exponent != 2:
            for e in _POWERS:
                if e != n.exponent:
                    yield _edit("power", source, n.caret, n.span[1], f"^{{{_frac(e)}}}",
                                f"the exponent {_frac(e)} replaces {_frac(n.exponent)}")
    for n in nodes:  # epsilon
        if _is_var(n) and "epsilon" not in source[n.span[1]:n.span[1] + 16]:
            at = _inner_end(source, n)
            yield _edit("epsilon", source, at, at, " + \\epsilon",
                        f"+ \\epsilon is added after {_short(source, n)}")
    for n in nodes:  # count
        if isinstance(n, Name) and n.text in ("N", "m"):
            yield _edit("count", source, n.span[0], n.span[1], f"({n.text} - 1)",
                        f"({n.text} - 1) replaces {n.text}")
        if isinstance(n, Bin) and n.op == "-" and isinstance(n.left, Name) and n.left.text in ("N", "m") and \
                source[n.right.span[0]:n.right.span[1]].strip() == "1":
            yield _edit("count", source, n.span[0], n.span[1], n.left.text, f"{n.left.text} replaces "
                        f"{_short(source, n)}")
    letters = _letters(side)
    for n in nodes:  # index
        if isinstance(n, Sub) and n.indices and n.base.span:
            sub = source[n.base.span[1]:n.span[1]]
            for old in {i for i in n.indices if isinstance(i, str)}:
                shifted = [old[0], f"{old[0]}-1", f"{old[0]}+1"] if recurrent else []
                for new in dict.fromkeys(letters + shifted):
                    if new != old:
                        joined = ("," if "," in sub else "").join(new if i == old else str(i) for i in n.indices)
                        text = "_{" + joined + "}"
                        yield _edit("index", source, n.base.span[1], n.span[1], text,
                                    f"{_short(source, n.base)}{text.strip()} replaces {_short(source, n)}")
    for n in nodes:  # hat
        if isinstance(n, Name) and n.text == "x":
            yield _edit("hat", source, n.span[0], n.span[1], "\\hat{x}", "\\hat{x} replaces x")
        if isinstance(n, Name) and n.text == "\\hat{x}":
            yield _edit("hat", source, n.span[0], n.span[1], "x", f"x replaces {_short(source, n)}")


_CLOSER = re.compile(r"(?:\\right\s*|\\[bB]igg?r?\s*)?[\)\]]\s*$")


def _inner_end(source: str, n: LNode) -> int:
    """Where a node's own text ends: before the closing bracket when the node was written in brackets."""
    text = source[n.span[0]:n.span[1]]
    m = _CLOSER.search(text) if text[:1] in "([" or text.startswith(("\\left", "\\big", "\\Big")) else None
    return n.span[0] + m.start() if m else n.span[1]


def _frac(e: Fraction) -> str:
    return str(e.numerator) if e.denominator == 1 else f"{e.numerator}/{e.denominator}"


def _short(source: str, n: LNode) -> str:
    text = re.sub(r"\s+", " ", source[n.span[0]:n.span[1]]).strip()
    return text if len(text) <= 48 else text[:47] + "…"


def recurrent(network: LayeredNetwork) -> bool:
    """Whether the list's formulas are about its rnn layer (else about its normalization layer)."""
    return any(s.kind == "rnn" for s in network.specs)


def _prover(network: LayeredNetwork, latex: str, symbols: Mapping[str, str] | None) -> Callable[[str], bool]:
    """text → proved right, with the symbolic model built once for every candidate."""
    if recurrent(network):
        rf = read_recurrent(network, latex, symbols)
        rnn = symbolic_rnn(network, rf.layer)
        return lambda text: prove_recurrent(read_recurrent(network, text, symbols), rnn) is None
    base = read_resolved(network, latex, symbols)
    samples = len(network.x)
    model = symbolic_model(base.spec, samples)
    return lambda text: prove_layer(read_resolved(network, text, symbols), samples, model) is None


def repair_layer_formula(network: LayeredNetwork, latex: str, symbols: Mapping[str, str] | None = None,
                         step: int | None = None, max_tries: int | None = None, max_seconds: float | None = None):
    """The proved repairs of ``latex`` (module contract)."""
    max_tries = MAX_TRIES if max_tries is None else max_tries
    max_seconds = MAX_SECONDS if max_seconds is None else max_seconds
    start = time.process_time()
    formula = read_layer_formula(latex)
    proves = _prover(network, latex, symbols)
    sides = formula.sides[1:] if step is None else formula.sides[step:step + 1]
    singles = [e for side in sides for e in _edits(formula.source, side, recurrent(network))]

    def attempt(edits: tuple[Edit, ...]):
        text = apply_edits(formula.source, edits)
        try:
            return Repair(text.strip(), edits) if proves(text) else None
        except (DerivcheckError, LayerShapeError):
            return None

    return search_edits(singles, attempt, max_tries, max_seconds, start)


def verify_layer_with_repair(network: LayeredNetwork, latex: str, symbols: Mapping[str, str] | None = None,
                             max_tries: int | None = None, max_seconds: float | None = None) -> FormulaVerdict:
    """:func:`verify_layer_formula`, and for a WRONG or shape-error verdict the repair search."""
    kinds = {s.kind for s in network.specs}
    if "conv2d" in kinds:  # conv formulas carry their own proved diagnoses
        if not kinds & {"batchnorm", "layernorm"}:
            return verify_conv_formula(network, latex, symbols)
        try:  # a list with both: a formula that does not read as the conv layer's may be the normalization's
            return verify_conv_formula(network, latex, symbols)
        except DerivcheckError as conv_error:
            try:
                return _normalization_or_rnn(network, latex, symbols, max_tries, max_seconds)
            except DerivcheckError:
                raise conv_error from None
    return _normalization_or_rnn(network, latex, symbols, max_tries, max_seconds)


def _normalization_or_rnn(network: LayeredNetwork, latex: str, symbols: Mapping[str, str] | None,
                          max_tries: int | None, max_seconds: float | None) -> FormulaVerdict:
    verdict = (verify_recurrent_formula if recurrent(network) else verify_layer_formula)(network, latex, symbols)
    if verdict.verdict not in ("WRONG", "shape error"):
        return verdict
    search = repair_layer_formula(network, latex, symbols, verdict.step, max_tries, max_seconds)
    return replace(verdict, repairs=search.repairs, repair_note=search.sentence(),
                   message=f"{verdict.message} {search.sentence()}")

