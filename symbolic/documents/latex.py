"""The step-by-step derivation document (LaTeX) of a derivation file or a bare network.

Contract
--------
:func:`render_document` turns a :class:`~symbolic.claims.derivation.Derivation` (or a
bare :class:`~symbolic.spec.network.Network`) into one complete ``.tex`` source:

* a TikZ figure of the network (:mod:`symbolic.documents.figure`) — neurons
  labelled, weights on the edges with their values, biases as the bias mode
  has them;
* per sample, the forward pass, the loss and its terms, and the chain rule for
  every weight and bias (:mod:`symbolic.documents.chain_rule`); for a batch,
  the gradient of the batch loss as the mean;
* the matrix form per layer, δ, ∇W, ∇b, with the numeric matrices
  (:mod:`symbolic.documents.matrix_section`);
* the gradient-descent update with the learning rate and the new values, and
  the loss after it (when the network has a learning rate); for an optimizer or a
  penalty, each of the first updates' arithmetic (:mod:`symbolic.documents.optimizer_section`);
* a table of the file's claims with verdicts and diagnoses, WRONG ones
  highlighted (:mod:`symbolic.documents.claims_table`; when the file has
  claims and ``check_claims`` is true; ``report`` reuses a check already run).

Every value comes from :class:`symbolic.truth.exact.Truth` (exact rationals or
60-digit numbers; per sample through :class:`symbolic.documents.numbers.SampleNumbers`),
so the document is correct by construction; numbers are printed with ``digits``
significant digits. Names are the file's own (through its aliases), else
canonical. All formulas go through
:class:`symbolic.formulas.printers.DerivLatexPrinter`; user text through
:func:`symbolic.formulas.printers.escape_text`. A network without parameters or
data gives the symbolic sections only (formulas, no numbers). Anything but a
Derivation or a Network is a :class:`DerivcheckError`.
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import sympy as sp

from ..spec.layered_network import LayeredNetwork
from .layer_document import layer_sections
from ..claims.check import FileReport, check_derivation
from ..claims.derivation import Derivation
from ..formulas.printers import DIGITS, DerivLatexPrinter, Num, alias_latex, escape_text, format_number, name_latex
from ..spec.errors import DerivcheckError
from ..spec.names import parse_name
from ..spec.network import Network
from ..spec.rules import ACTIVATIONS
from ..truth.exact import Truth
from ..truth.optimize import trained
from .chain_rule import backward_section, forward_section, loss_section
from .claims_table import breakable, claims_table
from .figure import figure
from .matrix_section import matrix_section
from .numbers import SampleNumbers
from .optimizer_section import optimizer_section
from .writer import Writer, deriv, plus, sym, times

__all__ = ["render_document"]

_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[a4paper,margin=2cm]{geometry}
\usepackage[table]{xcolor}
\usepackage{amsmath,amssymb}
\usepackage{tikz}
\usepackage{adjustbox}
\usepackage{longtable,booktabs,array}
\setcounter{MaxMatrixCols}{200}
\setlength{\emergencystretch}{3em}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5ex}
\hfuzz=1pt
\newcommand{\wrong}[1]{\textcolor{red!70!black}{\textbf{#1}}}
"""

def _act_label(act: str) -> str:
    """The activation as the document's header names it (the rule table's label)."""
    rule = ACTIVATIONS.get(act)
    return rule.document_label if rule is not None and rule.document_label else escape_text(act)


def _exact_fraction(value: Fraction | sp.Expr) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    return Fraction(Decimal(str(sp.Float(value, 60))))


def _alias_table(aliases: dict[str, str] | None, network: Network) -> dict[str, str]:
    """canonical → the file's name (the first alias of each canonical name wins)."""
    out: dict[str, str] = {}
    for alias, target in (aliases or {}).items():
        try:
            canonical = str(parse_name(target).check(network))
        except DerivcheckError:
            continue
        out.setdefault(canonical, alias)
    return out


def _update(w: Writer, network: Network, values: dict, grads: dict) -> None:
    """One gradient-descent step θ⁺ = θ − η ∂L/∂θ with the numbers, and the loss after it."""
    eta = network.learning_rate
    w.text(f"Gradient descent with learning rate $\\eta = {format_number(eta, w.p.digits)}$: "
           "$\\theta \\leftarrow \\theta - \\eta \\, \\partial L / \\partial \\theta$."
           + ("" if network.update_biases or all(b == "none" for b in network.bias)
              else " As in the source, the biases are not updated."))
    L = sym("L")
    new = dict(values)
    eta_n = sp.Rational(eta.numerator, eta.denominator)
    w.begin_group()
    for pname in network.parameter_names():
        if not pname.startswith("W") and not network.update_biases:
            continue
        p = sym(pname)
        value = sp.Rational(values[pname].numerator, values[pname].denominator) - eta_n * grads[pname]
        new[pname] = _exact_fraction(value)
        w.chain(f"{{{w.tex(p)}}}^{{+}}", w.tex(plus(p, times(sp.Integer(-1), sp.Symbol(r"\eta"), deriv(L, p)))),
                w.tex(plus(Num(values[pname]), times(sp.Integer(-1), Num(eta), Num(grads[pname])))),
                format_number(value, w.p.digits))
    w.end_group()
    after = Truth(network.with_values(new)).value("L")
    w.text(f"After this update the loss is $L = {format_number(after, w.p.digits)}$ "
           f"(it was ${format_number(Truth(network).value('L'), w.p.digits)}$).")


def render_document(source: Derivation | Network, *, check_claims: bool = True, report: FileReport | None = None,
                    digits: int = DIGITS, title: str | None = None) -> str:
    """A complete LaTeX document for a derivation (or a bare network); see the module contract."""
    if isinstance(source, Derivation) and isinstance(source.network, LayeredNetwork):  # a [[layer]] list
        w = Writer(DerivLatexPrinter({}, digits))
        w.add(_PREAMBLE, "\\begin{document}", *layer_sections(source, min(digits, 15)))
        if source.claims and check_claims:
            w.section("Claims checked")
            claims_table(w, report if report is not None else check_derivation(source))
        if source.unchecked.strip():
            w.section("Notes")
            w.text(escape_text(source.unchecked.strip()))
        w.add("\\end{document}", "")
        return "\n".join(w.lines)
    if isinstance(source, Derivation):
        network, aliases = source.network, _alias_table(source.aliases, source.network)
        doc_title, origin = title or source.title, source.source
        notes, claims = source.unchecked, source.claims
    elif isinstance(source, Network):
        network, aliases, doc_title, origin, notes, claims = source, {}, title, "", "", []
    else:
        raise DerivcheckError("render_document needs a Derivation (load_derivation) or a Network.")
    if doc_title is None:
        doc_title = f"Backpropagation in the {'-'.join(map(str, network.layers))} network"
    w = Writer(DerivLatexPrinter(aliases, digits))
    numeric = network.params is not None and network.x is not None and network.y is not None
    values = network.parameter_values() if network.params is not None else None
    w.add(_PREAMBLE, f"\\title{{{escape_text(doc_title)}}}", "\\author{derivcheck}", "\\date{}",
          "\\begin{document}", "\\maketitle", "")
    if origin:
        w.text(f"Source: \\texttt{{{breakable(origin)}}}.")
    if len(set(network.activations)) == 1:
        acts = f"activation {_act_label(network.activations[0])}"
    else:
        acts = "activations " + ", ".join(f"layer {l}: {_act_label(a)}"
                                          for l, a in enumerate(network.activations, 1))
    modes = escape_text(network.bias[0]) if len(set(network.bias)) == 1 else \
        ", ".join(f"layer {l}: {escape_text(b)}" for l, b in enumerate(network.bias, 1))
    w.text(f"Layers {escape_text('-'.join(map(str, network.layers)))}; {acts}; "
           f"loss \\texttt{{{escape_text(network.loss)}}}; bias {modes}"
           + (f"; learning rate ${format_number(network.learning_rate, digits)}$" if network.learning_rate else "")
           + ". Every number below is computed exactly (rationals, or 60 significant digits) and printed with "
           f"{digits} significant digits.")
    if aliases:
        cells = [f"${alias_latex(alias)} = {name_latex(canonical)}$" for canonical, alias in aliases.items()]
        cells += [""] * (-len(cells) % 6)
        rows = [" & ".join(cells[k:k + 6]) + " \\\\" for k in range(0, len(cells), 6)]
        w.add("The source's names and the canonical ones ($W^{(l)}_{ij}$: layer $l$, neuron $i$ from neuron $j$; "
              "$u$ before and $a$ after the activation):", "", "\\begin{center}\\small",
              "\\renewcommand{\\arraystretch}{1.35}",
              "\\begin{tabular}{@{}llllll@{}}", *rows, "\\end{tabular}", "\\end{center}", "")
    figure(w, network, values)
    samples = list(range(1, len(network.x) + 1)) if numeric else [None]
    nums: list[SampleNumbers] = []
    all_grads: list[dict] = []
    for s in samples:
        num = SampleNumbers(network, s) if s is not None else None
        suffix = f" (sample {s})" if s is not None and len(samples) > 1 else ""
        if num is not None:
            x = ", ".join(format_number(v, digits) for v in network.x[s - 1])
            y = ", ".join(format_number(v, digits) for v in network.y[s - 1])
            w.text(f"Sample{'' if len(samples) == 1 else f' {s}'}: input $({x})$, target $({y})$.")
        w.section("Forward pass" + suffix)
        forward_section(w, network, num, values)
        w.section("Loss" + suffix)
        loss_section(w, network, num)
        w.section("Backward pass: the chain rule" + suffix)
        if len(samples) > 1:
            w.text("Here $L$ is this sample's loss; the batch loss is the mean over the samples.")
        all_grads.append(backward_section(w, network, num, values))
        if num is not None:
            nums.append(num)
    grads = None
    if numeric:
        m = len(samples)
        batch = nums[0].truth.gradient()  # the batch loss's gradient, in the order the sections wrote it
        grads = {k: batch[k] for k in all_grads[0]}
        if m > 1:
            w.section("Gradient of the batch loss")
            L = sym("L")
            for k, v in grads.items():
                w.chain(w.tex(deriv(L, sym(k))), f"\\frac{{1}}{{{m}}} \\sum_{{s=1}}^{{{m}}} "
                        f"\\frac{{\\partial L_s}}{{\\partial {w.tex(sym(k))}}}", format_number(v, digits))
    w.section("Matrix form")
    matrix_section(w, network, nums or None, grads)
    if numeric and network.learning_rate is not None:
        w.section("Update")
        if trained(network):  # an optimizer or a penalty: each update's arithmetic (documents/optimizer_section.py)
            optimizer_section(w, network)
        else:
            _update(w, network, values, grads)
    if claims and check_claims:
        if report is None:
            report = check_derivation(source)
        w.section("Claims checked")
        claims_table(w, report)
    if notes.strip():
        w.section("Notes")
        w.text(escape_text(notes.strip()))
    w.add("\\end{document}", "")
    return "\n".join(w.lines)
