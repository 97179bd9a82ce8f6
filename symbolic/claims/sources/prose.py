"""Equations written in running text, outside math markup: ``O(c)=0.647941`` in a sentence or in HTML.

Contract
--------
:func:`prose_runs` ``(text) -> [(offset, run)]`` finds, in plain text, every maximal
run of non-space characters that are not CJK text or punctuation, that contains ``=``
and whose last side is a decimal number (``h(c)=W_{ca}*x_{1}+W_{cb}*x_{2}=0.61``): the way people write
a value in prose. :func:`html_text` ``(html) -> [(line, column, text)]`` is the
visible text of an HTML fragment, read with the standard library's HTML parser (never
run): ``<sub>…</sub>`` becomes ``_{…}``, ``<sup>…</sup>`` ``^{…}``, ``<script>`` and
``<style>`` contents are dropped, every other tag is a word break. Whether a run is a
claim is decided later, by the chain reader and the network's names.
"""
from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

__all__ = ["prose_runs", "html_text", "brace_subscripts", "MAX_RUN"]

MAX_RUN = 400
_ALLOWED_PUNCT = set("=+-*/^_{}()[].,'")


def _in_run(ch: str) -> bool:
    if ch.isspace():
        return False
    if ch.isascii():
        return ch.isalnum() or ch in _ALLOWED_PUNCT
    return unicodedata.category(ch) in ("Sm",) or ch in "×·−"


def brace_subscripts(text: str) -> str:
    """``E_total`` → ``E_{total}``: prose means the whole word, where LaTeX would read ``E_t otal``."""
    return re.sub(r"_([A-Za-z0-9]{2,})", r"_{\1}", text)


def _is_decimal(text: str) -> bool:
    body = text[1:] if text[:1] in "+-" else text
    whole, _, frac = body.partition(".")
    return bool(whole or frac) and (whole + frac).isdigit() and len(body) <= 60


def prose_runs(text: str) -> list[tuple[int, str]]:
    """(offset, run) of every prose equation candidate in ``text`` (see the module contract)."""
    out: list[tuple[int, str]] = []
    k, n = 0, len(text)
    while k < n:
        if not _in_run(text[k]):
            k += 1
            continue
        start = k
        while k < n and _in_run(text[k]):
            k += 1
        run = text[start:k].rstrip(".,")
        lead = len(run) - len(run.lstrip("(["))
        run = run[lead:]
        last = run.rsplit("=", 1)[-1]
        if "=" in run and _is_decimal(last) and not run.startswith("=") and len(run) <= MAX_RUN \
                and "==" not in run and run.count("(") == run.count(")"):
            out.append((start + lead, brace_subscripts(run)))
    return out


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[tuple[int, int, str]] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in ("sub", "sup"):
            self._add("_{" if tag == "sub" else "^{")
        else:
            self._add(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("sub", "sup"):
            self._add("}")
        else:
            self._add(" ")

    def handle_data(self, data):
        if not self.skip:
            self._add(data)

    def _add(self, text: str) -> None:
        line, col = self.getpos()
        self.pieces.append((line, col + 1, text))


def html_text(html: str) -> list[tuple[int, int, str]]:
    """The visible text of ``html`` as (1-based line, 1-based column, text) pieces, in order."""
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # malformed markup: keep what was read
        pass
    return parser.pieces
