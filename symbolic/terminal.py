"""What the command line prints and how it ends: control characters made visible, pipes, signals.

Contract
--------
* :func:`visible` — a user text (a title, a claim name, a note, a file name, an error
  sentence quoting any of them) with every control character shown as an escape instead
  of acting on the terminal: C0 (``\\x1b`` ESC, ``\\x07`` BEL, ``\\r``, …, and ``\\n``/``\\t``
  inside one table cell), DEL, C1 (``\\x9b`` CSI, ``\\x9d`` OSC, …), the bidirectional
  overrides and isolates (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C) and the
  line/paragraph separators U+2028/U+2029. A submission can therefore not clear the
  screen, set the window title, write the clipboard (OSC 52) or forge a row.
* :class:`VisibleStream` — wraps ``sys.stdout``/``sys.stderr`` for one CLI run so that
  *everything* written goes through :func:`visible` with the newline kept (defence in depth
  behind the per-cell escaping of the table).
* :func:`json_visible` — a JSON text with those characters written as ``\\uXXXX`` escapes
  (the same JSON value; ``ensure_ascii=False`` would leave C1 and bidi characters raw).
* :func:`on_sigterm` — SIGTERM raises :class:`Terminated` (a ``KeyboardInterrupt``), so a
  terminated run cleans up exactly like Ctrl-C: worker processes stopped, temporary files
  and folders removed, no partial output file.
* :func:`quiet_broken_pipe` — after a reader closed the pipe (``check … | head -1``):
  stdout is pointed at ``/dev/null`` so the interpreter's final flush raises nothing more.
"""
from __future__ import annotations

import io
import os
import re
import signal
import sys
from typing import TextIO

__all__ = ["visible", "VisibleStream", "json_visible", "Terminated", "on_sigterm", "quiet_broken_pipe"]

_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u2028\u2029"
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_CONTROL_KEEP_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_BIDI}]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match) -> str:
    ch = match.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object, keep_newlines: bool = False) -> str:
    """``text`` with every control character escaped (see the module contract)."""
    s = text if isinstance(text, str) else str(text)
    return (_CONTROL_KEEP_NEWLINE if keep_newlines else _CONTROL).sub(_escape, s)


def json_visible(text: str) -> str:
    """A JSON document with C1, DEL and bidi characters written as \\uXXXX (C0 is escaped by json already)."""
    return re.sub(f"[\x7f-\x9f{_BIDI}]", lambda m: f"\\u{ord(m.group(0)):04x}", text)


class VisibleStream(io.TextIOBase):
    """A text stream that escapes control characters (newlines kept) before writing to ``target``."""

    def __init__(self, target: TextIO):
        super().__init__()
        self.target = target

    def write(self, s: str) -> int:
        self.target.write(visible(s, keep_newlines=True))
        return len(s)

    def flush(self) -> None:
        self.target.flush()

    def fileno(self) -> int:
        return self.target.fileno()

    def isatty(self) -> bool:
        return self.target.isatty()

    @property
    def encoding(self):  # noqa: D401 - the wrapped stream's
        return getattr(self.target, "encoding", "utf-8")


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C."""


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


def _redelivering(hook):
    """An unraisable hook that delivers a Ctrl-C / SIGTERM again instead of printing it as "Exception ignored"."""
    def redeliver(unraisable) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):  # raised where Python cannot raise (an at-fork
            # callback of logging, a finalizer): the next bytecode of the main thread gets it instead
            os.kill(os.getpid(), signal.SIGTERM if isinstance(unraisable.exc_value, Terminated) else signal.SIGINT)
            return
        hook(unraisable)
    redeliver.redelivers = True
    return redeliver


def on_sigterm() -> object:
    """Make SIGTERM raise :class:`Terminated` in the main thread; returns the previous handler. A Ctrl-C or
    SIGTERM that lands where Python cannot raise it is delivered again, never printed as a traceback."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread (a library caller's worker thread): leave signals alone
        return None
    if not getattr(sys.unraisablehook, "redelivers", False):
        sys.unraisablehook = _redelivering(sys.unraisablehook)
    return previous


def quiet_broken_pipe() -> None:
    """Point stdout at /dev/null after EPIPE so that the interpreter's last flush does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
