"""The document's update section for an optimizer or a penalty: each update's arithmetic, with its numbers.

Contract
--------
:func:`optimizer_section` writes, for a network trained with more than plain gradient descent
(:func:`symbolic.truth.optimize.trained`), the update rules of its optimizer (the rule table's
LaTeX lines for its convention), the penalty when there is one, and for each of the first
``updates`` updates and every moving parameter the arithmetic of the rule table's
``arithmetic`` templates — state, corrected state, step — with the numbers substituted and the
value the exact trajectory (:class:`symbolic.truth.trained.TrainedTrajectory`) gives; then the
loss after them. :func:`update_rules_latex` and :func:`update_rules_text` are the rules alone,
for ``derive``.
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp
from flint import fmpq

from ..formulas.printers import format_number
from ..spec.names import latex_name, parse_name
from ..spec.network import Network
from ..spec.optimizers import PLAIN_SGD, REGULARIZERS
from ..truth.balls import to_fraction, to_mpf
from ..truth.exact import Truth
from ..truth.optimize import OptimizerRun
from .writer import Writer

__all__ = ["optimizer_section", "update_rules_latex", "update_rules_text", "SHOWN_UPDATES"]

SHOWN_UPDATES = 3


def _number(v, digits: int) -> str:
    if type(v) is fmpq:
        x = sp.Rational(int(v.p), int(v.q))
    elif isinstance(v, (int, Fraction)):
        x = sp.Rational(v)
    else:
        x = sp.Float(to_mpf(v), 30)
    text = format_number(x, digits)
    return f"({text})" if text.startswith("-") else text


def _rules(network: Network) -> tuple[list[str], list[str]]:
    opt = network.optimizer or PLAIN_SGD
    rule = opt.rule
    latex = list(rule.latex_sutskever if opt.convention == "sutskever" and rule.latex_sutskever else rule.latex)
    text = [rule.text]
    reg = network.regularization
    if reg is not None and reg.l2:
        where = "weights and biases" if reg.include_biases else "weights"
        latex.append(f"L = L_{{\\text{{data}}}} + {REGULARIZERS['l2'].latex[reg.convention]}"
                     f" \\quad (\\theta \\text{{ over the {where}}})")
        text.append(f"L = L_data + {REGULARIZERS['l2'].text[reg.convention]} over the {where}, "
                    f"λ = {float(reg.l2):g}")
    return latex, text


def update_rules_latex(network: Network) -> list[str]:
    """The update rule (and penalty) of the network's optimizer as LaTeX lines."""
    return _rules(network)[0]


def update_rules_text(network: Network) -> list[str]:
    """The update rule (and penalty) of the network's optimizer as plain-text lines."""
    opt = network.optimizer or PLAIN_SGD
    return [f"optimizer: {opt.describe()}", *_rules(network)[1]]


def optimizer_section(w: Writer, network: Network, updates: int = SHOWN_UPDATES) -> None:
    opt = network.optimizer or PLAIN_SGD
    digits = w.p.digits
    latex, _ = _rules(network)
    w.text(f"Optimizer {opt.describe()}, learning rate $\\eta = {format_number(network.learning_rate, digits)}$"
           + ("" if network.update_biases or all(b == "none" for b in network.bias)
              else "; as in the source, the biases are not updated") + ":")
    w.add("\\begin{align*}", " \\\\\n".join(f"& {line}" for line in latex), "\\end{align*}")
    run = OptimizerRun(network, {})
    hyper = {k: _number(v, digits) for k, v in opt.h.items()}
    hyper["lr"] = _number(network.learning_rate, digits)
    reg = network.regularization
    for n in range(1, updates + 1):
        before, after = run.at(n - 1), run.at(n)
        w.text(f"Update {n} ($t = {after.t}$):")
        for k in run.moving:
            name = latex_name(parse_name(k))
            values = dict(hyper, g=_number(after.grad[k], digits), theta=_number(before.params[k], digits),
                          t=str(after.t), new=_number(after.params[k], digits), step=_number(after.step[k], digits))
            for s, table in before.state.items():
                values[f"{s}0"] = _number(table[k], digits)
                values[s] = _number(after.state[s][k], digits)
            for d, table in after.derived.items():
                values[d] = _number(table[k], digits)
            lines = [f"g = \\partial L / \\partial {name} = {values['g']}"]
            if reg is not None and reg.active and reg.applies(k):
                lines[0] += (f" \\quad (\\text{{the penalty adds }} {_number(2 * reg.coefficient, digits)} \\cdot "
                             f"{values['theta']})")
            for lhs, template, key in opt.rule.arithmetic_for(opt.convention):
                lines.append(f"{lhs} = {template.format(**values)} = {values[key]}")
            w.add("\\begin{align*}", f"&\\textstyle {name}: \\\\", " \\\\\n".join(f"& {x}" for x in lines),
                  "\\end{align*}")
    params = {k: to_fraction(v) for k, v in run.at(updates).params.items()}
    loss = Truth(network.with_values(params)).value("L")
    w.text(f"After {updates} update(s) the loss is $L = {format_number(loss, digits)}$ "
           f"(it was ${format_number(Truth(network).value('L'), digits)}$).")
