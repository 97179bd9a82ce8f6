"""Documents as input: equations read out of Markdown, LaTeX and notebooks, and checked link by link.

``read_source`` (equations.py) turns a document into its equations, each with line and
column (and cell for a notebook), and its network block; ``chains`` reads an equation as a
chain ``lhs = e1 = … = value``; ``links`` checks every link of every chain against the
network's exact truth through :mod:`symbolic.claims.check`; ``report`` holds the result
(table, JSON records) and ``draft`` writes the derivation file a document implies.
"""
__all__: list[str] = []
