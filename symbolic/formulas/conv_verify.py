r"""Verify a formula claim about the conv2d layer of a ``[[layer]]`` list: ``ok``, ``WRONG`` or ``shape error``.

Contract
--------
:func:`verify_conv_formula` ``(network, latex, symbols=None) -> FormulaVerdict``. The formula is read
and resolved by :mod:`.conv_formula`, evaluated by :mod:`.conv_eval` over a
:class:`~symbolic.formulas.conv_model.ConvModel` of one sample, whose left-hand quantities (u, dX,
dK, db) are the program's own conv op (:class:`symbolic.truth.convolution.ConvOp`):

* **proof**: every entry of X, K, b and δ = ∂L/∂u is its own symbol (polynomials over Q); ``ok``
  means every entry of left − right is exactly 0 there — for every input, kernel, bias and upstream
  gradient, so for every loss and activation after the layer. Operator notation compares the two
  sides as maps anchored at their first entry, zero beyond (a result of the wrong size differs at
  the entries one side lacks);
* **counterexample**: otherwise both sides at the network's own point (X the layer's input, δ =
  ∂L/∂u of the sample, from the exact truth of the list), then at three rational test points;
  ``WRONG`` names the entry, both values and the point.

A ``WRONG`` formula gets the diagnoses of :mod:`.conv_diagnose` (each proved: the transformed formula
equals the truth, or the formula equals a transformed backward, as an identity); the diagnosis is
the verdict's ``diagnosis`` and the end of its message.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
from flint import fmpq

from ..spec.errors import DerivcheckError
from ..spec.names import parse_name
from ..truth.balls import Undefined, workprec
from ..truth.layered import BatchPoint
from .claim_loop import certified_nonzero, settle, shown
from .conv_compare import LEFT, conv_differences, name_of
from .conv_diagnose import diagnose_conv
from .conv_formula import CArr, CIdx, ConvFormula, read_conv_formula
from .conv_meaning import conv_layer, resolve_conv
from .conv_model import ConvModel, _obj, symbolic_model
from .verify import FormulaVerdict

__all__ = ["verify_conv_formula", "read_conv", "conv_label"]


def read_conv(network, latex: str, symbols: Mapping[str, str] | None) -> ConvFormula:
    rf = resolve_conv(read_conv_formula(latex), network, symbols)
    lhs = rf.sides[0]
    name = lhs.base.name if isinstance(lhs, CIdx) and isinstance(lhs.base, CArr) else \
        lhs.name if isinstance(lhs, CArr) else None
    if name not in LEFT:
        raise DerivcheckError("The left side of a formula about a conv2d layer is ∂L/∂X, ∂L/∂K, ∂L/∂b (dX, dK, db) "
                              "or the output (Y, out), possibly indexed (dW[o,c,u,v]); write it first.")
    if isinstance(lhs, CIdx):
        letters = [ix.letter() for ix in lhs.indices]
        if None in letters or len(set(letters)) != len(letters):
            raise DerivcheckError("The left side's indices must be distinct letters (dW[o, c, u, v]).")
    return rf


def conv_label(rf: ConvFormula) -> str:
    lhs = rf.sides[0]
    name = lhs.base.name if isinstance(lhs, CIdx) else lhs.name
    return {"dX": "dL/dx" if rf.layer == 1 else f"dL/da{rf.layer - 1}", "dK": f"dL/dK{rf.layer}",
            "db": f"dL/db{rf.layer}", "u": f"u{rf.layer}"}[name]


def _points(network, spec):
    """(where, model) at the network's samples, then three rational test points."""
    l, st = spec.index, spec.extra
    bp = BatchPoint(network)
    sweep = bp.sweep(parse_name("L"))
    K = _obj([bp.values[f"K{l}[{o + 1},{c + 1},{r + 1},{s + 1}]"] for o, c, r, s in
              np.ndindex(st.shape_out.channels, st.shape_in.channels, *st.kernel)],
             (st.shape_out.channels, st.shape_in.channels, *st.kernel))
    b = _obj([bp.values[f"b{l}[{o + 1}]"] if st.bias != "none" else fmpq(0) for o in range(st.shape_out.channels)],
             (st.shape_out.channels,))
    sin, sout = st.shape_in, st.shape_out
    for s in range(len(network.x)):
        X = _obj(bp.a[l - 1][s], (sin.channels, sin.rows, sin.cols))
        nodes = sweep.g_nodes.get(l, {})
        d = _obj([nodes.get(f"u{l}[{o},{i},{j}]", [fmpq(0)] * len(network.x))[s] for o in range(1, sout.channels + 1)
                  for i in range(1, sout.rows + 1) for j in range(1, sout.cols + 1)],
                 (sout.channels, sout.rows, sout.cols))
        if any(type(v) is Undefined for v in d.reshape(-1)) or any(type(v) is Undefined for v in X.reshape(-1)):
            continue  # δ through a tied max-pool or a kink has no value there: the test points decide
        where = "at the network's own point" + (f" (sample {s + 1})" if len(network.x) > 1 else "") + \
            f" (X the layer's input, δ = ∂L/∂u{l} from the exact truth)"
        yield where, ConvModel(spec, X, K, b, d)
    for seed in range(3):
        def rat(n, shape, step, seed=seed):
            return _obj([fmpq(((i * step + 3 * seed) % 9) - 4, 5) for i in range(n)], shape)
        X = rat(sin.size, (sin.channels, sin.rows, sin.cols), 7)
        d = rat(sout.size, (sout.channels, sout.rows, sout.cols), 5)
        Kt = rat(K.size, K.shape, 3)
        bt = rat(b.size, b.shape, 2) if st.bias != "none" else b
        yield (f"at the test point X[k] = ((7k + {3 * seed}) mod 9 − 4)/5, δ[k] = ((5k + {3 * seed}) mod 9 − 4)/5, "
               f"K[k] = ((3k + {3 * seed}) mod 9 − 4)/5 (k = 0, 1, … in storage order)"), ConvModel(spec, X, Kt, bt, d)


def verify_conv_formula(network, latex: str, symbols: Mapping[str, str] | None = None) -> FormulaVerdict:
    """Prove ``latex`` about the list's conv2d layer or refute it (module contract)."""
    rf = read_conv(network, latex, symbols)
    spec = conv_layer(network)
    label, steps = conv_label(rf), len(rf.sides) - 1
    model = symbolic_model(spec)

    def proof() -> tuple[str, str]:
        return ("Proved for all values of the conv layer's input X, kernels K, biases b and upstream gradient "
                "δ = ∂L/∂u (each entry its own symbol): every entry of left − right is exactly 0 as a polynomial, the "
                "left side by the program's own conv " + ("forward." if name_of(rf.sides[0]) == "u" else "backward."),
                "polynomial identity")

    return settle(label, steps, lambda: conv_differences(rf, model), proof,
                  lambda first: _refute(network, rf, spec, model, label, steps))


def _refute(network, rf: ConvFormula, spec, model, label: str, steps: int) -> FormulaVerdict:
    for where, point in _points(network, spec):
        with workprec(320):
            found = conv_differences(rf, point, test=lambda x: not certified_nonzero(x))
        if not found:
            continue
        d = found[0]
        part = f"right-hand side {d.side} of {steps}, " if steps > 1 else ""
        claimed, true = shown(d.right, 40), shown(d.left, 40)
        diagnosis = diagnose_conv(rf, spec, model)
        tail = f" Diagnosis: {diagnosis}." if diagnosis else ""
        return FormulaVerdict("WRONG", f"Counterexample {where}: {part}entry {d.entry} of {LEFT[name_of(rf.sides[0])]}"
                                       f" is {claimed} on the right side but the truth is {true}{d.note}.{tail}",
                              label, method="counterexample", steps=steps, step=d.side, claimed=claimed, true=true,
                              diagnosis=diagnosis)
    raise DerivcheckError("The formula is not an identity in the layer's symbols, yet no counterexample was found at "
                          "the network's samples or three test points; it is left undecided.")
