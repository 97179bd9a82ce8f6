"""The claims layer: what an author claims and whether it is right. It holds the derivation
files (derivation), the verdict of a printed number against the exact one (verdict), the
library of common mistakes that explains a WRONG number (mistakes), the context that answers
exact values and replays for one derivation (context), the checker that judges every claim of
a file (check) and the runner over files and folders (running); sources/ reads documents
(Markdown, LaTeX, notebooks) as equation chains and checks them link by link through the same
checker. It imports formulas, truth, spec and numeric, never documents or the faces.
"""

__all__: list[str] = []
