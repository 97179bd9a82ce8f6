"""The chain-rule sections of a document: forward pass, loss, and backward pass neuron by neuron.

Contract
--------
* :func:`forward_section` writes, per layer and neuron, u^{(l)}_i = Σ_j w a + b
  and a^{(l)}_i = f(u^{(l)}_i) (softmax as its quotient) — the formula, then with
  the numbers substituted, then the value when a :class:`SampleNumbers` is given.
* :func:`loss_section` writes the loss rule, each term L[k] and their sum.
* :func:`backward_section` writes, from the output layer down, ∂L/∂a (from the
  loss, or Σ_k ∂L/∂u^{(l+1)}_k w_{ki}), ∂a/∂u = f'(u) written through a as
  tutorials do (σ' = a(1 − a), tanh' = 1 − a²), δ = ∂L/∂u as their product (the
  softmax Jacobian sum for a softmax layer), then ∂L/∂w and ∂L/∂b of the layer;
  it returns the sample's gradient {parameter: value}.
* Every number is read from :class:`symbolic.documents.numbers.SampleNumbers`
  (the one truth, :class:`symbolic.truth.exact.Truth`); ``num=None`` gives the
  formulas alone. :func:`activation_formula`, :func:`prime_formula` and
  :func:`loss_terms` are the display forms of the rules (the loss terms come
  from the rule table itself).
"""
from __future__ import annotations

import sympy as sp

from ..formulas.printers import Num, escape_text, format_number
from ..spec.errors import DerivcheckError
from ..spec.network import Network
from ..spec.rules import ACTIVATIONS, LOSSES
from ..truth.evaluator import evaluate
from .numbers import SampleNumbers
from .writer import Writer, a_name, a_of, bias_name, deriv, plus, substitute, sum_terms, sym, times, u_of

__all__ = ["forward_section", "loss_section", "backward_section", "activation_formula", "prime_formula",
           "loss_terms"]

def activation_formula(act: str, u: sp.Expr) -> sp.Expr:
    """f(u) as a display expression (symbolic ``u`` or a :class:`Num`), from the rule table."""
    rule = ACTIVATIONS.get(act)
    if rule is not None and rule.elementwise:
        return (rule.display or rule.symbolic)(u)
    raise DerivcheckError(f"Activation {act!r} has no elementwise formula.")


def prime_formula(act: str, u: sp.Expr, a: sp.Expr) -> sp.Expr:
    """f'(u) written in terms of the node's output a (as tutorials do), from the rule table."""
    rule = ACTIVATIONS.get(act)
    if rule is not None and rule.display_prime is not None:
        return rule.display_prime(u, a)
    raise DerivcheckError(f"Activation {act!r} has no elementwise derivative.")


def loss_terms(network: Network) -> list[sp.Expr]:
    """The loss terms L[k] of the output symbols, from the rule table."""
    D = network.depth
    a = [a_of(D, k) for k in range(1, network.layers[-1] + 1)]
    y = [sym(f"y[{k}]") for k in range(1, network.layers[-1] + 1)]
    return LOSSES[network.loss].terms(a, y)


def forward_section(w: Writer, network: Network, num: SampleNumbers | None, values: dict | None) -> None:
    """Per layer and neuron: u = Σ w a + b and a = f(u), as formulas, then numbers, then values."""
    D = network.depth
    for l in range(1, D + 1):
        act = network.activations[l - 1]
        w.section(f"Layer {l} ({escape_text(act)})", "subsection")
        for i in range(1, network.layers[l] + 1):
            w.begin_group()
            terms = [times(sym(f"W{l}[{i},{j}]"), a_of(l - 1, j)) for j in range(1, network.layers[l - 1] + 1)]
            bname = bias_name(network, l, i)
            if bname:
                terms.append(sym(bname))
            steps: list = [sum_terms(w, terms)]
            if num is not None:
                nums = [times(Num(values[f"W{l}[{i},{j}]"]), Num(num.value(a_name(l - 1, j))))
                        for j in range(1, network.layers[l - 1] + 1)]
                if bname:
                    nums.append(Num(values[bname]))
                steps += [sum_terms(w, nums), format_number(num.value(f"u{l}[{i}]"), w.p.digits)]
            w.chain(w.tex(u_of(l, i)), *steps)
            if not ACTIVATIONS[act].elementwise:  # softmax: its quotient
                n = network.layers[l]
                if n <= 3:
                    formula = sp.exp(u_of(l, i)) / plus(*[sp.exp(u_of(l, k)) for k in range(1, n + 1)])
                    steps = [w.tex(formula)]
                else:
                    steps = [f"\\frac{{{w.tex(sp.exp(u_of(l, i)))}}}{{\\sum_{{k=1}}^{{{n}}} e^{{u^{{({l})}}_{{k}}}}}}"]
                if num is not None and n <= 3:
                    numbers = sp.exp(Num(num.value(f"u{l}[{i}]"))) / plus(
                        *[sp.exp(Num(num.value(f"u{l}[{k}]"))) for k in range(1, n + 1)])
                    steps += [w.tex(numbers)]
                elif num is not None:
                    total = sum((evaluate(sp.exp(num.value(f"u{l}[{k}]")), {}) for k in range(1, n + 1)),
                                sp.Integer(0))
                    top = evaluate(sp.exp(num.value(f"u{l}[{i}]")), {})
                    steps += [f"\\frac{{{w.tex(sp.exp(Num(num.value(f'u{l}[{i}]'))))}}}{{{format_number(total, w.p.digits)}}}",
                              f"\\frac{{{format_number(top, w.p.digits)}}}{{{format_number(total, w.p.digits)}}}"]
            else:
                formula = activation_formula(act, u_of(l, i))
                steps = [w.tex(formula)]
                if num is not None and formula != u_of(l, i):  # f(u) = u (identity): the numbers say nothing new
                    steps.append(w.tex(activation_formula(act, Num(num.value(f"u{l}[{i}]")))))
            if num is not None:
                steps.append(format_number(num.value(f"a{l}[{i}]"), w.p.digits))
            w.chain(w.tex(a_of(l, i)), *steps)
            w.end_group()


def loss_section(w: Writer, network: Network, num: SampleNumbers | None) -> None:
    """The loss, each term L[k] (formula, numbers, value) and their sum."""
    D, n = network.depth, network.layers[-1]
    desc = LOSSES[network.loss].latex or None
    desc = f"${desc}$" if desc else escape_text(LOSSES[network.loss].description or network.loss)
    w.text(f"Loss \\texttt{{{escape_text(network.loss)}}}: {desc}, one term per output.")
    terms = loss_terms(network)
    w.begin_group()
    for k, term in enumerate(terms, 1):
        steps = [w.tex(term)]
        if num is not None:
            sub = {a_of(D, j): Num(num.value(f"a{D}[{j}]")) for j in range(1, n + 1)}
            sub.update({sym(f"y[{j}]"): Num(num.target(j)) for j in range(1, n + 1)})
            steps += [w.tex(substitute(term, sub)), format_number(num.value(f"L[{k}]"), w.p.digits)]
        w.chain(w.tex(sym(f"L[{k}]")), *steps)
    steps: list = [[w.tex(sym(f"L[{k}]")) for k in range(1, n + 1)]]
    if num is not None:
        steps += [[w.tex(Num(num.value(f"L[{k}]"))) for k in range(1, n + 1)],
                  format_number(num.sample_loss(), w.p.digits)]
    w.chain(w.tex(sym("L")), *steps)
    w.end_group()


def backward_section(w: Writer, network: Network, num: SampleNumbers | None, values: dict | None) -> dict[str, object]:
    """The chain rule layer by layer; returns the (sample's) gradient {parameter: value}."""
    D = network.depth
    L = sym("L")
    grads: dict[str, object] = {}
    fmt = (lambda v: format_number(v, w.p.digits))
    for l in range(D, 0, -1):
        act = network.activations[l - 1]
        n, n_prev = network.layers[l], network.layers[l - 1]
        w.section(f"Layer {l}" + (" (output)" if l == D else ""), "subsection")
        for i in range(1, n + 1):
            u, a = u_of(l, i), a_of(l, i)
            w.begin_group()
            if not ACTIVATIONS[act].elementwise:
                # softmax: δ_i = Σ_k ∂L/∂a_k · ∂a_k/∂u_i, with ∂a_k/∂u_i = a_k(1 − a_i) if k = i else −a_k a_i
                terms, nums = [], []
                for k in range(1, n + 1):
                    ak = a_of(l, k)
                    local = times(ak, plus(sp.Integer(1), times(sp.Integer(-1), a))) if k == i else \
                        times(sp.Integer(-1), ak, a)
                    terms.append(times(deriv(L, ak), local))
                    if num is not None:
                        nk, ni = Num(num.value(f"a{l}[{k}]")), Num(num.value(f"a{l}[{i}]"))
                        nlocal = times(nk, plus(sp.Integer(1), times(sp.Integer(-1), ni))) if k == i else \
                            times(sp.Integer(-1), nk, ni)
                        nums.append(times(Num(num.d("L", f"a{l}[{k}]")), nlocal))
                steps: list = [sum_terms(w, terms)]
                if num is not None:
                    steps += [sum_terms(w, nums), fmt(num.d("L", f"u{l}[{i}]"))]
                w.chain(w.tex(deriv(L, u)), *steps)
                if num is not None:
                    for k in range(1, n + 1):
                        w.chain(w.tex(deriv(L, a_of(l, k))), fmt(num.d("L", f"a{l}[{k}]")))
            else:
                if l == D:
                    formula = sp.diff(sp.Add(*loss_terms(network)), a)
                    steps = [w.tex(formula)]
                    if num is not None:
                        sub = {a: Num(num.value(f"a{l}[{i}]")),
                               sym(f"y[{i}]"): Num(num.target(i))}
                        for k in range(1, n + 1):
                            sub.setdefault(a_of(l, k), Num(num.value(f"a{l}[{k}]")))
                        steps += [w.tex(substitute(formula, sub)), fmt(num.d("L", f"a{l}[{i}]"))]
                else:
                    nxt = network.layers[l + 1]
                    terms = [times(deriv(L, u_of(l + 1, k)), sym(f"W{l + 1}[{k},{i}]")) for k in range(1, nxt + 1)]
                    steps = [sum_terms(w, terms)]
                    if num is not None:
                        nums = [times(Num(num.d("L", f"u{l + 1}[{k}]")), Num(values[f"W{l + 1}[{k},{i}]"]))
                                for k in range(1, nxt + 1)]
                        steps += [sum_terms(w, nums), fmt(num.d("L", f"a{l}[{i}]"))]
                w.chain(w.tex(deriv(L, a)), *steps)
                prime = prime_formula(act, u, a)
                steps = [w.tex(prime)]
                if num is not None:
                    if ACTIVATIONS[act].prime_of_output is not None:  # written through a: substitute a
                        steps.append(w.tex(prime_formula(act, u, Num(num.value(f"a{l}[{i}]")))))
                    steps.append(fmt(num.d(f"a{l}[{i}]", f"u{l}[{i}]")))
                w.chain(w.tex(deriv(a, u)), *steps)
                steps = [w.tex(times(deriv(L, a), deriv(a, u)))]
                if num is not None:
                    steps += [w.tex(times(Num(num.d("L", f"a{l}[{i}]")), Num(num.d(f"a{l}[{i}]", f"u{l}[{i}]")))),
                              fmt(num.d("L", f"u{l}[{i}]"))]
                w.chain(w.tex(deriv(L, u)), *steps)
            w.end_group()
        # parameters of this layer
        w.text(f"Weights and biases of layer {l}:")
        rows = []
        for i in range(1, n + 1):
            u, a = u_of(l, i), a_of(l, i)
            vector = not ACTIVATIONS[act].elementwise
            local = [deriv(L, u)] if vector else [deriv(L, a), deriv(a, u)]
            local_n = None
            if num is not None:
                local_n = [num.d("L", f"u{l}[{i}]")] if vector else \
                    [num.d("L", f"a{l}[{i}]"), num.d(f"a{l}[{i}]", f"u{l}[{i}]")]
            for j in range(1, n_prev + 1):
                pname = f"W{l}[{i},{j}]"
                p = sym(pname)
                steps = [w.tex(times(*local, deriv(u, p)))]
                if num is not None:
                    prev = num.value(a_name(l - 1, j))
                    value = num.d("L", pname)
                    grads[pname] = value
                    steps += [w.tex(times(*[Num(v) for v in local_n], Num(prev))), fmt(value)]
                rows.append((w.tex(deriv(L, p)), steps))
                if num is None:
                    rows[-1][1].insert(1, w.tex(times(*local, a_of(l - 1, j))))
            bname = bias_name(network, l, i)
            if bname and network.bias[l - 1] == "per-neuron":
                p = sym(bname)
                steps = [w.tex(times(*local, deriv(u, p)))]
                if num is not None:
                    value = num.d("L", bname)
                    grads[bname] = value
                    steps += [w.tex(times(*[Num(v) for v in local_n], Num(1))), fmt(value)]
                rows.append((w.tex(deriv(L, p)), steps))
        w.begin_group()
        for lhs, steps in rows:
            w.chain(lhs, *steps)
        w.end_group()
        if network.bias[l - 1] == "shared":
            p = sym(f"b{l}")
            terms = [times(deriv(L, u_of(l, i)), deriv(u_of(l, i), p)) for i in range(1, n + 1)]
            steps = [sum_terms(w, terms)]
            if num is not None:
                value = num.d("L", f"b{l}")
                grads[f"b{l}"] = value
                steps += [sum_terms(w, [times(Num(num.d("L", f"u{l}[{i}]")), Num(1)) for i in range(1, n + 1)]),
                          fmt(value)]
            w.chain(w.tex(deriv(L, p)), *steps)
    return grads
