r"""LaTeX documents: equations found by pylatexenc's LaTeX walker (tolerant parsing; nothing is run).

Contract
--------
:func:`read_latex` ``(path, text) -> Source`` walks the node tree of the file:
math nodes (``$…$``, ``\(…\)``, ``$$…$$``, ``\[…\]``) and the environments
``equation``, ``align``, ``gather``, ``multline``, ``eqnarray`` (starred or not) and
``aligned``/``split`` inside them become :class:`Equation`\ s at the line and column of
their first character; the content of other environments (``document``, lists,
``proof`` …) and of groups is searched too. ``\input``/``\include`` are never followed
(a problem sentence says so; the file named is not read), nor is any macro expanded
(``\def``/``\newcommand`` bodies are not math). The network block is a run of comment
lines after a comment line ``% toml derivcheck``, with the leading ``%`` removed. A file
nested deeper than ``MAX_DEPTH`` is read down to that depth and the rest said.
"""
from __future__ import annotations

from pathlib import Path

from pylatexenc.latexwalker import (LatexCommentNode, LatexEnvironmentNode, LatexGroupNode, LatexMacroNode,
                                    LatexMathNode, LatexWalker, LatexWalkerError)

from .equations import Equation, Locator, Source
from .markdown import NETWORK_INFO

__all__ = ["read_latex", "MATH_ENVIRONMENTS", "MAX_DEPTH"]

MATH_ENVIRONMENTS = {"equation", "align", "gather", "multline", "eqnarray", "flalign", "alignat", "displaymath",
                     "math"}
MAX_DEPTH = 60
_SKIPPED_MACROS = {"input": "\\input", "include": "\\include", "includeonly": "\\includeonly"}


def _is_math_env(name: str) -> bool:
    return name.rstrip("*") in MATH_ENVIRONMENTS


def _body(node: LatexEnvironmentNode) -> str:
    text = node.latex_verbatim()
    begin, end = text.find("}") + 1, text.rfind("\\end")
    return text[begin:end if end > begin else len(text)]


class _Walk:
    def __init__(self, path: Path, text: str, source: Source):
        self.path, self.source = path, source
        self.locate = Locator(text)
        self.network_lines: list[str] | None = None
        self.deep = False

    def where(self, pos: int) -> tuple[int, int]:
        return self.locate.position(pos)

    def comment(self, node: LatexCommentNode) -> None:
        text = node.comment.strip()
        if self.network_lines is not None:
            self.network_lines.append(node.comment[1:] if node.comment.startswith(" ") else node.comment)
            return
        if text == NETWORK_INFO and self.source.network is None:
            self.network_lines = []
            self.source.network_line = self.where(node.pos)[0] + 1

    def end_network(self) -> None:
        if self.network_lines is not None:
            self.source.network = "\n".join(self.network_lines) + "\n"
            self.network_lines = None

    def nodes(self, nodes, depth: int) -> None:
        if depth > MAX_DEPTH:
            if not self.deep:
                self.deep = True
                self.source.problems.append(f"{self.path}: nests groups or environments more than {MAX_DEPTH} deep; "
                                            f"what lies deeper is not read.")
            return
        for node in nodes or []:
            if isinstance(node, LatexCommentNode):
                self.comment(node)
                continue
            if not (self.network_lines is not None and node.latex_verbatim().strip() == ""):
                self.end_network()
            if isinstance(node, LatexMathNode):
                line, col = self.where(node.pos)
                inner = node.latex_verbatim()
                opened = len(node.delimiters[0]) if node.delimiters else 0
                closed = len(node.delimiters[1]) if node.delimiters else 0
                body = inner[opened:len(inner) - closed]
                self.source.equations.append(Equation(body.strip(), line, col + opened,
                                                      display=node.displaytype == "display"))
            elif isinstance(node, LatexEnvironmentNode):
                if _is_math_env(node.environmentname):
                    line, col = self.where(node.pos)
                    self.source.equations.append(Equation(_body(node).strip(), line, col, display=True))
                else:
                    self.nodes(node.nodelist, depth + 1)
            elif isinstance(node, LatexGroupNode):
                self.nodes(node.nodelist, depth + 1)
            elif isinstance(node, LatexMacroNode) and node.macroname in _SKIPPED_MACROS:
                line, _ = self.where(node.pos)
                self.source.problems.append(f"{self.path}:{line}: {_SKIPPED_MACROS[node.macroname]} is not followed; "
                                            f"check the included file on its own.")
        self.end_network()


def read_latex(path: Path, text: str) -> Source:
    """The equations and network block of LaTeX ``text`` (see the module contract)."""
    source = Source(path, "latex", text=text)
    walk = _Walk(path, text, source)
    try:
        nodes, _, _ = LatexWalker(text, tolerant_parsing=True).get_latex_nodes()
    except (LatexWalkerError, RecursionError, IndexError, ValueError) as err:
        source.problems.append(f"{path}: the LaTeX cannot be read ({type(err).__name__}); fix the markup near the "
                               f"first unbalanced brace or environment.")
        return source
    walk.nodes(nodes, 0)
    return source
