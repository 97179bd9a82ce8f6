"""The normalization layers (batch norm, layer norm) of a layer list's batch evaluation, forward and reverse.

Contract
--------
Functions of :class:`symbolic.truth.layered.BatchPoint` ``p`` (its values, mistakes, pins and the
``p.norm[l]`` it keeps): :func:`normalize_forward` gives a normalization layer's outputs γ x̂ + β and
stores ``(how, statistics, x̂)`` — ``how`` ``"inference"`` (running statistics), ``"columns"`` (batch
norm: one :class:`~symbolic.spec.layer_rules.Normalized` per feature) or ``"rows"`` (layer norm: one per
sample, or per row of a rank-3 sample); :func:`normalize_backward` is the reverse rule (the rules of
:mod:`symbolic.spec.layer_rules`). With the author's pinned μ / σ² (``p.pins``) the statistics are restated
from them (d = v − μ, σ² from those d unless pinned too, x̂ = d/√(σ² + ε)); pinned x̂, ∂L/∂x̂, ∂L/∂μ and
∂L/∂σ² are used in place of the computed ones. :func:`stat_names` names one vector's μ and σ² pin keys,
:func:`statistic` the position of a μ/σ² claim in the layer's statistics.
"""
from __future__ import annotations

from dataclasses import replace

from flint import arb, fmpq

from ..spec.layer_rules import normalize_vjp
from ..spec.layered_network import LayeredNetwork
from ..spec.names import Name
from .balls import Unevaluable, add, exact, is_zero, mul
from .layer_domain import DOMAIN, inverse as _inv, normalized as _normalized

__all__ = ["normalize_forward", "normalize_backward", "stat_names", "statistic"]


def normalize_forward(p, spec, prev: list) -> list:
    """A normalization layer's outputs γ x̂ + β of every sample; its statistics and x̂ in ``p.norm[l]``."""
    l, n, v, H = spec.index, spec.units, p.values, spec.norm_width  # H: a rank-3 layernorm's row
    gamma = [v[f"gamma{l}[{j % H + 1}]"] for j in range(n)]
    beta = [v[f"beta{l}[{j % H + 1}]"] for j in range(n)]
    unbiased = p.mistakes.norm.unbiased
    if spec.kind == "batchnorm" and spec.mode == "inference":
        s = [DOMAIN.sqrt(add((exact(rv), exact(spec.eps)))) for rv in spec.running_var]
        xhat = [[mul((add((row[j], mul((exact(spec.running_mean[j]), fmpq(-1))))), _inv(s[j]))) for j in range(n)]
                for row in prev]
        p.norm[l] = ("inference", s, p.pins.named_rows("xhat", l, xhat))
    elif spec.kind == "batchnorm":
        if unbiased and p.m < 2:
            raise Unevaluable("an unbiased variance of one sample")
        cols = [_normalized(spec, [row[j] for row in prev], j, unbiased) for j in range(n)]
        if p.pins:
            cols = [_restated(p, nz, [row[j] for row in prev], stat_names(spec, 0, j)) for j, nz in enumerate(cols)]
        xhat = [[cols[j].xhat[s] for j in range(n)] for s in range(p.m)]
        p.norm[l] = ("columns", cols, p.pins.named_rows("xhat", l, xhat))
    else:
        rows = [_normalized(spec, row[t:t + H], s, unbiased) for s, row in enumerate(prev) for t in range(0, n, H)]
        G = n // H  # rows per sample; stats of (sample s, row t) at s·G + t
        if p.pins:
            rows = [_restated(p, nz, prev[i // G][i % G * H:(i % G + 1) * H], stat_names(spec, i // G + 1, i % G))
                    for i, nz in enumerate(rows)]
        xhat = [[x for nz in rows[s * G:(s + 1) * G] for x in nz.xhat] for s in range(p.m)]
        p.norm[l] = ("rows", rows, p.pins.named_rows("xhat", l, xhat))
    return [[add((mul((gamma[j], xh[j])), beta[j])) for j in range(n)] for xh in p.norm[l][2]]


def _restated(p, nz, v: list, names: tuple):
    """``nz`` with the author's μ and/or σ² (``names``: their pin keys) put in: d = v − μ, σ² from those d
    unless pinned too, s = √(σ² + ε), x̂ = d/s — the x̂ the author's statistics give."""
    (mu_key, var_key) = names
    mu, var = p.pins.nodes.get(mu_key), p.pins.nodes.get(var_key)
    if mu is None and var is None:
        return nz
    mu = nz.mu if mu is None else mu
    d = [add((vi, mul((mu, fmpq(-1))))) for vi in v] if mu is not nz.mu else nz.d
    if var is None:
        var = mul((add([mul((di, di)) for di in d]), fmpq(1, nz.n - 1 if nz.unbiased else nz.n)))
    s = DOMAIN.sqrt(add((var, exact(nz.eps))))
    return replace(nz, mu=mu, d=d, var=var, s=s, xhat=[mul((di, _inv(s))) for di in d])


def normalize_backward(p, spec, sw, seeded: bool) -> None:
    """The reverse rule of a normalization layer: γ, β gradients, ∂/∂x̂, ∂/∂μ, ∂/∂σ² and the input adjoint."""
    l, n, v, H = spec.index, spec.units, p.values, spec.norm_width
    how, stats, xhat = p.norm[l]
    if not seeded:
        g_a = sw.g_a[l]
        for k in range(H):  # γ_k, β_k: every sample, and every row of a rank-3 layernorm
            sw.grads[f"gamma{l}[{k + 1}]"] = add([mul((g_a[s][j], xhat[s][j])) for s in range(p.m)
                                                  for j in range(k, n, H)])
            sw.grads[f"beta{l}[{k + 1}]"] = add([g_a[s][j] for s in range(p.m) for j in range(k, n, H)])
        sw.g_xhat[l] = [[mul((g_a[s][j], v[f"gamma{l}[{j % H + 1}]"])) for j in range(n)] for s in range(p.m)]
        if p._pinned:
            sw.g_xhat[l] = p.pins.named_rows("xhat", l, sw.g_xhat[l], back=True)
    gx = sw.g_xhat[l] if seeded or p.mistakes.norm.gamma_scaled else sw.g_a[l]  # (Knet #288: γ left out)
    if how == "inference":
        back = [[mul((gx[s][j], _inv(stats[j]))) for j in range(n)] for s in range(p.m)]
    elif how == "columns":
        back, mus, vars_ = p._zeros(l), [], []
        for j, nz in enumerate(stats):
            dv, dmu, dvar = normalize_vjp(nz, [gx[s][j] for s in range(p.m)], DOMAIN, p.mistakes.norm,
                                          *_pinned_stats(p, spec, 0, j))
            for s in range(p.m):
                back[s][j] = dv[s]
            mus.append(dmu)
            vars_.append(dvar)
        sw.g_stats[l] = (mus, vars_)
    else:
        G = n // H
        parts = [normalize_vjp(nz, gx[i // G][i % G * H:(i % G + 1) * H], DOMAIN, p.mistakes.norm,
                               *_pinned_stats(p, spec, i // G + 1, i % G)) for i, nz in enumerate(stats)]
        back = [[x for p in parts[s * G:(s + 1) * G] for x in p[0]] for s in range(p.m)]
        sw.g_stats[l] = ([p[1] for p in parts], [p[2] for p in parts])
    if spec.kind != "dropout" and all(_nil(x) for row in back for x in row) and \
            not all(_nil(x) for row in gx for x in row):
        sw.silent.add(l)
    sw.g_a[l - 1] = back


def _pinned_stats(p, spec, sample: int, k: int) -> tuple:
    """The author's ∂L/∂μ and ∂L/∂σ² of one normalized vector (None where not pinned or not this sweep)."""
    if not p._pinned:
        return None, None
    mu, var = stat_names(spec, sample, k)
    return p.pins.back_nodes.get(mu), p.pins.back_nodes.get(var)


def stat_names(spec, sample: int, k: int) -> tuple:
    """The pin keys of μ and σ² of one normalized vector: batch norm's feature k (the batch's: sample 0, whatever
    ``sample`` says), or layer norm's row k of ``sample`` (``mu{l}`` when the sample is one row)."""
    l = spec.index
    if spec.kind == "batchnorm":
        return (0, f"mu{l}[{k + 1}]"), (0, f"var{l}[{k + 1}]")
    idx = "" if spec.norm_width == spec.units else f"[{k + 1}]"
    return (sample, f"mu{l}{idx}"), (sample, f"var{l}{idx}")


def statistic(network: LayeredNetwork, name: Name, s: int) -> int:
    """Where μ/σ² ``name`` of sample s is in its layer's statistics: a batchnorm feature, a layernorm (sample, row)."""
    spec = network.specs[name.layer - 1]
    if spec.kind == "batchnorm":
        return name.indices[0] - 1
    return s * (spec.units // spec.norm_width) + (name.indices[0] - 1 if name.indices else 0)


def _nil(x) -> bool:
    return is_zero(x) or (type(x) is arb and x.contains(0) and x.rad() < arb(10) ** -45)
