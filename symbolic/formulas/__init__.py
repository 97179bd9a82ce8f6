"""The formulas layer: matrix-form backprop formulas as nodes over a network. It holds the
formula nodes, shapes, evaluation and proofs (matrix_form and the modules split from
it), the LaTeX grammar and reader (parser), the printers, the proof that the structured
program is the matrix-form backprop (program_proof), the verifier of a hand formula (verify,
with its truth side from the program: program_model, node_proof) and the repair search of a
wrong one (repair, repair_edits, screen). It imports truth, spec and numeric, never claims, documents or the faces.
"""

__all__: list[str] = []
