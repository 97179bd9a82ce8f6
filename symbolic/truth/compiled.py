"""Compiled gradients: the structured program as generated NumPy code (batched and single-sample).

Contract
--------
:func:`compile_gradient` turns a network's structured derivation
(:class:`symbolic.truth.program.Structured`) into a :class:`CompiledGradient`:
Python source written per layer from the matrix form of the program —
``u = X @ Wᵀ + b``, ``a = f(u)``, ``df = f'(u)``, ``δ^{(l)} = (δ^{(l+1)} W^{(l+1)}) ⊙ df``,
``∇W = δᵀ a / m``, ``∇b = Σ δ / m`` — in which every elementwise piece (f, f',
the loss derivative ∂L_k/∂a_k, the output δ) is the program's own SymPy
definition, common subexpressions eliminated (``sympy.cse``) and printed by
SymPy's ``NumPyPrinter`` with the program's scalar node symbols replaced by
whole-layer arrays. Softmax layers use the program's Jacobian form
``a ⊙ (g − ⟨a, g⟩)`` (or the fused ``a Σy − y`` of softmax + softmax_ce).

Every name in the source is one we build (``W1``, ``b1``, ``u1``, ``a1``,
``df1``, ``d1``, ``X``, ``Y``, ``t0``…); nothing from a file or the command
line reaches it. The source is compiled once with ``compile``/``exec`` into
its own namespace holding only ``numpy``.

* ``CompiledGradient(params, X, Y)`` — same contract as
  :func:`numeric.engine.gradient`: ``X`` (m, n_0) and ``Y`` (m, n_L), rows are
  samples (a 1-D ``x``/``y`` is one sample), returns ``dL/dθ`` of the mean loss
  keyed and shaped like ``params``.
* ``.batched(W1, b1, …, X, Y)`` / ``.single(W1, b1, …, x, y)`` — the raw
  generated functions (positional arrays in :attr:`CompiledGradient.arguments`
  order; they return a tuple in the same order). ``single`` works on 1-D
  vectors without any reshaping, for per-sample loops.
* :func:`gradient_function` — the per-sample gradient as ``f(*values) -> list``
  (parameters in canonical order, then x, then y), a drop-in for
  :func:`symbolic.truth.crosscheck.lambdified_gradient`: ``"numpy"`` calls the
  compiled single-sample code in float64, ``"mpmath"`` interprets the
  structured program (:mod:`symbolic.truth.interpreter`) at the caller's working
  precision (relu's f' at exactly 0 gives nan, as lambdify's Piecewise does).
* Overflow inside ``exp`` of the printed rules (e.g. sigmoid at u = −1000)
  gives the correct limit 0/1 and is not warned about; relu's f' at exactly 0
  is ``nan``, as in :mod:`numeric.functions`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import mpmath
import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from numeric.parameters import flatten, unflatten

from ..spec.network import Network
from ..spec.rules import ACTIVATIONS, FUSED_OUTPUTS
from .interpreter import NodeInterpreter, NodeKink
from .program import Structured

__all__ = ["CompiledGradient", "compile_gradient", "gradient_function"]


class _Printer(NumPyPrinter):
    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": False})


def _print(expr: sp.Expr, names: dict[sp.Symbol, str]) -> str:
    """``expr`` as NumPy source with scalar node symbols replaced by array names."""
    arrays = {s: sp.Symbol(n, real=True) for s, n in names.items()}
    return _Printer().doprint(expr.xreplace(arrays))


def _cse_lines(pairs: list[tuple[str, sp.Expr]], names: dict[sp.Symbol, str], prefix: str,
               indent: str) -> list[str]:
    """Assignments ``target = expr`` with common subexpressions shared (temporaries ``{prefix}{k}``)."""
    temps = sp.numbered_symbols(prefix, real=True)
    reps, reduced = sp.cse([e for _, e in pairs], symbols=temps, optimizations=())
    lines = [f"{indent}{t.name} = {_print(e, names)}" for t, e in reps]
    lines += [f"{indent}{target} = {_print(e, names)}" for (target, _), e in zip(pairs, reduced)]
    return lines


@dataclass
class CompiledGradient:
    """Generated gradient code for one network (see the module contract)."""

    network: Network
    arguments: list[str]
    source: str
    batched: Callable = field(repr=False)
    single: Callable = field(repr=False)
    compile_seconds: float = 0.0

    def __call__(self, params: dict[str, np.ndarray], X, Y) -> dict[str, np.ndarray]:
        X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
        arrays = [np.asarray(params[k], dtype=float) for k in self.arguments]
        if X.ndim == 1:
            out = self.single(*arrays, X, Y.reshape(-1))
        else:
            out = self.batched(*arrays, X, np.atleast_2d(Y))
        return {k: np.asarray(v) for k, v in zip(self.arguments, out)}


def compile_gradient(network: Network, program: Structured | None = None) -> CompiledGradient:
    """Generate, compile and return the gradient code of ``network``."""
    start = time.perf_counter()
    p = program if program is not None else Structured(network)
    net = network
    depth = net.depth
    args = [n for l in range(1, depth + 1) for n in ([f"W{l}"] + ([f"b{l}"] if net.bias[l - 1] != "none" else []))]
    batched = _source(p, args, batched=True)
    single = _source(p, args, batched=False)
    source = batched + "\n\n" + single + "\n"
    namespace: dict = {"numpy": np}
    exec(compile(source, f"<derivcheck gradient {'-'.join(map(str, net.layers))}>", "exec"), namespace)
    return CompiledGradient(net, args, source, namespace["gradient_batched"], namespace["gradient_single"],
                            time.perf_counter() - start)


def _source(p: Structured, args: list[str], batched: bool) -> str:
    net = p.network
    depth = net.depth
    ind = "        "
    data = ("X", "Y") if batched else ("x", "y")
    lines = [f"def gradient_{'batched' if batched else 'single'}({', '.join(args + list(data))}):",
             "    with numpy.errstate(all='ignore'):"]
    if batched:
        lines.append(f"{ind}m = X.shape[0]")
    prev = data[0]
    for l in range(1, depth + 1):
        bias = f" + b{l}" if net.bias[l - 1] != "none" else ""
        lines.append(f"{ind}u{l} = {prev} @ W{l}.T{bias}" if batched else f"{ind}u{l} = W{l} @ {prev}{bias}")
        names = {p.u[l][0]: f"u{l}"}
        act = ACTIVATIONS[net.activations[l - 1]]
        if act.elementwise:
            pairs = [(f"a{l}", p.definition[p.a[l][0]])]
            needs_df = l < depth or (act.name, net.loss) not in FUSED_OUTPUTS  # a fused output needs no f'
            if needs_df:
                pairs.append((f"df{l}", p.definition[p.df[l][0]]))
            lines += _cse_lines(pairs, names, f"t{l}_", ind)
        else:  # softmax: the rule's exp(u_i)/Σ exp(u_k), shifted by the row maximum (same value, no overflow)
            axis = "axis=1, keepdims=True" if batched else ""
            lines.append(f"{ind}e{l} = numpy.exp(u{l} - u{l}.max({axis}))")
            lines.append(f"{ind}a{l} = e{l} / e{l}.sum({axis})")
        prev = f"a{l}"
    lines += _output_delta(p, batched, ind)
    mean = " / m" if batched else ""
    grads: dict[str, str] = {}
    for l in range(depth, 0, -1):
        prev = data[0] if l == 1 else f"a{l - 1}"
        grads[f"W{l}"] = f"d{l}.T @ {prev}{mean}" if batched else f"numpy.outer(d{l}, {prev})"
        mode = net.bias[l - 1]
        if mode == "per-neuron":
            grads[f"b{l}"] = f"d{l}.sum(axis=0){mean}" if batched else f"d{l}"
        elif mode == "shared":
            grads[f"b{l}"] = f"d{l}.sum(){mean}"
        for k in (f"W{l}", f"b{l}"):
            if k in grads:
                lines.append(f"{ind}g{k} = {grads[k]}")
        if l > 1:
            back = f"d{l} @ W{l}" if batched else f"W{l}.T @ d{l}"
            df = p.definition[p.df[l - 1][0]]
            lines.append(f"{ind}d{l - 1} = {back}" + ("" if df == 1 else f" * df{l - 1}"))
    lines.append(f"{ind}return ({', '.join('g' + k for k in args)},)")
    return "\n".join(lines)


def _output_delta(p: Structured, batched: bool, ind: str) -> list[str]:
    """δ^{(L)} from the program's own output rule, vectorized over the layer."""
    net = p.network
    L = net.depth
    yname = "Y" if batched else "y"
    act, loss = net.activations[-1], net.loss
    axis = "axis=1, keepdims=True" if batched else ""
    names = {p.a[L][0]: f"a{L}", p.y[0]: yname, p.u[L][0]: f"u{L}"}
    fused = (act, loss) in FUSED_OUTPUTS
    if fused and not ACTIVATIONS[act].elementwise:  # softmax + softmax_ce: the program's a_k Σ_j y_j − y_k
        return [f"{ind}d{L} = a{L} * {yname}.sum({axis}) - {yname}"]
    grad = p.loss_gradient()[0]  # ∂L_1/∂a_1 of the rule table; elementwise in (a_k, y_k)
    if ACTIVATIONS[act].elementwise:
        if fused:  # sigmoid + bce: the table's a − y
            return [f"{ind}d{L} = a{L} - {yname}"]
        delta = p.sweep("L").assignments[0][1]  # δ{L}_1 = ∂L_1/∂a_1 · df{L}_1
        names[p.df[L][0]] = f"df{L}"
        return [f"{ind}d{L} = {_print(delta, names)}"]
    return [f"{ind}g{L} = {_print(grad, names)}",
            f"{ind}d{L} = a{L} * (g{L} - (a{L} * g{L}).sum({axis}))"]


def gradient_function(network: Network, modules: str = "mpmath") -> Callable[..., list]:
    """The per-sample gradient as ``f(*values) -> list`` (a drop-in for ``crosscheck.lambdified_gradient``).

    ``values`` is the parameters in canonical order, then x, then y. ``"mpmath"`` runs the
    structured program at the caller's working precision (relu's f' at exactly 0 is nan, as
    lambdify's Piecewise gives); ``"numpy"`` calls the compiled single-sample code in float64.
    """
    program = Structured(network)
    names = network.parameter_names()
    grads = program.gradient_exprs()
    exprs = [grads[k] for k in names]
    args = [program.params[k] for k in names] + program.x + program.y
    if modules == "numpy":
        compiled = compile_gradient(network, program)
        arch = network.architecture
        n_p, n_x = len(names), network.layers[0]

        def f_numpy(*values):
            arrays = unflatten(arch, dict(zip(names, values[:n_p])))
            x = np.asarray(values[n_p:n_p + n_x], dtype=float)
            y = np.asarray(values[n_p + n_x:], dtype=float)
            out = compiled(arrays, x, y)
            return list(flatten(arch, out).values())

        return f_numpy
    if modules != "mpmath":
        raise ValueError(f"modules must be 'mpmath' or 'numpy', not {modules!r}")
    assignments = program.forward + program.local + program.sweep("L").assignments

    def f_mpmath(*values):
        env = dict(zip(args, values))
        ev = NodeInterpreter(env, mpmath.mp.dps)
        try:
            for s, e in assignments:
                env[s] = ev(e, s)
            return [NodeInterpreter.mp(ev(e, None)) for e in exprs]
        except NodeKink:
            return [mpmath.nan] * len(exprs)

    return f_mpmath
