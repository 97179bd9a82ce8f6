"""Formula models whose truth comes from the program: node symbols for proofs, exact values at a point.

Contract
--------
Both classes have the interface :func:`symbolic.formulas.evaluation.evaluate` uses (``network``,
``array``, ``function``, ``deriv``) and read everything from one
:class:`symbolic.truth.program.Structured` — never ``sympy.diff`` of a closed form:

* :class:`NodeModel` — the atoms are the parameters, x, y and the program's node symbols
  ``a{l}_i`` and ``df{l}_i`` (f'(u{l}_i)); u^{(l)} is its definition W^{(l)} a^{(l−1)} + b^{(l)}
  in those atoms, δ^{(l)} and ∂L/∂(W, b, u, a) are the program's reverse sweep with every δ
  symbol unfolded, L is the program's loss. A function applied to exactly the definition of
  u^{(l)} (f(W^{(2)} y + b^{(2)}), f'(u^{(1)})) is the node symbol a{l}_i / df{l}_i of the layer
  whose activation it is; anything else stays an opaque function of its argument. Treating the
  atoms as independent is sound: an identity in them holds whatever the atoms' values are.
  :func:`relate` writes df through a for the rules that have such a form (σ' = a(1 − a),
  tanh' = 1 − a²) or a constant f' (identity: 1).
* :class:`PointModel` — the same quantities as exact numbers at one point: the program's forward
  pass and the loss's sweep run by :func:`symbolic.truth.interpreter.run_assignments` at 60+
  digits (Rational where the arithmetic is rational), functions from the rule table; with a
  small ``dps`` (15) it is the float screen of the repair search.

A derivative the program does not give (∂ of anything but the loss, or with respect to x or y)
raises :class:`NotInProgram`; callers fall back to the closed-form models. :func:`point_env` is
the environment of one test point (``{"W1": …, "x": …}`` as :func:`symbolic.formulas.proofs.sample_points`
yields it).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Callable, Mapping

import sympy as sp

from ..spec.errors import DerivcheckError
from ..spec.names import Name, parse_name
from ..spec.network import Network
from ..spec.rules import ACTIVATIONS, generic_functions
from ..truth.evaluator import DIGITS
from ..truth.interpreter import run_assignments
from ..truth.program import Structured
from .models import Matrix, column, node_array
from .nodes import Deriv, Entry, Var
from .zero_test import Step

__all__ = ["NotInProgram", "NodeModel", "PointModel", "point_env", "relate"]


class NotInProgram(Exception):
    """The formula needs something the program does not give; use the closed-form models."""


def _unfold(program: Structured) -> dict[sp.Symbol, sp.Expr]:
    """Every δ symbol of the loss's sweep written out in parameters, y, a and df symbols."""
    out: dict[sp.Symbol, sp.Expr] = {}
    for s, e in program.backward:  # δ^{(L)} first, each uses only later layers' δ
        out[s] = e.xreplace(out)
    return out


class NodeModel:
    """Quantities of one sample over the program's node symbols (module contract)."""

    concrete = False

    def __init__(self, network: Network, program: Structured | None = None):
        self.network = network
        self.program = program or Structured(network)
        p = self.program
        self.params, self.x, self.y = p.params, p.x, p.y
        self.unfolded = _unfold(p)
        self.u_def = [[]] + [[p.definition[s] for s in us] for us in p.u[1:]]
        self.u = self.u_def
        self.a = p.a
        # f(definition of u{l}_i) -> a{l}_i, f'(…) -> df{l}_i, keyed by the expanded definition
        self._by_def: dict[sp.Expr, tuple[int, int]] = {}
        for l in range(1, network.depth + 1):
            for i, e in enumerate(self.u_def[l]):
                self._by_def[sp.expand(e)] = (l, i)
        self._memo: dict = {}

    def _node_of(self, v: sp.Expr) -> tuple[int, int] | None:
        hit = self._by_def.get(v)
        if hit is None and not v.is_Atom:
            hit = self._by_def.get(sp.expand(v))
        return hit

    def function(self, name: str, prime: bool) -> Callable[[sp.Expr], sp.Expr]:
        if name == "exp":
            return sp.exp
        if name == "log":
            return (lambda v: 1 / v) if prime else sp.log
        fn, fp = generic_functions(name)
        acts = self.network.activations

        def apply(v: sp.Expr) -> sp.Expr:
            hit = self._node_of(v)
            if hit is not None and acts[hit[0] - 1] == name:
                l, i = hit
                if prime:
                    return self.program.df[l][i] if self.program.df[l] else fp(v)
                return self.a[l][i]
            return fp(v) if prime else fn(v)

        return apply

    def array(self, kind: str, layer: int | None) -> Matrix:
        found = node_array(self, kind, layer)
        if found is not None:
            return found
        if kind == "L":
            return Matrix([[self.program.loss]])
        if kind == "delta":
            return column([self.unfolded.get(s, s) for s in self.program.sweep("L").adjoint_u[layer]])
        raise DerivcheckError(f"Unknown quantity {kind!r}.")

    def partial(self, top: str, var: str) -> sp.Expr:
        """∂top/∂var (canonical names: L, a1[2], u2[1]; W1[1,2], b2, u1[3], a1[1]) from the program's sweep."""
        key = (top, var)
        if key not in self._memo:
            name = parse_name(var)
            if top == "L" and name.kind == "a" and name.layer == self.network.depth:
                # ∂L/∂a^{(L)}: the loss's own gradient (the sweep starts below it)
                expr = self.program.loss_gradient()[name.indices[0] - 1]
            else:
                expr, _ = self.program.derivative(top, var)
            self._memo[key] = self.finish(self._unfold_sweep(expr, top))
        return self._memo[key]

    def _unfold_sweep(self, expr: sp.Expr, top: str) -> sp.Expr:
        if top == "L":
            return expr
        sweep = {}
        for s, e in self.program.sweep(top).assignments:
            sweep[s] = e.xreplace(sweep)
        return expr.xreplace(sweep)

    def finish(self, expr: sp.Expr) -> sp.Expr:
        return expr.xreplace(self.unfolded)

    def deriv(self, node: Deriv, wrt_matrix: Callable[[], Matrix], layer: int | None) -> Matrix:
        """∂X/∂V for X the loss or a node (u, a of a layer ≥ 1, or one entry) and V a parameter or node."""
        tops = self._tops(node.of)
        wrt = node.wrt
        base = wrt.base if isinstance(wrt, Entry) else wrt
        if tops is None or not isinstance(base, Var) or base.kind not in ("W", "b", "u", "a") or \
                (base.kind == "a" and layer == 0):
            raise NotInProgram
        names = wrt_matrix()
        if len(tops) == 1:
            return names.applyfunc(lambda n: self.partial(tops[0], str(n)))
        if names.shape == (1, 1):
            return column([self.partial(t, str(names[0, 0])) for t in tops])
        if names.shape[1] != 1:
            raise NotInProgram
        return Matrix(len(tops), names.shape[0], lambda i, j: self.partial(tops[i], str(names[j, 0])))

    def _tops(self, of) -> list[str] | None:
        if isinstance(of, Var) and of.kind == "L":
            return ["L"]
        base = of.base if isinstance(of, Entry) else of
        if not isinstance(base, Var) or base.kind not in ("u", "a") or not isinstance(base.layer, int) \
                or base.layer < 1:
            return None
        if isinstance(of, Entry):
            if len(of.indices) != 1 or not isinstance(of.indices[0], int):
                return None
            return [f"{base.kind}{base.layer}[{of.indices[0]}]"]
        return [f"{base.kind}{base.layer}[{i + 1}]" for i in range(self.network.layers[base.layer])]

    def name_matrix(self, kind: str, layer: int) -> Matrix:
        """The canonical names (as SymPy symbols of the text) of ``kind{layer}``'s entries, shaped like it."""
        net = self.network
        if kind == "W":
            return Matrix(net.layers[layer], net.layers[layer - 1],
                          lambda i, j: sp.Symbol(f"W{layer}[{i + 1},{j + 1}]"))
        if kind == "b" and net.bias[layer - 1] == "shared":
            return Matrix([[sp.Symbol(f"b{layer}")]])
        return Matrix(net.layers[layer], 1, lambda i, j: sp.Symbol(f"{kind}{layer}[{i + 1}]"))


class PointModel(NodeModel):
    """The same quantities as exact numbers at one point (module contract)."""

    concrete = True

    def __init__(self, network: Network, env: Mapping[sp.Symbol, object], program: Structured | None = None,
                 dps: int = DIGITS + 20):
        super().__init__(network, program)
        self.dps = dps
        p = self.program
        values = dict(env)
        sweep = p.sweep("L")
        run_assignments(values, dps, p.forward, p.local + sweep.assignments, "the formula")
        self.values = {s: _number(v, dps) for s, v in values.items()}
        sub = self.values
        self.params = {k: sub[s] for k, s in p.params.items()}
        self.x = [sub[s] for s in p.x]
        self.y = [sub[s] for s in p.y]
        self.u = [[]] + [[sub[s] for s in us] for us in p.u[1:]]
        self.a = [[sub[s] for s in as_] for as_ in p.a]
        self._loss = p.loss.xreplace(sub)

    def function(self, name: str, prime: bool) -> Callable[[sp.Expr], sp.Expr]:
        if name in ("exp", "log"):
            base = sp.exp if name == "exp" else ((lambda v: 1 / v) if prime else sp.log)
            return lambda v: base(v).evalf(self.dps) if not base(v).is_Rational else base(v)
        rule = ACTIVATIONS[name]
        fn = rule.symbolic_prime if prime else rule.symbolic
        dps = self.dps

        def apply(v: sp.Expr) -> sp.Expr:
            out = fn(v)
            return out if out.is_Rational else out.evalf(dps)

        return apply

    def array(self, kind: str, layer: int | None) -> Matrix:
        if kind == "L":
            return Matrix([[self._loss]])
        if kind == "delta":
            return column([self.values.get(s, s) if s != 0 else sp.Integer(0)
                           for s in self.program.sweep("L").adjoint_u[layer]])
        return super().array(kind, layer)

    def finish(self, expr: sp.Expr) -> sp.Expr:
        return expr.xreplace(self.values)


def _number(v: object, dps: int) -> sp.Expr:
    if dps <= 30 and isinstance(v, (Fraction, int)):  # the float screen: floats all the way
        return sp.Float(float(v), dps)
    if isinstance(v, sp.Basic):
        return v
    if isinstance(v, Fraction):
        return sp.Rational(v.numerator, v.denominator)
    if isinstance(v, int):
        return sp.Integer(v)
    return sp.Float(v, dps)


def point_env(program: Structured, point: Mapping[str, object]) -> dict[sp.Symbol, object]:
    """The program's input environment at a test point ``{"W1": ((…),), "b1": …, "x": …, "y": …}``."""
    env: dict[sp.Symbol, object] = {}
    for name, sym in program.params.items():
        n: Name = parse_name(name)
        v = point[f"{n.kind}{n.layer}"]
        for i in n.indices:
            v = v[i - 1]
        env[sym] = v
    env.update(zip(program.x, point["x"]))
    env.update(zip(program.y, point["y"]))
    return env


def relate(expr: sp.Expr, model: NodeModel) -> sp.Expr:
    """df{l}_i written through a{l}_i where the layer's rule has such a form (σ' = a(1 − a), tanh' = 1 − a²)."""
    sub: dict[sp.Symbol, sp.Expr] = {}
    for l, act in enumerate(model.network.activations, 1):
        rule = ACTIVATIONS[act]
        dfs = model.program.df[l]
        if not dfs:
            continue
        for d, a in zip(dfs, model.program.a[l]):
            if rule.prime_of_output is not None:
                sub[d] = rule.prime_of_output(a)
            elif rule.step_form is not None:  # a constant f' (identity: 1)
                prime = rule.step_form(a, Step)[1]
                if prime.is_Number:
                    sub[d] = prime
    return expr.xreplace(sub) if sub else expr
