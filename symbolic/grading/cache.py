"""The content-hash cache of check records: an unchanged submission is not checked again.

Contract
--------
A :class:`RecordCache` in a directory maps :func:`content_key` ``(data)`` — SHA-256 of
the submission's bytes and of :func:`code_fingerprint` (every source file of the
installed ``symbolic`` and ``numeric`` packages, so a new derivcheck never reuses an
old verdict) — to the submission's check record (:mod:`symbolic.grading.record`,
which holds no file name, so two identical files share an entry).

``get`` returns the record or None (a missing, unreadable or corrupt entry is a miss,
never an error); ``put`` writes atomically (a temporary file renamed), so workers on
several machines may share one directory; a record of derivcheck's own failure
(``internal``) is never stored. ``RecordCache(None)`` is the disabled cache.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

__all__ = ["RecordCache", "content_key", "code_fingerprint"]

_PACKAGES = ("symbolic", "numeric")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over the path and bytes of every .py file of the packages that compute verdicts."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[2]
    for pkg in _PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode())
            h.update(b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()


def content_key(data: bytes) -> str:
    return hashlib.sha256(code_fingerprint().encode() + b"\0" + data).hexdigest()


class RecordCache:
    """A directory of ``ab/abcdef….json`` records (see the module contract)."""

    def __init__(self, directory: str | Path | None):
        self.directory = Path(directory) if directory is not None else None
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        if self.directory is None:
            return None
        try:
            record = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.misses += 1
            return None
        if not isinstance(record, dict) or "claims" not in record:
            self.misses += 1
            return None
        self.hits += 1
        return record

    def put(self, key: str, record: dict) -> None:
        if self.directory is None or record.get("internal"):
            return
        target = self._path(key)
        tmp = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(record, fh, ensure_ascii=False)
            os.replace(tmp, target)
        except OSError:
            pass  # a cache that cannot be written only costs time
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
