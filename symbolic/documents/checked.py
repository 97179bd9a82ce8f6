"""The command line's route for documents: check them among derivation files, and write their HTML and drafts.

Contract
--------
:func:`check_documents` ``(files, options, check_tomls, write) -> iterator of reports``
yields one report per file in the order given: derivation files (``*.toml``) through
``check_tomls`` (the claims checker, possibly in worker processes), documents
(``.md``, ``.tex``, ``.ipynb``) through :func:`symbolic.claims.sources.document.check_document`
with ``options.network`` as the sidecar network. ``options.annotate`` / ``options.draft``
(one document only) write the annotated HTML page (:func:`symbolic.documents.annotate.annotate`)
and the derivation file the document implies with ``write(path, text)``. A misused option
raises one :class:`DerivcheckError` sentence before anything is checked.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..claims.sources.equations import is_document
from ..claims.sources.document import check_document
from ..spec.errors import DerivcheckError
from .annotate import annotate

__all__ = ["check_documents"]


def _validate(files: list[Path], options) -> None:
    documents = [f for f in files if is_document(f)]
    network = getattr(options, "network", None)
    if network is not None and not documents:
        raise DerivcheckError("--network gives the network of a document (.md, .tex, .ipynb); a derivation file "
                              "has its own [network].")
    if network is not None and not Path(network).is_file():
        raise DerivcheckError(f"--network {network} is not a file; give the TOML file with the network.")
    for option, suffix in (("annotate", ".html"), ("draft", ".toml")):
        value = getattr(options, option, None)
        if value is None:
            continue
        if len(documents) != 1 or len(files) != 1:
            raise DerivcheckError(f"--{option} writes one document's {suffix[1:].upper()}; check exactly one "
                                  f"document with it.")
        if not str(value).endswith(suffix):
            raise DerivcheckError(f"--{option} {value} must name a {suffix} file.")


def check_documents(files: list[Path], options, check_tomls: Callable[[list[Path]], Iterable],
                    write: Callable[[Path, str], None]) -> Iterator:
    """Reports of ``files`` in their order (see the module contract)."""
    _validate(files, options)
    tomls = iter(check_tomls([f for f in files if not is_document(f)]))
    for f in files:
        if not is_document(f):
            yield next(tomls)
            continue
        report = check_document(f, getattr(options, "network", None))
        if getattr(options, "annotate", None):
            write(Path(options.annotate), annotate(report))
        if getattr(options, "draft", None):
            if not report.draft:
                raise DerivcheckError(f"{f}: there is no draft to write: the document has no network or no "
                                      f"claimed value.")
            write(Path(options.draft), report.draft)
        yield report
