"""The claims layer: what an author claims and whether it is right. It holds the derivation
files (derivation; printed: a claimed number as printed), the verdict of a printed number
against the exact one (verdict), the library of common mistakes that explains a WRONG number
(mistakes) and the file-level patterns (patterns), the author's chain of reasoning — numbers
carried from earlier claims (carry) —, the context that answers exact values and transformed
programs for one derivation (context), the checker that judges every claim of a file (check),
the runner over files and folders (running) and documents as input (sources). It imports
formulas, truth, spec and numeric, never documents or the faces.
"""

__all__: list[str] = []
