"""The spec layer (specification): what a network, a name and a rule are. It holds the one
error type and its quoting helpers (errors), the canonical names of parameters, nodes
and data and their SymPy symbols (names), the validated network specification (network),
the rule table of activations and losses (rules) and the seeds' standard networks
(standard). It imports only numeric/ and SymPy, never truth, formulas, claims, documents
or the faces.
"""

__all__: list[str] = []
