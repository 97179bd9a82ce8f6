r"""The truth side of a formula about a normalization layer: every role of the layer, by the program's rules.

Contract
--------
:class:`LayerModel` ``(spec, samples, ar, v, g, gamma, beta)`` runs the rule-table entries of
:mod:`symbolic.spec.layer_rules` — :func:`~symbolic.spec.layer_rules.normalize` and
:func:`~symbolic.spec.layer_rules.normalize_vjp`, the same rules every number of a layer list comes
from — over the :class:`~symbolic.spec.layer_rules.Arithmetic` ``ar``, for the layer's input ``v``
(``[sample][feature]``), the upstream gradient ``g`` = ∂L/∂y of its output y = γx̂ + β, and γ, β
(per feature). Batch norm normalizes each feature over the samples, layer norm each sample over
its features. ``ar`` is the surd domain of :mod:`symbolic.formulas.surds` for proofs (``v``, ``g``,
γ, β symbols of a rational-function field: the result holds for all their values), or the exact/ball
domain of :mod:`symbolic.truth.layered` at a concrete point (counterexamples).

:meth:`LayerModel.table` ``(role, deriv)`` is an :class:`Arr` (values indexed by its axes ``"s"``,
``"f"``, 0-based): ``input``, ``output``, ``xhat``, ``xmu`` = x − μ, ``mu``, ``var``, ``std`` =
√(σ² + ε), ``istd`` = 1/√(σ² + ε), ``gamma``, ``beta``, ``eps``, ``count`` (N: what the layer
averages over), and ∂L/∂ of input, output, xhat, mu, var (the program's node derivatives: ∂L/∂μ
includes its path through σ²), gamma and beta. The output's affine step is the layer's definition:
∂L/∂x̂ = γ ∂L/∂y, ∂L/∂γ = Σ ∂L/∂y · x̂, ∂L/∂β = Σ ∂L/∂y over the samples (tests compare every
table with :class:`symbolic.truth.layered.BatchPoint`).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from ..spec.errors import DerivcheckError
from ..spec.layer_rules import Arithmetic, normalize, normalize_vjp
from ..spec.layered_network import LayerSpec

__all__ = ["Arr", "LayerModel", "DERIVABLE"]

DERIVABLE = ("input", "output", "xhat", "mu", "var", "gamma", "beta")


@dataclass(frozen=True)
class Arr:
    """Values over axes (a sub-tuple of ``("s", "f")``), keyed by 0-based positions in that order."""

    axes: tuple[str, ...]
    data: dict

    @staticmethod
    def scalar(value: Any) -> "Arr":
        return Arr((), {(): value})


class LayerModel:
    """Every role of one normalization layer as an :class:`Arr` (module contract)."""

    def __init__(self, spec: LayerSpec, samples: int, ar: Arithmetic, v: Sequence[Sequence], g: Sequence[Sequence],
                 gamma: Sequence, beta: Sequence):
        self.spec, self.ar = spec, ar
        self.sizes = {"s": samples, "f": spec.units}
        self.count = samples if spec.kind == "batchnorm" else spec.units
        n, m, c = spec.units, samples, ar.const
        t: dict[tuple[str, bool], dict] = {k: {} for k in (
            ("input", False), ("output", False), ("xhat", False), ("xmu", False), ("mu", False), ("var", False),
            ("std", False), ("istd", False), ("input", True), ("output", True), ("xhat", True), ("mu", True),
            ("var", True))}
        dxhat = [[ar.mul((gamma[f], g[s][f])) for f in range(n)] for s in range(m)]
        if spec.kind == "batchnorm":
            vectors = [[(s, f) for s in range(m)] for f in range(n)]
        else:
            vectors = [[(s, f) for f in range(n)] for s in range(m)]
        for k, cells in enumerate(vectors):
            nz = normalize([v[s][f] for s, f in cells], spec.eps, ar)
            dv, dmu, dvar = normalize_vjp(nz, [dxhat[s][f] for s, f in cells], ar)
            stat = (k,)
            t["mu", False][stat], t["var", False][stat], t["std", False][stat] = nz.mu, nz.var, nz.s
            t["istd", False][stat] = ar.inv(nz.s)
            t["mu", True][stat], t["var", True][stat] = dmu, dvar
            for p, (s, f) in enumerate(cells):
                t["input", False][s, f], t["xhat", False][s, f], t["xmu", False][s, f] = v[s][f], nz.xhat[p], nz.d[p]
                t["output", False][s, f] = ar.add((ar.mul((gamma[f], nz.xhat[p])), beta[f]))
                t["input", True][s, f], t["output", True][s, f], t["xhat", True][s, f] = dv[p], g[s][f], dxhat[s][f]
        stat_axes = ("f",) if spec.kind == "batchnorm" else ("s",)
        self.tables = {key: Arr(("s", "f") if key[0] in ("input", "output", "xhat", "xmu") else stat_axes, data)
                       for key, data in t.items()}
        xhat = t["xhat", False]
        self.tables["gamma", False] = Arr(("f",), {(f,): gamma[f] for f in range(n)})
        self.tables["beta", False] = Arr(("f",), {(f,): beta[f] for f in range(n)})
        self.tables["gamma", True] = Arr(("f",), {(f,): ar.add([ar.mul((g[s][f], xhat[s, f])) for s in range(m)])
                                                  for f in range(n)})
        self.tables["beta", True] = Arr(("f",), {(f,): ar.add([g[s][f] for s in range(m)]) for f in range(n)})
        self.tables["eps", False] = Arr.scalar(c(Fraction(spec.eps)))
        self.tables["count", False] = Arr.scalar(c(Fraction(self.count)))

    def table(self, role: str, deriv: bool) -> Arr:
        """The role's values (module contract); a derivative the program has no node for is refused."""
        if (role, deriv) not in self.tables:
            if role == "loss":
                raise DerivcheckError("The loss L appears inside the formula; only ∂L/∂… of the layer's quantities "
                                      "are read.")
            raise DerivcheckError(f"∂L/∂{_SHOWN.get(role, role)} is not a node derivative of the program; write the "
                                  f"formula with ∂L/∂ of x, y, x̂, μ, σ², γ or β.")
        return self.tables[role, deriv]


_SHOWN = {"std": "√(σ² + ε)", "istd": "1/√(σ² + ε)", "xmu": "(x − μ)", "eps": "ε", "count": "N"}
