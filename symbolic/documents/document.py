"""Step-by-step derivation documents (LaTeX), and compiling them to PDF with real LaTeX.

Contract
--------
:func:`render_document` turns a :class:`~symbolic.claims.derivation.Derivation` (or a
bare :class:`~symbolic.spec.network.Network`) into one complete ``.tex`` source:

* a TikZ figure of the network — neurons labelled, weights on the edges with
  their values, biases as the bias mode has them (``shared``: one bias node per
  layer; ``per-neuron``: a value at each neuron);
* the forward pass, each node as formula → numbers substituted → value;
* the loss and its terms;
* the chain rule for every weight and bias: the local factors, each with its
  formula and value, their product and the result;
* the matrix form per layer (δ, ∇W, ∇b) with the numeric matrices;
* the gradient-descent update with the learning rate and the new values, and
  the loss after it (when the network has a learning rate);
* a table of the file's claims with verdicts and diagnoses, WRONG ones
  highlighted (when the file has claims and ``check_claims`` is true).

Every value comes from :class:`symbolic.truth.exact.Truth` (exact rationals or
60-digit numbers), so the document is correct by construction; numbers are
printed with ``digits`` significant digits. Names are the file's own (through
its aliases), else canonical. All formulas go through
:class:`symbolic.formulas.printers.DerivLatexPrinter`; user text through
:func:`symbolic.formulas.printers.escape_text`. A network without parameters or
data gives the symbolic sections only (formulas, no numbers);
:func:`derive_formulas` gives those formulas alone (LaTeX or plain text).

:func:`compile_pdf` runs ``latexmk -norc -pdf`` (pdflatex with ``-no-shell-escape``
and ``openin_any=p``, in a temporary directory), writes ``NAME.pdf`` and the
LaTeX log ``NAME.log`` into the output directory and returns the PDF's path; a
missing ``latexmk`` or a failed run is a :class:`DerivcheckError` naming the
first error line of the log.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import sympy as sp
from sympy.printing.str import StrPrinter

from ..spec.errors import DerivcheckError, KinkError
from ..truth.exact import Truth, evaluate
from ..spec.network import Network
from ..spec.names import Name, canonical_of_symbol, parse_name, symbol_for
from ..spec.rules import ACTIVATIONS, LOSSES
from ..formulas.printers import (
    DIGITS, DerivLatexPrinter, MApply, MGrad, MHad, MMul, MOnes, MSym, MT, MSub, Num, alias_latex, escape_text,
    format_number, matrix_latex, name_latex, render_matrix,
)

__all__ = ["render_document", "compile_pdf", "derive_formulas", "LATEX_TIMEOUT"]

LATEX_TIMEOUT = 120  # seconds for one latexmk run
LINE_WIDTH = 64  # glyphs of a display line before a long sum is broken
MAX_LABELLED_EDGES = 12  # more edges (or a layer wider than 3): weights are listed as matrices under the figure
MAX_FIGURE_NEURONS = 24  # wider layers are drawn with their first and last neurons only

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

_LOSS_LATEX = {"half_sse": r"\frac{1}{2} \sum_k (y_k - a_k)^2", "sse": r"\sum_k (y_k - a_k)^2",
               "mse": r"\frac{1}{n} \sum_k (y_k - a_k)^2",
               "bce": r"-\sum_k \left[y_k \log a_k + (1 - y_k) \log(1 - a_k)\right]",
               "softmax_ce": r"-\sum_k y_k \log a_k, \ a = \operatorname{softmax}(u)"}
_ACT_NAMES = {"identity": "identity", "sigmoid": r"sigmoid $\sigma(z) = 1/(1+e^{-z})$", "tanh": r"$\tanh$",
              "relu": r"ReLU $\max(0, z)$", "softmax": "softmax"}


# ------------------------------------------------------------------------ helpers
def _sym(text: str) -> sp.Symbol:
    return symbol_for(parse_name(text))


def _u(l: int, i: int) -> sp.Symbol:
    return _sym(f"u{l}[{i}]")


def _a(l: int, i: int) -> sp.Symbol:
    return _sym(f"x[{i}]") if l == 0 else _sym(f"a{l}[{i}]")


def _a_name(l: int, i: int) -> str:
    return f"x[{i}]" if l == 0 else f"a{l}[{i}]"


def _bias_name(network: Network, l: int, i: int) -> str | None:
    mode = network.bias[l - 1]
    return None if mode == "none" else (f"b{l}" if mode == "shared" else f"b{l}[{i}]")


def _d(of: sp.Expr, wrt: sp.Expr) -> sp.Derivative:
    return sp.Derivative(of, wrt, evaluate=False)


def _mul(*factors) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


def _add(*terms) -> sp.Expr:
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


def _exact_fraction(value) -> Fraction:
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


class _Writer:
    """Collects document lines; every formula goes through the one printer."""

    def __init__(self, printer: DerivLatexPrinter):
        self.p = printer
        self.lines: list[str] = []
        self._group: list[str] | None = None

    def begin_group(self) -> None:
        """Collect the following chains into one align* (less vertical space)."""
        self._group = []

    def end_group(self) -> None:
        group, self._group = self._group, None
        for k in range(0, len(group or []), 4):  # an align* cannot break across pages: keep each short
            self.add("\\begin{align*}", " \\\\[1.2ex]\n".join(group[k:k + 4]), "\\end{align*}")

    def tex(self, expr) -> str:
        return self.p.doprint(expr)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def text(self, text: str) -> None:
        self.lines.append(text)
        self.lines.append("")

    def section(self, title: str, level: str = "section") -> None:
        self.lines.append(f"\\{level}*{{{title}}}")

    def chain(self, lhs: str, *steps: str | Sequence[str]) -> None:
        """``lhs = step1 = step2 …`` in align*; a step given as a list of terms is a sum broken over lines."""
        out = []
        first = True
        for step in steps:
            if isinstance(step, str):
                out.append(f"{lhs if first else ''} &= {step}")
            else:
                for c, chunk in enumerate(_chunks(step, LINE_WIDTH - (_width(lhs) if first else 0))):
                    body = " + ".join(chunk)
                    if c == 0:
                        out.append(f"{lhs if first else ''} &= {body}")
                    else:
                        out.append(f" &\\quad + {body}")
                    first = False
                continue
            first = False
        if self._group is not None:
            self._group.append(" \\\\\n".join(out))
        else:
            self.add("\\begin{align*}", " \\\\\n".join(out), "\\end{align*}")

    def display(self, body: str) -> None:
        """A display that is shrunk to the line width when it is too wide (wide numeric matrices)."""
        self.add("\\begin{center}", "\\begin{adjustbox}{max width=\\linewidth}",
                 f"$\\displaystyle {body}$", "\\end{adjustbox}", "\\end{center}")


def _width(tex: str) -> int:
    """A rough count of the glyphs a formula shows (for breaking long sums over lines)."""
    t = re.sub(r"\\(left|right|,|quad)", "", tex)
    t = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: "x" * max(len(m[1]), len(m[2])), t)
    t = re.sub(r"\\[A-Za-z]+", "x", t)
    return len(re.sub(r"[{}^_ ]", "", t))


def _chunks(terms: Sequence[str], first_budget: int) -> list[list[str]]:
    """Terms grouped into display lines of at most about LINE_WIDTH glyphs (at least one term a line)."""
    lines: list[list[str]] = [[]]
    used, budget = 0, max(first_budget, LINE_WIDTH // 2)
    for term in terms:
        wdt = _width(term) + 3
        if lines[-1] and used + wdt > budget:
            lines.append([])
            used, budget = 0, LINE_WIDTH - 8
        lines[-1].append(term)
        used += wdt
    return lines


def _substitute(expr, mapping: dict):
    """``expr`` with symbols replaced, rebuilt unevaluated so the printed order of terms is kept."""
    if expr in mapping:
        return mapping[expr]
    if not expr.args or isinstance(expr, (sp.Derivative, Num)):
        return expr
    args = [_substitute(a, mapping) for a in expr.args]
    try:
        return expr.func(*args, evaluate=False)
    except TypeError:
        return expr.func(*args)


def _sum_terms(w: _Writer, terms: Sequence[sp.Expr]) -> list[str]:
    return [w.tex(t) for t in terms]


# ----------------------------------------------------------------- symbolic rules
def _activation_formula(act: str, u):
    """f(u) as a display expression (symbolic ``u`` or a :class:`Num`)."""
    if act == "sigmoid":
        return 1 / (1 + sp.exp(-u))
    if act == "tanh":
        return sp.tanh(u)
    if act == "relu":
        return sp.Max(0, u)
    if act == "identity":
        return u
    raise DerivcheckError(f"Activation {act!r} has no elementwise formula.")


def _prime_formula(act: str, u, a):
    """f'(u) written in terms of the node's output a (as tutorials do)."""
    if act == "sigmoid":
        return _mul(a, _add(sp.Integer(1), _mul(sp.Integer(-1), a)))
    if act == "tanh":
        return _add(sp.Integer(1), _mul(sp.Integer(-1), sp.Pow(a, 2, evaluate=False)))
    if act == "relu":
        return sp.Piecewise((sp.Integer(1), u > 0), (sp.Integer(0), True))
    if act == "identity":
        return sp.Integer(1)
    raise DerivcheckError(f"Activation {act!r} has no elementwise derivative.")


def _loss_terms(network: Network) -> list[sp.Expr]:
    D = network.depth
    a = [_a(D, k) for k in range(1, network.layers[-1] + 1)]
    y = [_sym(f"y[{k}]") for k in range(1, network.layers[-1] + 1)]
    return LOSSES[network.loss].terms(a, y)


# --------------------------------------------------------------------- the figure
def _figure(w: _Writer, network: Network, values: dict | None) -> None:
    layers = network.layers
    edges = sum(layers[l] * layers[l - 1] for l in range(1, len(layers)))
    shown = [list(range(1, n + 1)) if n <= MAX_FIGURE_NEURONS else
             list(range(1, MAX_FIGURE_NEURONS // 2 + 1)) + list(range(n - MAX_FIGURE_NEURONS // 2 + 1, n + 1))
             for n in layers]
    label_edges = edges <= MAX_LABELLED_EDGES and max(layers) <= 3
    pos: dict[tuple[int, int], float] = {}
    body = []
    for l, idx in enumerate(shown):
        top = (len(idx) - 1) / 2
        for r, i in enumerate(idx):
            y = top - r
            pos[(l, i)] = y
            label = w.tex(_a(l, i))
            extra = ""
            bname = _bias_name(network, l, i) if l else None
            if bname and network.bias[l - 1] == "per-neuron":
                btext = w.tex(_sym(bname)) + (f" = {format_number(values[bname], w.p.digits)}" if values else "")
                extra = f", label={{[bias label]below:${btext}$}}"
            style = "input" if l == 0 else "neuron"
            body.append(f"\\node[{style}{extra}] (n{l}-{i}) at ({l},{y:.2f}) {{${label}$}};")
        if len(idx) < layers[l]:
            body.append(f"\\node at ({l},{top - len(idx) / 2 + 0.5:.2f}) {{$\\vdots$}};")
    for l in range(1, len(layers)):
        n_to = len(shown[l])
        for r, i in enumerate(shown[l]):
            for j in shown[l - 1]:
                label = ""
                if label_edges:
                    wname = f"W{l}[{i},{j}]"
                    text = w.tex(_sym(wname)) + (f" = {format_number(values[wname], w.p.digits)}" if values else "")
                    label = f" node[weight] {{${text}$}}"
                body.append(f"\\draw[edge] (n{l - 1}-{j}) --{label} (n{l}-{i});")
        if network.bias[l - 1] == "shared":
            bname = f"b{l}"
            btext = w.tex(_sym(bname)) + (f" = {format_number(values[bname], w.p.digits)}" if values else "")
            ytop = max(pos[(l - 1, j)] for j in shown[l - 1]) + 0.85
            body.append(f"\\node[biasnode] (bias{l}) at ({l - 0.5:.2f},{ytop:.2f}) {{${btext}$}};")
            for i in shown[l]:
                body.append(f"\\draw[biasedge] (bias{l}) -- (n{l}-{i});")
    w.add("\\begin{figure}[ht]", "\\centering", "\\begin{adjustbox}{max width=\\linewidth}",
          "\\begin{tikzpicture}[x=4.6cm, y=2.1cm, >=stealth,",
          " neuron/.style={circle, draw, thick, minimum size=1.2cm, inner sep=1pt, font=\\small},",
          " input/.style={neuron, fill=black!6},",
          " biasnode/.style={rectangle, rounded corners, draw, fill=orange!10, font=\\small},",
          " bias label/.style={font=\\scriptsize, text=orange!50!black},",
          " edge/.style={->, black!55},",
          " biasedge/.style={->, dashed, orange!60!black},",
          " weight/.style={font=\\scriptsize, text=black, pos=0.24, sloped, above, inner sep=1.5pt}]",
          *body,
          "\\end{tikzpicture}", "\\end{adjustbox}",
          f"\\caption{{The {'--'.join(map(str, layers))} network"
          + ("" if label_edges else "; its weights are listed below") + ".}",
          "\\end{figure}", "")
    if not label_edges and values:
        for l in range(1, len(layers)):
            rows = [[values[f"W{l}[{i},{j}]"] for j in range(1, layers[l - 1] + 1)] for i in range(1, layers[l] + 1)]
            shown = f"W^{{({l})}} = {matrix_latex(rows, w.p.digits)}"
            if network.bias[l - 1] == "per-neuron":
                shown += f", \\quad b^{{({l})}} = {matrix_latex([values[f'b{l}[{i}]'] for i in range(1, layers[l] + 1)], w.p.digits)}"
            w.display(shown)


# ----------------------------------------------------------------- the sections
class _Numbers:
    """Exact numbers for one sample (``L`` derivatives are of this sample's own loss).

    Node values come from :class:`Truth` (the closed form at the point). Derivatives are
    the chain rule itself, evaluated exactly: the local factors (∂L/∂a of the loss terms,
    f'(u) from the rule table, ∂a_k/∂u_i of softmax) at the exact node values, combined by
    δ^{(l)}_i = ∂L/∂a^{(l)}_i · f'(u^{(l)}_i) and ∂L/∂a^{(l)}_i = Σ_k δ^{(l+1)}_k W^{(l+1)}_{ki}.
    This is linear in the network's size (differentiating the closed form is exponential in
    depth); the tests prove every printed gradient equal to ``Truth.gradient``.
    """

    def __init__(self, network: Network, sample: int):
        self.network = network
        self.truth = Truth(network, sample)
        self.sample = sample
        self.values = network.parameter_values()
        self._cache: dict = {}

    def value(self, name: str):
        key = ("v", name)
        if key not in self._cache:
            self._cache[key] = self.truth.value(name)
        return self._cache[key]

    def _param(self, name: str) -> sp.Rational:
        v = self.values[name]
        return sp.Rational(v.numerator, v.denominator)

    def _output_gradient(self) -> list:
        """∂L/∂a^{(L)}_k of this sample's loss, from the loss rule at the exact outputs."""
        key = ("out",)
        if key not in self._cache:
            net, D = self.network, self.network.depth
            n = net.layers[-1]
            a = [_a(D, k) for k in range(1, n + 1)]
            y = [_sym(f"y[{k}]") for k in range(1, n + 1)]
            loss = sp.Add(*LOSSES[net.loss].terms(a, y))
            point = {a[k]: self.value(f"a{D}[{k + 1}]") for k in range(n)}
            point.update({y[k]: sp.Rational(v.numerator, v.denominator)
                          for k, v in enumerate(net.y[self.sample - 1])})
            self._cache[key] = [evaluate(sp.diff(loss, ak), point, f"dL/da{D}[{k}]") for k, ak in enumerate(a, 1)]
        return self._cache[key]

    def dadu(self, l: int, i: int):
        """f'(u^{(l)}_i) for an elementwise activation, from the rule table."""
        key = ("f'", l, i)
        if key not in self._cache:
            act = self.network.activations[l - 1]
            u = self.value(f"u{l}[{i}]")
            if ACTIVATIONS[act].has_kink and u == 0:
                raise KinkError(f"u{l}[{i}] = 0 lies exactly on {act}'s kink, where the chain rule's factor "
                                f"da{l}[{i}]/du{l}[{i}] does not exist; move the point off the kink.")
            t = sp.Dummy("t", real=True)
            self._cache[key] = evaluate(ACTIVATIONS[act].symbolic_prime(t), {t: u}, f"f'(u{l}[{i}])")
        return self._cache[key]

    def dLda(self, l: int, i: int):
        key = ("dLda", l, i)
        if key not in self._cache:
            net = self.network
            if l == net.depth:
                v = self._output_gradient()[i - 1]
            else:
                v = sum((self.delta(l + 1, k) * self._param(f"W{l + 1}[{k},{i}]")
                         for k in range(1, net.layers[l + 1] + 1)), sp.Integer(0))
            self._cache[key] = v
        return self._cache[key]

    def delta(self, l: int, i: int):
        key = ("delta", l, i)
        if key not in self._cache:
            if self.network.activations[l - 1] == "softmax":
                ai = self.value(f"a{l}[{i}]")
                v = sp.Integer(0)
                for k in range(1, self.network.layers[l] + 1):
                    ak = self.value(f"a{l}[{k}]")
                    v += self.dLda(l, k) * (ak * (1 - ai) if k == i else -ak * ai)
            else:
                v = self.dLda(l, i) * self.dadu(l, i)
            self._cache[key] = v
        return self._cache[key]

    def d(self, of: str, wrt: str):
        """The derivative the document prints: ``("L", "a2[1]")``, ``("a2[1]", "u2[1]")``, ``("L", "u2[1]")``."""
        w = parse_name(wrt)
        if of == "L" and w.kind == "u":
            return self.delta(w.layer, w.indices[0])
        if of == "L" and w.kind == "a":
            return self.dLda(w.layer, w.indices[0])
        o = parse_name(of)
        if o.kind == "a" and w.kind == "u" and (o.layer, o.indices) == (w.layer, w.indices):
            return self.dadu(w.layer, w.indices[0])
        raise DerivcheckError(f"d{of}/d{wrt} is not a chain-rule factor of the document.")  # pragma: no cover

    def sample_loss(self):
        n = self.network.layers[-1]
        return sum((self.value(f"L[{k}]") for k in range(1, n + 1)), sp.Integer(0))


def _forward(w: _Writer, network: Network, num: _Numbers | None, values: dict | None) -> None:
    D = network.depth
    for l in range(1, D + 1):
        act = network.activations[l - 1]
        w.section(f"Layer {l} ({escape_text(act)})", "subsection")
        for i in range(1, network.layers[l] + 1):
            w.begin_group()
            terms = [_mul(_sym(f"W{l}[{i},{j}]"), _a(l - 1, j)) for j in range(1, network.layers[l - 1] + 1)]
            bname = _bias_name(network, l, i)
            if bname:
                terms.append(_sym(bname))
            steps: list = [_sum_terms(w, terms)]
            if num is not None:
                nums = [_mul(Num(values[f"W{l}[{i},{j}]"]), Num(num.value(_a_name(l - 1, j))))
                        for j in range(1, network.layers[l - 1] + 1)]
                if bname:
                    nums.append(Num(values[bname]))
                steps += [_sum_terms(w, nums), format_number(num.value(f"u{l}[{i}]"), w.p.digits)]
            w.chain(w.tex(_u(l, i)), *steps)
            if act == "softmax":
                n = network.layers[l]
                if n <= 3:
                    formula = sp.exp(_u(l, i)) / _add(*[sp.exp(_u(l, k)) for k in range(1, n + 1)])
                    steps = [w.tex(formula)]
                else:
                    steps = [f"\\frac{{{w.tex(sp.exp(_u(l, i)))}}}{{\\sum_{{k=1}}^{{{n}}} e^{{u^{{({l})}}_{{k}}}}}}"]
                if num is not None and n <= 3:
                    numbers = sp.exp(Num(num.value(f"u{l}[{i}]"))) / _add(
                        *[sp.exp(Num(num.value(f"u{l}[{k}]"))) for k in range(1, n + 1)])
                    steps += [w.tex(numbers)]
                elif num is not None:
                    total = sum((evaluate(sp.exp(num.value(f"u{l}[{k}]")), {}) for k in range(1, n + 1)),
                                sp.Integer(0))
                    top = evaluate(sp.exp(num.value(f"u{l}[{i}]")), {})
                    steps += [f"\\frac{{{w.tex(sp.exp(Num(num.value(f'u{l}[{i}]'))))}}}{{{format_number(total, w.p.digits)}}}",
                              f"\\frac{{{format_number(top, w.p.digits)}}}{{{format_number(total, w.p.digits)}}}"]
            else:
                steps = [w.tex(_activation_formula(act, _u(l, i)))]
                if num is not None and act != "identity":
                    steps.append(w.tex(_activation_formula(act, Num(num.value(f"u{l}[{i}]")))))
            if num is not None:
                steps.append(format_number(num.value(f"a{l}[{i}]"), w.p.digits))
            w.chain(w.tex(_a(l, i)), *steps)
            w.end_group()


def _loss(w: _Writer, network: Network, num: _Numbers | None) -> None:
    D, n = network.depth, network.layers[-1]
    desc = _LOSS_LATEX.get(network.loss)
    desc = f"${desc}$" if desc else escape_text(LOSSES[network.loss].description or network.loss)
    w.text(f"Loss \\texttt{{{escape_text(network.loss)}}}: {desc}, one term per output.")
    terms = _loss_terms(network)
    w.begin_group()
    for k, term in enumerate(terms, 1):
        steps = [w.tex(term)]
        if num is not None:
            sub = {_a(D, j): Num(num.value(f"a{D}[{j}]")) for j in range(1, n + 1)}
            sub.update({_sym(f"y[{j}]"): Num(num.truth.network.y[num.truth.sample - 1][j - 1]) for j in range(1, n + 1)})
            steps += [w.tex(_substitute(term, sub)), format_number(num.value(f"L[{k}]"), w.p.digits)]
        w.chain(w.tex(_sym(f"L[{k}]")), *steps)
    steps: list = [[w.tex(_sym(f"L[{k}]")) for k in range(1, n + 1)]]
    if num is not None:
        steps += [[w.tex(Num(num.value(f"L[{k}]"))) for k in range(1, n + 1)],
                  format_number(num.sample_loss(), w.p.digits)]
    w.chain(w.tex(_sym("L")), *steps)
    w.end_group()


def _backward(w: _Writer, network: Network, num: _Numbers | None, values: dict | None) -> dict[str, object]:
    """The chain rule layer by layer; returns the (sample's) gradient {parameter: value}."""
    D = network.depth
    L = _sym("L")
    grads: dict[str, object] = {}
    fmt = (lambda v: format_number(v, w.p.digits))
    for l in range(D, 0, -1):
        act = network.activations[l - 1]
        n, n_prev = network.layers[l], network.layers[l - 1]
        w.section(f"Layer {l}" + (" (output)" if l == D else ""), "subsection")
        for i in range(1, n + 1):
            u, a = _u(l, i), _a(l, i)
            w.begin_group()
            if act == "softmax":
                # δ_i = Σ_k ∂L/∂a_k · ∂a_k/∂u_i, with ∂a_k/∂u_i = a_k(1 − a_i) if k = i else −a_k a_i
                terms, nums = [], []
                for k in range(1, n + 1):
                    ak = _a(l, k)
                    local = _mul(ak, _add(sp.Integer(1), _mul(sp.Integer(-1), a))) if k == i else \
                        _mul(sp.Integer(-1), ak, a)
                    terms.append(_mul(_d(L, ak), local))
                    if num is not None:
                        nk, ni = Num(num.value(f"a{l}[{k}]")), Num(num.value(f"a{l}[{i}]"))
                        nlocal = _mul(nk, _add(sp.Integer(1), _mul(sp.Integer(-1), ni))) if k == i else \
                            _mul(sp.Integer(-1), nk, ni)
                        nums.append(_mul(Num(num.d("L", f"a{l}[{k}]")), nlocal))
                steps: list = [_sum_terms(w, terms)]
                if num is not None:
                    steps += [_sum_terms(w, nums), fmt(num.d("L", f"u{l}[{i}]"))]
                w.chain(w.tex(_d(L, u)), *steps)
                if num is not None:
                    for k in range(1, n + 1):
                        w.chain(w.tex(_d(L, _a(l, k))), fmt(num.d("L", f"a{l}[{k}]")))
            else:
                if l == D:
                    formula = sp.diff(sp.Add(*_loss_terms(network)), a)
                    steps = [w.tex(formula)]
                    if num is not None:
                        sub = {a: Num(num.value(f"a{l}[{i}]")),
                               _sym(f"y[{i}]"): Num(num.truth.network.y[num.truth.sample - 1][i - 1])}
                        for k in range(1, n + 1):
                            sub.setdefault(_a(l, k), Num(num.value(f"a{l}[{k}]")))
                        steps += [w.tex(_substitute(formula, sub)), fmt(num.d("L", f"a{l}[{i}]"))]
                else:
                    nxt = network.layers[l + 1]
                    terms = [_mul(_d(L, _u(l + 1, k)), _sym(f"W{l + 1}[{k},{i}]")) for k in range(1, nxt + 1)]
                    steps = [_sum_terms(w, terms)]
                    if num is not None:
                        nums = [_mul(Num(num.d("L", f"u{l + 1}[{k}]")), Num(values[f"W{l + 1}[{k},{i}]"]))
                                for k in range(1, nxt + 1)]
                        steps += [_sum_terms(w, nums), fmt(num.d("L", f"a{l}[{i}]"))]
                w.chain(w.tex(_d(L, a)), *steps)
                prime = _prime_formula(act, u, a)
                steps = [w.tex(prime)]
                if num is not None:
                    if act in ("sigmoid", "tanh"):
                        steps.append(w.tex(_prime_formula(act, u, Num(num.value(f"a{l}[{i}]")))))
                    steps.append(fmt(num.d(f"a{l}[{i}]", f"u{l}[{i}]")))
                w.chain(w.tex(_d(a, u)), *steps)
                steps = [w.tex(_mul(_d(L, a), _d(a, u)))]
                if num is not None:
                    steps += [w.tex(_mul(Num(num.d("L", f"a{l}[{i}]")), Num(num.d(f"a{l}[{i}]", f"u{l}[{i}]")))),
                              fmt(num.d("L", f"u{l}[{i}]"))]
                w.chain(w.tex(_d(L, u)), *steps)
            w.end_group()
        # parameters of this layer
        w.text(f"Weights and biases of layer {l}:")
        rows = []
        for i in range(1, n + 1):
            u, a = _u(l, i), _a(l, i)
            local = [_d(L, u)] if act == "softmax" else [_d(L, a), _d(a, u)]
            local_n = None
            if num is not None:
                local_n = [num.d("L", f"u{l}[{i}]")] if act == "softmax" else \
                    [num.d("L", f"a{l}[{i}]"), num.d(f"a{l}[{i}]", f"u{l}[{i}]")]
            for j in range(1, n_prev + 1):
                pname = f"W{l}[{i},{j}]"
                p = _sym(pname)
                steps = [w.tex(_mul(*local, _d(u, p)))]
                if num is not None:
                    prev = num.value(_a_name(l - 1, j))
                    value = num.d("L", f"u{l}[{i}]") * prev
                    grads[pname] = value
                    steps += [w.tex(_mul(*[Num(v) for v in local_n], Num(prev))), fmt(value)]
                rows.append((w.tex(_d(L, p)), steps))
                if num is None:
                    rows[-1][1].insert(1, w.tex(_mul(*local, _a(l - 1, j))))
            bname = _bias_name(network, l, i)
            if bname and network.bias[l - 1] == "per-neuron":
                p = _sym(bname)
                steps = [w.tex(_mul(*local, _d(u, p)))]
                if num is not None:
                    value = num.d("L", f"u{l}[{i}]")
                    grads[bname] = value
                    steps += [w.tex(_mul(*[Num(v) for v in local_n], Num(1))), fmt(value)]
                rows.append((w.tex(_d(L, p)), steps))
        w.begin_group()
        for lhs, steps in rows:
            w.chain(lhs, *steps)
        w.end_group()
        if network.bias[l - 1] == "shared":
            p = _sym(f"b{l}")
            terms = [_mul(_d(L, _u(l, i)), _d(_u(l, i), p)) for i in range(1, n + 1)]
            steps = [_sum_terms(w, terms)]
            if num is not None:
                value = sum((num.d("L", f"u{l}[{i}]") for i in range(1, n + 1)), sp.Integer(0))
                grads[f"b{l}"] = value
                steps += [_sum_terms(w, [_mul(Num(num.d("L", f"u{l}[{i}]")), Num(1)) for i in range(1, n + 1)]),
                          fmt(value)]
            w.chain(w.tex(_d(L, p)), *steps)
    return grads


def _matrix_form(w: _Writer, network: Network, nums: list[_Numbers] | None, grads: dict | None) -> None:
    D, m = network.depth, (len(nums) if nums else 1)
    symbolic = _matrix_equations(network)
    w.text("Stacking the neurons of each layer into column vectors, with "
           "$\\delta^{(l)} = \\partial L / \\partial u^{(l)}$"
           + ("" if m == 1 else f" (one column per sample; the gradients are means over the {m} samples)") + ":"
           + "".join(f" {escape_text(note)}." for _, note in symbolic[0]))
    for l in range(D, 0, -1):
        delta = MSym("delta", l)
        scale = "" if m == 1 else f"\\frac{{1}}{{{m}}} \\sum_{{s}} "
        lines = [(lhs, (rhs if k == 0 else scale + rhs), None) for k, (lhs, rhs) in enumerate(symbolic[l])]
        mode = network.bias[l - 1]
        w.section(f"Layer {l}", "subsection")
        w.add("\\begin{align*}", " \\\\\n".join(f"{lhs} &= {rhs}" for lhs, rhs, _ in lines), "\\end{align*}")
        if nums:
            n, n_prev = network.layers[l], network.layers[l - 1]
            dvals = [[s.d("L", f"u{l}[{i}]") for s in nums] for i in range(1, n + 1)]
            w.display(f"{render_matrix(delta)} = {matrix_latex(dvals, w.p.digits)}")
            gW = [[grads[f"W{l}[{i},{j}]"] for j in range(1, n_prev + 1)] for i in range(1, n + 1)]
            w.display(f"{render_matrix(MGrad(MSym('W', l)))} = {matrix_latex(gW, w.p.digits)}")
            if mode == "per-neuron":
                gb = [grads[f"b{l}[{i}]"] for i in range(1, n + 1)]
                w.display(f"{render_matrix(MGrad(MSym('b', l)))} = {matrix_latex(gb, w.p.digits)}")
            elif mode == "shared":
                w.display(f"{render_matrix(MGrad(MSym('b', l)))} = {format_number(grads[f'b{l}'], w.p.digits)}")


def _matrix_equations(network: Network) -> dict[int, list[tuple[str, str]]]:
    """Per layer, the symbolic (δ, ∇W, ∇b) equations as LaTeX: from :mod:`symbolic.formulas.matrix_form` when it is
    available, else from this package's own matrix nodes."""
    out: dict[int, list[tuple[str, str]]] = {}
    try:
        from ..formulas.matrix_form import Deriv, Var, derive, to_latex
    except ImportError:  # an installation without symbolic.formulas.matrix_form: this module's own matrix nodes
        derive = None
    if derive is not None:
        mf = derive(network)
        for l in range(1, network.depth + 1):
            rows = [(to_latex(Var("delta", l)), to_latex(mf.deltas[l])),
                    (to_latex(Deriv(Var("L"), Var("W", l), nabla=True)), to_latex(mf.grad_W[l]))]
            if l in mf.grad_b:
                rows.append((to_latex(Deriv(Var("L"), Var("b", l), nabla=True)), to_latex(mf.grad_b[l])))
            out[l] = rows
        out[0] = [("", mf.output_note)] if mf.output_note else []
        return out
    D = network.depth
    for l in range(D, 0, -1):
        act = network.activations[l - 1]
        delta = MSym("delta", l)
        if l == D and act == "softmax":
            a = MSym("a", l)
            rhs = MMul((MSub(MApply("diag", a), MMul((a, MT(a)))), MGrad(a)))
        elif l == D:
            rhs = MHad(MGrad(MSym("a", l)), MApply("f'", MSym("u", l), l))
        else:
            rhs = MHad(MMul((MT(MSym("W", l + 1)), MSym("delta", l + 1))), MApply("f'", MSym("u", l), l))
        prev = MSym("x") if l == 1 else MSym("a", l - 1)
        rows = [(render_matrix(delta), render_matrix(rhs)),
                (render_matrix(MGrad(MSym("W", l))), render_matrix(MMul((delta, MT(prev)))))]
        if network.bias[l - 1] == "per-neuron":
            rows.append((render_matrix(MGrad(MSym("b", l))), render_matrix(delta)))
        elif network.bias[l - 1] == "shared":
            rows.append((render_matrix(MGrad(MSym("b", l))), render_matrix(MMul((MT(MOnes()), delta)))))
        out[l] = rows
    out[0] = []
    return out


def _update(w: _Writer, network: Network, values: dict, grads: dict) -> None:
    eta = network.learning_rate
    w.text(f"Gradient descent with learning rate $\\eta = {format_number(eta, w.p.digits)}$: "
           "$\\theta \\leftarrow \\theta - \\eta \\, \\partial L / \\partial \\theta$."
           + ("" if network.update_biases or all(b == "none" for b in network.bias)
              else " As in the source, the biases are not updated."))
    L = _sym("L")
    new = dict(values)
    eta_n = sp.Rational(eta.numerator, eta.denominator)
    w.begin_group()
    for pname in network.parameter_names():
        if not pname.startswith("W") and not network.update_biases:
            continue
        p = _sym(pname)
        value = sp.Rational(values[pname].numerator, values[pname].denominator) - eta_n * grads[pname]
        new[pname] = _exact_fraction(value)
        w.chain(f"{{{w.tex(p)}}}^{{+}}", w.tex(_add(p, _mul(sp.Integer(-1), sp.Symbol(r"\eta"), _d(L, p)))),
                w.tex(_add(Num(values[pname]), _mul(sp.Integer(-1), Num(eta), Num(grads[pname])))),
                format_number(value, w.p.digits))
    w.end_group()
    after = Truth(network.with_values(new)).value("L")
    w.text(f"After this update the loss is $L = {format_number(after, w.p.digits)}$ "
           f"(it was ${format_number(Truth(network).value('L'), w.p.digits)}$).")


def _claims_table(w: _Writer, report) -> None:
    from ..claims.verdict import Verdict

    if report.error:
        w.text("The claims could not be checked: " + escape_text(report.error))
        return
    w.add("{\\small", "\\begin{longtable}{@{}r>{\\raggedright}p{3.1cm}>{\\raggedright}p{2.3cm}"
          ">{\\raggedright}p{3.0cm}>{\\raggedright}p{1.7cm}>{\\raggedright\\arraybackslash}p{4.3cm}@{}}",
          "\\toprule", "\\# & claim & claimed & exact & verdict & diagnosis \\\\", "\\midrule", "\\endhead")
    for r in report.results:
        claim = r.name + (f" (line {r.line})" if r.line else "")
        note = r.diagnosis or (r.message if r.verdict != Verdict.OK else "")
        if r.expect and r.verdict == r.expect and r.verdict != Verdict.OK:
            note = (note + " " if note else "") + f"(expected {r.expect})"
        verdict = escape_text(r.verdict)
        color = ""
        if r.verdict in (Verdict.WRONG, Verdict.SHAPE, Verdict.ERROR):
            verdict = f"\\wrong{{{verdict}}}"
            color = "\\rowcolor{red!12}"
        elif r.verdict == Verdict.ROUNDING:
            color = "\\rowcolor{yellow!15}"
        w.add(f"{color}{r.index} & {_breakable(claim)} & {_breakable(r.claimed)} & {_breakable(r.exact)} & "
              f"{verdict} & {escape_text(note)} \\\\")
    w.add("\\bottomrule", "\\end{longtable}", "}", "")
    counts = ", ".join(f"{v} {escape_text(k)}" for k, v in sorted(report.counts().items()))
    w.text(f"Summary: {counts}.")


def _breakable(text: str) -> str:
    """Escaped text with break points in long runs (numbers, names) so narrow columns never overflow."""
    out, run = [], 0
    for ch in str(text):
        out.append(escape_text(ch))
        run = 0 if ch == " " else run + 1
        if ch in "/=_," or run >= 16:
            out.append("\\allowbreak{}")
            run = 0
    return "".join(out)


# ------------------------------------------------------------------ public API
def render_document(source, *, check_claims: bool = True, report=None, digits: int = DIGITS,
                    title: str | None = None) -> str:
    """A complete LaTeX document for a derivation (or a bare network); see the module contract."""
    from ..claims.derivation import Derivation

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
    w = _Writer(DerivLatexPrinter(aliases, digits))
    numeric = network.params is not None and network.x is not None and network.y is not None
    values = network.parameter_values() if network.params is not None else None
    w.add(_PREAMBLE, f"\\title{{{escape_text(doc_title)}}}", "\\author{derivcheck}", "\\date{}",
          "\\begin{document}", "\\maketitle", "")
    if origin:
        w.text(f"Source: \\texttt{{{_breakable(origin)}}}.")
    if len(set(network.activations)) == 1:
        acts = f"activation {_ACT_NAMES.get(network.activations[0], escape_text(network.activations[0]))}"
    else:
        acts = "activations " + ", ".join(f"layer {l}: {_ACT_NAMES.get(a, escape_text(a))}"
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
    _figure(w, network, values)
    samples = list(range(1, len(network.x) + 1)) if numeric else [None]
    nums: list[_Numbers] = []
    all_grads: list[dict] = []
    for s in samples:
        num = _Numbers(network, s) if s is not None else None
        suffix = f" (sample {s})" if s is not None and len(samples) > 1 else ""
        if num is not None:
            x = ", ".join(format_number(v, digits) for v in network.x[s - 1])
            y = ", ".join(format_number(v, digits) for v in network.y[s - 1])
            w.text(f"Sample{'' if len(samples) == 1 else f' {s}'}: input $({x})$, target $({y})$.")
        w.section("Forward pass" + suffix)
        _forward(w, network, num, values)
        w.section("Loss" + suffix)
        _loss(w, network, num)
        w.section("Backward pass: the chain rule" + suffix)
        if len(samples) > 1:
            w.text("Here $L$ is this sample's loss; the batch loss is the mean over the samples.")
        all_grads.append(_backward(w, network, num, values))
        if num is not None:
            nums.append(num)
    grads = None
    if numeric:
        m = len(samples)
        grads = {k: sum((g[k] for g in all_grads), sp.Integer(0)) / m for k in all_grads[0]}
        if m > 1:
            w.section("Gradient of the batch loss")
            L = _sym("L")
            for k, v in grads.items():
                w.chain(w.tex(_d(L, _sym(k))), f"\\frac{{1}}{{{m}}} \\sum_{{s=1}}^{{{m}}} "
                        f"\\frac{{\\partial L_s}}{{\\partial {w.tex(_sym(k))}}}", format_number(v, digits))
    w.section("Matrix form")
    _matrix_form(w, network, nums or None, grads)
    if numeric and network.learning_rate is not None:
        w.section("Update")
        _update(w, network, values, grads)
    if claims and check_claims:
        if report is None:
            from ..claims.check import check_derivation

            report = check_derivation(source)
        w.section("Claims checked")
        _claims_table(w, report)
    if notes.strip():
        w.section("Notes")
        w.text(escape_text(notes.strip()))
    w.add("\\end{document}", "")
    return "\n".join(w.lines)


class _TextPrinter(StrPrinter):
    """Plain-text formulas with canonical names (for ``derive`` without ``--latex``)."""

    def _print_Symbol(self, expr):
        if isinstance(expr, Num):
            return format_number(expr.value, latex=False)
        try:
            return canonical_of_symbol(expr) if parse_name(canonical_of_symbol(expr)) else expr.name
        except DerivcheckError:
            return expr.name

    def _print_Derivative(self, expr):
        return f"d{self._print(expr.expr)}/d{self._print(expr.variables[0])}"


def derive_formulas(network: Network, latex: bool = False) -> str:
    """The symbolic forward pass, loss and chain rule of a network (no numbers)."""
    if latex:
        w = _Writer(DerivLatexPrinter({}))
        w.section("Forward pass")
        _forward(w, network, None, None)
        w.section("Loss")
        _loss(w, network, None)
        w.section("Backward pass: the chain rule")
        _backward(w, network, None, None)
        w.section("Matrix form")
        _matrix_form(w, network, None, None)
        return "\n".join(w.lines) + "\n"
    tp = _TextPrinter({"order": "none"})
    D, L = network.depth, _sym("L")
    out = ["# forward pass"]
    for l in range(1, D + 1):
        act = network.activations[l - 1]
        for i in range(1, network.layers[l] + 1):
            terms = [_mul(_sym(f"W{l}[{i},{j}]"), _a(l - 1, j)) for j in range(1, network.layers[l - 1] + 1)]
            b = _bias_name(network, l, i)
            out.append(f"{tp.doprint(_u(l, i))} = {tp.doprint(_add(*terms, *([_sym(b)] if b else [])))}")
            if act == "softmax":
                rhs = f"exp({tp.doprint(_u(l, i))}) / sum_k exp(u{l}[k])"
            else:
                rhs = tp.doprint(_activation_formula(act, _u(l, i)))
            out.append(f"{tp.doprint(_a(l, i))} = {rhs}")
    out.append("# loss")
    for k, term in enumerate(_loss_terms(network), 1):
        out.append(f"L[{k}] = {tp.doprint(term)}")
    out.append("L = " + " + ".join(f"L[{k}]" for k in range(1, network.layers[-1] + 1)))
    out.append("# backward pass (delta = dL/du)")
    for l in range(D, 0, -1):
        act = network.activations[l - 1]
        for i in range(1, network.layers[l] + 1):
            u, a = _u(l, i), _a(l, i)
            if act == "softmax":
                out.append(f"dL/d{tp.doprint(u)} = sum_k dL/da{l}[k] * a{l}[k] * ([k={i}] - {tp.doprint(a)})")
                continue
            if l == D:
                out.append(f"dL/d{tp.doprint(a)} = {tp.doprint(sp.diff(sp.Add(*_loss_terms(network)), a))}")
            else:
                terms = [_mul(_d(L, _u(l + 1, k)), _sym(f"W{l + 1}[{k},{i}]"))
                         for k in range(1, network.layers[l + 1] + 1)]
                out.append(f"dL/d{tp.doprint(a)} = {tp.doprint(_add(*terms))}")
            out.append(f"d{tp.doprint(a)}/d{tp.doprint(u)} = {tp.doprint(_prime_formula(act, u, a))}")
        for i in range(1, network.layers[l] + 1):
            for j in range(1, network.layers[l - 1] + 1):
                out.append(f"dL/dW{l}[{i},{j}] = dL/du{l}[{i}] * {_a_name(l - 1, j)}")
        if network.bias[l - 1] == "shared":
            out.append(f"dL/db{l} = " + " + ".join(f"dL/du{l}[{i}]" for i in range(1, network.layers[l] + 1)))
        elif network.bias[l - 1] == "per-neuron":
            for i in range(1, network.layers[l] + 1):
                out.append(f"dL/db{l}[{i}] = dL/du{l}[{i}]")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ compiling
def _first_error(log: str) -> str:
    lines = log.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("!"):
            where = next((s.strip().split(" ", 1)[0] for s in lines[k + 1:k + 15] if s.startswith("l.")), "")
            where = f" at line {where[2:]} of the .tex" if where[2:].isdigit() else ""
            return (line.strip().rstrip(".") + where)[:300]
    return "no error line in the log"


def compile_pdf(tex_path: str | Path, out_dir: str | Path | None = None) -> Path:
    """Compile a ``.tex`` file with latexmk/pdflatex (no shell escape) and return the PDF's path."""
    tex_path = Path(tex_path)
    out_dir = Path(out_dir) if out_dir is not None else tex_path.parent
    latexmk = shutil.which("latexmk")
    if latexmk is None or shutil.which("pdflatex") is None:
        raise DerivcheckError("latexmk/pdflatex is not installed; install the Debian packages latexmk, "
                              "texlive-latex-base, texlive-latex-recommended, texlive-latex-extra and "
                              "texlive-pictures (as .ci/run does) to make PDFs.")
    try:
        source = tex_path.read_text(encoding="utf-8")
    except OSError as err:
        raise DerivcheckError(f"{tex_path} cannot be read ({err.strerror or err}).") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="derivcheck-latex-") as tmp:
        work = Path(tmp) / "document.tex"
        work.write_text(source, encoding="utf-8")
        env = dict(os.environ, openin_any="p", openout_any="p", shell_escape="f", TEXMFOUTPUT=tmp)
        cmd = [latexmk, "-norc", "-pdf", "-interaction=nonstopmode", "-halt-on-error",
               "-pdflatex=pdflatex -no-shell-escape -interaction=nonstopmode -halt-on-error %O %S",
               "document.tex"]
        try:
            run = subprocess.run(cmd, cwd=tmp, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                 text=True, timeout=LATEX_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise DerivcheckError(f"LaTeX did not finish {tex_path} within {LATEX_TIMEOUT} s.") from None
        log_path = Path(tmp) / "document.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
        pdf = Path(tmp) / "document.pdf"
        if run.returncode != 0 or not pdf.exists():
            if log:
                (out_dir / (tex_path.stem + ".log")).write_text(log, encoding="utf-8")
            raise DerivcheckError(f"LaTeX failed on {tex_path}: {_first_error(log or run.stdout + run.stderr)}.")
        (out_dir / (tex_path.stem + ".log")).write_text(log, encoding="utf-8")
        target = out_dir / (tex_path.stem + ".pdf")
        fd, partial = tempfile.mkstemp(dir=out_dir, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
        try:
            shutil.copyfile(pdf, partial)
            os.replace(partial, target)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
    return target
