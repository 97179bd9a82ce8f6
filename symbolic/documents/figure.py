"""The TikZ figure of a network for the LaTeX document.

Contract
--------
:func:`figure` writes a ``figure`` environment: one circle per neuron (the
inputs shaded), labelled with its activation's name (x_i, a^{(l)}_i or the
file's alias); an arrow per weight, labelled with the weight's name and value
when there are at most :data:`MAX_LABELLED_EDGES` edges and no layer is wider
than 3 (else the weights follow the figure as matrices); biases as the bias
mode has them (``per-neuron``: a label under each neuron; ``shared``: one bias
node per layer with dashed arrows). Layers wider than
:data:`MAX_FIGURE_NEURONS` are drawn with their first and last neurons and a
⋮. The figure is shrunk to the line width.
"""
from __future__ import annotations

from ..formulas.printers import format_number, matrix_latex
from ..spec.network import Network
from .writer import Writer, a_of, bias_name, sym

__all__ = ["figure", "MAX_LABELLED_EDGES", "MAX_FIGURE_NEURONS"]

MAX_LABELLED_EDGES = 12  # more edges (or a layer wider than 3): weights are listed as matrices under the figure
MAX_FIGURE_NEURONS = 24  # wider layers are drawn with their first and last neurons only


def figure(w: Writer, network: Network, values: dict | None) -> None:
    """The TikZ figure of ``network`` (with its values when given), and its weight matrices when unlabelled."""
    layers = network.layers
    edges = sum(layers[l] * layers[l - 1] for l in range(1, len(layers)))
    shown = [list(range(1, n + 1)) if n <= MAX_FIGURE_NEURONS else
             list(range(1, MAX_FIGURE_NEURONS // 2 + 1)) + list(range(n - MAX_FIGURE_NEURONS // 2 + 1, n + 1))
             for n in layers]
    label_edges = edges <= MAX_LABELLED_EDGES and max(layers) <= 3
    pos: dict[tuple[int, int], float] = {}
    body = []
    for l, idx in enumerate(shown):
        top = (len(idx) - 1) / 2
        for r, i in enumerate(idx):
            y = top - r
            pos[(l, i)] = y
            label = w.tex(a_of(l, i))
            extra = ""
            bname = bias_name(network, l, i) if l else None
            if bname and network.bias[l - 1] == "per-neuron":
                btext = w.tex(sym(bname)) + (f" = {format_number(values[bname], w.p.digits)}" if values else "")
                extra = f", label={{[bias label]below:${btext}$}}"
            style = "input" if l == 0 else "neuron"
            body.append(f"\\node[{style}{extra}] (n{l}-{i}) at ({l},{y:.2f}) {{${label}$}};")
        if len(idx) < layers[l]:
            body.append(f"\\node at ({l},{top - len(idx) / 2 + 0.5:.2f}) {{$\\vdots$}};")
    for l in range(1, len(layers)):
        for r, i in enumerate(shown[l]):
            for j in shown[l - 1]:
                label = ""
                if label_edges:
                    wname = f"W{l}[{i},{j}]"
                    text = w.tex(sym(wname)) + (f" = {format_number(values[wname], w.p.digits)}" if values else "")
                    label = f" node[weight] {{${text}$}}"
                body.append(f"\\draw[edge] (n{l - 1}-{j}) --{label} (n{l}-{i});")
        if network.bias[l - 1] == "shared":
            bname = f"b{l}"
            btext = w.tex(sym(bname)) + (f" = {format_number(values[bname], w.p.digits)}" if values else "")
            ytop = max(pos[(l - 1, j)] for j in shown[l - 1]) + 0.85
            body.append(f"\\node[biasnode] (bias{l}) at ({l - 0.5:.2f},{ytop:.2f}) {{${btext}$}};")
            for i in shown[l]:
                body.append(f"\\draw[biasedge] (bias{l}) -- (n{l}-{i});")
    w.add("\\begin{figure}[ht]", "\\centering", "\\begin{adjustbox}{max width=\\linewidth}",
          "\\begin{tikzpicture}[x=4.6cm, y=2.1cm, >=stealth,",
          " neuron/.style={circle, draw, thick, minimum size=1.2cm, inner sep=1pt, font=\\small},",
          " input/.style={neuron, fill=black!6},",
          " biasnode/.style={rectangle, rounded corners, draw, fill=orange!10, font=\\small},",
          " bias label/.style={font=\\scriptsize, text=orange!50!black},",
          " edge/.style={->, black!55},",
          " biasedge/.style={->, dashed, orange!60!black},",
          " weight/.style={font=\\scriptsize, text=black, pos=0.24, sloped, above, inner sep=1.5pt}]",
          *body,
          "\\end{tikzpicture}", "\\end{adjustbox}",
          f"\\caption{{The {'--'.join(map(str, layers))} network"
          + ("" if label_edges else "; its weights are listed below") + ".}",
          "\\end{figure}", "")
    if not label_edges and values:
        for l in range(1, len(layers)):
            rows = [[values[f"W{l}[{i},{j}]"] for j in range(1, layers[l - 1] + 1)] for i in range(1, layers[l] + 1)]
            shown = f"W^{{({l})}} = {matrix_latex(rows, w.p.digits)}"
            if network.bias[l - 1] == "per-neuron":
                shown += f", \\quad b^{{({l})}} = {matrix_latex([values[f'b{l}[{i}]'] for i in range(1, layers[l] + 1)], w.p.digits)}"
            w.display(shown)
