r"""The LaTeX source of a formula claim as every formula reader takes it in, and the sentences it fails with.

Contract
--------
The four readers (dense :mod:`.parser`, layer lists :mod:`.layer_reading`, recurrent formulas through
it, conv2d :mod:`.conv_formula`) share this front and back: :func:`checked_text` refuses what is not
text or is over :data:`MAX_LENGTH`; :func:`cleaned_source` blanks math delimiters and trailing
punctuation (columns stay put), pairs plain norm bars, and refuses an empty formula or brackets nested
over :data:`MAX_NESTING`; :func:`lalr_parser` builds (once per grammar) the lark LALR parser with
source positions; :func:`span_of` and :func:`token_span` give a node's source columns, and
:func:`spanned_rule` / :func:`passed_on` make a tree builder's one-line rules (a node of some
children with the rule's span; a child passed on); :func:`reading_errors` turns whatever a reading
raises (a :class:`ReadFailure` from a tree builder, a lark error, a recursion limit) into one
:class:`DerivcheckError` sentence naming the column, with :func:`lark_failure` (the sentence for a
lark error) and :func:`located` (a message with its line and column); :func:`located_failures` does
the same for a :class:`ReadFailure` raised after reading (giving names their meaning).
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from functools import lru_cache
from typing import Callable, Iterator

from lark import Lark, Token, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, \
    VisitError

from ..spec.errors import DerivcheckError
from .raw import ReadFailure

__all__ = ["MAX_LENGTH", "MAX_NESTING", "checked_text", "cleaned_source", "lalr_parser", "span_of", "token_span",
           "spanned_rule", "passed_on", "reading_errors", "located_failures", "lark_failure", "located", "position", "clean", "too_deep"]

MAX_LENGTH = 5000
MAX_NESTING = 100  # ( [ { levels; tutorials' formulas use fewer than ten


def too_deep(source: str) -> int | None:
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


def position(source: str, pos: int | None) -> str:
    if pos is None:
        return ""
    line = source.count("\n", 0, pos) + 1
    col = pos - (source.rfind("\n", 0, pos) + 1) + 1
    return f" at line {line}, column {col}" if "\n" in source.strip() else f" at column {col}"


def located(message: str, source: str, pos: int | None) -> str:
    where = position(source, pos).strip()
    if not where:
        return message + "."
    first = message.split(" ", 1)[0]
    if first == "A" or (len(first) > 1 and first.isalpha() and first[1:].islower()):
        message = message[0].lower() + message[1:]
    return f"{where[0].upper()}{where[1:]}: {message}."


def _snippet(source: str, pos: int) -> str:
    text = source[pos:pos + 16].split("\n")[0]
    return text + ("…" if len(source) > pos + 16 else "")


def clean(text: str) -> str:
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
            return DerivcheckError(f"Unsupported LaTeX{position(source, pos)}: the command {cmd.group(0)} is not "
                                   f"{unread(cmd.group(0))}.")
        return DerivcheckError(f"Unsupported LaTeX{position(source, pos)}: cannot read {_snippet(source, pos)!r} "
                               f"here.")
    if isinstance(exc, UnexpectedEOF):
        return DerivcheckError("The formula ends too early: a bracket, brace or operand is missing at the end.")
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            return DerivcheckError("The formula ends too early: a bracket, brace or operand is missing at the end, "
                                   "or it has no = sign.")
        return DerivcheckError(f"Unsupported LaTeX{position(source, tok.start_pos)}: {str(tok).strip()!r} cannot "
                               f"stand there{' (a claim needs the form LEFT = RIGHT)' if tok.type == 'EQ' else ''}.")
    if isinstance(exc, UnexpectedInput):  # pragma: no cover - the three above are all lark raises
        return DerivcheckError(f"Unsupported LaTeX{position(source, getattr(exc, 'pos_in_stream', None))}.")
    return DerivcheckError(f"The formula could not be read ({type(exc).__name__}).")  # pragma: no cover


def checked_text(latex: object) -> str:
    """``latex`` if it is text of at most :data:`MAX_LENGTH` characters, else the sentence why not."""
    if not isinstance(latex, str):
        raise DerivcheckError(f"A formula must be text, not {type(latex).__name__}.")
    if len(latex) > MAX_LENGTH:
        raise DerivcheckError(f"The formula is {len(latex)} characters long; at most {MAX_LENGTH} are supported.")
    return latex


def cleaned_source(latex: str, example: str) -> str:
    """The cleaned text a grammar reads; an empty one is refused with ``example`` (an equation to write)."""
    source = clean(latex)
    if not source.strip():
        raise DerivcheckError(f"The formula is empty; write an equation such as {example}.")
    deepest = too_deep(source)
    if deepest is not None:
        raise DerivcheckError(f"The formula nests brackets more than {MAX_NESTING} deep{position(source, deepest)}; "
                              f"write it with fewer parentheses or braces.")
    return source


@lru_cache(maxsize=None)
def lalr_parser(grammar: str) -> Lark:
    """The LALR parser of ``grammar``, with source positions on every tree (built once per grammar)."""
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def span_of(meta) -> tuple[int, int] | None:
    """The (start, end) columns of a lark rule's match; None for an empty one."""
    return None if getattr(meta, "empty", True) else (meta.start_pos, meta.end_pos)


def token_span(tok: Token) -> tuple[int, int]:
    return (tok.start_pos, tok.end_pos)


def spanned_rule(make: Callable, *picks: int, head: tuple = ()):
    """A tree builder's method for a rule whose node is ``make(*head, *children[picks], span=…)``.

    E.g. ``add = spanned_rule(Bin, 0, 2, head=("+",))`` for ``expr PLUS term -> add``: the node
    takes the rule's source columns.
    """
    @v_args(meta=True)
    def rule(self, meta, ch):
        return make(*head, *(ch[k] for k in picks), span=span_of(meta))
    return rule


def passed_on(k: int):
    """A tree builder's method for a rule that only wraps its ``k``-th child (a font, a unary +)."""
    def rule(self, ch):
        return ch[k]
    return rule


@contextmanager
def reading_errors(source: str, unread: Callable[[str], str]) -> Iterator[None]:
    """Inside it, a reading of ``source`` fails only with one located :class:`DerivcheckError`.

    A :class:`ReadFailure` (raised by a tree builder, so wrapped in lark's ``VisitError``, or raised
    directly) keeps its message, now with the column; a lark error is :func:`lark_failure`'s
    sentence with ``unread`` finishing it for an unknown command; a recursion limit says the formula
    is nested too deeply.
    """
    try:
        yield
    except VisitError as exc:
        inner = exc.orig_exc
        if isinstance(inner, ReadFailure):
            raise DerivcheckError(located(inner.message, source, inner.pos)) from None
        if isinstance(inner, RecursionError):
            raise DerivcheckError("The formula is nested too deeply to read.") from None
        raise
    except ReadFailure as exc:
        raise DerivcheckError(located(exc.message, source, exc.pos)) from None
    except (LarkError, RecursionError) as exc:
        raise lark_failure(exc, source, unread) from None


@contextmanager
def located_failures(source: str) -> Iterator[None]:
    """Inside it, a :class:`ReadFailure` about ``source`` (a name without a meaning …) is one located sentence."""
    try:
        yield
    except ReadFailure as exc:
        raise DerivcheckError(located(exc.message, source, exc.pos)) from None
