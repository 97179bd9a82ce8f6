r"""Formula claims about a conv2d layer: the tutorials' dX = δ ∗ rot180(K), dK = X ⋆ δ, db = Σδ, proved or refuted.

Each network is conv2d (identity) → flatten → dense (one identity unit, no bias) → ½(s − y)², so L is a
quadratic polynomial in every input, kernel and bias entry and the *central difference with step 1 is
exact*: the expected gradients below are (L(θ + 1) − L(θ − 1))/2 computed with Fractions by the conv
forward written out in this file (never by derivcheck), and δ = ∂L/∂u the same way from L as a function
of the conv output. Each formula's own value is computed here too, by the loops of its definition
(correlation, full mode = zero padding by k − 1, rot180, dilation, padding, cropping). An ``ok`` row
agrees entry for entry with the expected gradient (and derivcheck proves it for all values); a ``WRONG``
row differs, derivcheck's counterexample names an entry where the two numbers computed here differ, and
its diagnosis is the one planted.
"""
from __future__ import annotations

import re
from fractions import Fraction as Fr
from itertools import product
from pathlib import Path

import pytest

from symbolic.claims.derivation import load_derivation
from symbolic.formulas.claim_formula import verify_claim_formula
from symbolic.spec.errors import DerivcheckError

# ------------------------------------------------------------------------------------ the networks
NETS = {  # name: (C_in, H, C_out, k, stride, pad)
    "plain": (1, 4, 1, 2, 1, 0),
    "stride2": (1, 5, 1, 3, 2, 0),
    "pad1": (1, 4, 1, 3, 1, 1),
    "stride2pad1": (1, 5, 1, 3, 2, 1),
    "channels": (2, 4, 2, 2, 1, 0),
}


def _numbers(n: int, a: int, b: int) -> list[Fr]:
    return [Fr(((k * a + b) % 11) - 5, 4) for k in range(n)]


def _setup(name: str):
    C, H, O, k, S, P = NETS[name]
    Ho = (H + 2 * P - k) // S + 1
    X = [[[v for v in _numbers(C * H * H, 7, 1)[(c * H + r) * H:(c * H + r + 1) * H]] for r in range(H)]
         for c in range(C)]
    flatK = _numbers(O * C * k * k, 5, 3)
    K = [[[[flatK[((o * C + c) * k + r) * k + s] for s in range(k)] for r in range(k)] for c in range(C)]
         for o in range(O)]
    b = _numbers(O, 3, 2)
    w = _numbers(O * Ho * Ho, 4, 6)
    return dict(C=C, H=H, O=O, k=k, S=S, P=P, Ho=Ho, X=X, K=K, b=b, w=w, y=Fr(1, 4))


def _toml(d) -> str:
    flat = [v for ch in d["X"] for row in ch for v in row]
    return f"""title = "conv formulas"
source = "test"
[network]
inputs = {d['C'] * d['H'] * d['H']}
loss = "half_sse"
[[layer]]
kind = "conv2d"
input = [{d['C']}, {d['H']}, {d['H']}]
channels = {d['O']}
kernel = {d['k']}
stride = {d['S']}
padding = {d['P']}
[[layer]]
kind = "flatten"
[[layer]]
kind = "dense"
units = 1
activation = "identity"
bias = "none"
[parameters]
K1 = {_list(d['K'])}
b1 = {_list(d['b'])}
W3 = [{_list(d['w'])}]
[data]
x = {_list(flat)}
y = [{_num(d['y'])}]
[[claims]]
name = "L"
value = "1"
"""


def _num(v: Fr) -> str:
    return f"{float(v)!r}" if v.denominator in (1, 2, 4, 8) else f"{v.numerator / v.denominator!r}"


def _list(v) -> str:
    return "[" + ", ".join(_list(e) if isinstance(e, list) else _num(e) for e in v) + "]"


def _forward(d, X, K, b):
    C, O, k, S, P, Ho, H = d["C"], d["O"], d["k"], d["S"], d["P"], d["Ho"], d["H"]
    u = [[[b[o] for _ in range(Ho)] for _ in range(Ho)] for o in range(O)]
    for o, i, j, c, r, s in product(range(O), range(Ho), range(Ho), range(C), range(k), range(k)):
        p, q = i * S + r - P, j * S + s - P
        if 0 <= p < H and 0 <= q < H:
            u[o][i][j] += K[o][c][r][s] * X[c][p][q]
    return u


def _loss_of_u(d, u):
    s = sum(wk * uk for wk, uk in zip(d["w"], [v for ch in u for row in ch for v in row]))
    return (s - d["y"]) ** 2 / 2


def _loss(d, X=None, K=None, b=None):
    return _loss_of_u(d, _forward(d, X or d["X"], K or d["K"], b or d["b"]))


def _bump(nested, idx, h):
    """A deep copy of ``nested`` with entry ``idx`` moved by h."""
    if not idx:
        return nested + h
    return [(_bump(e, idx[1:], h) if i == idx[0] else _copy(e)) for i, e in enumerate(nested)]


def _copy(v):
    return [_copy(e) for e in v] if isinstance(v, list) else v


def _shape(v):
    return (len(v),) + _shape(v[0]) if isinstance(v, list) else ()


def _central(f, base):
    """∂f/∂base entry by entry: (f(+1) − f(−1))/2, exact for a quadratic f."""
    out = _copy(base)
    for idx in product(*map(range, _shape(base))):
        v = (f(_bump(base, idx, 1)) - f(_bump(base, idx, -1))) / 2
        t = out
        for i in idx[:-1]:
            t = t[i]
        t[idx[-1]] = v
    return out


def _truth(d):
    u = _forward(d, d["X"], d["K"], d["b"])
    return dict(dX=_central(lambda X: _loss(d, X=X), d["X"]), dK=_central(lambda K: _loss(d, K=K), d["K"]),
                db=_central(lambda b: _loss(d, b=b), d["b"]), delta=_central(lambda u: _loss_of_u(d, u), u), u=u)


# ------------------------------------------------------------------------- the formulas' own loops
def corr(A, B, mode="valid"):
    hb, wb = len(B), len(B[0])
    if mode == "full":
        A = pad(A, hb - 1)
    ha, wa = len(A), len(A[0])
    return [[sum(A[i + u][j + v] * B[u][v] for u in range(hb) for v in range(wb)) for j in range(wa - wb + 1)]
            for i in range(ha - hb + 1)]


def rot(A):
    return [row[::-1] for row in A[::-1]]


def pad(A, p):
    w = len(A[0]) + 2 * p
    return [[Fr(0)] * w for _ in range(p)] + [[Fr(0)] * p + list(r) + [Fr(0)] * p for r in A] + \
        [[Fr(0)] * w for _ in range(p)]


def crop(A, p):
    return [row[p:len(row) - p] for row in A[p:len(A) - p]]


def dilate(A, s):
    h, w = (len(A) - 1) * s + 1, (len(A[0]) - 1) * s + 1
    out = [[Fr(0)] * w for _ in range(h)]
    for i, j in product(range(len(A)), range(len(A[0]))):
        out[i * s][j * s] = A[i][j]
    return out


def conv_full(A, B):
    """The mathematical full convolution, (A ∗ B)[i,j] = Σ_{p,q} A[p,q]·B[i−p, j−q] (commutative)."""
    ha, wa, hb, wb = len(A), len(A[0]), len(B), len(B[0])
    return [[sum(A[p][q] * B[i - p][j - q] for p in range(ha) for q in range(wa)
                 if 0 <= i - p < hb and 0 <= j - q < wb) for j in range(wa + wb - 1)] for i in range(ha + hb - 1)]


def add(A, B):
    return [[a + b for a, b in zip(ra, rb)] for ra, rb in zip(A, B)]


def per_c(d, f):
    """dX[c] = Σ_o f(δ[o], K[o][c])."""
    t = _truth(d)
    out = []
    for c in range(d["C"]):
        total = None
        for o in range(d["O"]):
            m = f(t["delta"][o], d["K"][o][c])
            total = m if total is None else add(total, m)
        out.append(total)
    return out


def per_oc(d, f):
    t = _truth(d)
    return [[f(d["X"][c], t["delta"][o]) for c in range(d["C"])] for o in range(d["O"])]


ROT = r"\operatorname{rot180}"
ROWS = [  # id, net, latex, symbols, verdict, left, the formula's value (by the loops above), diagnosis
    ("dX full conv with rot180", "plain", rf"\frac{{\partial L}}{{\partial X}} = \delta \ast_{{\text{{full}}}} {ROT}(K)",
     None, "ok", "dX", lambda d: per_c(d, lambda g, k: corr(g, rot(k), "full")), None),
    ("dX, mode read from the size", "plain", rf"dX = \delta * \mathrm{{rot}}_{{180}}(W)", None, "ok", "dX",
     lambda d: per_c(d, lambda g, k: corr(g, rot(k), "full")), None),
    ("dX flipped convention", "plain", r"dX = \operatorname{conv}(\delta, K, \text{full})", {"*": "flipped"}, "ok",
     "dX", lambda d: per_c(d, lambda g, k: corr(g, rot(k), "full")), None),
    ("dK valid correlation", "plain", r"dK = X \star \delta", None, "ok", "dK",
     lambda d: per_oc(d, lambda x, g: corr(x, g)), None),
    ("db = Σδ", "plain", r"\frac{\partial L}{\partial b} = \sum \delta", None, "ok", "db",
     lambda d: [sum(v for row in _truth(d)["delta"][o] for v in row) for o in range(d["O"])], None),
    ("db = Σ_ij δ_ij", "plain", r"db = \sum_{i,j} \delta_{ij}", None, "ok", "db",
     lambda d: [sum(v for row in _truth(d)["delta"][0] for v in row)], None),
    ("stride 2: dilated δ", "stride2", rf"dX = \operatorname{{dilate}}_{{2}}(\delta) \ast_{{full}} {ROT}(K)", None,
     "ok", "dX", lambda d: per_c(d, lambda g, k: corr(dilate(g, 2), rot(k), "full")), None),
    ("stride 2: dK", "stride2", r"dK = X \star \operatorname{dilate}_{2}(\delta)", None, "ok", "dK",
     lambda d: per_oc(d, lambda x, g: corr(x, dilate(g, 2))), None),
    ("padding 1: cropped", "pad1", rf"dX = \operatorname{{crop}}_{{1}}(\delta \ast_{{full}} {ROT}(K))", None, "ok",
     "dX", lambda d: per_c(d, lambda g, k: crop(corr(g, rot(k), "full"), 1)), None),
    ("padding 1: dK of the padded input", "pad1", r"dK = \operatorname{pad}_{1}(X) \star \delta", None, "ok", "dK",
     lambda d: per_oc(d, lambda x, g: corr(pad(x, 1), g)), None),
    ("stride 2 and padding 1", "stride2pad1",
     rf"dX = \operatorname{{crop}}_{{1}}(\operatorname{{dilate}}_{{2}}(\delta) \ast_{{full}} {ROT}(K))", None, "ok",
     "dX", lambda d: per_c(d, lambda g, k: crop(corr(dilate(g, 2), rot(k), "full"), 1)), None),
    ("two channels: dX sums o", "channels", rf"dX = \delta \ast_{{\text{{full}}}} {ROT}(K)", None, "ok", "dX",
     lambda d: per_c(d, lambda g, k: corr(g, rot(k), "full")), None),
    ("two channels: dK pairs o, c", "channels", r"dK = X \star \delta", None, "ok", "dK",
     lambda d: per_oc(d, lambda x, g: corr(x, g)), None),
    ("index notation, 0-based", "stride2pad1",
     r"dK[o,c,u,v] = \sum_{i,j} \delta[o,i,j]\, x[c, 2i+u-1, 2j+v-1]", None, "ok", "dK",
     lambda d: per_oc(d, lambda x, g: corr(pad(x, 1), dilate(g, 2))), None),
    # every construct docs/formulas.md lists, once
    ("rot_{180°}, \\circledast, dL/dX", "plain", r"\frac{dL}{dX} = G \circledast rot_{180^\circ}(F)", None, "ok", "dX",
     lambda d: per_c(d, lambda g, k: corr(g, rot(k), "full")), None),
    ("\\operatorname{flip}, conv_full(…)", "plain", r"dX = \operatorname{conv}_{\text{full}}(dout, \operatorname{flip}(K))",
     None, "ok", "dX", lambda d: per_c(d, lambda g, k: corr(g, rot(k), "full")), None),
    ("xcorr(X, δ)", "plain", r"dW = \operatorname{xcorr}(\text{input}, \delta)", None, "ok", "dK",
     lambda d: per_oc(d, lambda x, g: corr(x, g)), None),
    ("1-based subscripts, Σ_i Σ_j", "plain", r"dK_{u,v} = \sum_i \sum_j \delta_{i,j} \cdot X_{i+u-1, j+v-1}", None,
     "ok", "dK", lambda d: per_oc(d, lambda x, g: corr(x, g)), None),
    ("a division by a number", "plain", r"db = \frac{\sum \delta}{2} + \sum \delta / 2", None, "ok", "db",
     lambda d: [sum(v for row in _truth(d)["delta"][0] for v in row)], None),
    ("Σ with limits, ½ and a sum", "plain", r"db = \frac{1}{2} \sum_{i=1}^{3} \sum_{j=1}^{3} \delta_{ij} + \frac{1}{2} \sum \delta",
     None, "ok", "db", lambda d: [sum(v for row in _truth(d)["delta"][0] for v in row)], None),
    ("0-based subscripts (Jefkine)", "plain", r"\frac{\partial E}{\partial w_{m,n}} = \sum_{i} \sum_{j} \delta_{i,j}\, o_{i+m, j+n}",
     {"o": "x", "indices": "0-based"}, "ok", "dK", lambda d: per_oc(d, lambda x, g: corr(x, g)), None),
    ("1-based brackets", "plain", r"dK[u,v] = \sum_{i,j} \delta[i,j]\, X[i+u-1, j+v-1]", {"indices": "1-based"}, "ok",
     "dK", lambda d: per_oc(d, lambda x, g: corr(x, g)), None),
    ("per channel: dX_c = Σ_o δ_o ∗ rot180(K_oc)", "channels",
     rf"dX_c = \sum_o \delta_o \ast {ROT}(K_{{o,c}})", None, "ok", "dX",
     lambda d: per_c(d, lambda g, k: corr(g, rot(k), "full")), None),
    ("per channel: dK_oc = X_c ⋆ δ_o", "channels", r"dK_{o,c} = X_c \star \delta_o", None, "ok", "dK",
     lambda d: per_oc(d, lambda x, g: corr(x, g)), None),
    ("per channel: db_o = Σ δ_o", "channels", r"db_o = \sum \delta_o", None, "ok", "db",
     lambda d: [sum(v for row in _truth(d)["delta"][o] for v in row) for o in range(d["O"])], None),
    ("Jefkine's dX, 0-based subscripts", "plain",
     r"\frac{\partial E}{\partial x_{i,j}} = \sum_{m} \sum_{n} \delta_{i-m, j-n}\, w_{m,n}", {"indices": "0-based"},
     "ok", "dX", lambda d: per_c(d, lambda g, k: corr(g, rot(k), "full")), None),
    ("the forward, indexed", "channels", r"Y[o,i,j] = b[o] + \sum_{c,u,v} K[o,c,u,v]\, X[c,i+u,j+v]", None, "ok", "u",
     lambda d: _forward(d, d["X"], d["K"], d["b"]), None),
    # the kernel written first (docs/formulas.md, "Which operand slides"): the kernel is the window that slides
    # over the zero-padded δ, as the authors mean. Pavithra Solai, "Convolutions and Backpropagations",
    # https://pavisj.medium.com/convolutions-and-backpropagations-46026a8f5d2c: "∂L/∂X = Full convolution(180°
    # rotated filter F, loss gradient ∂L/∂O)"; Soumith Chintala, http://soumith.ch/ex/pages/2014/08/07/
    # why-rotate-weights-convolution-gradient/: "full convolution(180 degree rotated filter, output)".
    ("kernel first: Solai's Full convolution(rot180 F, ∂L/∂O)", "plain",
     rf"\frac{{\partial L}}{{\partial X}} = \operatorname{{conv}}_{{\text{{full}}}}({ROT}(F), \frac{{\partial L}}{{\partial O}})",
     None, "ok", "dX", lambda d: per_c(d, lambda g, k: corr(g, rot(k), "full")), None),
    ("kernel first: rot180(W) ∗_full δ", "plain", rf"dX = {ROT}(W) \ast_{{\text{{full}}}} \delta", None, "ok",
     "dX", lambda d: per_c(d, lambda g, k: corr(g, rot(k), "full")), None),
    ("kernel first, stride 2 and padding 1", "stride2pad1",
     rf"dX = \operatorname{{crop}}_{{1}}(\operatorname{{conv}}_{{\text{{full}}}}({ROT}(K), \operatorname{{dilate}}_{{2}}(\delta)))",
     None, "ok", "dX", lambda d: per_c(d, lambda g, k: crop(corr(dilate(g, 2), rot(k), "full"), 1)), None),
    ("kernel first, per channel", "channels", rf"dX_c = \sum_o {ROT}(K_{{o,c}}) \ast \delta_o", None, "ok", "dX",
     lambda d: per_c(d, lambda g, k: corr(g, rot(k), "full")), None),
    ("flipped: δ ∗ K", "plain", r"dX = \delta \ast_{\text{full}} K", {"*": "flipped"}, "ok", "dX",
     lambda d: per_c(d, lambda g, k: conv_full(g, k)), None),
    ("flipped: K ∗ δ", "plain", r"dX = \operatorname{conv}(K, \delta, \text{full})", {"*": "flipped"}, "ok", "dX",
     lambda d: per_c(d, lambda g, k: conv_full(k, g)), None),
    ("flipped, stride 2 and padding 1: K ∗ dilate(δ)", "stride2pad1",
     r"dX = \operatorname{crop}_{1}(K \ast_{full} \operatorname{dilate}_{2}(\delta))", {"*": "flipped"}, "ok", "dX",
     lambda d: per_c(d, lambda g, k: crop(conv_full(k, dilate(g, 2)), 1)), None),
    # ------------------------------------------------------------------ the mistakes
    ("kernel first, not rotated", "plain", r"dX = \operatorname{conv}_{\text{full}}(W, \delta)", None, "WRONG", "dX",
     lambda d: per_c(d, lambda g, k: corr(g, k, "full")), "the kernel was not rotated"),
    ("kernel first, not rotated, stride 2 and padding 1", "stride2pad1",
     r"dX = \operatorname{crop}_{1}(K \ast_{full} \operatorname{dilate}_{2}(\delta))", None, "WRONG", "dX",
     lambda d: per_c(d, lambda g, k: crop(corr(dilate(g, 2), k, "full"), 1)), "the kernel was not rotated"),
    ("kernel first, not rotated, per channel", "channels", r"dX_c = \sum_o K_{o,c} \ast_{full} \delta_o", None,
     "WRONG", "dX", lambda d: per_c(d, lambda g, k: corr(g, k, "full")), "the kernel was not rotated"),
    ("flipped: δ ∗ rot180(K)", "plain", rf"dX = \delta \ast_{{full}} {ROT}(K)", {"*": "flipped"}, "WRONG", "dX",
     lambda d: per_c(d, lambda g, k: conv_full(g, rot(k))), "a rotation where none belongs"),
    ("flipped: rot180(K) ∗ δ", "plain", rf"dX = {ROT}(K) \ast_{{full}} \delta", {"*": "flipped"}, "WRONG", "dX",
     lambda d: per_c(d, lambda g, k: conv_full(rot(k), g)), "a rotation where none belongs"),
    ("kernel not rotated", "plain", r"dX = \delta \ast_{\text{full}} K", None, "WRONG", "dX",
     lambda d: per_c(d, lambda g, k: corr(g, k, "full")), "the kernel was not rotated"),
    ("kernel rotated twice", "channels", rf"dX = \delta \ast_{{full}} {ROT}({ROT}(K))", None, "WRONG", "dX",
     lambda d: per_c(d, lambda g, k: corr(g, k, "full")), "the kernel was rotated twice"),
    ("dX valid where full belongs", "plain", rf"dX = \delta \ast_{{\text{{valid}}}} {ROT}(K)", None, "WRONG", "dX",
     lambda d: per_c(d, lambda g, k: corr(g, rot(k))),
     "full and valid swapped"),
    ("dK full where valid belongs", "plain", r"dK = X \star_{\text{full}} \delta", None, "WRONG", "dK",
     lambda d: per_oc(d, lambda x, g: corr(x, g, "full")), "full and valid swapped"),
    ("stride off by one (dilate 3)", "stride2",
     rf"dX = \operatorname{{dilate}}_{{3}}(\delta) \ast_{{full}} {ROT}(K)", None, "WRONG", "dX",
     lambda d: per_c(d, lambda g, k: corr(dilate(g, 3), rot(k), "full")), "the stride is off by one"),
    ("stride ignored", "stride2", rf"dX = \delta \ast_{{full}} {ROT}(K)", None, "WRONG", "dX",
     lambda d: per_c(d, lambda g, k: corr(g, rot(k), "full")), "the stride was ignored"),
    ("padding off by one (crop 2)", "pad1", rf"dX = \operatorname{{crop}}_{{2}}(\delta \ast_{{full}} {ROT}(K))",
     None, "WRONG", "dX", lambda d: per_c(d, lambda g, k: crop(corr(g, rot(k), "full"), 2)),
     "the padding is off by one"),
    ("padding ignored", "pad1", rf"dX = \delta \ast_{{full}} {ROT}(K)", None, "WRONG", "dX",
     lambda d: per_c(d, lambda g, k: corr(g, rot(k), "full")), "the padding was ignored"),
    ("index notation: stride off by one", "stride2",
     r"dK[o,c,u,v] = \sum_{i,j} \delta[o,i,j]\, x[c, 3i+u, 3j+v]", None, "WRONG", "dK",
     lambda d: per_oc(d, lambda x, g: [[sum(g[i][j] * (x[3 * i + u][3 * j + v] if 3 * i + u < len(x) and
                                                         3 * j + v < len(x) else 0)
                                             for i in range(len(g)) for j in range(len(g))) for v in range(3)]
                                       for u in range(3)]),
     "the stride is off by one: the formula equals the backward with stride 3"),
    ("index notation: padding ignored", "pad1",
     r"dK[o,c,u,v] = \sum_{i,j} \delta[o,i,j]\, x[c, i+u, j+v]", None, "WRONG", "dK",
     lambda d: per_oc(d, lambda x, g: [[sum(g[i][j] * (x[i + u][j + v] if i + u < 4 and j + v < 4 else 0)
                            for i in range(4) for j in range(4)) for v in range(3)] for u in range(3)]),
     "the padding is off by one: the formula equals the backward with padding 0"),
]

# The function names written out, as tutorials write them (docs/formulas.md lists every one): each spelling of
# dX = full_conv(δ, rot180(K)), δ first and kernel first (the kernel is the window either way), is the full
# correlation of δ with the rotated kernel computed by the loops above — ok; each valid spelling of
# dK = valid_conv(X, δ) is the valid correlation of X with δ — ok; a name without a mode takes the mode written
# with it (or the left side's size). (written name, its key in conv_formula.FUNCTION_NAMES, what the name says)
SPELLINGS = [
    (r"full\_conv", "full_conv", "full"),
    (r"\text{full\_conv}", "full_conv", "full"),
    (r"\operatorname{full\_conv}", "full_conv", "full"),
    (r"\mathrm{full\_convolution}", "full_convolution", "full"),
    (r"\text{full-convolution}", "full_convolution", "full"),
    (r"\text{Full Convolution}", "full_convolution", "full"),
    (r"conv\_full", "conv_full", "full"),
    (r"\operatorname{Conv\_Full}", "conv_full", "full"),
    (r"\mathrm{convolution\_full}", "convolution_full", "full"),
    (r"full\_corr", "full_corr", "full"),
    (r"\text{full\_xcorr}", "full_xcorr", "full"),
    (r"\mathrm{Full Correlation}", "full_correlation", "full"),
    (r"\text{full cross-correlation}", "full_cross_correlation", "full"),
    (r"valid\_conv", "valid_conv", "valid"),
    (r"\text{conv\_valid}", "conv_valid", "valid"),
    (r"\text{Valid Convolution}", "valid_convolution", "valid"),
    (r"\mathrm{convolution\_valid}", "convolution_valid", "valid"),
    (r"valid\_corr", "valid_corr", "valid"),
    (r"\operatorname{valid\_xcorr}", "valid_xcorr", "valid"),
    (r"\text{valid-correlation}", "valid_correlation", "valid"),
    (r"\text{Valid Cross-Correlation}", "valid_cross_correlation", "valid"),
    (r"\operatorname{convolution}", "convolution", None),
    (r"\operatorname{conv2d}", "conv2d", None),
    (r"\operatorname{corr}", "corr", None),
    (r"\text{correlation}", "correlation", None),
    (r"\mathrm{cross\_correlation}", "cross_correlation", None),
    (r"\operatorname{Conv}", "conv", None),
    (r"\operatorname{XCorr}", "xcorr", None),
]
for _name, _key, _says in SPELLINGS:
    if _says == "valid":
        ROWS.append((f"spelling {_name}: dK = {_key}(X, δ)", "plain", rf"dK = {_name}(X, \delta)", None, "ok", "dK",
                     lambda d: per_oc(d, lambda x, g: corr(x, g)), None))
        continue
    _mode_arg = "" if _says else r", \text{full}"
    ROWS.append((f"spelling {_name}: dX = {_key}(δ, rot180 K)", "plain", rf"dX = {_name}(\delta, {ROT}(K){_mode_arg})",
                 None, "ok", "dX", lambda d: per_c(d, lambda g, k: corr(g, rot(k), "full")), None))
    ROWS.append((f"spelling {_name}: dX = {_key}(rot180 W, δ), kernel first", "plain",
                 rf"dX = {_name}({ROT}(W), \delta{_mode_arg})", None, "ok", "dX",
                 lambda d: per_c(d, lambda g, k: corr(g, rot(k), "full")), None))
ROWS += [
    ("spelling: full\\_conv(W, δ), not rotated", "plain", r"dX = full\_conv(W, \delta)", None, "WRONG", "dX",
     lambda d: per_c(d, lambda g, k: corr(g, k, "full")), "the kernel was not rotated"),
    ("spelling: \\text{Full Convolution} with stride 2 and padding 1", "stride2pad1",
     rf"dX = \operatorname{{crop}}_{{1}}(\text{{Full Convolution}}({ROT}(K), \operatorname{{dilate}}_{{2}}(\delta)))",
     None, "ok", "dX", lambda d: per_c(d, lambda g, k: crop(corr(dilate(g, 2), rot(k), "full"), 1)), None),
]


def test_every_function_name_has_a_spelling_row_and_is_documented():
    """Every row of the reader's table is exercised above (dilate, pad, crop by the stride and padding rows) and
    listed in docs/formulas.md."""
    from symbolic.formulas.conv_formula import FUNCTION_NAMES
    assert {key for _, key, _ in SPELLINGS} | {"dilate", "pad", "crop"} == set(FUNCTION_NAMES)
    assert all(says == FUNCTION_NAMES[key][1] for _, key, says in SPELLINGS)
    docs = (Path(__file__).resolve().parents[1] / "docs" / "formulas.md").read_text(encoding="utf-8")
    section = docs[docs.index("## Convolution formulas"):]
    for key in FUNCTION_NAMES:
        assert f"`{key}`" in section, key


def _net(tmp_path: Path, name: str):
    path = tmp_path / f"{name}.toml"
    path.write_text(_toml(_setup(name)), encoding="utf-8")
    return load_derivation(path).network


def _entries(nested, prefix=()):
    if not isinstance(nested, list):
        yield prefix, nested
        return
    for i, e in enumerate(nested):
        yield from _entries(e, prefix + (i,))


def _at(nested, idx):
    for i in idx:
        if not isinstance(nested, list) or i >= len(nested):
            return Fr(0)  # outside the formula's (smaller) result: read as 0, as derivcheck says
        nested = nested[i]
    return nested


@pytest.mark.parametrize("net, latex, symbols, verdict, left, value, diagnosis", [r[1:] for r in ROWS],
                         ids=[r[0] for r in ROWS])
def test_conv_formula(tmp_path, net, latex, symbols, verdict, left, value, diagnosis):
    d = _setup(net)
    truth, claim = _truth(d)[left], value(d)
    agree = _shape(claim) == _shape(truth) and all(_at(claim, i) == v for i, v in _entries(truth))
    result = verify_claim_formula(_net(tmp_path, net), latex, symbols)
    assert result.verdict == verdict, result.message
    if verdict == "ok":
        assert agree and "Proved for all values" in result.message
        assert result.diagnosis == ""
        return
    assert not agree
    m = re.search(r"entry \[([^\]]*)\]", result.message)
    assert m, result.message
    if "row" in m.group(1):  # per-channel maps with 1-based subscripts: [c=1, row 2, col 3], every part 1-based
        idx = tuple(int(re.search(r"\d+", p).group()) - 1 for p in m.group(1).split(","))
    elif "=" in m.group(1):  # index notation: [o=0, c=0, u=1, v=2], 0-based
        idx = tuple(int(p.split("=")[1]) for p in m.group(1).split(","))
    else:  # operator notation: 1-based, every axis of the gradient (channels too)
        idx = tuple(int(p) - 1 for p in m.group(1).split(","))
    assert Fr(result.claimed) == _at(claim, idx), result.message
    assert Fr(result.true) == _at(truth, idx), result.message
    assert Fr(result.claimed) != Fr(result.true)
    assert diagnosis in result.diagnosis, result.message
    assert diagnosis in result.message


REFUSALS = [  # latex, what the one sentence must say
    (r"dX = \sqrt{\delta}", ["column 6", "the command \\sqrt is not read", "docs/formulas.md"]),
    (r"dX = \delta \ast_{\text{same}} K", ["column", "the mode same is not read", "write _{\\text{full}}"]),
    (r"dX = q \ast K", ["column 6", "the symbol q has no meaning", "add it to the claim's symbols"]),
    (r"dX = \delta \ast \operatorname{dilate}_{n}(K)", ["column", "whole-number subscript"]),
    (r"\frac{\partial Y}{\partial X} = K", ["column 1", "only derivatives of the loss"]),
    (r"dx[c, h, h] = \delta[c, h, h]", ["distinct letters"]),
    (r"dX = \delta^{l+1} \ast K", ["column 12", "a superscript is not read", "drop layer tags"]),
    (r"dX = \delta \ast \operatorname{rot}(K)", ["column 18", "a rotation is read as rot180"]),
    (rf"dX = K \star {ROT}(K)", ["column 6", "both operands of this sliding product are kernels", "ambiguous",
                                 rf"{ROT}(K) sliding over K as written", rf"K sliding over {ROT}(K)"]),
    (rf"dX = {ROT}(W) \ast_{{full}} {ROT}({ROT}(F))", ["column 6", "are kernels", "write one operand that is not"]),
    (r"dX = \operatorname{fullconv}(\delta, K)", ["column 6", "the function fullconv is not read",
                                                   "did you mean full_conv", "docs/formulas.md"]),
    (r"dX = \text{Full Convoluton}(\delta, K)", ["column 6", "the function full_convoluton is not read",
                                                 "did you mean full_convolution"]),
    (r"dX = \delta \ast valid\_cnov(K)", ["column 18", "the function valid_cnov", "did you mean valid_conv"]),
    (r"dX = \operatorname{softmax}(\delta, K)", ["column 6", "the function softmax is not read",
                                                 "write one of the names docs/formulas.md"]),
    (r"dX = full\_conv(\delta, K, \text{valid})", ["column 6", "full_conv is the full mode",
                                                   "the mode valid is written too"]),
    ("dX = " + "rot180(" * 150 + "K" + ")" * 150, ["column", "nests brackets more than 100 deep", "fewer"]),
]


@pytest.mark.parametrize("latex, expected", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_conv_refusal(tmp_path, latex, expected):
    with pytest.raises(DerivcheckError) as err:
        verify_claim_formula(_net(tmp_path, "plain"), latex)
    text = str(err.value)
    assert text.replace("e.g.", "eg").count(". ") == 0 and text.endswith("."), text  # one sentence
    for part in expected:
        assert part.lower() in text.lower(), text


SHAPE_ERRORS = [
    ("channels", r"dX = X \star \delta", "The left side ∂L/∂X is channels [c]"),
    ("plain", r"dK = \delta \star X", "has no entries; write the larger operand first"),
    ("plain", r"dK[o,c,u,v] = \sum_{i,j} \delta[o,i,j]\, x[c, i+u, j+v] + \delta", "without indices"),
]


@pytest.mark.parametrize("net, latex, expected", SHAPE_ERRORS, ids=[r[1] for r in SHAPE_ERRORS])
def test_conv_shape_errors(tmp_path, net, latex, expected):
    result = verify_claim_formula(_net(tmp_path, net), latex)
    assert result.verdict == "shape error" and expected in result.message, result.message


SWEEP = [(C, O, k, S, P) for C in (1, 2) for O in (1, 2) for k in (2, 3) for S in (1, 2) for P in (0, 1)
         if P < k and not (C == O == 2 and k == 3)]


@pytest.mark.parametrize("C, O, k, S, P", SWEEP, ids=[f"C{c}O{o}k{k}S{s}P{p}" for c, o, k, s, p in SWEEP])
def test_general_formulas_over_settings(tmp_path, C, O, k, S, P):
    """dX = crop_P(dilate_S(δ) ∗_full rot180(K)), dK = pad_P(X) ⋆ dilate_S(δ), db = Σδ at every small setting
    (H chosen so that the windows tile the padded input); each agrees with the central differences here and is
    proved; δ ∗ K unrotated is WRONG with its diagnosis unless the kernel is symmetric (it is not here)."""
    H = k + 2 * S - 2 * P  # ≥ k for P ≤ 1; H + 2P − k = 2S: two strides, the windows tile the padded input
    name = f"C{C}O{O}k{k}S{S}P{P}"
    NETS[name] = (C, H, O, k, S, P)
    d = _setup(name)
    t = _truth(d)
    net = _net(tmp_path, name)
    general = rf"dX = \operatorname{{crop}}_{{{P}}}(\operatorname{{dilate}}_{{{S}}}(\delta) \ast_{{full}} {ROT}(K))"
    mine = per_c(d, lambda g, kk: crop(corr(dilate(g, S), rot(kk), "full"), P))
    assert mine == t["dX"]
    assert verify_claim_formula(net, general).verdict == "ok"
    mine = per_oc(d, lambda x, g: corr(pad(x, P), dilate(g, S)))
    assert mine == t["dK"]
    assert verify_claim_formula(net, rf"dK = \operatorname{{pad}}_{{{P}}}(X) \star \operatorname{{dilate}}_{{{S}}}(\delta)"
                                ).verdict == "ok"
    assert verify_claim_formula(net, r"db = \sum \delta").verdict == "ok"
    wrong = verify_claim_formula(net, general.replace(f"{ROT}(K)", "K"))
    assert wrong.verdict == "WRONG" and "the kernel was not rotated" in wrong.diagnosis, wrong.message


def test_no_bias_no_db(tmp_path):
    text = _toml(_setup("plain")).replace('kernel = 2', 'kernel = 2\nbias = "none"').replace("b1 = [", "# b1 = [")
    path = tmp_path / "nobias.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DerivcheckError, match=r"has no bias \(bias = \"none\"\)"):
        verify_claim_formula(load_derivation(path).network, r"db = \sum \delta")


def test_convention_keys_are_checked(tmp_path):
    with pytest.raises(DerivcheckError, match="use \"sliding\""):
        verify_claim_formula(_net(tmp_path, "plain"), r"dX = \delta \ast K", {"*": "rotated"})
    with pytest.raises(DerivcheckError, match="use \"0-based\""):
        verify_claim_formula(_net(tmp_path, "plain"), r"dK[u,v] = \delta[u,v]", {"indices": "zero"})


def test_the_index_base_matters(tmp_path):
    """Jefkine's 0-based subscripts read with the default 1-based base: o_{i+m, j+n} is one cell off (at
    m = n = 1: o_{2,2}, the second row and column, where the 0-based truth reads the first)."""
    latex = r"\frac{\partial E}{\partial w_{m,n}} = \sum_{i} \sum_{j} \delta_{i,j}\, o_{i+m, j+n}"
    result = verify_claim_formula(_net(tmp_path, "plain"), latex, {"o": "x"})
    assert result.verdict == "WRONG", result.message


LEXAI = Path(__file__).resolve().parents[1] / "derivations" / "026-lexai-conv-backward-one-hot.toml"
# The page's example: x = arange(16) as 4×4, W = [[1, 2], [3, 4]], G one-hot at (0, 0). A slip in the page's
# dx sum (W[o,c,v,u]: the kernel transposed) routes W's transpose [[1, 3], [2, 4]] to the top-left patch, so at
# (h, w) = (0, 1) it gives 3 where the truth (the page's printed dx) is 2; a slip in dW (x[c, i+v, j+u]) gives
# the patch transposed, [[0, 4], [1, 5]]: 4 at (u, v) = (0, 1) where the page prints 1.
SLIPS = [
    (r"dx[c, h, w] = \sum_{\substack{o,\,i,\,j,\,u,\,v \\ i+u=h,\; j+v=w}} G[o, i, j]\; W[o, c, v, u]",
     "[c=0, h=0, w=1]", "3", "2"),
    (r"dW[o, c, u, v] = \sum_{i,\,j} G[o, i, j]\; x[c,\, i+v,\, j+u]", "[o=0, c=0, u=0, v=1]", "4", "1"),
]


@pytest.mark.parametrize("latex, entry, claimed, true", SLIPS, ids=["dx kernel transposed", "dW patch transposed"])
def test_slips_in_the_pages_formulas(latex, entry, claimed, true):
    result = verify_claim_formula(load_derivation(LEXAI).network, latex, {"G": "dL/du1"})
    assert result.verdict == "WRONG" and f"entry {entry}" in result.message, result.message
    assert (result.claimed, result.true) == (claimed, true)


def test_size_guard(tmp_path):
    text = _toml(_setup("plain"))
    net = load_derivation(_write(tmp_path, text)).network
    big = text.replace("input = [1, 4, 4]", "input = [3, 40, 40]").replace("inputs = 16", "inputs = 4800")
    big = re.sub(r"x = \[[^\]]*\]", "x = [" + ", ".join(["0.5"] * 4800) + "]", big)
    big = re.sub(r"W3 = \[\[[^\]]*\]\]", "W3 = [[" + ", ".join(["0.5"] * 39 * 39) + "]]", big)
    big = re.sub(r"K1 = .*", "K1 = [[" + ", ".join(["[[1, 0], [0, 1]]"] * 3) + "]]", big)
    assert verify_claim_formula(net, r"db = \sum \delta").verdict == "ok"
    # X 3·40·40 = 4800, K 1·3·2·2 = 12, b 1, δ 39·39 = 1521: 6334 symbols
    with pytest.raises(DerivcheckError, match=r"has 6,334 input, kernel, bias and δ entries; .* at most 3,000"):
        verify_claim_formula(load_derivation(_write(tmp_path, big)).network, r"db = \sum \delta")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / f"net{abs(hash(text))}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_two_samples_and_tanh_balls(tmp_path):
    """A tanh conv of a batch of two: proofs do not depend on the point; the counterexample is certified on
    arb balls at sample 1 (δ through tanh' is irrational)."""
    text = _toml(_setup("pad1")).replace('padding = 1', 'padding = 1\nactivation = "tanh"')
    flat = re.search(r"x = (\[[^\]]*\])", text).group(1)
    text = text.replace(f"x = {flat}", f"x = [{flat}, {flat.replace('-', '')}]").replace("y = [0.25]",
                                                                                           "y = [[0.25], [-0.5]]")
    net = load_derivation(_write(tmp_path, text)).network
    ok = verify_claim_formula(net, rf"dX = \operatorname{{crop}}_{{1}}(\delta \ast_{{full}} {ROT}(K))")
    assert ok.verdict == "ok", ok.message
    wrong = verify_claim_formula(net, r"dX = \operatorname{crop}_{1}(\delta \ast_{full} K)")
    assert wrong.verdict == "WRONG" and "(sample 1)" in wrong.message and "not rotated" in wrong.diagnosis


MIXED = '''title = "conv and batch norm"
source = "test"
[network]
inputs = 9
loss = "half_sse"
[[layer]]
kind = "conv2d"
input = [1, 3, 3]
channels = 1
kernel = 2
[[layer]]
kind = "flatten"
[[layer]]
kind = "batchnorm"
[[layer]]
kind = "dense"
units = 1
activation = "identity"
[parameters]
K1 = [[[[1, 2], [3, -1]]]]
b1 = [0.5]
gamma3 = [1, 0.5, 2, 1]
beta3 = [0, 0.1, 0.2, 0.3]
W4 = [[0.3, -0.2, 0.5, 0.1]]
b4 = [0.1]
[data]
x = [[1, 2, 0, -1, 0.5, 1, 2, 1, 0], [0, 1, 2, 1, -1, 0.5, 1, 2, 1]]
y = [[1], [0]]
[[claims]]
name = "L"
value = "1"
'''


def test_a_list_with_conv_and_batch_norm_reads_both(tmp_path):
    net = load_derivation(_write(tmp_path, MIXED)).network
    assert verify_claim_formula(net, r"dK = X \star \delta").verdict == "ok"
    beta = r"\frac{\partial \ell}{\partial \beta} = \sum_{i=1}^{m} \frac{\partial \ell}{\partial y_i}"
    assert verify_claim_formula(net, beta).verdict == "ok"
    with pytest.raises(DerivcheckError, match=r"the command \\zeta is not read in a formula about a conv2d layer"):
        verify_claim_formula(net, r"dK = \zeta")


def test_sum_budget(tmp_path, monkeypatch):
    """Σ over i, j, a, b, e, f (δ's 3×3 each) and g, h (X's 4×4) is 3⁶·4² = 11,664 terms for each of dK's 4
    entries; with the budget lowered to 10,000 the first entry's sum is refused."""
    monkeypatch.setattr("symbolic.formulas.conv_eval.MAX_TERMS", 10_000)
    latex = r"dK[o,c,u,v] = \sum_{i,j,a,b,e,f,g,h} \delta[o,i,j] \delta[o,a,b] \delta[o,e,f] x[c,g,h]"
    with pytest.raises(DerivcheckError, match=r"more than 10,000 terms .* has 11,664 for each"):
        verify_claim_formula(_net(tmp_path, "plain"), latex)


def test_a_result_of_the_wrong_size_says_both_sizes(tmp_path):
    """stride2: a 5×5 input, δ 2×2; without the dilation the full correlation with the 3×3 kernel is 4×4."""
    result = verify_claim_formula(_net(tmp_path, "stride2"), rf"dX = \delta \ast_{{full}} {ROT}(K)")
    assert "(the right side is a 4×4 map, ∂L/∂X a 5×5 map" in result.message, result.message


def test_per_channel_maps_wrong(tmp_path):
    """Per channel, the kernel not rotated: derivcheck names [c=…, row …, col …] (1-based subscripts, rows and
    columns 1-based) where the test's own full correlation with K differs from the central differences."""
    d = _setup("channels")
    result = verify_claim_formula(_net(tmp_path, "channels"), r"dX_c = \sum_o \delta_o \ast_{full} K_{o,c}")
    assert result.verdict == "WRONG" and "the kernel was not rotated: with rot180(K)" in result.diagnosis
    c, r, col = map(int, re.search(r"entry \[c=(\d+), row (\d+), col (\d+)\]", result.message).groups())
    claim = per_c(d, lambda g, k: corr(g, k, "full"))
    assert Fr(result.claimed) == claim[c - 1][r - 1][col - 1] != Fr(result.true) == _truth(d)["dX"][c - 1][r - 1][col - 1]


@pytest.mark.parametrize("net", ["plain", "stride2pad1", "channels"])
def test_flipped_convolution_order_does_not_matter(tmp_path, net):
    """With symbols * = "flipped", ∗ is the mathematical convolution, commutative: the loops here give δ ∗ K =
    K ∗ δ (and that is the truth after dilate_S and crop_P), and derivcheck gives both orders the same verdict —
    ok unrotated, and WRONG with the same entry and numbers when K is rotated."""
    d = _setup(net)
    S, P = d["S"], d["P"]
    assert per_c(d, lambda g, k: conv_full(dilate(g, S), k)) == per_c(d, lambda g, k: conv_full(k, dilate(g, S)))
    assert per_c(d, lambda g, k: crop(conv_full(k, dilate(g, S)), P)) == _truth(d)["dX"]
    network, flipped = _net(tmp_path, net), {"*": "flipped"}
    results = []
    for kernel in ("K", rf"{ROT}(K)"):
        for a, b in ((rf"\operatorname{{dilate}}_{{{S}}}(\delta)", kernel), (kernel, rf"\operatorname{{dilate}}_{{{S}}}(\delta)")):
            results.append(verify_claim_formula(network, rf"dX = \operatorname{{crop}}_{{{P}}}({a} \ast_{{full}} {b})",
                                                flipped))
    assert [r.verdict for r in results] == ["ok", "ok", "WRONG", "WRONG"], [r.message for r in results]
    assert results[2].message == results[3].message


def test_kernel_first_forward(tmp_path):
    """Without a bias the forward is u = X ⋆ K (the loops here: _forward with b = 0 is corr(X, K)); written
    kernel-first, K ⋆ X, the kernel is still the window: ok (read literally, a 2×2 map with a larger 4×4 window
    has no entries); with * = "flipped", rot180(K) ∗ X is the same forward and K ∗ X is WRONG, not rotated."""
    d = _setup("plain")
    assert _forward(d, d["X"], d["K"], [Fr(0)]) == [corr(d["X"][0], d["K"][0][0])]
    text = _toml(d).replace('kernel = 2', 'kernel = 2\nbias = "none"').replace("b1 = [", "# b1 = [")
    net = load_derivation(_write(tmp_path, text)).network
    assert verify_claim_formula(net, r"Y = K \star X").verdict == "ok"
    assert verify_claim_formula(net, rf"Y = {ROT}(K) \ast X", {"*": "flipped"}).verdict == "ok"
    wrong = verify_claim_formula(net, r"Y = K \ast X", {"*": "flipped"})
    assert wrong.verdict == "WRONG" and "the kernel was not rotated" in wrong.diagnosis, wrong.message
