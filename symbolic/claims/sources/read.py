"""One entry point for every kind of document: the file's suffix picks its reader.

Contract
--------
:func:`read_source` ``(path) -> Source``: ``.md``/``.markdown`` → :mod:`.markdown`,
``.tex`` → :mod:`.latex`, ``.ipynb`` → :mod:`.notebook`. A file that cannot be read at
all raises :class:`DerivcheckError` (one sentence naming it); a part that cannot be read
is a sentence in ``Source.problems`` and the rest is still read. At most
``MAX_EQUATIONS`` equations are kept, and the cut is said.
"""
from __future__ import annotations

from pathlib import Path

from .equations import DOCUMENT_SUFFIXES, MAX_EQUATIONS, Source, fail, read_text
from .latex import read_latex
from .markdown import read_markdown
from .notebook import read_notebook

__all__ = ["read_source"]

_READERS = {"markdown": read_markdown, "latex": read_latex, "notebook": read_notebook}


def read_source(path: str | Path) -> Source:
    """Read one document into its equations and network block (see the module contract)."""
    path = Path(path)
    kind = DOCUMENT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise fail(path, f"is not a document derivcheck reads; use {', '.join(sorted(DOCUMENT_SUFFIXES))}.")
    source = _READERS[kind](path, read_text(path))
    if len(source.equations) > MAX_EQUATIONS:
        source.problems.append(f"{path}: has {len(source.equations):,} equations; only the first {MAX_EQUATIONS:,} "
                               f"are checked.")
        source.equations = source.equations[:MAX_EQUATIONS]
    return source
