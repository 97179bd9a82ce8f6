"""Jupyter notebooks: the Markdown cells, read with nbformat and then as Markdown.

Contract
--------
:func:`read_notebook` ``(path, text) -> Source`` reads the notebook with
``nbformat.reads`` (as version 4; nothing is executed and no output is trusted), then
reads every Markdown cell with :func:`symbolic.claims.sources.markdown.read_markdown`:
each equation keeps its 1-based cell number (counting every cell) and its line and
column within that cell. A notebook nbformat cannot read (not JSON, not a notebook, a
cell that is not text) raises one :class:`DerivcheckError` sentence; a Markdown cell
holding a ``toml derivcheck`` block gives the network.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat

from ...spec.errors import DerivcheckError
from .equations import Source, fail
from .markdown import read_markdown

__all__ = ["read_notebook"]


def read_notebook(path: Path, text: str) -> Source:
    """The equations of a notebook's Markdown cells (see the module contract)."""
    try:
        book = nbformat.reads(text, as_version=4)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as err:
        raise fail(path, f"is not a notebook ({str(err).splitlines()[0][:80]}); it must be the JSON a notebook "
                         f"editor saves.") from None
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError, DerivcheckError) as err:
        raise fail(path, f"is not a notebook nbformat can read ({type(err).__name__}); open and save it in "
                         f"Jupyter.") from None
    source = Source(path, "notebook")
    cells = book.get("cells") if isinstance(book, dict) else None
    if not isinstance(cells, list):
        raise fail(path, "has no list of cells; it is not a Jupyter notebook.")
    joined = []
    for number, cell in enumerate(cells, 1):
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        body = cell.get("source", "") if isinstance(cell, dict) else ""
        if isinstance(body, list):
            body = "".join(part for part in body if isinstance(part, str))
        if not isinstance(body, str):
            source.problems.append(f"{path}: cell {number} has no text source; it is skipped.")
            continue
        source.cells.append((str(kind), body))
        if kind == "markdown":
            read_markdown(path, body, cell=number, into=source)
            joined.append(body)
    source.text = "\n\n".join(joined)
    return source
