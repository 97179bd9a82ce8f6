r"""The truth side of a formula about an ``rnn`` layer: its nodes and derivatives by forward-mode differentiation.

Contract
--------
:class:`RecurrentModel` ``(spec, loss, ar, values, x, y, h0, atoms)`` runs, for one sample, the
rnn's defining recurrence (the ``rnn`` kind of docs/recurrent.md) ::

    u_t = Wx x_t + Wh h_{t-1} + b,   h_t = f(u_t),   ŷ_t = Wy h_t + by (ŷ_t = h_t without outputs),
    L = Σ_t ℓ(ŷ_t, y_t)   (over the emitted steps: every step, step T with emit = "last", or loss_steps; times
                          loss_over_steps' factor; ℓ a squared-error loss)

over dual numbers on the :class:`~symbolic.spec.layer_rules.Arithmetic` ``ar``: each derivative is
the dual part of L when one parameter entry or one node (u_t, h_t, ŷ_t entry) carries the seed —
the chain rule applied mechanically by the arithmetic, with "everything not downstream held
fixed" (∂L/∂h_t is the total through every later step). No backward rule is written here.

``atoms`` decides h_t = f(u_t): in the proof domain (rational functions over Q,
:mod:`symbolic.formulas.ratfun`) each h_t entry is its own symbol H and f'(u_t) is the rule's
derivative written in it (the rule table's ``prime_of_output``: tanh 1 − H², sigmoid H(1 − H); a linear
f: h = u) — so an identity proved
there holds for every value of the parameters, inputs, targets, initial state and hidden states,
the actual ones included. At a concrete point ``atoms`` is None and f is the program's own
(:class:`symbolic.truth.ops.Activation`: certified balls). L's slope comes from the loss rule's gradient
``matrix_gradient`` (L's value itself is never needed: formulas name its derivatives only). :meth:`RecurrentModel.value` and :meth:`~RecurrentModel.derivative`
give a quantity at a step as a column (a list of rows) — tests compare them with the layer list's
exact truth.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Sequence

from ..spec.errors import DerivcheckError
from ..spec.layer_rules import Arithmetic
from ..spec.rules import ACTIVATIONS, LINEAR_ACTIVATION, LOSSES
from ..truth.ops import Activation

__all__ = ["RecurrentModel", "Dual", "supported_activation", "supported_loss", "PARAMETERS", "NODES"]

PARAMETERS = ("Wx", "Wh", "b", "Wy", "by")
NODES = ("x", "y", "h", "u", "yhat")


def supported_activation(name: str) -> bool:
    """f' is written through the output in the rule table (tanh, sigmoid), or f is linear."""
    return name == LINEAR_ACTIVATION or (name in ACTIVATIONS and ACTIVATIONS[name].prime_of_output is not None)


def supported_loss(name: str) -> bool:
    """A loss of real targets with the rule table's gradient ∇_a L (the squared errors)."""
    rule = LOSSES.get(name)
    return rule is not None and rule.matrix_gradient is not None and rule.needs_output is None and \
        rule.targets == "real"


class _Ops:
    """The node constructors a loss rule's ``matrix_gradient`` builds ∇_a L with, over columns of numbers."""

    def __init__(self, ar: Arithmetic):
        self.ar, self.one = ar, ar.const(Fraction(1))

    def sub(self, a, b):
        return [self.ar.add((x, self.ar.mul((self.ar.const(Fraction(-1)), y)))) for x, y in zip(a, b)]

    def scale(self, f, a):
        return [self.ar.mul((self.ar.const(Fraction(f)), x)) for x in a]

    def neg(self, a):
        return self.scale(-1, a)

    def hadamard(self, a, b):
        return [self.ar.mul((x, y)) for x, y in zip(a, b)]

    def ediv(self, a, b):
        return [self.ar.mul((x, self.ar.inv(y))) for x, y in zip(a, b)]


@dataclass(frozen=True)
class Dual:
    """value + ε·slope, ε² = 0."""

    v: Any
    d: Any


class RecurrentModel:
    """One sample of an rnn layer, differentiated forward (module contract)."""

    def __init__(self, spec, loss: str, ar: Arithmetic, values: dict, x: Sequence, y: Sequence, h0: Sequence,
                 atoms: Callable[[int, int], Any] | None = None):
        r = spec.extra
        if not supported_activation(r.activation):
            raise DerivcheckError(f"Formula claims about an rnn with activation {r.activation} are not read (only "
                                  f"an activation whose derivative the rule table writes through its output, such "
                                  f"as tanh and sigmoid, or a linear one).")
        if getattr(r, "output_activation", LINEAR_ACTIVATION) != LINEAR_ACTIVATION:
            raise DerivcheckError("Formula claims are read for an rnn with a linear output (ŷ_t = Wy h_t + by); "
                                  "this layer's output activation is not read.")
        if not supported_loss(loss):
            raise DerivcheckError(f"Formula claims about an rnn are not read with the loss {loss} (only losses of "
                                  f"real targets on a linear output, such as the squared errors).")
        self.spec, self.r, self.loss, self.ar = spec, r, loss, ar
        self.H, self.n, self.T, self.K = r.hidden, r.inputs, r.steps, r.outputs or r.hidden
        self.values, self.atoms = values, atoms
        self.x = [list(x[t * self.n:(t + 1) * self.n]) for t in range(self.T)]
        width = self.K
        self.y = [list(y[t * width:(t + 1) * width]) for t in range(len(y) // width)]
        self.h0 = list(h0)
        self.zero, self.one = ar.const(Fraction(0)), ar.const(Fraction(1))
        self._cache: dict = {}
        self.primal = self._run(None)

    # ------------------------------------------------------------------ the definition, in duals
    def _p(self, name: str, idx: tuple, seed) -> Dual:
        key = f"{name}{self.spec.index}[{','.join(map(str, idx))}]"
        if name in ("b", "by") and not self.r.bias:
            return Dual(self.zero, self.zero)
        return Dual(self.values[key], self.one if seed == ("param", name, idx) else self.zero)

    def _add(self, xs) -> Dual:
        return Dual(self.ar.add([x.v for x in xs]), self.ar.add([x.d for x in xs]))

    def _mul(self, a: Dual, b: Dual) -> Dual:
        ar = self.ar
        return Dual(ar.mul((a.v, b.v)), ar.add((ar.mul((a.d, b.v)), ar.mul((a.v, b.d)))))

    def _f(self, u: Dual, t: int, i: int) -> tuple[Dual, Any]:
        act = self.r.activation
        if act == LINEAR_ACTIVATION:
            return u, self.one
        h = self.atoms(t, i) if self.atoms is not None else Activation(self.spec.index, act, 1).forward([u.v])[0]
        slope = ACTIVATIONS[act].prime_of_output(h)  # the rule table's f' written through the output
        return Dual(h, self.ar.mul((slope, u.d))), slope

    def _run(self, seed) -> dict:
        """Every node (as duals) and the loss, with ``seed`` = ("param", name, idx) | (node, t, i) | None."""
        H, n, K = self.H, self.n, self.K
        zero = Dual(self.zero, self.zero)
        bump = lambda d, key: Dual(d.v, self.ar.add((d.d, self.one))) if seed == key else d  # noqa: E731
        h = [bump(Dual(v, self.zero), ("h", 0, i)) for i, v in enumerate(self.h0, 1)]
        nodes: dict = {("h", 0): h}
        terms = []
        for t in range(1, self.T + 1):
            xt = [Dual(v, self.zero) for v in self.x[t - 1]]
            u = []
            for i in range(1, H + 1):
                parts = [self._mul(self._p("Wx", (i, j), seed), xt[j - 1]) for j in range(1, n + 1)] + \
                    [self._mul(self._p("Wh", (i, j), seed), h[j - 1]) for j in range(1, H + 1)] + \
                    [self._p("b", (i,), seed)]
                u.append(bump(self._add(parts), ("u", t, i)))
            outs = [self._f(ui, t, i) for i, ui in enumerate(u, 1)]
            h = [bump(o[0], ("h", t, i)) for i, o in enumerate(outs, 1)]
            nodes["u", t], nodes["h", t], nodes["df", t] = u, h, [o[1] for o in outs]
            if self.r.outputs:
                yhat = [bump(self._add([self._mul(self._p("Wy", (k, j), seed), h[j - 1]) for j in range(1, H + 1)]
                                       + [self._p("by", (k,), seed)]), ("yhat", t, k)) for k in range(1, K + 1)]
            else:
                yhat = h
            nodes["yhat", t] = yhat
            if t in self.r.emitted:  # a step with a loss: its target is the next row of y
                terms.extend(self._loss_terms(yhat, self.y[self.r.emitted.index(t)]))
        nodes["L"] = self._add(terms) if terms else zero
        return nodes

    def _loss_terms(self, yhat: list[Dual], target: list) -> list[Dual]:
        """The step's loss as its slope only: dL = Σ_k ∂ℓ/∂ŷ_k · dŷ_k, ∂ℓ/∂ŷ from the rule table's gradient."""
        n = self.K * len(self.r.emitted)  # mse averages over every output of every step with a loss
        scale = self.ar.const(self.r.loss_scale(LOSSES[self.loss].averaged))  # loss_over_steps
        g = LOSSES[self.loss].matrix_gradient(_Ops(self.ar), [a.v for a in yhat], list(target), n)
        return [Dual(self.zero, self.ar.mul((scale, self.ar.mul((gk, a.d))))) for gk, a in zip(g, yhat)]

    # ------------------------------------------------------------------ answers
    def shape(self, name: str) -> tuple[int, int]:
        H, n, K = self.H, self.n, self.K
        return {"Wx": (H, n), "Wh": (H, H), "b": (H, 1), "Wy": (K, H), "by": (K, 1), "x": (n, 1), "y": (K, 1),
                "h": (H, 1), "u": (H, 1), "yhat": (K, 1), "L": (1, 1), "df": (H, 1)}[name]

    def steps_of(self, name: str) -> tuple[int, int]:
        """The steps a node exists at (h from 0)."""
        return (0, self.T) if name == "h" else (1, self.T)

    def value(self, name: str, t: int | None = None) -> list[list]:
        if name in PARAMETERS:
            rows, cols = self.shape(name)
            return [[self._p(name, (i, j) if cols > 1 or name in ("Wx", "Wh", "Wy") else (i,), None).v
                     for j in range(1, cols + 1)] for i in range(1, rows + 1)]
        if name in ("x", "y"):
            data = self.x[t - 1] if name == "x" else self.y[self.r.emitted.index(t)]
            return [[v] for v in data]
        if name == "L":
            return [[self.primal["L"].v]]
        column = self.primal[name, t]
        return [[c.v if isinstance(c, Dual) else c] for c in column]

    def derivative(self, name: str, t: int | None = None) -> list[list]:
        """∂L/∂(the quantity): a parameter's total over the steps, or a node's at step t."""
        rows, cols = self.shape(name)
        out = []
        for i in range(1, rows + 1):
            row = []
            for j in range(1, cols + 1):
                if name in PARAMETERS:
                    idx = (i, j) if name in ("Wx", "Wh", "Wy") else (i,)
                    key = ("param", name, idx)
                else:
                    key = (name, t, i)
                if key not in self._cache:
                    self._cache[key] = self._run(key)["L"].d
                row.append(self._cache[key])
            out.append(row)
        return out
