"""Building blocks of the LaTeX documents: the line writer and the unevaluated expressions it prints.

Contract
--------
* :class:`Writer` collects the document's lines. Every formula goes through its
  one printer (:class:`symbolic.formulas.printers.DerivLatexPrinter`,
  ``Writer.tex``); :meth:`Writer.chain` writes ``lhs = step = step …`` in an
  ``align*`` and breaks a step given as a list of terms over lines of about
  :data:`LINE_WIDTH` glyphs; :meth:`Writer.begin_group` / ``end_group`` gather
  chains into short ``align*`` blocks; :meth:`Writer.display` shrinks a wide
  display to the line width.
* :func:`sym`, :func:`u_of`, :func:`a_of` are the closed-form symbols of
  canonical names; :func:`a_name` and :func:`bias_name` the canonical names;
  :func:`deriv`, :func:`times`, :func:`plus` build ∂/∂, products and sums that
  stay unevaluated, so they print in the order written; :func:`substitute`
  replaces symbols (by numbers) keeping that order.
"""
from __future__ import annotations

import re
from typing import Sequence

import sympy as sp

from ..formulas.printers import DerivLatexPrinter, Num
from ..spec.names import parse_name, symbol_for
from ..spec.network import Network

__all__ = ["LINE_WIDTH", "Writer", "sym", "u_of", "a_of", "a_name", "bias_name", "deriv", "times", "plus",
           "substitute", "sum_terms"]

LINE_WIDTH = 64  # glyphs of a display line before a long sum is broken


def sym(text: str) -> sp.Symbol:
    """The closed-form symbol of a canonical name (``W2[1,1]``, ``u1[2]``, ``L``)."""
    return symbol_for(parse_name(text))


def u_of(l: int, i: int) -> sp.Symbol:
    """u^{(l)}_i."""
    return sym(f"u{l}[{i}]")


def a_of(l: int, i: int) -> sp.Symbol:
    """a^{(l)}_i (layer 0 is the input x_i)."""
    return sym(f"x[{i}]") if l == 0 else sym(f"a{l}[{i}]")


def a_name(l: int, i: int) -> str:
    """The canonical name of a^{(l)}_i (``x[i]`` for layer 0)."""
    return f"x[{i}]" if l == 0 else f"a{l}[{i}]"


def bias_name(network: Network, l: int, i: int) -> str | None:
    """The bias neuron i of layer l adds (``b2[1]``, a shared ``b2``), or None."""
    mode = network.bias[l - 1]
    return None if mode == "none" else (f"b{l}" if mode == "shared" else f"b{l}[{i}]")


def deriv(of: sp.Expr, wrt: sp.Expr) -> sp.Derivative:
    """∂of/∂wrt, unevaluated (printed as a Leibniz fraction)."""
    return sp.Derivative(of, wrt, evaluate=False)


def times(*factors) -> sp.Expr:
    """A product kept as written (unevaluated)."""
    return sp.Mul(*factors, evaluate=False)


def plus(*terms) -> sp.Expr:
    """A sum kept as written (unevaluated); one term is itself."""
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


class Writer:
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


def substitute(expr: sp.Expr, mapping: dict) -> sp.Expr:
    """``expr`` with symbols replaced, rebuilt unevaluated so the printed order of terms is kept."""
    if expr in mapping:
        return mapping[expr]
    if not expr.args or isinstance(expr, (sp.Derivative, Num)):
        return expr
    args = [substitute(a, mapping) for a in expr.args]
    try:
        return expr.func(*args, evaluate=False)
    except TypeError:
        return expr.func(*args)


def sum_terms(w: Writer, terms: Sequence[sp.Expr]) -> list[str]:
    """Each term printed, for :meth:`Writer.chain` to break over lines."""
    return [w.tex(t) for t in terms]
