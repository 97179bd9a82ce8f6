r"""Verify a formula about a normalization layer of a ``[[layer]]`` list: ``ok``, ``WRONG`` or ``shape error``.

Contract
--------
:func:`verify_layer_formula` ``(network, latex, symbols=None) -> FormulaVerdict`` (the verdict type
of :mod:`symbolic.formulas.verify`). The formula is read by :mod:`.layer_reading`, its letters by
:mod:`.layer_symbols`, and both sides are evaluated by :mod:`.layer_eval` over a
:class:`~symbolic.formulas.layer_model.LayerModel` — the program's own batch-norm / layer-norm
rules — in two domains:

* **proof**: the layer's input x, the upstream gradient ∂L/∂y (y = γx̂ + β, the layer's output), γ
  and β are symbols of a rational-function field over Q, and every value is a sum of square roots
  over it (:mod:`.surds`). ``ok`` means every entry of left − right is exactly 0 there: the formula
  holds for all values of x, ∂L/∂y, γ and β, at this batch size / width and this ε — so for every
  parameter and data value of the network;
* **counterexample**: otherwise both sides are evaluated at a concrete point with the exact/ball
  domain of :mod:`symbolic.truth.layered` (rationals, certified balls where √ enters): first the
  network's own point (its layer input, ∂L/∂y and γ, β), then rational test points. ``WRONG`` is
  said only when the difference is certified nonzero there (an exact nonzero rational, or a ball
  that excludes 0); it names the point, the entry (sample / feature), both values.

Unreadable LaTeX, unknown letters and formulas about anything but a normalization layer are
:class:`DerivcheckError` (one sentence), never a verdict.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Mapping

from flint import fmpq

from ..spec.errors import DerivcheckError
from ..spec.layered_network import LayeredNetwork, LayerSpec
from ..spec.names import parse_name
from ..truth.balls import Undecided, Unevaluable, add, exact, mul, workprec
from ..truth.layered import DOMAIN, BatchPoint
from .claim_loop import certified_nonzero, counterexample, settle, shown
from .layer_eval import AXIS_WORDS, LayerEvaluator
from .layer_model import LayerModel
from .layer_nodes import Quantity
from .layer_reading import read_layer_formula
from .layer_symbols import Resolved, resolve_layer_formula
from .ratfun import RationalFunctions
from .surds import NotASurd, Radicals, Surd, is_zero, surd_arithmetic
from .syntax import located_failures
from .verify import FormulaVerdict

__all__ = ["verify_layer_formula", "prove_layer", "symbolic_model", "layer_label", "read_resolved"]



def read_resolved(network: LayeredNetwork, latex: str, symbols: Mapping[str, str] | None) -> Resolved:
    """Read and resolve ``latex`` for ``network`` (errors are one located sentence)."""
    formula = read_layer_formula(latex)
    with located_failures(formula.source):
        return resolve_layer_formula(formula, network, symbols)


def layer_label(resolved: Resolved) -> str:
    """What the left side claims, in canonical names: ``dL/da1[sample i]`` …"""
    lhs, l = resolved.sides[0], resolved.spec.index
    if not isinstance(lhs, Quantity):
        return "formula"
    name = {"input": f"a{l - 1}" if l > 1 else "x", "output": f"a{l}"}.get(lhs.role, f"{lhs.role}{l}")
    where = ", ".join(f"{AXIS_WORDS[a]} {i}" for a, i in lhs.axes)
    return ("dL/d" if lhs.deriv else "") + name + (f"[{where}]" if where else "")


def symbolic_model(spec: LayerSpec, samples: int):
    n = spec.units
    names = [f"v{s}_{f}" for s in range(samples) for f in range(n)] + \
        [f"g{s}_{f}" for s in range(samples) for f in range(n)] + [f"c{f}" for f in range(n)] + \
        [f"b{f}" for f in range(n)]
    K = RationalFunctions(names)
    gens = K.gens()
    rad = Radicals(K)
    ar = surd_arithmetic(rad)
    E = lambda e: Surd({frozenset(): e})  # noqa: E731 - a field element as a surd
    k = samples * n
    v = [[E(gens[s * n + f]) for f in range(n)] for s in range(samples)]
    g = [[E(gens[k + s * n + f]) for f in range(n)] for s in range(samples)]
    gamma = [E(gens[2 * k + f]) for f in range(n)]
    beta = [E(gens[2 * k + n + f]) for f in range(n)]
    return LayerModel(spec, samples, ar, v, g, gamma, beta)


def _cases(resolved: Resolved, model: LayerModel):
    """(binding, step, entry, left, right) of every entry; a value outside the domain is one sentence."""
    with located_failures(resolved.source):
        try:
            for binding, left, rights in LayerEvaluator(resolved, model).cases():
                for k, right in enumerate(rights, 1):
                    for pos, lv in left.data.items():
                        at = dict(zip(left.axes, pos))
                        rv = right.data[tuple(at[a] for a in right.axes)]
                        yield binding, k, at, lv, rv
        except (NotASurd, ZeroDivisionError) as exc:
            raise DerivcheckError(f"The formula is not a finite expression here: {exc}.") from None


def prove_layer(resolved: Resolved, samples: int, model: LayerModel | None = None) -> tuple | None:
    """None when every entry is proved equal for all values; else the first entry not proved.

    ``model`` is the layer's symbolic model (built here when not given; a repair search reuses one).
    """
    model = model or symbolic_model(resolved.spec, samples)
    for binding, k, at, lv, rv in _cases(resolved, model):
        if not is_zero(model.ar.add((lv, model.ar.mul((model.ar.const(Fraction(-1)), rv))))):
            return binding, k, at
    return None


def _own_point(network: LayeredNetwork, spec: LayerSpec):
    bp = BatchPoint(network)
    l = spec.index
    g = bp.sweep(parse_name("L")).g_a[l]
    gamma = [bp.values[f"gamma{l}[{f}]"] for f in range(1, spec.units + 1)]
    beta = [bp.values[f"beta{l}[{f}]"] for f in range(1, spec.units + 1)]
    return bp.prec, bp.a[l - 1], g, gamma, beta


def _test_point(spec: LayerSpec, samples: int, seed: int):
    n = spec.units
    v = [[exact(Fraction(((s * 7 + f * 3 + seed) % 11) - 5, 4)) for f in range(n)] for s in range(samples)]
    g = [[exact(Fraction(((s * 5 + f * 2 + 3 * seed) % 7) - 3, 2)) for f in range(n)] for s in range(samples)]
    gamma = [exact(Fraction(f + 2 + seed, 2)) for f in range(n)]
    beta = [exact(Fraction(f - 1, 3)) for f in range(n)]
    return 320, v, g, gamma, beta


def _rows(values) -> str:
    return "[" + ", ".join("[" + ", ".join(shown(x) for x in row) + "]" for row in values) + "]"


def _counterexample(resolved: Resolved, network: LayeredNetwork, samples: int, first: tuple):
    spec = resolved.spec
    points = [("own", _own_point(network, spec))] + [("test", _test_point(spec, samples, s)) for s in range(4)]
    reasons: list[str] = []
    for kind, (prec, v, g, gamma, beta) in points:
        with workprec(prec):
            try:
                model = LayerModel(spec, samples, DOMAIN, v, g, gamma, beta)
                found = [c for c in _cases(resolved, model) if certified_nonzero(add((c[3], mul((c[4], fmpq(-1))))))]
            except DerivcheckError:
                continue
            except (ArithmeticError, ValueError, Unevaluable, Undecided) as exc:
                reasons.append(str(exc))  # no value here (a root of a negative number, a ball around 0)
                continue
            if found:
                found.sort(key=lambda c: (c[0], c[1], c[2]) != (first[0], first[1], first[2]))
                if kind == "own":
                    where = "at the network's own parameters and data"
                else:
                    where = (f"at the test point x = {_rows(v)}, ∂L/∂y = {_rows(g)}, "
                             f"γ = [{', '.join(map(shown, gamma))}], β = [{', '.join(map(shown, beta))}] "
                             f"(the layer's input, upstream gradient and parameters)")
                return where, found[0]
    return reasons


def _eps(eps: Fraction) -> str:
    text = f"{float(eps):g}"
    return text if Fraction(text) == eps else str(eps)


def verify_layer_formula(network: LayeredNetwork, latex: str,
                         symbols: Mapping[str, str] | None = None) -> FormulaVerdict:
    """Prove ``latex`` about a normalization layer of ``network`` or refute it (module contract)."""
    resolved = read_resolved(network, latex, symbols)
    spec, samples = resolved.spec, len(network.x)
    label = layer_label(resolved)
    steps = len(resolved.sides) - 1

    def proof() -> tuple[str, str]:
        size = f"N = {samples} samples" if spec.kind == "batchnorm" else f"{spec.units} features"
        head = ("Proved for all values" if steps == 1 else
                f"All {steps} right-hand sides are proved equal to the left for all values")
        return (f"{head} of {spec.kind} layer {spec.index}'s input x, its upstream gradient ∂L/∂y and γ, β ({size}, "
                f"ε = {_eps(spec.eps)}): every entry of left − right is exactly 0 as a sum of square roots over the "
                f"rational functions of those symbols, computed by the program's {spec.kind} rules."), "surd identity"

    def refute(first: tuple) -> FormulaVerdict:
        found = _counterexample(resolved, network, samples, first)
        if isinstance(found, list):
            what = "batch" if spec.kind == "batchnorm" else "features"
            why = f" (it has no value at {len(found)} of them: {found[0]})" if found else ""
            raise DerivcheckError(f"The formula is not proved over the {what} symbols, and no counterexample was "
                                  f"certified at the network's point or four test points{why}; it is left undecided.")
        where, (binding, k, at, lv, rv) = found
        entry = ", ".join(f"{AXIS_WORDS[a]} {p + 1}" for a, p in at.items())
        return counterexample(label, steps, where, k, f"entry [{entry}]" if entry else "the right side", binding,
                              shown(rv), shown(lv), tuple(p + 1 for p in at.values()))

    return settle(label, steps, lambda: prove_layer(resolved, samples), proof, refute)

