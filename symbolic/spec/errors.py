"""The project's one error type.

Every problem with user input — a malformed file, an unknown name, a wrong
shape, unsupported LaTeX, a network too large for closed form — is raised as a
:class:`DerivcheckError` whose message is one full sentence saying where the
problem is and what to do. The CLI prints that sentence (never a traceback)
and the pytest plugin reports it as the test's failure text.

Messages quote user text through :func:`shorten` (text) and :func:`brief`
(any value, ``repr``'d), so a 1 MB name or a 5,000-digit integer never makes a
1 MB sentence or a crash.
"""
from __future__ import annotations

__all__ = ["DerivcheckError", "KinkError", "TooLargeError", "brief", "shorten"]


class DerivcheckError(ValueError):
    """Bad input, described in one sentence."""


class KinkError(DerivcheckError):
    """A derivative was asked for exactly on a kink (relu at 0), where it does not exist."""


class TooLargeError(DerivcheckError):
    """The requested mode would build an expression too large to handle in reasonable time."""


def shorten(text: str, limit: int = 60) -> str:
    """User text cut for a message: a 1 MB name must not make a 1 MB sentence."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def brief(value: object, limit: int = 60) -> str:
    """``repr`` of a user value, cut for a message; survives ints too long for ``repr`` itself."""
    try:
        text = repr(value)
    except ValueError:  # an int of more than 4300 digits: give its size instead
        digits = int(abs(value).bit_length() * 0.30103)  # type: ignore[arg-type]
        return f"about {'-' if value < 0 else ''}1e{digits}"  # type: ignore[operator]
    return shorten(text, limit)
