"""Documents of a ``[[layer]]`` list: the batch forward pass and the per-feature chain rule with numbers.

Contract
--------
:func:`layer_sections` writes the LaTeX sections of the document (the preamble and the claims table are
:func:`symbolic.documents.latex.render_document`'s) for a derivation whose network is a
:class:`symbolic.spec.layered_network.LayeredNetwork`: per layer the forward rule with the numbers
of every sample (batch norm: μ, σ², √(σ²+ε), x̂ and γx̂ + β feature by feature), the batch loss,
then the backward pass from the output down — for a normalization layer the chain rule step by
step along its computational graph (∂L/∂x̂, ∂L/∂σ², ∂L/∂μ with its ∂σ²/∂μ path, which is 0,
∂L/∂v, ∂L/∂γ, ∂L/∂β), each formula, then with the numbers substituted, then its value. Every
number is read from the exact batch evaluation (:class:`symbolic.truth.layered.BatchPoint`) and
printed to ``digits`` significant digits. :func:`derive_layer_formulas` prints the formulas alone
(the rule table's lines), as text or LaTeX.
"""
from __future__ import annotations

from ..spec.layer_rules import LAYER_KINDS
from .convolution_document import CONV_SECTIONS, tex_float
from ..spec.layered_network import LayeredNetwork
from ..spec.rules import ACTIVATIONS, LOSSES
from ..truth.balls import workprec
from ..truth.layered import BatchPoint
from ..spec.names import parse_name
from .recurrent_document import RECURRENT_SECTIONS

__all__ = ["layer_sections", "derive_layer_formulas"]


def _loss_factor(net: LayeredNetwork) -> str:
    """" times 1/2" where the last layer scales the loss (a recurrent ``loss_over_steps``)."""
    factor = net.loss_scale
    return "" if factor == 1 else f" times ${factor}$ (loss\\_over\\_steps)"


def _n(value, digits: int) -> str:
    text = tex_float(value, digits)
    return f"({text})" if float(value) < 0 else text


def _r(value, digits: int) -> str:
    """A result: no parentheses."""
    return tex_float(value, digits)


def _sum(terms: list[str], per_line: int = 4) -> str:
    """Terms joined by +, a new display line (inside align*) after every ``per_line`` of them."""
    if not terms:
        return "0"
    rows = [" + ".join(terms[k:k + per_line]) for k in range(0, len(terms), per_line)]
    return " \\\\ &\\qquad + ".join(rows)


def _forward(p: BatchPoint, spec, d: int) -> list[str]:
    if spec.kind in CONV_SECTIONS:  # conv2d, pools, flatten (symbolic.documents.convolution_document)
        return CONV_SECTIONS[spec.kind][0](p, spec, d)
    l, net, m = spec.index, p.network, p.m
    if spec.kind in RECURRENT_SECTIONS:  # rnn, lstm: symbolic.documents.recurrent_document
        return RECURRENT_SECTIONS[spec.kind][0](p, spec, d)
    out = [f"\\subsection*{{Layer {l}: {spec.kind}}}"]
    if spec.kind == "dense":
        act = ACTIVATIONS[spec.activation]
        out.append(f"$u^{{({l})}} = W^{{({l})}} a^{{({l - 1})}}" + ("" if spec.bias == "none" else f" + b^{{({l})}}")
                   + f", \\quad a^{{({l})}} = {act.latex or spec.activation}(u^{{({l})}})$\n")
        out.append("\\begin{align*}")
        for s in range(m):
            for i in range(spec.units):
                out.append(f"u^{{({l})}}_{{{i + 1}}}[{s + 1}] &= {_r(p.u[l][s][i], d)}, & "
                           f"a^{{({l})}}_{{{i + 1}}}[{s + 1}] &= {_r(p.a[l][s][i], d)} \\\\")
        out.append("\\end{align*}")
        return out
    if spec.kind == "dropout":
        out.append(f"$a_i = m_i x_i/(1 - p)$ with $p = {_r(spec.p, d)}$, masks {spec.mask}\n")
        return out
    how, stats, xhat = p.norm[l]
    if how == "inference":
        out.append("Inference mode: $\\hat{x} = (v - \\mu_{\\text{run}})/\\sqrt{\\sigma^2_{\\text{run}} + \\epsilon}$.\n")
        return out
    H, G = spec.norm_width, spec.units // spec.norm_width  # a rank-3 layernorm: G rows of H features per sample
    for k, nz in enumerate(stats):
        members = _members(how, k, len(nz.xhat), G)
        where = f"feature {k + 1} over the batch" if how == "columns" else _row(k, G) + " over its features"
        vs = [p.a[l - 1][s][i] for s, i in members]
        out += [f"\\paragraph{{{where.capitalize()}}}", "\\begin{align*}",
                f"\\mu &= \\tfrac{{1}}{{{nz.n}}}({_sum([_n(v, d) for v in vs])}) = {_r(nz.mu, d)} \\\\",
                f"\\sigma^2 &= \\tfrac{{1}}{{{nz.n}}}({_sum([_n(t, d) + '^2' for t in nz.d])}) = {_r(nz.var, d)} \\\\",
                f"\\sqrt{{\\sigma^2 + \\epsilon}} &= \\sqrt{{{_n(nz.var, d)} + {_n(nz.eps, d)}}} = {_r(nz.s, d)} \\\\",
                " \\\\ ".join(f"\\hat{{x}}_{{{i + 1}}} &= {_r(t, d)}/{_n(nz.s, d)} = {_r(x, d)}"
                              for i, (t, x) in enumerate(zip(nz.d, nz.xhat))) + " \\\\",
                " \\\\ ".join(f"a_{{{q + 1}}} &= {_n(p.values[f'gamma{l}[{j % H + 1}]'], d)} \\cdot {_n(x, d)} + "
                              f"{_n(p.values[f'beta{l}[{j % H + 1}]'], d)} = {_r(p.a[l][s][j], d)}"
                              for q, (x, (s, j)) in enumerate(zip(nz.xhat, members))),
                "\\end{align*}"]
    return out


def _members(how: str, k: int, n: int, rows: int = 1) -> list[tuple[int, int]]:
    """(sample, feature) of each entry of normalized vector k: a feature column, or a sample's row (of ``rows``)."""
    if how == "columns":
        return [(s, k) for s in range(n)]
    return [(k // rows, k % rows * n + i) for i in range(n)]


def _row(k: int, rows: int) -> str:
    return f"sample {k + 1}" if rows == 1 else f"sample {k // rows + 1}, row {k % rows + 1},"


def _backward(p: BatchPoint, spec, sw, d: int) -> list[str]:
    if spec.kind in CONV_SECTIONS:
        return CONV_SECTIONS[spec.kind][1](p, spec, d)
    l, m = spec.index, p.m
    if spec.kind in RECURRENT_SECTIONS:
        return RECURRENT_SECTIONS[spec.kind][1](p, spec, sw, d)
    out = [f"\\subsection*{{Layer {l}: {spec.kind}}}"]
    if spec.kind == "dense":
        out.append("\\begin{align*}")
        sep = "," if max(spec.units, p.network.layers[l - 1]) > 9 else ""  # W_{1,12}, not W_{112}
        for i in range(spec.units):
            delta = [_n(sw.g_u[l][s][i], d) for s in range(m)]
            out.append(f"\\frac{{\\partial L}}{{\\partial u^{{({l})}}_{{{i + 1}}}}} &= ({', '.join(delta)}) \\\\")
            for j in range(p.network.layers[l - 1]):
                terms = [f"{_n(sw.g_u[l][s][i], d)} \\cdot {_n(p.a[l - 1][s][j], d)}" for s in range(m)]
                ij = f"{i + 1}{sep}{j + 1}"
                out.append(f"\\frac{{\\partial L}}{{\\partial W^{{({l})}}_{{{ij}}}}} &= {_sum(terms, 2)} = "
                           f"{_n(sw.grads[f'W{l}[{i + 1},{j + 1}]'], d)} \\\\")
        out.append("\\end{align*}")
        return out
    if spec.kind == "dropout":
        scale = _n(1 / (1 - spec.p), d)
        out.append("$\\partial L/\\partial x_i = m_i \\cdot " + scale + " \\cdot \\partial L/\\partial a_i$\n")
        return out
    how, stats, xhat = p.norm[l]
    if how == "inference":
        return out + ["$\\partial L/\\partial v = \\gamma\\, \\partial L/\\partial a / \\sqrt{\\sigma^2_{\\text{run}}+\\epsilon}$\n"]
    mus, vars_ = sw.g_stats[l]
    H, G = spec.norm_width, spec.units // spec.norm_width
    for k, nz in enumerate(stats):
        group = _members(how, k, m if how == "columns" else H, G)
        g = [sw.g_xhat[l][s][i] for s, i in group]
        back = [sw.g_a[l - 1][s][i] for s, i in group]
        gam = [p.values[f"gamma{l}[{i % H + 1}]"] for _, i in group]
        up = [sw.g_a[l][s][i] for s, i in group]
        where = f"feature {k + 1}" if how == "columns" else _row(k, G).rstrip(",")
        out += [f"\\paragraph{{{where.capitalize()}, step by step}}", "\\begin{align*}"]
        out += [f"\\frac{{\\partial L}}{{\\partial \\hat{{x}}_{{{q + 1}}}}} &= {_r(c, d)} \\cdot {_n(a, d)} = {_r(v, d)} \\\\"
                for q, (c, a, v) in enumerate(zip(gam, up, g))]
        prods = [f"{_n(gi, d)} \\cdot {_n(t, d)}" for gi, t in zip(g, nz.d)]
        out.append(f"\\frac{{\\partial L}}{{\\partial \\sigma^2}} &= -\\tfrac12 ({_n(nz.var, d)} + {_n(nz.eps, d)})^{{-3/2}}"
                   f" \\\\ &\\qquad \\cdot ( {_sum(prods, 2)} ) = {_r(vars_[k], d)} \\\\")
        out.append(f"\\frac{{\\partial L}}{{\\partial \\mu}} &= -\\tfrac{{1}}{{{_n(nz.s, d)}}} ( {_sum([_n(gi, d) for gi in g])} )"
                   f" \\\\ &\\qquad + {_n(vars_[k], d)} \\cdot \\tfrac{{-2}}{{{nz.n}}} ( {_sum([_n(t, d) for t in nz.d])} )"
                   f" \\\\ &= {_r(mus[k], d)} \\quad \\text{{(the second term is 0: }} \\textstyle\\sum (v - \\mu) = 0) \\\\")
        for q, (gi, t, b) in enumerate(zip(g, nz.d, back)):
            out.append(f"\\frac{{\\partial L}}{{\\partial v_{{{q + 1}}}}} &= \\frac{{{_n(gi, d)}}}{{{_n(nz.s, d)}}} + "
                       f"{_n(vars_[k], d)} \\cdot \\frac{{2 \\cdot {_n(t, d)}}}{{{nz.n}}} + \\frac{{{_n(mus[k], d)}}}{{{nz.n}}}"
                       f" \\\\ &= {_r(b, d)} \\\\")
        out.append("\\end{align*}")
    out.append("\\begin{align*}")
    for i in range(spec.norm_width):
        out.append(f"\\frac{{\\partial L}}{{\\partial \\gamma^{{({l})}}_{{{i + 1}}}}} &= {_r(sw.grads[f'gamma{l}[{i + 1}]'], d)},"
                   f" & \\frac{{\\partial L}}{{\\partial \\beta^{{({l})}}_{{{i + 1}}}}} &= {_r(sw.grads[f'beta{l}[{i + 1}]'], d)} \\\\")
    out.append("\\end{align*}")
    return out


def layer_sections(derivation, digits: int = 6) -> list[str]:
    """The LaTeX sections of a layer-list derivation's document, between preamble and claims (module contract)."""
    net: LayeredNetwork = derivation.network
    p = BatchPoint(net)
    with workprec(p.prec):
        sw = p.sweep(parse_name("L"))
    # a layer's align* may be longer than a page (a dense layer after a flatten: one line per weight)
    body = [r"\allowdisplaybreaks", f"\\section*{{{_escape(derivation.title)}}}",
            f"Layers: {_escape(', '.join(LAYER_KINDS[s.kind].description.split(':')[0] for s in net.specs))}; "
            f"a batch of {p.m}; loss ${LOSSES[net.loss].latex}${_loss_factor(net)}, averaged over the batch. "
            f"Numbers to {digits} "
            f"significant digits of the exact values.", *_figure(net), r"\section*{Forward pass}"]
    for spec in net.specs:
        body += _forward(p, spec, digits)
    body += [r"\section*{Loss}", f"$L = {_r(p.value('L'), digits)}$",
             r"\section*{Backward pass: the chain rule over the batch}"]
    for spec in reversed(net.specs):
        body += _backward(p, spec, sw, digits)
    body.append(r"\section*{Matrix form of each layer's rule}")
    for spec in net.specs:
        rule = LAYER_KINDS[spec.kind]
        body.append(f"Layer {spec.index} ({_escape(rule.description)}):")
        body += [f"\\[{line}\\]" for line in rule.latex_forward + rule.latex_backward] or \
            [r"\[\delta = \frac{\partial L}{\partial a} \odot f'(u), \quad \frac{\partial L}{\partial W} = "
             r"\delta^{\top} a^{(l-1)}\]"]
    return body


def _figure(net: LayeredNetwork) -> list[str]:
    """The layer list as a chain of boxes, input to loss."""
    nodes = [f"\\node[draw] (l0) at (0,0) {{$x$ ({net.layers[0]})}};"]
    for spec in net.specs:
        nodes.append(f"\\node[draw] (l{spec.index}) at ({2.6 * spec.index},0) {{{spec.kind} ({spec.units})}};")
        nodes.append(f"\\draw[->] (l{spec.index - 1}) -- (l{spec.index});")
    nodes.append(f"\\node (loss) at ({2.6 * (net.depth + 1)},0) {{$L$}};\\draw[->] (l{net.depth}) -- (loss);")
    return ([r"\begin{center}\begin{adjustbox}{max width=\linewidth}\begin{tikzpicture}"] + nodes
            + [r"\end{tikzpicture}\end{adjustbox}\end{center}"])  # a long layer list shrinks to the line


def derive_layer_formulas(network: LayeredNetwork, latex: bool = False) -> str:
    """The forward and backward formulas of every layer (no numbers)."""
    lines = []
    for spec in network.specs:
        rule = LAYER_KINDS[spec.kind]
        lines.append(f"layer {spec.index}: {rule.description}")
        forward = rule.latex_forward or (f"u^{{({spec.index})}} = W^{{({spec.index})}} a^{{({spec.index - 1})}} + "
                                         f"b^{{({spec.index})}}", f"a^{{({spec.index})}} = {spec.activation}(u)")
        backward = rule.latex_backward or (r"\delta = \frac{\partial L}{\partial a} \odot f'(u)",
                                           r"\frac{\partial L}{\partial W} = \delta\, a^{\top}")
        lines += [f"  {line}" for line in forward + backward]
    if latex:
        return "\n".join(line if line.startswith("layer") else f"\\[{line.strip()}\\]" for line in lines) + "\n"
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return "".join("\\" + c if c in "&%$#_{}" else "$-$" if c == "−" else c for c in text)
