r"""Markdown documents: equations found by markdown-it-py with mdit-py-plugins' math rules.

Contract
--------
:func:`read_markdown` ``(path, text, line_offset=0, cell=None) -> Source`` parses the
text once with markdown-it-py (CommonMark) and the plugins ``dollarmath`` (``$…$``,
``$$…$$``), ``texmath`` with bracket delimiters (``\(…\)``, ``\[…\]``) and ``amsmath``
(``\begin{align}…`` at block level). Each math token becomes an :class:`Equation` at
the line and column of its first character (found by searching the source forward from
the previous equation, so repeated formulas get their own places). Text outside math —
paragraph text and the visible text of HTML blocks — is searched for prose equations
(:mod:`.prose`). A fenced block whose info string is ``toml derivcheck`` is the network
block (a second one is a problem sentence, the first is kept). Code blocks are never
read as math.
"""
from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.texmath import texmath_plugin

from .equations import Equation, Locator, Source
from .prose import html_text, prose_runs

__all__ = ["read_markdown", "markdown_parser", "NETWORK_INFO", "MATH_TOKENS"]

NETWORK_INFO = "toml derivcheck"
_MATH = {"math_block": True, "math_block_label": True, "amsmath": True, "math_inline": False,
         "math_inline_double": True, "math_single": False, "math_block_eqno": True}
MATH_TOKENS = tuple(_MATH)


def markdown_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "maxNesting": 50})
    md.use(dollarmath_plugin, allow_space=True, allow_digits=True, double_inline=True)
    md.use(texmath_plugin, delimiters="brackets")
    md.use(amsmath_plugin)
    return md


def _prose(source: Source, locate: Locator, text: str, start_line: int | None, cell: int | None) -> None:
    for _, run in prose_runs(text):
        line, col = locate.find(run.split("=")[0], start_line)
        source.equations.append(Equation(run, line, col, display=False, origin="prose", cell=cell))


def _html(source: Source, locate: Locator, html: str, start_line: int, cell: int | None) -> None:
    pieces = html_text(html)
    joined = "".join(p[2] for p in pieces)
    offsets, at = [], 0
    for line, col, piece in pieces:
        offsets.append((at, line, col, piece))
        at += len(piece)
    for offset, run in prose_runs(joined):
        o, line, col, piece = next((item for item in reversed(offsets) if item[0] <= offset), (0, 1, 1, ""))
        inside = piece[:offset - o]
        line, col = (line + inside.count("\n"), len(inside) - inside.rfind("\n")) if "\n" in inside \
            else (line, col + len(inside))
        source.equations.append(Equation(run, start_line + line + locate.line_offset, col, display=False,
                                         origin="prose", cell=cell))


def read_markdown(path: Path, text: str, line_offset: int = 0, cell: int | None = None,
                  into: Source | None = None) -> Source:
    """The equations and network block of Markdown ``text`` (see the module contract)."""
    source = into if into is not None else Source(path, "markdown", text=text)
    locate = Locator(text, line_offset)
    tokens = markdown_parser().parse(text)
    for tok in tokens:
        start = tok.map[0] if tok.map else None
        if tok.type == "fence" and tok.info.strip() == NETWORK_INFO:
            if source.network is None:
                source.network, source.network_line = tok.content, (tok.map[0] + 2 + line_offset if tok.map else None)
            else:
                source.problems.append(f"{path}:{(tok.map[0] + 1 + line_offset) if tok.map else '?'}: a second "
                                       f"'{NETWORK_INFO}' block is ignored; a document has one network block.")
            locate.find(tok.content, start)
        elif tok.type in ("fence", "code_block"):
            locate.find(tok.content, start)
        elif tok.type in _MATH:
            line, col = locate.find(tok.content.strip(), start)
            source.equations.append(Equation(tok.content.strip(), line, col, display=True, cell=cell))
        elif tok.type == "html_block":
            _html(source, locate, tok.content, tok.map[0] if tok.map else 0, cell)
            locate.find(tok.content, start)
        elif tok.type == "inline":
            for child in tok.children or []:
                if child.type in _MATH:
                    line, col = locate.find(child.content.strip(), start)
                    source.equations.append(Equation(child.content.strip(), line, col,
                                                     display=_MATH[child.type], cell=cell))
                elif child.type == "text":
                    _prose(source, locate, child.content, start, cell)
                elif child.type == "html_inline":
                    locate.find(child.content, start)
    return source
