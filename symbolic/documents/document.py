"""The documents layer's entry points, re-exported for ``symbolic.cli`` and the tests.

Contract
--------
This module defines nothing; each name lives in the module of its job:

* :func:`render_document` — the LaTeX document (:mod:`symbolic.documents.latex`);
* :func:`derive_formulas` — the symbolic formulas alone, text or LaTeX
  (:mod:`symbolic.documents.formula_listing`);
* :func:`compile_pdf`, :data:`LATEX_TIMEOUT` — PDF compilation with latexmk
  (:mod:`symbolic.documents.pdf`).

The other modules: :mod:`.writer` (the line writer and unevaluated expressions),
:mod:`.figure` (the TikZ network figure), :mod:`.numbers` (one sample's numbers
from :class:`symbolic.truth.exact.Truth`), :mod:`.chain_rule` (forward, loss
and backward sections), :mod:`.matrix_section` (the matrix form),
:mod:`.claims_table` (the claims with their verdicts).
"""
from __future__ import annotations

from .formula_listing import derive_formulas
from .latex import render_document
from .pdf import LATEX_TIMEOUT, compile_pdf

__all__ = ["render_document", "compile_pdf", "derive_formulas", "LATEX_TIMEOUT"]
