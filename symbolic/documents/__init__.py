"""The documents layer: derivations written out for people to read. It holds the step-by-
step LaTeX document and its PDF compilation (document) and what is split from it. It
imports claims, formulas, truth, spec and numeric, never the faces (cli, pytest_plugin,
gradcheck, errata).
"""

__all__: list[str] = []
