"""The claims layer: what an author claims and whether it is right. It holds the derivation
files (derivation), the verdict of a printed number against the exact one (verdict), the
library of common mistakes that explains a WRONG number (mistakes) and the checker that
judges every claim of a file (check). It imports formulas, truth, spec and numeric,
never documents or the faces.
"""

__all__: list[str] = []
