"""The truth layer: exact values and derivatives of a specified network. It holds the
closed-form loss (closed_form), the point evaluators (evaluator, exact), the structured
straight-line program and its interpreter (program, interpreter), compiled NumPy
gradients (compiled), the whole update as generated plain-float code (compiled_update),
gradient-descent trajectories exact/60-digit or float64 (trajectory), the four-witness
cross-check (crosscheck) and the 60-digit replay
of backprop with mistakes switched on (replay). It imports spec and numeric only, never
formulas, claims, documents or the faces.
"""

__all__: list[str] = []
