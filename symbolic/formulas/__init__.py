"""The formulas layer: matrix-form backprop formulas as nodes over a network. It holds the
formula nodes, shapes, evaluation and proofs (matrix_form and the modules split from
it), the LaTeX grammar and reader (parser), the printers, the proof that the structured
program is the matrix-form backprop (program_proof) and the verifier of a hand formula
(verify). It imports truth, spec and numeric, never claims, documents or the faces.
"""

__all__: list[str] = []
