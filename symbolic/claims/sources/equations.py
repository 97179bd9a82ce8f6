"""What a document is made of, for the checker: its equations (with their places) and its network block.

Contract
--------
:class:`Source` is what a reader (:mod:`.markdown`, :mod:`.latex`, :mod:`.notebook`)
makes of a file; :func:`read_text` reads one, refusing with one sentence a file over
``MAX_BYTES``, one that is not UTF-8, or one that is not a regular file (a FIFO, a device). Every :class:`Equation` keeps the
1-based line and column of its first character in the file (for a notebook: in its
cell, and the 1-based cell number), whether it was displayed, and where it came from
(``math`` for ``$…$``/``\\(…\\)``/``$$…$$``/environments, ``prose`` for a
``name=number`` written in plain or HTML text). A ``toml derivcheck`` fenced block (or
LaTeX ``derivcheck`` comment block) is the document's network block, kept as text with
its line; the document itself is never modified.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...spec.errors import DerivcheckError, brief
from ...spec.files import read_regular_text

__all__ = ["Equation", "Source", "DOCUMENT_SUFFIXES", "MAX_BYTES", "MAX_EQUATIONS", "Locator", "is_document", "read_text",
           "fail"]

DOCUMENT_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".tex": "latex", ".ipynb": "notebook"}
MAX_BYTES = 5_000_000
MAX_EQUATIONS = 5_000


@dataclass(frozen=True)
class Equation:
    """One equation as printed: its LaTeX text and its place."""

    text: str
    line: int
    column: int
    display: bool = True
    origin: str = "math"  # "math" or "prose"
    cell: int | None = None
    prefix: int = 0  # characters put before the printed text (a left side the prose gave); not in the file

    @property
    def where(self) -> str:
        cell = f"cell {self.cell} " if self.cell is not None else ""
        return f"{cell}{self.line}:{self.column}"


@dataclass
class Source:
    """A document read: its equations in reading order, its network block and what could not be read."""

    path: Path
    kind: str
    equations: list[Equation] = field(default_factory=list)
    network: str | None = None
    network_line: int | None = None
    problems: list[str] = field(default_factory=list)  # sentences about parts that could not be read
    text: str = ""  # the document text (notebooks: the Markdown cells joined), for the annotated copy
    cells: list[tuple[str, str]] = field(default_factory=list)  # notebooks: (cell type, source) in order


def is_document(path: str | Path) -> bool:
    return Path(path).suffix.lower() in DOCUMENT_SUFFIXES


class Locator:
    """Line and column of successive pieces of one text: each search starts where the last piece ended."""

    def __init__(self, text: str, line_offset: int = 0):
        self.text = text
        self.cursor = 0
        self.line_offset = line_offset
        self._starts = [0]
        for k, ch in enumerate(text):
            if ch == "\n":
                self._starts.append(k + 1)

    def position(self, offset: int) -> tuple[int, int]:
        lo, hi = 0, len(self._starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1 + self.line_offset, offset - self._starts[lo] + 1

    def find(self, piece: str, start_line: int | None = None) -> tuple[int, int]:
        """(line, column) of the next occurrence of ``piece`` (at or after 0-based ``start_line``)."""
        if start_line is not None:
            self.cursor = max(self.cursor, self._starts[min(start_line, len(self._starts) - 1)])
        at = self.text.find(piece, self.cursor) if piece else -1
        if at < 0:
            at = self.cursor
        else:
            self.cursor = at + len(piece)
        return self.position(at)


def fail(path: Path, message: str) -> DerivcheckError:
    shown = str(path) if str(path).isprintable() else brief(str(path))
    return DerivcheckError(f"{shown}: {message}")


def read_text(path: Path) -> str:
    """The UTF-8 text of a document or network file: a regular file only (a FIFO, a device, a directory — also
    behind a symlink — refused by its type before opening), at most ``MAX_BYTES`` bytes, bounded while reading
    (:func:`symbolic.spec.files.read_regular_text`, as derivation files are read); every failure one sentence."""
    try:
        return read_regular_text(path, MAX_BYTES, f"is more than the {MAX_BYTES // 1_000_000} MB derivcheck reads as "
                                                  f"a document; split it or check that this is the right file.")
    except DerivcheckError as err:
        raise fail(path, str(err)) from None
    except OSError as err:
        raise fail(path, f"cannot be read ({err.strerror or err}).") from None
    except UnicodeDecodeError:
        raise fail(path, "is not UTF-8 text; save it as UTF-8.") from None
    except ValueError:
        raise fail(path, "is not a usable file name (it contains a NUL character).") from None
