"""The proof that the structured program is the matrix-form backprop, entry by entry.

Contract
--------
:func:`prove_structured` (or :func:`prove_program` for a program already built)
returns a :class:`ProofReport` with one :class:`EntryCheck` per matrix-form
equation, or raises :class:`symbolic.spec.errors.DerivcheckError` naming the
first entry where the program (:class:`symbolic.truth.program.Structured`) and
the matrix form (:mod:`symbolic.formulas.matrix_form`) differ.
:func:`lemma_output` proves the output-layer rules the program uses.

Claim: every gradient entry of the program equals, entry by entry, the
matrix-form formulas of :func:`symbolic.formulas.matrix_form.derive`
(δ^{(L)}, δ^{(l)} = (W^{(l+1)})ᵀ δ^{(l+1)} ⊙ f'(u^{(l)}), ∇W^{(l)} = δ^{(l)}(a^{(l−1)})ᵀ,
∇b^{(l)} = δ^{(l)} or Σ_i δ_i^{(l)}), which that module proves against
``sympy.diff`` of the closed form. The proof is exact and never samples:

1. *Same atoms.* Each matrix-form equation is evaluated (by
   :func:`symbolic.formulas.matrix_form.evaluate`) under a *node model* in which
   ``W``, ``b``, ``x``, ``y`` are the parameter/data symbols, ``u``, ``a`` and
   ``δ`` of every layer are the program's node symbols (not their definitions)
   and f'(u{l}_i) is the node symbol ``df{l}_i``. The right side of each
   equation then is a small expression of the same atoms as the program's
   definition of that entry, independent of the network's size.
2. *Entry by entry.* For every entry the two expressions are compared:
   identical SymPy expressions (*structural identity* — the usual case: the
   program is the δ recurrence written entry-wise), else their difference
   must ``expand`` to 0, else the numerator of its ``together`` must (loss
   derivatives such as bce's written differently). For softmax +
   softmax_ce the matrix form states a − y, valid for targets with Σy = 1; there
   y_n = 1 − Σ_{k<n} y_k is substituted first, as matrix_form's own proof does.
   Because ``a`` and ``df`` are opaque symbols here, equality holds for every
   elementwise activation at once; giving them their definitions (the same on
   both sides) keeps it.
3. *Output lemmas* (size n_L, independent of depth and width): the fused δ's
   and the softmax Jacobian are proved from ``sympy.diff`` of the rule table's
   concrete expressions in the output pre-activations u_k, with u_k = log(E_k)
   for positive symbols E_k (so exp(c·u_k) = E_k^c) and the numerator of the
   difference expanded to 0
   (Jacobian entries (1,1) and (1,2); the others follow from softmax's
   permutation equivariance).

What this proves: the program *is* the matrix-form backprop, entry by entry,
at any size. That the matrix form is ∂L/∂θ is the multivariate chain rule on
the layer graph; matrix_form proves it against ``sympy.diff`` of the closed
form on every network small enough for one. Independently,
``tests/test_structured.py`` checks structured against closed-form gradients
(hypothesis, every activation, loss and bias mode): identical Rationals for
identity/relu nets, the structured gradient written out in parameters equal
*as an expression* to ``sympy.diff`` of the generic closed form, and 50-digit
agreement of the 60-digit values on exp-laden nets.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import sympy as sp

from ..spec.errors import DerivcheckError
from ..spec.names import canonical_of_symbol
from ..spec.network import Network
from ..spec.rules import ACTIVATIONS, FUSED_OUTPUTS, LOSSES, generic_functions
from ..truth.program import Structured
from .derive import derive
from .evaluation import evaluate
from .models import Matrix, node_array
from .nodes import Deriv, Var
from .render import to_text
from .shapes import Ctx, shape_of

__all__ = ["EntryCheck", "ProofReport", "prove_structured", "prove_program", "lemma_output"]

Expr = sp.Expr


@dataclass(frozen=True)
class EntryCheck:
    """One matrix-form equation checked against the program: how many entries, and how each was shown equal."""

    equation: str
    entries: int
    structural: int  # entries identical as SymPy expressions
    expanded: int    # entries equal after expand / together
    assumption: str = ""


@dataclass
class ProofReport:
    """The proof of one network's program: one :class:`EntryCheck` per equation, and the output lemmas."""

    network: Network
    equations: list[EntryCheck] = field(default_factory=list)
    lemmas: list[str] = field(default_factory=list)

    @property
    def entries(self) -> int:
        return sum(e.entries for e in self.equations)

    def describe(self) -> str:
        lines = [f"{e.equation}: {e.entries} entries equal ({e.structural} structurally identical, "
                 f"{e.expanded} after expansion){' — ' + e.assumption if e.assumption else ''}"
                 for e in self.equations]
        return "\n".join(lines + [f"lemma: {t}" for t in self.lemmas])


class _NodeModel:
    """A matrix_form model whose u, a, δ are the program's node symbols and f, f' generic."""

    def __init__(self, program: Structured):
        self.p = program
        self.network = program.network
        self.concrete = False
        self.params, self.x, self.y = program.params, program.x, program.y
        self.u, self.a = program.u, program.a
        sw = program.sweep("L")
        self.deltas = sw.adjoint_u

    def function(self, name: str, prime: bool):
        if name == "exp":
            return sp.exp
        if name == "log":
            return (lambda v: 1 / v) if prime else sp.log
        fn, fp = generic_functions(name)
        if not prime:
            return fn
        df = self.p._df_of
        return lambda v: df.get(v) or fp(v)  # f'(u{l}_i) is the node symbol df{l}_i

    def array(self, kind: str, layer: int | None):
        found = node_array(self, kind, layer)
        if found is not None:
            return found
        if kind == "delta":
            return Matrix(len(self.deltas[layer]), 1, list(self.deltas[layer]))
        if kind == "L":
            return Matrix([[self.p.loss]])
        raise DerivcheckError(f"Unknown quantity {kind!r}.")

    def with_cut(self, kind, layer):  # derived formulas contain no ∂X/∂(node)
        raise DerivcheckError("A derivative node cannot be evaluated in the structured node model.")


def _compare(mine: Expr, theirs: Expr, subs: dict | None) -> str | None:
    """'structural', 'expanded', or None when not shown equal."""
    if mine == theirs:
        return "structural"
    diff = mine - theirs
    if subs:
        diff = diff.xreplace(subs)
    if diff == 0:
        return "expanded"
    d = sp.expand(diff)
    if d == 0:
        return "expanded"
    num, _ = sp.fraction(sp.together(d))
    return "expanded" if sp.expand(num) == 0 else None


def prove_structured(network: Network, program: Structured | None = None) -> ProofReport:
    """Prove the program's gradients equal to ``matrix_form.derive(network)`` entry by entry."""
    program = program or Structured(network)
    model = _NodeModel(program)
    form = derive(network)
    ctx = Ctx(network)
    report = ProofReport(network)
    depth = network.depth
    sumone = None
    if LOSSES[network.loss].targets == "distribution":  # softmax + softmax_ce: proved for Σ y = 1
        y = program.y
        sumone = {y[-1]: 1 - sp.Add(*y[:-1])}
    memo: dict = {}
    for lhs, rhs in form.equations():
        shape_of(rhs, ctx)
        theirs = evaluate(rhs, model, ctx, memo)
        if isinstance(lhs, Var):  # δ^{(l)}
            l = lhs.layer
            defs = dict(program.backward)
            mine = [defs.get(s, s) if isinstance(s, sp.Symbol) else s for s in model.deltas[l]]
            subs = sumone if l == depth else None
        else:
            assert isinstance(lhs, Deriv)
            kind, l = lhs.wrt.kind, lhs.wrt.layer
            target = model.array(kind, l)
            mine = [program.derivative("L", _param_name(network, s))[0] for s in target]
            subs = None
        flat = list(theirs)
        if len(flat) != len(mine):
            raise DerivcheckError(f"{to_text(lhs)} has {len(flat)} entries in the matrix form but "
                                  f"{len(mine)} in the structured program.")
        structural = expanded = 0
        for k, (me, th) in enumerate(zip(mine, flat)):
            how = _compare(me, th, subs)
            if how is None:
                raise DerivcheckError(f"The structured program and the matrix form differ at entry {k + 1} of "
                                      f"{to_text(lhs)}: {me} vs {th}.")
            structural += how == "structural"
            expanded += how == "expanded"
        note = "targets with Σ y_k = 1 (y_n = 1 − Σ_{k<n} y_k substituted)" if subs else ""
        report.equations.append(EntryCheck(to_text(lhs), len(mine), structural, expanded, note))
    report.lemmas = lemma_output(network.activations[-1], network.loss, network.layers[-1])
    return report


def prove_program(program: Structured) -> ProofReport:
    """Prove an already built program equal to the matrix-form formulas (was ``Structured.prove``)."""
    return prove_structured(program.network, program)


def _param_name(network: Network, symbol: sp.Symbol) -> str:
    return canonical_of_symbol(symbol)


_LEMMAS: dict[tuple[str, str, int], list[str]] = {}


def _zero(e: Expr, us: Sequence[sp.Symbol]) -> bool:
    """Whether ``e`` is identically 0, with every u_k written as log(E_k) for a positive symbol E_k.

    exp(c·u_k) becomes E_k**c, so the expression is rational in the E's; the numerator of its
    ``together`` must expand to 0. Sound: E_k ranges over all positive reals as u_k over all reals.
    """
    e = e.xreplace({u: sp.log(sp.Dummy(f"E{k}", positive=True)) for k, u in enumerate(us)})
    num, _ = sp.fraction(sp.together(e))
    return sp.expand(num) == 0


def lemma_output(act: str, loss: str, n: int) -> list[str]:
    """Prove the output-layer rules the program uses, from sympy.diff of the rule table (cached)."""
    key = (act, loss, n)
    if key in _LEMMAS:
        return _LEMMAS[key]
    us = [sp.Symbol(f"v{k + 1}", real=True) for k in range(n)]
    ys = [sp.Symbol(f"t{k + 1}", real=True) for k in range(n)]
    rule = ACTIVATIONS[act]
    out: list[str] = []
    if rule.elementwise:
        if (act, loss) in FUSED_OUTPUTS:
            term = LOSSES[loss].terms([rule.symbolic(us[0])], [ys[0]])[0]
            fused = FUSED_OUTPUTS[(act, loss)]([rule.symbolic(us[0])], [ys[0]])[0]
            if not _zero(sp.diff(term, us[0]) - fused, us):
                raise DerivcheckError(f"The fused {act} + {loss} output δ = a − y could not be proved.")
            out.append(f"{act} + {loss}: ∂L_k/∂u_k = a_k − y_k (sympy.diff, u = log E)")
        else:
            out.append(f"{act} output: ∂L/∂u_k = ∂L_k/∂a_k · f'(u_k) (one-variable chain rule)")
        _LEMMAS[key] = out
        return out
    a = rule.apply(us)
    pairs = [(0, 0)] + ([(0, 1)] if n > 1 else [])
    for i, k in pairs:
        jac = a[i] * ((1 if i == k else 0) - a[k])
        if not _zero(sp.diff(a[i], us[k]) - jac, us):
            raise DerivcheckError("The softmax Jacobian a_i(δ_ik − a_k) could not be proved.")
    out.append(f"softmax Jacobian ∂a_i/∂u_k = a_i(δ_ik − a_k) for n = {n} (entries (1,1), (1,2); the rest by "
               f"permutation equivariance)")
    if (act, loss) in FUSED_OUTPUTS:
        asym = [sp.Symbol(f"s{k + 1}", positive=True) for k in range(n)]
        terms = LOSSES[loss].terms(asym, ys)
        g = [sp.diff(sp.Add(*terms), s) for s in asym]
        for k in range(n):
            chain = sp.Add(*[g[i] * asym[i] * ((1 if i == k else 0) - asym[k]) for i in range(n)])
            if sp.expand(chain - FUSED_OUTPUTS[(act, loss)](asym, ys)[k]) != 0:
                raise DerivcheckError(f"The fused {act} + {loss} output δ could not be proved.")
        out.append(f"{act} + {loss}: Σ_i ∂L/∂a_i · a_i(δ_ik − a_k) = a_k Σ_j y_j − y_k (expand)")
    _LEMMAS[key] = out
    return out
