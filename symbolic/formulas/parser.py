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
module is the entry point and turns every lark error and refusal into one located
sentence.

Safety: the text is only ever tokenized by our grammar; no part of it reaches
eval/exec/sympify/parse_expr/lambdify. Anything unsupported is a
:class:`DerivcheckError` with one sentence naming the column.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Mapping

from lark import Lark
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, \
    VisitError

from ..spec.errors import DerivcheckError
from ..spec.rules import ACTIVATIONS
from .grammar import GRAMMAR
from .nodes import Node
from .raw import ReadFailure
from .reading import TreeBuilder
from .resolution import Resolver

__all__ = ["Formula", "parse_formula", "lark_failure", "MAX_LENGTH", "MAX_NESTING"]

MAX_LENGTH = 5000
MAX_NESTING = 100  # ( [ { levels; tutorials' formulas use fewer than ten


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)


@dataclass(frozen=True)
class Formula:
    """A parsed claim: ``sides[0] = sides[1] = …`` with ``conditions`` fixing indices."""

    sides: tuple[Node, ...]
    conditions: dict[str, int]
    source: str

    @property
    def lhs(self) -> Node:
        return self.sides[0]



def _too_deep(source: str) -> int | None:
    """Where ( [ { first nest more than MAX_NESTING deep (checked before parsing, in one pass), or None."""
    depth = 0
    for pos, ch in enumerate(source):
        if ch in "([{":
            depth += 1
            if depth > MAX_NESTING:
                return pos
        elif ch in ")]}":
            depth = max(depth - 1, 0)
    return None


def _position(source: str, pos: int | None) -> str:
    if pos is None:
        return ""
    line = source.count("\n", 0, pos) + 1
    col = pos - (source.rfind("\n", 0, pos) + 1) + 1
    return f" at line {line}, column {col}" if "\n" in source.strip() else f" at column {col}"


def _located(message: str, source: str, pos: int | None) -> str:
    where = _position(source, pos).strip()
    if not where:
        return message + "."
    first = message.split(" ", 1)[0]
    if first == "A" or (len(first) > 1 and first.isalpha() and first[1:].islower()):
        message = message[0].lower() + message[1:]
    return f"{where[0].upper()}{where[1:]}: {message}."


def _snippet(source: str, pos: int) -> str:
    text = source[pos:pos + 16].split("\n")[0]
    return text + ("…" if len(source) > pos + 16 else "")


def _clean(text: str) -> str:
    """Blank out math delimiters and trailing punctuation, keeping every column where it is."""
    out = list(text)
    stripped = text.strip()
    start = len(text) - len(text.lstrip())
    for opener, closer in (("$$", "$$"), ("\\[", "\\]"), ("$", "$")):
        if stripped.startswith(opener) and stripped.endswith(closer) and len(stripped) >= len(opener) + len(closer):
            for k in range(len(opener)):
                out[start + k] = " "
            end = start + len(stripped)
            for k in range(len(closer)):
                out[end - 1 - k] = " "
            break
    cleaned = _pair_norms("".join(out))
    m = re.search(r"[.,;]\s*$", cleaned)
    if m:
        cleaned = cleaned[:m.start()] + " " * (len(cleaned) - m.start())
    return cleaned


_PLAIN_NORM = re.compile(r"\\left\s*(?:\\\||\\Vert(?![a-zA-Z]))|\\right\s*(?:\\\||\\Vert(?![a-zA-Z]))"
                         r"|\\\||\\Vert(?![a-zA-Z])|\u2016")


def _pair_norms(text: str) -> str:
    """Plain ``\\|`` (and ``\\Vert``, ‖) bars alternate open/close; mark them so the grammar can tell.

    Each is replaced by a marker of the same length, so columns stay where they were.
    """
    out, opened = [], False
    last = 0
    for m in _PLAIN_NORM.finditer(text):
        token = m.group(0)
        if token.startswith("\\left") or token.startswith("\\right"):
            continue
        out.append(text[last:m.start()])
        mark = "\ue001" if opened else "\ue000"
        out.append(mark * 2 + " " * (len(token) - 2) if len(token) >= 2 else mark)
        opened = not opened
        last = m.end()
    out.append(text[last:])
    return "".join(out)


_COMMANDS = ("frac", "dfrac", "tfrac", "partial", "nabla", "sum", "phi", "varphi", "exp", "log", "ln",
             "operatorname", "mathrm", "text", "textrm", "mbox", "delta", "mathbf", "boldsymbol", "bm", "mathit", "vec",
             "mathsf", "mathcal", "hat", "bar", "tilde", "widehat", "overline", "widetilde", "odot", "circ", "oslash",
             "cdot", "times", "ast", "left", "right", "big", "Big", "bigg", "Bigg", "begin", "end", "top", "intercal",
             "prime", "ell", "quad", "qquad", "displaystyle", "limits", "lVert", "rVert", "Vert") + tuple(
    spelling[1:] for rule in ACTIVATIONS.values() for spelling in rule.parser_names if spelling.startswith("\\"))


def _did_you_mean(command: str) -> str:
    near = difflib.get_close_matches(command.lstrip("\\"), _COMMANDS, n=1, cutoff=0.75)
    return f" (did you mean \\{near[0]}?)" if near else ""


def lark_failure(exc: Exception, source: str, unread: Callable[[str], str]) -> DerivcheckError:
    """The one located sentence for a lark error (or a recursion limit) while parsing ``source``.

    ``unread(command)`` finishes the sentence for an unknown command: "the command \\foo is not …".
    """
    if isinstance(exc, RecursionError):
        return DerivcheckError("The formula is nested too deeply to read.")
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        if source[pos] == "\\":
            cmd = re.match(r"\\(?:[a-zA-Z]+|.)?", source[pos:], re.DOTALL)
            return DerivcheckError(f"Unsupported LaTeX{_position(source, pos)}: the command {cmd.group(0)} is not "
                                   f"{unread(cmd.group(0))}.")
        return DerivcheckError(f"Unsupported LaTeX{_position(source, pos)}: cannot read {_snippet(source, pos)!r} "
                               f"here.")
    if isinstance(exc, UnexpectedEOF):
        return DerivcheckError("The formula ends too early: a bracket, brace or operand is missing at the end.")
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            return DerivcheckError("The formula ends too early: a bracket, brace or operand is missing at the end, "
                                   "or it has no = sign.")
        return DerivcheckError(f"Unsupported LaTeX{_position(source, tok.start_pos)}: {str(tok).strip()!r} cannot "
                               f"stand there{' (a claim needs the form LEFT = RIGHT)' if tok.type == 'EQ' else ''}.")
    if isinstance(exc, UnexpectedInput):  # pragma: no cover - the three above are all lark raises
        return DerivcheckError(f"Unsupported LaTeX{_position(source, getattr(exc, 'pos_in_stream', None))}.")
    return DerivcheckError(f"The formula could not be read ({type(exc).__name__}).")  # pragma: no cover


def parse_formula(latex: str, symbols: Mapping[str, str] | None = None, aliases: Mapping[str, str] | None = None,
                  depth: int | None = None) -> Formula:
    """Parse a claimed equation; every problem is a one-sentence :class:`DerivcheckError`.

    ``symbols`` is the claim's map of the author's symbols, ``aliases`` the file's tutorial names
    (both read inside the formula), ``depth`` the network's number of layers (so ŷ and ^L print as
    the output layer's number).
    """
    if not isinstance(latex, str):
        raise DerivcheckError(f"A formula must be text, not {type(latex).__name__}.")
    if len(latex) > MAX_LENGTH:
        raise DerivcheckError(f"The formula is {len(latex)} characters long; at most {MAX_LENGTH} are supported.")
    if symbols is not None and not isinstance(symbols, Mapping):
        raise DerivcheckError("symbols must be a table such as { z = \"y\", y = \"a1\" }.")
    if aliases is not None and not isinstance(aliases, Mapping):
        raise DerivcheckError("aliases must be a table such as { w5 = \"W2[1,1]\" }.")
    source = _clean(latex)
    if not source.strip():
        raise DerivcheckError("The formula is empty; write an equation such as \\nabla_{W^{(2)}} L = ….")
    deepest = _too_deep(source)
    if deepest is not None:
        raise DerivcheckError(f"The formula nests brackets more than {MAX_NESTING} deep{_position(source, deepest)}; "
                              f"write it with fewer parentheses or braces.")
    try:
        tree = _parser().parse(source)
        sides, conds = TreeBuilder(source).transform(tree)
        resolver = Resolver(source, symbols or {}, aliases, depth)
        resolved = tuple(resolver(s) for s in sides)
    except VisitError as exc:
        inner = exc.orig_exc
        if isinstance(inner, ReadFailure):
            raise DerivcheckError(_located(inner.message, source, inner.pos)) from None
        if isinstance(inner, RecursionError):
            raise DerivcheckError("The formula is nested too deeply to read.") from None
        raise
    except ReadFailure as exc:
        raise DerivcheckError(_located(exc.message, source, exc.pos)) from None
    except (LarkError, RecursionError) as exc:
        raise lark_failure(exc, source, lambda cmd: f"read by derivcheck{_did_you_mean(cmd)}") from None
    if sides is None or len(sides) < 2:
        raise DerivcheckError("A formula claim needs the form LEFT = RIGHT.")
    return Formula(resolved, conds, source)
