"""Document sections of conv2d, maxpool, avgpool and flatten layers: the images, kernels and backward with numbers.

Contract
--------
:data:`CONV_SECTIONS` maps a kind to ``(forward, backward)``, each ``(point, spec, digits) -> list of LaTeX
lines`` for :mod:`symbolic.documents.layer_document`. Every number is read from the exact batch evaluation
(:class:`symbolic.truth.layered.BatchPoint`: ``value`` and ``derivative`` by canonical name), printed to
``digits`` significant digits; nothing here computes a derivative.

* conv2d forward: the rule, then per sample every input channel, every kernel K{l}[o,c] and every output
  channel u{l}[o] (and a{l}[o] after a non-identity activation) as matrices;
* conv2d backward: δ = ∂L/∂u{l} per output channel; ∂L/∂K{l}[o,c] as the correlation of input channel c with
  δ_o (δ dilated by the stride); ∂L/∂b{l}[o] = Σ δ_o; and ∂L/∂a{l−1}[c] as the correlation of the zero-padded
  (and, for stride S > 1, dilated) δ with the kernel *rotated by 180°*, summed over the output channels —
  the rotated kernel and the padded δ shown as matrices, then the result;
* pools: input and output per channel, then the incoming gradient and where it goes (an undefined entry —
  a tied maximum — printed as "undef."); flatten: one sentence.

Layout (any image under the exact-mode limit fits the page): every line of matrices is a ragged paragraph
of inline display-style formulas (:func:`flow`), so TeX breaks between the items and, inside an item, after
=, +, ⋆ (\\star) and → (\\to). A matrix wider than :data:`TILE_WIDTH` points (estimated from its
printed cells) or taller than :data:`TILE_ROWS` rows is printed as tiles of whole rows and columns, each
labelled with its row and column range, with a break allowed between tiles (:func:`matrix`).
"""
from __future__ import annotations

from typing import Callable

from ..spec.convolution import ConvSettings, PoolSettings, Shape
from ..spec.rules import LINEAR_ACTIVATION
from ..truth.balls import Undefined
from ..truth.layered import BatchPoint

__all__ = ["CONV_SECTIONS", "matrix", "flow", "tex_float", "TILE_WIDTH", "TILE_ROWS"]

# The text block of the document (a4, 2 cm margins, 11 pt) is 483 pt wide; a tile leaves room for a name and a label.
TILE_WIDTH = 340.0  # points
TILE_ROWS = 16
_COLSEP = 10.0  # pmatrix: 2 \arraycolsep between columns
_UNDEF = r"\text{undef.}"


def tex_float(v, digits: int) -> str:
    """``v`` to ``digits`` significant digits as LaTeX: 0.0123, and 3.5572 \\cdot 10^{-5} where Python writes 3.5572e-05."""
    text = f"{float(v):.{digits}g}"
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa} \\cdot 10^{{{int(exponent)}}}" if e else text


def _r(v, digits: int) -> str:
    return r"\text{undef.}" if isinstance(v, Undefined) else tex_float(v, digits)


def _char_width(k: int, ch: str) -> float:
    if ch.isdigit():
        return 5.5
    if ch == ".":
        return 3.1
    if ch in "+-":  # a leading minus is a sign; a later one (an exponent's) is a binary operator with its spacing
        return 8.6 if k == 0 else 13.5
    return 6.0


def _width(cell: str) -> float:
    """A generous estimate of a printed cell's width in points (11 pt Computer Modern, math mode)."""
    if cell == _UNDEF:
        return 40.0
    mantissa, times, exponent = cell.partition(r" \cdot 10^{")
    return sum(_char_width(k, ch) for k, ch in enumerate(mantissa)) + (25.0 + 5.0 * len(exponent) if times else 0.0)


def _cuts(sizes: list[float], budget: float, sep: float) -> list[tuple[int, int]]:
    """Consecutive ranges [start, stop) of ``sizes``, each as long as fits ``budget`` (at least one entry)."""
    ranges, start, used = [], 0, 0.0
    for k, size in enumerate(sizes):
        if k > start and used + sep + size > budget:
            ranges.append((start, k))
            start, used = k, 0.0
        used += (sep if k > start else 0.0) + size
    ranges.append((start, len(sizes)))
    return ranges


def _pmatrix(cells: list[list[str]]) -> str:
    """A parenthesized array as amsmath's pmatrix sets it, with its own column count: a pmatrix builds a
    preamble of MaxMatrixCols (200, the document's setting) columns each time, which made pdflatex take
    seconds per page of matrices."""
    body = r" \\ ".join(" & ".join(row) for row in cells)
    return f"\\left(\\begin{{array}}{{@{{}}*{{{len(cells[0]) if cells else 1}}}{{c}}@{{}}}} {body} \\end{{array}}\\right)"


def matrix(rows: list[list], digits: int) -> str:
    """A parenthesized matrix of numbers (or of ready LaTeX strings); a large one as labelled tiles (module contract)."""
    cells = [[v if isinstance(v, str) else _r(v, digits) for v in row] for row in rows]
    if not cells or not cells[0]:
        return _pmatrix(cells)
    col_ranges = _cuts([max(_width(row[j]) for row in cells) for j in range(len(cells[0]))], TILE_WIDTH, _COLSEP)
    row_ranges = [(k, min(k + TILE_ROWS, len(cells))) for k in range(0, len(cells), TILE_ROWS)]
    if len(col_ranges) == 1 and len(row_ranges) == 1:
        return _pmatrix(cells)
    tiles = []
    for r0, r1 in row_ranges:
        for c0, c1 in col_ranges:
            label = ", ".join(part for part, many in (
                (f"rows {r0 + 1}--{r1}" if r1 - r0 > 1 else f"row {r0 + 1}", len(row_ranges) > 1),
                (f"cols {c0 + 1}--{c1}" if c1 - c0 > 1 else f"col {c0 + 1}", len(col_ranges) > 1)) if many)
            tiles.append(f"\\underset{{\\text{{{label}}}}}{{{_pmatrix([row[c0:c1] for row in cells[r0:r1]])}}}")
    return r" \allowbreak\;\; ".join(tiles)


def flow(items: list[str]) -> str:
    """Formulas side by side as one ragged paragraph, a line break allowed between them (module contract)."""
    body = r",\quad ".join(f"$\\displaystyle {item}$" for item in items)
    return f"{{\\raggedright\\setlength{{\\lineskip}}{{1.5ex}}{body}\\par}}\n"


def _tag(p: BatchPoint, s: int) -> str:
    return f"\\text{{ (sample {s})}}" if p.m > 1 else ""


def _plane(get: Callable[[int, int, int], object], shape: Shape, c: int) -> list[list]:
    return [[get(c, i, j) for j in range(1, shape.cols + 1)] for i in range(1, shape.rows + 1)]


def _input(p: BatchPoint, spec, shape: Shape, s: int) -> Callable:
    l = spec.index
    if l == 1:
        return lambda c, i, j: p.value(f"x[{shape.flat(c, i, j) + 1}]", s)
    before = p.network.specs[l - 2]
    if getattr(getattr(before, "extra", None), "shape_out", None) is not None:
        return lambda c, i, j: p.value(f"a{l - 1}[{c},{i},{j}]", s)
    return lambda c, i, j: p.value(f"a{l - 1}[{shape.flat(c, i, j) + 1}]", s)


def _input_name(p: BatchPoint, spec, shape: Shape, c: int, i: int, j: int) -> str:
    l = spec.index
    if l == 1:
        return f"x[{shape.flat(c, i, j) + 1}]"
    before = p.network.specs[l - 2]
    if getattr(getattr(before, "extra", None), "shape_out", None) is not None:
        return f"a{l - 1}[{c},{i},{j}]"
    return f"a{l - 1}[{shape.flat(c, i, j) + 1}]"


def _conv_forward(p: BatchPoint, spec, d: int) -> list[str]:
    st: ConvSettings = spec.extra
    l, sin, sout = spec.index, st.shape_in, st.shape_out
    (sh, sw), (ph, pw) = st.stride, st.padding
    out = [f"\\subsection*{{Layer {l}: conv2d, {sout.channels} kernels of {st.kernel[0]}$\\times${st.kernel[1]}, "
           f"stride {sh}{'' if sh == sw else f'/{sw}'}, padding {ph}{'' if ph == pw else f'/{pw}'}}}",
           f"$u^{{({l})}}_{{o,i,j}} = " + ("" if st.bias == "none" else f"b^{{({l})}}_o + ") +
           f"\\sum_{{c,r,s}} K^{{({l})}}_{{o,c,r,s}}\\, x^{{\\text{{pad}}}}_{{c,\\,(i-1){sh}+r,\\,(j-1){sw}+s}}$, "
           f"$a^{{({l})}} = \\mathrm{{{st.activation}}}(u^{{({l})}})$ (cross-correlation, zero padding).\n"]
    kernels = [f"K^{{({l})}}_{{{o},{c}}} = " + matrix(
        [[p.value(f"K{l}[{o},{c},{r},{s}]") for s in range(1, st.kernel[1] + 1)] for r in range(1, st.kernel[0] + 1)], d)
        for o in range(1, sout.channels + 1) for c in range(1, sin.channels + 1)]
    if st.bias != "none":
        biases = r",\allowbreak ".join(_r(p.value(f"b{l}[{o}]"), d) for o in range(1, sout.channels + 1))
        kernels.append(f"b^{{({l})}} = ({biases})")
    out.append(flow(kernels))
    for s in range(1, p.m + 1):
        get = _input(p, spec, sin, s)
        tag = _tag(p, s)
        ins = [f"x_{{{c}}}{tag} = " + matrix(_plane(get, sin, c), d) for c in range(1, sin.channels + 1)]
        outs = [f"u^{{({l})}}_{{{o}}} = " + matrix(_plane(lambda c, i, j: p.value(f"u{l}[{c},{i},{j}]", s), sout, o), d)
                for o in range(1, sout.channels + 1)]
        if st.activation != LINEAR_ACTIVATION:
            outs += [f"a^{{({l})}}_{{{o}}} = " + matrix(_plane(lambda c, i, j: p.value(f"a{l}[{c},{i},{j}]", s), sout, o), d)
                     for o in range(1, sout.channels + 1)]
        out.append(flow(ins))
        out.append(flow(outs))
    return out


def _spread(delta: list[list], stride: tuple[int, int], pad: tuple[int, int]) -> list[list]:
    """δ with stride − 1 zeros between entries and ``pad`` zeros around (a layout of the numbers, no arithmetic)."""
    rows = (len(delta) - 1) * stride[0] + 1 + 2 * pad[0]
    cols = (len(delta[0]) - 1) * stride[1] + 1 + 2 * pad[1]
    grid: list[list] = [["0"] * cols for _ in range(rows)]
    for i, row in enumerate(delta):
        for j, v in enumerate(row):
            grid[pad[0] + i * stride[0]][pad[1] + j * stride[1]] = v
    return grid


def _conv_backward(p: BatchPoint, spec, d: int) -> list[str]:
    st: ConvSettings = spec.extra
    l, sin, sout = spec.index, st.shape_in, st.shape_out
    (kh, kw), (sh, sw), (ph, pw) = st.kernel, st.stride, st.padding
    out = [f"\\subsection*{{Layer {l}: conv2d}}",
           f"$\\delta^{{({l})}} = \\partial L/\\partial u^{{({l})}}$; "
           f"$\\partial L/\\partial K^{{({l})}}_{{o,c}} = x^{{\\text{{pad}}}}_c \\star \\delta_o$ (correlation, "
           f"$\\delta$ dilated by the stride), $\\partial L/\\partial b_o = \\sum_{{i,j}} \\delta_{{o,i,j}}$, and "
           f"$\\partial L/\\partial x_c = \\sum_o \\tilde\\delta_o \\star \\operatorname{{rot180}}(K_{{o,c}})$ --- the "
           f"correlation of $\\delta$ (stride {sh}: {sh - 1} zeros between entries; {kh - 1 - ph} zeros around) with "
           f"the kernel rotated by 180$^\\circ$, i.e.\\ the full convolution of $\\delta$ with $K$.\n"]
    for s in range(1, p.m + 1):
        tag = _tag(p, s)
        deltas = {o: _plane(lambda c, i, j: p.derivative("L", f"u{l}[{c},{i},{j}]", s), sout, o)
                  for o in range(1, sout.channels + 1)}
        out.append(flow([f"\\delta_{{{o}}}{tag} = " + matrix(m, d) for o, m in deltas.items()]))
        for c in range(1, sin.channels + 1):
            terms = []
            for o in range(1, sout.channels + 1):
                rot = [[p.value(f"K{l}[{o},{c},{kh + 1 - r},{kw + 1 - q}]") for q in range(1, kw + 1)]
                       for r in range(1, kh + 1)]
                padded = _spread(deltas[o], (sh, sw), (max(kh - 1 - ph, 0), max(kw - 1 - pw, 0)))
                terms.append(matrix(padded, d) + r" \star " + matrix(rot, d))
            result = [[p.derivative("L", _input_name(p, spec, sin, c, i, j), s) for j in range(1, sin.cols + 1)]
                      for i in range(1, sin.rows + 1)]
            out.append(flow([f"\\frac{{\\partial L}}{{\\partial x_{{{c}}}}}{tag} = " + " + ".join(terms) + " = "
                             + matrix(result, d)]))
    for o in range(1, sout.channels + 1):
        grads = [f"\\frac{{\\partial L}}{{\\partial K^{{({l})}}_{{{o},{c}}}}} = " + matrix(
            [[p.derivative("L", f"K{l}[{o},{c},{r},{q}]") for q in range(1, kw + 1)] for r in range(1, kh + 1)], d)
            for c in range(1, sin.channels + 1)]
        if st.bias != "none":
            grads.append(f"\\frac{{\\partial L}}{{\\partial b^{{({l})}}_{{{o}}}}} = {_r(p.derivative('L', f'b{l}[{o}]'), d)}")
        out.append(flow(grads))
    if p.m > 1:
        out.append("(parameter gradients are summed over the samples of the batch)\n")
    return out


def _pool_forward(p: BatchPoint, spec, d: int) -> list[str]:
    st: PoolSettings = spec.extra
    l, sin, sout = spec.index, st.shape_in, st.shape_out
    rule = r"\max" if st.how == "max" else r"\operatorname{mean}"
    out = [f"\\subsection*{{Layer {l}: {st.how}pool {st.size[0]}$\\times${st.size[1]}, stride {st.stride[0]}}}",
           f"$a^{{({l})}}_{{c,i,j}} = {rule}$ of the window at rows $(i-1){st.stride[0]}+1\\ldots$, "
           f"cols $(j-1){st.stride[1]}+1\\ldots$\n"]
    for s in range(1, p.m + 1):
        get = _input(p, spec, sin, s)
        tag = _tag(p, s)
        rows = [f"x_{{{c}}}{tag} = " + matrix(_plane(get, sin, c), d) + r" \;\to\; " +
                matrix(_plane(lambda cc, i, j: p.value(f"a{l}[{cc},{i},{j}]", s), sout, c), d)
                for c in range(1, sin.channels + 1)]
        out.append(flow(rows))
    return out


def _pool_backward(p: BatchPoint, spec, d: int) -> list[str]:
    st: PoolSettings = spec.extra
    l, sin, sout = spec.index, st.shape_in, st.shape_out
    how = ("each window's gradient goes to the cell holding its maximum; a maximum held by two or more cells "
           "(a tie) has no gradient: undef." if st.how == "max" else
           f"each cell of a window gets 1/{st.size[0] * st.size[1]} of the window's gradient")
    out = [f"\\subsection*{{Layer {l}: {st.how}pool}}", f"{how}\n"]
    for s in range(1, p.m + 1):
        rows = [matrix(_plane(lambda cc, i, j: p.derivative("L", f"a{l}[{cc},{i},{j}]", s), sout, c), d) + r" \;\to\; "
                + matrix([[p.derivative("L", _input_name(p, spec, sin, c, i, j), s) for j in range(1, sin.cols + 1)]
                          for i in range(1, sin.rows + 1)], d) for c in range(1, sin.channels + 1)]
        out.append(f"Channel by channel{f' (sample {s})' if p.m > 1 else ''}:\n")
        out.append(flow(rows))
    return out


def _flatten(p: BatchPoint, spec, d: int) -> list[str]:
    return [f"\\subsection*{{Layer {spec.index}: flatten}}",
            f"$a^{{({spec.index})}}_k$ = the {spec.units} numbers of the layer before, channel by channel, row by row "
            f"(the gradient passes back unchanged).\n"]


CONV_SECTIONS: dict[str, tuple[Callable, Callable]] = {
    "conv2d": (_conv_forward, _conv_backward),
    "maxpool": (_pool_forward, _pool_backward),
    "avgpool": (_pool_forward, _pool_backward),
    "flatten": (_flatten, _flatten),
}
