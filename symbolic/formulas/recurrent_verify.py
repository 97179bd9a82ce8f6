r"""Verify a BPTT formula about the ``rnn`` layer of a ``[[layer]]`` list: ``ok``, ``WRONG`` or ``shape error``.

Contract
--------
:func:`verify_recurrent_formula` ``(network, latex, symbols=None) -> FormulaVerdict``. The formula is
read by :mod:`.layer_reading`, resolved and evaluated by :mod:`.recurrent_formula` over a
:class:`~symbolic.formulas.recurrent_model.RecurrentModel` of one sample (L is that sample's loss,
summed over the steps) in two domains:

* **proof**: the weights, biases, inputs, targets, initial state and every hidden state h_t are
  symbols of a field of rational functions over Q (:mod:`.ratfun`); f'(u_t) is the activation's
  derivative written in h_t (tanh: 1 − h_t²). ``ok`` means every entry of left − right is exactly 0
  there, for every step: since the identity holds with the h_t free, it holds for the actual ones —
  for every parameter and data value;
* **counterexample**: otherwise both sides are evaluated at the network's own parameters and each of
  its samples, then at rational test points, with exact rationals and certified balls (tanh); ``WRONG``
  is said only with a difference certified nonzero there (the point, the step, the entry, both values).

A WRONG or shape-error formula gets the repair search of :mod:`.layer_repair` (its edits proved by
this module's proof).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Mapping

from flint import fmpq

from ..spec.errors import DerivcheckError
from ..spec.layer_rules import Arithmetic
from ..spec.rules import ACTIVATIONS
from ..truth.balls import Undecided, Unevaluable, add, exact, mul, workprec
from ..truth.layered import DOMAIN
from .claim_loop import certified_nonzero, counterexample, settle, shown
from .layer_eval import LayerShapeError
from .layer_reading import read_layer_formula
from .ratfun import RationalFunctions
from .recurrent_formula import RQ, RecurrentFormula, resolve_recurrent
from .recurrent_model import RecurrentModel
from .syntax import located_failures
from .verify import FormulaVerdict

__all__ = ["verify_recurrent_formula", "read_recurrent", "prove_recurrent", "recurrent_label"]


def read_recurrent(network, latex: str, symbols: Mapping[str, str] | None) -> RecurrentFormula:
    formula = read_layer_formula(latex)
    with located_failures(formula.source):
        return resolve_recurrent(formula, network, symbols)


def recurrent_label(rf: RecurrentFormula) -> str:
    lhs = rf.sides[0]
    if not isinstance(lhs, RQ):
        return "formula"
    name = lhs.name if lhs.name in ("x", "y", "L") else f"{lhs.name}{rf.layer}"
    step = "" if lhs.step is None else f"_t{lhs.step}" if isinstance(lhs.step, int) else \
        f"_{lhs.step[0]}{lhs.step[1]:+d}".replace("+0", "") if lhs.step[1] else f"_{lhs.step[0]}"
    return ("dL/d" if lhs.deriv else "") + name + step


def _field_arithmetic(K: RationalFunctions) -> Arithmetic:
    def total(xs):
        xs = list(xs)
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out

    def product(xs):
        out = K.one
        for x in xs:
            out = out * x
        return out

    return Arithmetic(add=total, mul=product, inv=lambda x: x.inverse(), sqrt=lambda x: _no_sqrt(),
                      const=K.const)


def _no_sqrt():
    raise DerivcheckError("A square root is not read in a formula about an rnn.")


def symbolic_rnn(network, layer: int) -> RecurrentModel:
    spec = network.specs[layer - 1]
    r = spec.extra
    params = [k for k in network.parameter_values() if k.startswith(tuple(f"{p}{layer}[" for p in
                                                                             ("Wx", "Wh", "b", "Wy", "by")))]
    T, n, H = r.steps, r.inputs, r.hidden
    ylen = (r.outputs or H) * len(r.emitted)
    names = [f"p{k}" for k in range(len(params))] + [f"x{k}" for k in range(T * n)] + \
        [f"y{k}" for k in range(ylen)] + [f"h0_{i}" for i in range(H)] + \
        [f"H{t}_{i}" for t in range(1, T + 1) for i in range(H)]
    K = RationalFunctions(names)
    g = K.gens()
    values = dict(zip(params, g[:len(params)]))
    k = len(params)
    x, y, h0 = g[k:k + T * n], g[k + T * n:k + T * n + ylen], g[k + T * n + ylen:k + T * n + ylen + H]
    atoms = g[k + T * n + ylen + H:]
    return RecurrentModel(spec, network.loss, _field_arithmetic(K), values, x, y, h0,
                          atoms=lambda t, i: atoms[(t - 1) * H + (i - 1)])


def _cases(rf: RecurrentFormula, model: RecurrentModel):
    with located_failures(rf.source):
        try:
            for env, left, rights in rf.cases(model):
                for k, right in enumerate(rights, 1):
                    for i, row in enumerate(left):
                        for j, lv in enumerate(row):
                            yield env, k, (i, j), lv, right[i][j]
        except ZeroDivisionError:
            raise DerivcheckError("The formula divides by zero.") from None


def prove_recurrent(rf: RecurrentFormula, model: RecurrentModel) -> tuple | None:
    """None when every entry of every step is proved equal; else the first entry not proved."""
    for env, k, pos, lv, rv in _cases(rf, model):
        if not (lv - rv).is_zero():
            return env, k, pos
    return None


def _concrete(network, layer: int, values: dict, x, y, h0) -> RecurrentModel:
    return RecurrentModel(network.specs[layer - 1], network.loss, DOMAIN, values, x, y, h0)


def _points(network, layer: int):
    r = network.specs[layer - 1].extra
    own = {k: exact(v) for k, v in network.parameter_values().items()}
    for s in range(1, len(network.x) + 1):
        yield (f"at the network's own parameters and data (sample {s})" if len(network.x) > 1 else
               "at the network's own parameters and data"), own, network.x[s - 1], network.y[s - 1], r.state("h", s)
    for seed in range(3):
        vals = {k: exact(Fraction(((i * 7 + 3 * seed) % 9) - 4, 5)) for i, k in enumerate(own)}
        xs = [Fraction(((i * 5 + seed) % 7) - 3, 2) for i in range(len(network.x[0]))]
        ys = [Fraction(((i * 3 + seed) % 5) - 2, 3) for i in range(len(network.y[0]))]
        shown = ", ".join(f"{k} = {v}" for k, v in list(vals.items())[:6])
        yield (f"at the test point {shown}, … (every parameter (i·7 + {3 * seed}) mod 9 − 4)/5 in file order), "
               f"x = {[str(v) for v in xs]}, y = {[str(v) for v in ys]}"), vals, xs, ys, [Fraction(0)] * r.hidden


def verify_recurrent_formula(network, latex: str, symbols: Mapping[str, str] | None = None) -> FormulaVerdict:
    """Prove ``latex`` about the list's rnn layer or refute it (module contract)."""
    rf = read_recurrent(network, latex, symbols)
    label, steps = recurrent_label(rf), len(rf.sides) - 1

    def proof() -> tuple[str, str]:
        rule = ACTIVATIONS.get(network.specs[rf.layer - 1].extra.activation)
        how = f"f'(u_t) = {rule.prime_of_output_text.format(v='h_t')}" if rule and rule.prime_of_output else \
            "h_t = u_t"
        return (f"Proved for all values of the rnn's weights, biases, inputs, targets, initial state and hidden "
                f"states h_t (each h_t its own symbol, {how}): every entry of left − right is exactly 0 as a rational "
                f"function at every step, the derivatives by forward-mode differentiation of the recurrence."), \
            "rational identity"

    return settle(label, steps, lambda: prove_recurrent(rf, symbolic_rnn(network, rf.layer)), proof,
                  lambda first: _refute(network, rf, label, steps))


def _refute(network, rf: RecurrentFormula, label: str, steps: int) -> FormulaVerdict:
    for where, vals, xs, ys, h0 in _points(network, rf.layer):
        with workprec(320):
            try:
                model = _concrete(network, rf.layer, vals, [exact(v) for v in xs], [exact(v) for v in ys],
                                  [exact(v) for v in h0])
                found = [c for c in _cases(rf, model) if certified_nonzero(add((c[3], mul((c[4], fmpq(-1))))))]
            except (DerivcheckError, ArithmeticError, LayerShapeError, Unevaluable, Undecided):
                continue
            if not found:
                continue
            env, k, (i, j), lv, rv = found[0]
            entry = f"entry [{i + 1},{j + 1}]" if len(model.shape("Wh")) and _is_matrix(rf, model) else f"entry [{i + 1}]"
            return counterexample(label, steps, where, k, entry, env, shown(rv), shown(lv), (i + 1, j + 1))
    raise DerivcheckError("The formula is not proved with the hidden states as symbols, and no counterexample was "
                          "certified at the network's samples or three test points; it is left undecided.")


def _is_matrix(rf: RecurrentFormula, model: RecurrentModel) -> bool:
    lhs = rf.sides[0]
    return isinstance(lhs, RQ) and model.shape(lhs.name)[1] > 1
