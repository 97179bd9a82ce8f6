"""Writing files atomically: a temporary file beside the target, renamed over it.

Contract
--------
:func:`write_atomic` ``(path, text)`` writes UTF-8 text so that an interrupted run
leaves either the old file or the new one, never half of one, with the user's normal
permissions (0666 less the umask); a path that is a directory or in a folder that
cannot be written is a :class:`DerivcheckError` sentence. :func:`write_json` writes a
JSON document through it.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..spec.errors import DerivcheckError

__all__ = ["write_atomic", "write_json"]


def write_atomic(path: str | Path, text: str) -> None:
    path = Path(path)
    if path.is_dir():
        raise DerivcheckError(f"{path} is a directory; give a file name to write to.")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise DerivcheckError(f"{path} cannot be written ({err.strerror or err}); check that its folder exists.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: str | Path, doc: dict) -> None:
    write_atomic(path, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
