"""High-precision backprop that can replay common mistakes (mpmath, 60 digits).

Contract
--------
:class:`Replay` runs forward passes, backprop and gradient-descent updates for
a :class:`Network` in mpmath at ``DIGITS`` significant digits. Its per-layer
functions are compiled from the symbolic rule table (``lambdify`` over dummy
symbols we create, ``mpmath`` module), so the activation and loss definitions
are the same single source as the closed form.

A :class:`Mistakes` value switches on known hand-derivation errors, so the
diagnosis can ask "which mistake reproduces the claimed number?":

* ``loss_scale`` — the ½ of half_sse dropped (2) or doubled (½);
* ``fprime`` — ``"net_input"``: sigmoid's derivative computed as u(1−u) from
  the net input instead of a(1−a); ``"source_node"``: the output layer's
  f'(u_L[k]) evaluated at the hidden unit the connection comes from
  (h(1−h) where O(1−O) belongs);
* ``sign`` — −1 flips the update (θ ← θ + η∇L);
* ``sequential`` — the layers are updated top-down inside one step and the
  already-updated weights are used in the same backward pass;
* ``update_biases`` — overrides the network's setting.

With no mistakes it is a third, independent witness of the exact truth.
Parameters are dicts of canonical entry names → mpf.
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy as sp

from ..spec.network import Network
from ..spec.rules import ACTIVATIONS, LOSSES

__all__ = ["Mistakes", "Replay", "NO_MISTAKES"]

DIGITS = 60


@dataclass(frozen=True)
class Mistakes:
    loss_scale: float = 1
    fprime: str = "true"  # "true" | "net_input" | "source_node"
    sign: int = 1
    sequential: bool = False
    update_biases: bool | None = None


NO_MISTAKES = Mistakes()


def _mp(value) -> mpmath.mpf:
    if isinstance(value, mpmath.mpf):
        return value
    if hasattr(value, "numerator"):
        return mpmath.mpf(value.numerator) / value.denominator
    return mpmath.mpf(value)


class Replay:
    """mpmath forward/backward/update for one network."""

    def __init__(self, network: Network):
        self.net = network
        t = sp.Dummy("t", real=True)
        self._f, self._fp, self._vec = [], [], []
        for act in network.activations:
            rule = ACTIVATIONS[act]
            if rule.elementwise:
                self._f.append(sp.lambdify([t], rule.symbolic(t), "mpmath"))
                self._fp.append(sp.lambdify([t], rule.symbolic_prime(t), "mpmath"))
                self._vec.append(None)
            else:
                us = [sp.Dummy(f"u{i}", real=True) for i in range(network.layers[-1])]
                outs = rule.apply(us)
                jac = [[sp.diff(o, v) for v in us] for o in outs]
                self._f.append(None)
                self._fp.append(None)
                self._vec.append((sp.lambdify([us], outs, "mpmath"), sp.lambdify([us], jac, "mpmath")))
        n = network.layers[-1]
        a = [sp.Dummy(f"a{k}", real=True) for k in range(n)]
        y = [sp.Dummy(f"y{k}", real=True) for k in range(n)]
        terms = LOSSES[network.loss].terms(a, y)
        self._terms = sp.lambdify([a, y], terms, "mpmath")
        self._dloss = sp.lambdify([a, y], [sp.diff(sp.Add(*terms), ak) for ak in a], "mpmath")

    # ------------------------------------------------------------ parameters
    def initial(self, overrides: dict | None = None) -> dict[str, mpmath.mpf]:
        values = self.net.parameter_values()
        values.update(overrides or {})
        with mpmath.workdps(DIGITS):
            return {k: _mp(v) for k, v in values.items()}

    def _W(self, p, l):
        return [[p[f"W{l}[{i + 1},{j + 1}]"] for j in range(self.net.layers[l - 1])] for i in range(self.net.layers[l])]

    def _b(self, p, l, i):
        mode = self.net.bias[l - 1]
        return 0 if mode == "none" else p[f"b{l}"] if mode == "shared" else p[f"b{l}[{i + 1}]"]

    # --------------------------------------------------------------- forward
    def forward(self, p, sample: int = 1):
        """``(u, a)`` lists per layer for one sample (u[0] is empty, a[0] = x)."""
        with mpmath.workdps(DIGITS):
            a = [[_mp(v) for v in self.net.x[sample - 1]]]
            u = [[]]
            for l in range(1, self.net.depth + 1):
                W = self._W(p, l)
                ul = [mpmath.fsum(W[i][j] * a[-1][j] for j in range(len(a[-1]))) + self._b(p, l, i)
                      for i in range(len(W))]
                if self._vec[l - 1]:
                    al = list(self._vec[l - 1][0](ul))
                else:
                    al = [self._f[l - 1](v) for v in ul]
                u.append(ul)
                a.append(al)
            return u, a

    def loss_terms(self, p, sample: int = 1, m: Mistakes = NO_MISTAKES):
        with mpmath.workdps(DIGITS):
            _, a = self.forward(p, sample)
            y = [_mp(v) for v in self.net.y[sample - 1]]
            return [t * m.loss_scale for t in self._terms(a[-1], y)]

    def loss(self, p, m: Mistakes = NO_MISTAKES):
        """Mean loss over the batch."""
        with mpmath.workdps(DIGITS):
            total = mpmath.fsum(mpmath.fsum(self.loss_terms(p, s, m)) for s in range(1, len(self.net.x) + 1))
            return total / len(self.net.x)

    # -------------------------------------------------------------- backward
    def _fprime(self, l, u_l, a_l, m: Mistakes):
        if m.fprime == "net_input" and self.net.activations[l - 1] == "sigmoid":
            return [v * (1 - v) for v in u_l]
        return [self._fp[l - 1](v) for v in u_l]

    def gradient(self, p, m: Mistakes = NO_MISTAKES, updated: dict | None = None):
        """dL/dθ (batch mean) keyed by canonical entry names, with the given mistakes.

        ``updated`` (for ``sequential``) supplies already-updated upper-layer weights.
        """
        net = self.net
        with mpmath.workdps(DIGITS):
            grads = {k: mpmath.mpf(0) for k in p}
            for s in range(1, len(net.x) + 1):
                u, a = self.forward(p, s)
                y = [_mp(v) for v in net.y[s - 1]]
                g = [v * m.loss_scale for v in self._dloss(a[-1], y)]  # dL/da_L
                for l in range(net.depth, 0, -1):
                    source = m.fprime == "source_node" and l == net.depth and l > 1 and self._vec[l - 1] is None
                    if self._vec[l - 1]:
                        jac = self._vec[l - 1][1](u[l])
                        delta = [mpmath.fsum(g[k] * jac[k][i] for k in range(len(g))) for i in range(len(g))]
                    else:
                        fp = self._fprime(l, u[l], a[l], m)
                        delta = [g[i] * fp[i] for i in range(len(g))]
                    fp_src = self._fprime(l - 1, u[l - 1], a[l - 1], m) if source else None
                    for i in range(net.layers[l]):
                        for j in range(net.layers[l - 1]):
                            d = g[i] * fp_src[j] if source else delta[i]
                            grads[f"W{l}[{i + 1},{j + 1}]"] += d * a[l - 1][j]
                        mode = net.bias[l - 1]
                        if mode == "shared":
                            grads[f"b{l}"] += delta[i]
                        elif mode == "per-neuron":
                            grads[f"b{l}[{i + 1}]"] += delta[i]
                    if l > 1:
                        W = self._W(updated if (m.sequential and updated) else p, l)
                        if source:  # dL/da_{l-1}[j] = Σ_k g_k f'(source j) W[k][j]
                            g = [mpmath.fsum(g[k] * W[k][j] for k in range(len(g))) * fp_src[j]
                                 for j in range(net.layers[l - 1])]
                        else:
                            g = [mpmath.fsum(delta[k] * W[k][j] for k in range(len(delta)))
                                 for j in range(net.layers[l - 1])]
            return {k: v / len(net.x) for k, v in grads.items()}

    # ---------------------------------------------------------------- update
    def step(self, p, lr, m: Mistakes = NO_MISTAKES):
        """One gradient-descent update of every parameter (biases per the setting or mistake)."""
        update_biases = self.net.update_biases if m.update_biases is None else m.update_biases
        with mpmath.workdps(DIGITS):
            eta = _mp(lr) * m.sign
            if not m.sequential:
                grads = self.gradient(p, m)
            else:
                grads, new = {}, dict(p)
                for l in range(self.net.depth, 0, -1):
                    layer = self.gradient(p, m, updated=new)
                    for k, v in layer.items():
                        if int(k[1:].split("[")[0]) == l:
                            grads[k] = v
                            new[k] = p[k] - eta * v
            return {k: (v - eta * grads[k]) if (k.startswith("W") or update_biases) else v for k, v in p.items()}

    def train(self, p, n: int, lr, m: Mistakes = NO_MISTAKES):
        for _ in range(n):
            p = self.step(p, lr, m)
        return p
