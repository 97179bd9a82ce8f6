"""The checked document as one HTML page: every equation in MathML with its verdict beside it.

Contract
--------
:func:`annotate` ``(report) -> str`` turns a :class:`symbolic.claims.sources.report.DocumentReport`
into a self-contained HTML page that needs no network: Markdown (and a notebook's
Markdown cells) rendered by markdown-it — raw HTML shown as its escaped visible text —,
LaTeX as its escaped text with line breaks kept, code cells as code; each math
equation converted to MathML by latex2mathml (escaped LaTeX when it cannot be
converted), and after each equation with findings a mark
``<span class="dc-mark" data-verdict="WRONG" data-line="215" data-column="9">`` saying
ok / rounding / WRONG with the exact value and the diagnosis. A table of every finding
(prose ones included) ends the page, each row a mark too. Nothing from the input is
emitted unescaped except latex2mathml's MathML, which is refused when it holds a tag
or attribute outside MathML's presentation vocabulary; a Content-Security-Policy
forbids scripts and remote loads, so the page runs no script from the input.
"""
from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

from ..claims.sources.equations import Equation
from ..claims.sources.markdown import MATH_TOKENS, markdown_parser
from ..claims.sources.prose import html_text
from ..claims.sources.report import SKIPPED, DocumentReport, Finding

__all__ = ["annotate", "mathml", "MARK_CLASS"]

MARK_CLASS = "dc-mark"
MAX_MATH = 5_000
_SAFE_TAG = re.compile(r"</?(math|mrow|mi|mn|mo|msub|msup|msubsup|mfrac|msqrt|mroot|mtext|mspace|mstyle|mtable|mtr|"
                       r"mtd|mover|munder|munderover|mpadded|mphantom|menclose|semantics|annotation)"
                       r"(\s+(xmlns|display|mathvariant|stretchy|fence|separator|lspace|rspace|width|height|depth|"
                       r"linethickness|columnalign|rowspacing|columnspacing|accent|accentunder|movablelimits|form|"
                       r"symmetric|minsize|maxsize|largeop|notation|encoding|displaystyle|scriptlevel|class)"
                       r"=\"[^\"<>]*\")*\s*/?>")
_STYLE = """body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.5}
.dc-text{white-space:pre-wrap}.dc-mark{display:inline-block;margin:0 .3em;padding:0 .4em;border-radius:.3em;
font-size:.85em}.dc-ok{background:#d8f5d8}.dc-rounding{background:#fff2c0}.dc-WRONG,.dc-shape-error{background:#ffd0d0;
font-weight:bold}.dc-error{background:#e0e0e0}.dc-code{background:#f4f4f4;white-space:pre-wrap;font-family:monospace;
padding:.5em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .4em;font-size:.85em}"""
_RANK = {"WRONG": 0, "shape error": 1, "error": 2, "rounding": 3, "ok": 4}


def mathml(latex: str, display: bool) -> str:
    """MathML for ``latex``, or the escaped LaTeX when latex2mathml cannot convert it safely."""
    if len(latex) <= MAX_MATH:
        try:
            out = convert(latex, display="block" if display else "inline")
        except Exception:  # latex2mathml raises many kinds on LaTeX it does not know; the text is shown instead
            out = ""
        tags = re.findall(r"<[^>]*>", out)
        if out and all(_SAFE_TAG.fullmatch(t) for t in tags) and "&" not in re.sub(r"&(#\d+|#x[0-9a-fA-F]+|\w+);", "", out):
            return out
    return f"<code>{html.escape(latex)}</code>"


def _mark(findings: list[Finding], anchor: bool = True) -> str:
    shown = [f for f in findings if f.verdict != SKIPPED]
    if not shown:
        return ""
    worst = min(shown, key=lambda f: _RANK.get(f.verdict, 2))
    parts = []
    for f in shown:
        text = f"{f.link} {f.verdict}"
        if f.verdict != "ok":
            text += f": claimed {f.claimed}, exact {f.exact}" if f.exact else ""
            text += f" — {f.diagnosis or f.message}" if (f.diagnosis or f.message) else ""
        parts.append(text)
    label = "; ".join(parts)
    cls = worst.verdict.replace(" ", "-")
    ident = f' id="dc-{worst.line}-{worst.column}"' if anchor else ""
    return (f'<span class="{MARK_CLASS} dc-{html.escape(cls)}"{ident} '
            f'data-verdict="{html.escape(worst.verdict)}" '
            f'data-line="{worst.line}" data-column="{worst.column}" title="{html.escape(label)}">'
            f'{html.escape(label)}</span>')


def _offset(text: str, line: int, column: int) -> int:
    start = 0
    for _ in range(line - 1):
        nxt = text.find("\n", start)
        if nxt < 0:
            return len(text)
        start = nxt + 1
    return min(len(text), start + column - 1)


def _span(text: str, eq: Equation, first_line: int) -> tuple[int, int] | None:
    at = _offset(text, eq.line - first_line + 1, eq.column)
    body = eq.text[eq.prefix:]
    found = text.find(body, max(0, at - 2))
    if found < 0 or found > at + 4:
        return None
    lo, hi = found, found + len(body)
    while lo > 0 and text[lo - 1] in " \t$":
        lo -= 1
    for opener, closer in (("\\(", "\\)"), ("\\[", "\\]")):
        if text[max(0, lo - 2):lo] == opener and text[hi:hi + 2 + 4].lstrip().startswith(closer):
            lo -= 2
            hi = text.index(closer, hi) + 2
    while hi < len(text) and text[hi] in " \t$":
        hi += 1
    return lo, hi


def _chunk(text: str, equations: list[Equation], by_place: dict, first_line: int = 1) -> str:
    out, at = [], 0
    for eq in sorted((e for e in equations if e.origin == "math"), key=lambda e: (e.line, e.column)):
        span = _span(text, eq, first_line)
        if span is None or span[0] < at:
            continue
        out.append(f'<span class="dc-text">{html.escape(text[at:span[0]])}</span>')
        out.append(mathml(eq.text, eq.display))
        out.append(_mark(by_place.get((eq.cell, eq.line, eq.column), [])))
        at = span[1]
    out.append(f'<span class="dc-text">{html.escape(text[at:])}</span>')
    return "".join(out)


def _markdown(text: str, equations: list[Equation], by_place: dict) -> str:
    """Markdown rendered by markdown-it (the parser that found the equations, so its math tokens come in the
    same order as the equations); math as MathML with its mark, raw HTML as its escaped visible text."""
    md = markdown_parser()
    queue = iter(sorted((e for e in equations if e.origin == "math"), key=lambda e: (e.line, e.column)))

    def math(self, tokens, idx, options, env):
        tok, eq = tokens[idx], next(queue, None)
        mark = _mark(by_place.get((eq.cell, eq.line, eq.column), [])) if eq else ""
        shown = mathml(tok.content.strip(), tok.type != "math_inline")
        return f"<div>{shown}{mark}</div>" if tok.type != "math_inline" and tok.type != "math_inline_double" \
            else shown + mark

    def raw(self, tokens, idx, options, env):
        visible = "".join(piece for _, _, piece in html_text(tokens[idx].content))
        return f'<p class="dc-text">{html.escape(visible)}</p>' if tokens[idx].type == "html_block" else ""

    for kind in MATH_TOKENS:
        md.add_render_rule(kind, math)
    md.add_render_rule("html_block", raw)
    md.add_render_rule("html_inline", raw)
    return md.render(text)


def _table(report: DocumentReport) -> str:
    rows = []
    for f in report.results:
        if f.verdict == SKIPPED:
            continue
        cells = [f.where, f.link, f.name, f.claimed, f.exact, f.diagnosis or f.message]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
                    + f"<td>{_mark([f], anchor=False)}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("line:col", "link", "equation side", "claimed", "exact", "diagnosis",
                                               "verdict"))
    skipped = sum(1 for f in report.results if f.verdict == SKIPPED)
    return (f'<h2>Findings</h2><table id="dc-findings"><tr>{head}</tr>{"".join(rows)}</table>'
            f"<p>{skipped} equation side(s) skipped (see <code>derivcheck check</code> for the reasons).</p>")


def annotate(report: DocumentReport) -> str:
    """The annotated HTML page of a checked document (see the module contract)."""
    by_place: dict = {}
    for f in report.results:
        by_place.setdefault(f.place, []).append(f)
    source = report.source
    if source is None:
        body = f"<p>{html.escape(report.error or 'the document could not be read')}</p>"
    elif source.kind == "notebook":
        pieces = []
        for number, (kind, text) in enumerate(source.cells, 1):
            if kind == "markdown":
                eqs = [e for e in source.equations if e.cell == number]
                pieces.append(f'<div class="dc-cell">{_markdown(text, eqs, by_place)}</div>')
            else:
                pieces.append(f'<div class="dc-code">{html.escape(text)}</div>')
        body = "".join(pieces)
    elif source.kind == "markdown":
        body = f"<div>{_markdown(source.text, source.equations, by_place)}</div>"
    else:
        body = f"<div>{_chunk(source.text, source.equations, by_place)}</div>"
    counts = ", ".join(f"{v} {html.escape(k)}" for k, v in sorted(report.counts().items()))
    title = html.escape(report.title or report.path)
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>{title}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{title}</h1><p>derivcheck: {counts}</p>{body}{_table(report)}</body></html>\n")
