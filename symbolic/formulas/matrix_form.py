"""Compatibility re-exports: the names ``symbolic.formulas.matrix_form`` used to define.

Contract
--------
This module defines nothing. Matrix-form backprop lives in one module per job,
and new code imports from there:

* :mod:`.nodes` — the formula node classes and tree helpers;
* :mod:`.render` — :func:`to_latex`, :func:`to_text` (one precedence table);
* :mod:`.shapes` — :class:`Ctx`, :func:`shape_of`, :class:`ShapeMismatch`, index ranges;
* :mod:`.models` — :class:`Model` (generic / concrete), :func:`node_array`;
* :mod:`.evaluation` — :func:`evaluate`;
* :mod:`.zero_test` — the exact zero test (factored denominators);
* :mod:`.proofs` — :func:`prove_equal`, :data:`STAGES`, :func:`sample_points`;
* :mod:`.derive` — :func:`derive`, :class:`MatrixForm`;
* :mod:`symbolic.spec.rules` — :func:`generic_functions` (generic f, f').

``__all__`` is the old public list plus ``Matrix``, ``node_array`` and
``generic_functions``, which ``symbolic.truth.program`` and
``tests/test_structured.py`` imported from here.
"""
from __future__ import annotations

from ..spec.rules import generic_functions
from .derive import MatrixForm, derive
from .evaluation import evaluate
from .models import Matrix, Model, node_array
from .nodes import (Add, Apply, Const, Deriv, Diag, Div, Dot, EDiv, Entry, Hadamard, Juxt, LayerRef, MatMul,
                    MatrixLit, Neg, Node, Norm, Pow, Sub, SumAll, SumIdx, Transpose, Var, free_indices, layer_vars)
from .proofs import STAGES, Counterexample, Proof, prove_equal, sample_points
from .render import to_latex, to_text
from .shapes import Ctx, ShapeMismatch, check_index_ranges, index_ranges, shape_of

__all__ = [
    # nodes
    "Node", "Var", "Const", "LayerRef", "Entry", "Transpose", "MatMul", "Juxt", "Dot", "Hadamard", "EDiv",
    "Add", "Sub", "Neg", "Div", "Pow", "Apply", "Diag", "SumAll", "SumIdx", "Deriv", "MatrixLit", "Norm",
    # rendering
    "to_latex", "to_text",
    # shapes and evaluation
    "ShapeMismatch", "Ctx", "shape_of", "check_index_ranges", "index_ranges", "Model", "evaluate",
    "free_indices", "layer_vars", "Matrix", "node_array", "generic_functions",
    # proofs
    "Proof", "Counterexample", "prove_equal", "sample_points", "STAGES",
    # derivation
    "MatrixForm", "derive",
]
