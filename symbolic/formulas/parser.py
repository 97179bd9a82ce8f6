r"""Our own LaTeX reader for hand-written backprop formulas (lark, LALR).

Contract
--------
:func:`parse_formula` reads one claim such as ::

    \nabla_{w^{(2)}} L = \left(f\left(W^{(2)} y + b^{(2)}\right) - z\right) \odot f'\left(W^{(2)} y + b^{(2)}\right) y^T

and returns a :class:`Formula`: the sides of the equation chain (``A = B = C``, or an
``aligned`` block with ``&=`` and ``\\``) as :mod:`symbolic.formulas.nodes` nodes, plus
conditions that fix an index (``\quad (i = 1)``, ``, i = 1``, ``\text{for } i = 1``).

What it reads: ``\frac``, ``\frac{\partial X}{\partial V}``, ``\frac{\partial}{\partial V} X``,
``\nabla_{V} X``, ``\odot``, ``\oslash``, ``\cdot``, ``\times``, implicit multiplication, ``+ -``,
``^T`` / ``^\top`` / ``(\cdot)^T``, ``^{(l)}`` layers (a number, ``l``, ``l+1``, ``L`` for the
output layer), ``^2`` powers, ``e^{…}``, primes ``f'``, sub/superscripts in either order,
``f(\cdot)``, ``f'(\cdot)``, ``f^{(l)}(\cdot)``, ``\sigma``, ``\phi``, ``\exp``, ``\log``,
``\tanh``, ``\operatorname{softmax|relu|diag}``, ``\left( \right)``, ``\big(`` …, ``[ ]``,
``\| \|``, ``\begin{bmatrix}…\end{bmatrix}`` (and p/v/matrix), ``\sum_{k=1}^{4}`` and
``\sum_k`` (range inferred), ``\mathbf{…}`` and similar fonts (ignored), ``\hat{y}`` names,
spacing commands. Subscripts: ``w_{ij}^{(2)}`` is an entry, ``w_i^{(2)}`` row i of W^{(2)},
``b_i^{(2)}``, ``x_j``, ``y_k``, ``\delta_i^{(2)}`` vector entries; ``_{12}`` on a matrix
means row 1, column 2; ``_{i,j}`` with commas for longer indices.

Precedence: ``+ -`` bind loosest; ``⊙``, ``⊘``, ``\cdot`` and juxtaposition share one
level and associate to the left (``(f(u) − y) ⊙ f'(u) a^T`` is ``((f(u) − y) ⊙ f'(u)) a^T``,
``W^T δ ⊙ f'(u)`` is ``(W^T δ) ⊙ f'(u)``, as the tutorials mean them); a Σ and an operator
``\frac{\partial}{\partial V}`` take the whole product that follows them.

Meaning of letters: ``W``/``w`` weights, ``b`` biases, ``u`` pre-activations, ``a``
activations, ``x`` input, ``y`` target, ``L`` loss, ``\delta`` ∂L/∂u, ``f`` the activation.
The claim's ``symbols`` map overrides or adds letters: its keys are the author's letters
(``z``, ``y``, ``\hat{y}``), its values canonical names (``y``, ``a1``, ``W2``, ``u``, ``a2[1]``,
``delta2``). Nothing is guessed beyond that.

How: :data:`symbolic.formulas.grammar.GRAMMAR` (lark, LALR) parses the cleaned text
(math delimiters and trailing punctuation blanked, plain norm bars paired, bracket
depth checked first); :class:`symbolic.formulas.reading.TreeBuilder` builds raw nodes;
:class:`symbolic.formulas.resolution.Resolver` gives the letters their meaning. This
module is the entry point; :func:`symbolic.formulas.syntax.reading_errors` turns every lark
error and refusal into one located sentence.

Safety: the text is only ever tokenized by our grammar; no part of it reaches
eval/exec/sympify/parse_expr/lambdify. Anything unsupported is a
:class:`DerivcheckError` with one sentence naming the column.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Mapping

from ..spec.errors import DerivcheckError
from ..spec.rules import ACTIVATIONS
from .grammar import GRAMMAR
from .nodes import Node
from .reading import TreeBuilder
from .resolution import Resolver
from .syntax import checked_text, cleaned_source, lalr_parser, reading_errors

__all__ = ["Formula", "parse_formula"]


@dataclass(frozen=True)
class Formula:
    """A parsed claim: ``sides[0] = sides[1] = …`` with ``conditions`` fixing indices."""

    sides: tuple[Node, ...]
    conditions: dict[str, int]
    source: str

    @property
    def lhs(self) -> Node:
        return self.sides[0]


_COMMANDS = ("frac", "dfrac", "tfrac", "partial", "nabla", "sum", "phi", "varphi", "exp", "log", "ln",
             "operatorname", "mathrm", "text", "textrm", "mbox", "delta", "mathbf", "boldsymbol", "bm", "mathit", "vec",
             "mathsf", "mathcal", "hat", "bar", "tilde", "widehat", "overline", "widetilde", "odot", "circ", "oslash",
             "cdot", "times", "ast", "left", "right", "big", "Big", "bigg", "Bigg", "begin", "end", "top", "intercal",
             "prime", "ell", "quad", "qquad", "displaystyle", "limits", "lVert", "rVert", "Vert") + tuple(
    spelling[1:] for rule in ACTIVATIONS.values() for spelling in rule.parser_names if spelling.startswith("\\"))


def _did_you_mean(command: str) -> str:
    near = difflib.get_close_matches(command.lstrip("\\"), _COMMANDS, n=1, cutoff=0.75)
    return f" (did you mean \\{near[0]}?)" if near else ""


def parse_formula(latex: str, symbols: Mapping[str, str] | None = None, aliases: Mapping[str, str] | None = None,
                  depth: int | None = None) -> Formula:
    """Parse a claimed equation; every problem is a one-sentence :class:`DerivcheckError`.

    ``symbols`` is the claim's map of the author's symbols, ``aliases`` the file's tutorial names
    (both read inside the formula), ``depth`` the network's number of layers (so ŷ and ^L print as
    the output layer's number).
    """
    checked_text(latex)
    if symbols is not None and not isinstance(symbols, Mapping):
        raise DerivcheckError("symbols must be a table such as { z = \"y\", y = \"a1\" }.")
    if aliases is not None and not isinstance(aliases, Mapping):
        raise DerivcheckError("aliases must be a table such as { w5 = \"W2[1,1]\" }.")
    source = cleaned_source(latex, "\\nabla_{W^{(2)}} L = …")
    with reading_errors(source, lambda cmd: f"read by derivcheck{_did_you_mean(cmd)}"):
        sides, conds = TreeBuilder(source).transform(lalr_parser(GRAMMAR).parse(source))
        resolver = Resolver(source, symbols or {}, aliases, depth)
        resolved = tuple(resolver(s) for s in sides)
    if sides is None or len(sides) < 2:
        raise DerivcheckError("A formula claim needs the form LEFT = RIGHT.")
    return Formula(resolved, conds, source)
