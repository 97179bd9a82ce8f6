"""Reading and writing user-named files safely: regular files only, bounded reads, atomic writes.

Contract
--------
* :func:`read_regular_text` reads a UTF-8 text file that must be a *regular* file: a device
  (``/dev/zero``), a FIFO, a socket or a directory — also behind a symlink — is refused by
  its type before it is opened, and the file is opened non-blocking and checked again on
  the open descriptor (no swap in between); at most ``limit`` bytes are read, so a file that
  grows while being read is refused at the limit, never read without bound.
* :func:`write_atomic` writes text or bytes to ``path`` through a temporary file in the same
  folder, flushed to disk and renamed over ``path``: an interrupted or failed write (Ctrl-C,
  SIGTERM, a full disk) leaves the old file as it was and no partial file. It never replaces
  a non-regular file (a symlink, a device, a FIFO, a directory), never writes over one of
  the run's input files (``inputs``), and gives the new file the permissions a plain
  ``open(path, "w")`` would (0666 minus the umask; an existing file keeps its mode).
  Every failure is a :class:`~symbolic.spec.errors.DerivcheckError` of one sentence.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterable

from .errors import DerivcheckError, shorten

__all__ = ["read_regular_text", "write_atomic", "kind_of", "not_regular"]

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link"))


def kind_of(mode: int) -> str:
    """'a FIFO (named pipe)', 'a character device', … for a non-regular file's st_mode."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def not_regular(path: Path) -> str | None:
    """What ``path`` is when it exists and is not a regular file (following symlinks); None otherwise."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else kind_of(mode)


def read_regular_text(path: str | Path, limit: int, too_large: str) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes (see the module contract).

    Raises ``OSError`` (unreadable), ``UnicodeDecodeError`` (not UTF-8) or :class:`DerivcheckError`
    (not a regular file: names its kind; over the limit: ``too_large``).
    """
    path = Path(path)
    kind = not_regular(path)
    if kind is not None:
        raise DerivcheckError(f"is {kind}, not a regular file; only regular files are read.")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped for something else between the check and the open
            raise DerivcheckError(f"is {kind_of(info.st_mode)}, not a regular file; only regular files are read.")
        if info.st_size > limit:
            raise DerivcheckError(too_large)
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise DerivcheckError(too_large)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, data: str | bytes, inputs: Iterable[str | Path] = (), what: str = "") -> None:
    """Write ``data`` to ``path`` atomically (see the module contract); ``what`` names the option, e.g. '-o'."""
    path = Path(path)
    shown = f"{what} {shorten(str(path))}".strip()
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as err:
        raise DerivcheckError(f"{shown} cannot be written ({err.strerror or err}).") from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise DerivcheckError(f"{shown} is {kind_of(info.st_mode)}; it is not replaced — give the name of a "
                              f"regular file (or a new one) to write to.")
    for given in inputs:
        try:
            same = info is not None and os.path.samefile(path, given)
        except OSError:
            same = False
        if same:
            raise DerivcheckError(f"{shown} is the input file {shorten(str(given))}; it is not overwritten — "
                                  f"write the output to another file.")
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name[:80]}.", suffix=".tmp")
    except OSError as err:
        raise DerivcheckError(f"{shown} cannot be written ({err.strerror or err}); check that its folder exists "
                              f"and is writable.") from None
    try:
        os.fchmod(fd, stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        full = err.errno in (errno.ENOSPC, errno.EDQUOT)
        raise DerivcheckError(f"{shown} could not be written ({'the disk is full' if full else err.strerror or err}); "
                              f"{'the previous file is unchanged' if info is not None else 'nothing was written'}.") \
            from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
