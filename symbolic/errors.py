"""The project's one error type.

Every problem with user input — a malformed file, an unknown name, a wrong
shape, unsupported LaTeX, a network too large for closed form — is raised as a
:class:`DerivcheckError` whose message is one full sentence saying where the
problem is and what to do. The CLI prints that sentence (never a traceback)
and the pytest plugin reports it as the test's failure text.
"""
from __future__ import annotations

__all__ = ["DerivcheckError", "KinkError", "TooLargeError"]


class DerivcheckError(ValueError):
    """Bad input, described in one sentence."""


class KinkError(DerivcheckError):
    """A derivative was asked for exactly on a kink (relu at 0), where it does not exist."""


class TooLargeError(DerivcheckError):
    """The requested mode would build an expression too large to handle in reasonable time."""
