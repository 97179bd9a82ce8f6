"""Compiled updates: the structured program's whole gradient-descent step as plain-float Python.

Contract
--------
:func:`compile_update` turns a network's straight-line program
(:class:`symbolic.truth.program.Structured`) into a :class:`CompiledUpdate`: one
generated Python function that runs ``steps`` full-batch updates
θ ← θ − η · (Σ_samples ∂L/∂θ) / m over Python floats — per sample the program's
forward assignments (``u1_1 = W1_1_1*x_1 + …``, ``a1_1 = …``), the local
derivatives ``df`` the gradient needs, the loss sweep's ``delta`` assignments and
the gradient expressions of :meth:`Structured.gradient_exprs`, every one printed
from the program's own SymPy definition by SymPy's ``PythonCodePrinter`` (``math.exp``,
``math.tanh``, ``math.log``; relu's ``Piecewise`` as conditional expressions, with
``math.nan`` at the kink as in :mod:`numeric.functions`). Biases are updated when
``update_biases`` says so (default: the network's setting). With one sample the
gradient is applied directly; with m samples the per-sample gradients are summed and
divided by m, as :func:`numeric.train.train` does for the mean loss.

Three rewrites keep the arithmetic that of the NumPy engine without changing any value:

* a local derivative containing its node's activation definition is written through the
  node (sigmoid's f' = s(1 − s) becomes ``a*(1 - a)``, tanh's 1 − tanh(u)² ``1 - a*a``);
* a vector (softmax) layer is evaluated at u − max(u) — the rule's shift invariance, as
  :mod:`symbolic.truth.compiled` does — with common subexpressions shared (``sympy.cse``);
* ``x**2`` is printed ``x*x``.

Safety: every identifier in the source is one we build (``W1_1_2``, ``u1_1``, ``df1_1``,
``delta1_1``, ``s_W1_1_2``, ``t2_0``, ``steps``, ``lr``, ``data``…; never text from a file).
Before ``compile`` the source is parsed and every name, attribute and call checked against
that set; it runs in a namespace holding only ``math`` and the builtins ``range``,
``len`` and ``max``.

With ``trained=True`` the update is the network's optimizer and L2 penalty instead: the
gradient of each moving parameter into ``g_θ`` (plus the penalty's 2c·θ), then the rule table's
``float_code`` lines (:mod:`symbolic.spec.optimizers`) over state identifiers ``state_<state>_θ``
(``state_m_W1_1_1``), run by :meth:`CompiledUpdate.run_trained`; Sutskever's Nesterov (a gradient at a
look-ahead point) is left to NumPy. The rule's ``float_setup`` lines run once before the updates and its
``float_prelude`` lines once per update; a state the rule keeps scaled (``float_scale``: Adam's m as
m/(1 − β1)) is passed and returned so, divided by :func:`state_scales` (the callers convert).

Python floats raise where NumPy returns inf/nan (exp overflow, division by zero, log of
0): :meth:`CompiledUpdate.run` then raises :class:`FloatTrouble` and the caller uses the
NumPy engine for that run. ``MAX_PARAMETERS`` bounds the networks compiled this way
(beyond it NumPy's per-step overhead no longer dominates).
"""
from __future__ import annotations

import ast
import keyword
import math
import re
import time
from fractions import Fraction
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from ..spec.errors import DerivcheckError
from ..spec.names import parse_name
from ..spec.network import Network
from ..spec.optimizers import PLAIN_SGD, Optimizer
from ..spec.rules import ACTIVATIONS
from .program import Structured

__all__ = ["CompiledUpdate", "FloatTrouble", "compile_update", "MAX_PARAMETERS", "trained_source", "state_scales",
           "verify_node", "plain_pays_off"]

MAX_PARAMETERS = 2_000
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_BUILTINS = {"range": range, "len": len, "max": max}
_MATH = {"exp", "log", "tanh", "nan", "inf", "sqrt"}
# the names the rule table's float_setup / float_prelude lines assign (symbolic.spec.update_rules)
_PRELUDE = {"bc1_", "bc2_", "r_", "a_", "e_", "d_", "lr_", "eps_", "lc1_", "ic2_", "pw1_", "pw2_"}
Expr = sp.Expr


# measured costs (plain_pays_off): generating and compiling the code ~1 ms per parameter, one numeric.train
# update of a small network ~45 us, one plain-float update ~0.1 us per parameter x sample
PLAIN_CODE_SECONDS, NUMPY_STEP_SECONDS, PLAIN_STEP_SECONDS = 1e-3, 45e-6, 0.1e-6


def plain_pays_off(parameters: int, samples: int) -> float:
    """The number of updates from which generating this module's code costs less than running them in
    NumPy (seed 002, 10 parameters and one sample: ~230; 8-16-8-4: ~17,000; inf where a plain update is
    no cheaper than NumPy's)."""
    saved = NUMPY_STEP_SECONDS - PLAIN_STEP_SECONDS * parameters * samples
    return PLAIN_CODE_SECONDS * parameters / saved if saved > 0 else math.inf


class FloatTrouble(ArithmeticError):
    """Python float arithmetic raised (overflow, division by zero, log of 0) where NumPy would not."""


class _Printer(PythonCodePrinter):
    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "allow_unknown_functions": False})

    def _print_Pow(self, expr, rational=False):
        if expr.exp == 2:
            base = self.parenthesize(expr.base, sp.printing.precedence.PRECEDENCE["Mul"], strict=False)
            return f"{base}*{base}"
        return super()._print_Pow(expr, rational)


@dataclass
class CompiledUpdate:
    """Generated update code for one network (see the module contract)."""

    network: Network
    update_biases: bool
    parameters: list[str]  # canonical names, in the order of the generated function's arguments
    source: str
    function: Callable = field(repr=False)
    compile_seconds: float = 0.0

    def run(self, values: Mapping[str, float], steps: int, learning_rate: float,
            data: Sequence[Sequence[float]]) -> dict[str, float]:
        """Parameters after ``steps`` updates from ``values``; ``data`` rows are x then y of each sample."""
        try:
            out = self.function(steps, learning_rate, data, *[values[k] for k in self.parameters])
        except (OverflowError, ZeroDivisionError, ValueError) as err:
            raise FloatTrouble(str(err)) from None
        return dict(zip(self.parameters, out))

    def run_trained(self, values: Mapping[str, float], state: Mapping[tuple[str, str], float], t0: int, steps: int,
                    learning_rate: float, data: Sequence[Sequence[float]]) -> tuple[dict, dict]:
        """The optimizer's update (``compile_update(..., trained=True)``): parameters and state
        ``(state name, parameter) -> value`` after ``steps`` updates from ``values``/``state`` at step ``t0``."""
        opt = self.network.optimizer or PLAIN_SGD
        keys = [(s, k) for s in opt.rule.state for k in self.parameters]
        scale = {s: float(c) for s, c in state_scales(opt).items()}
        try:
            out = self.function(steps, learning_rate, data, t0, *[values[k] for k in self.parameters],
                                *[state.get(key, 0.0) / scale.get(key[0], 1.0) for key in keys])
        except (OverflowError, ZeroDivisionError, ValueError) as err:
            raise FloatTrouble(str(err)) from None
        n = len(self.parameters)
        return (dict(zip(self.parameters, out[:n])),
                {key: v * scale.get(key[0], 1.0) for key, v in zip(keys, out[n:])})


def state_scales(opt: Optimizer) -> dict[str, Fraction]:
    """The divisor 1 − h of each state the generated trained update keeps scaled (the rule's ``float_scale``:
    Adam's m as m/(1 − β1)): its function takes and returns those states divided by it."""
    return {s: 1 - opt.h[k] for s, k in opt.rule.float_scale.items()}


def compile_update(network: Network, update_biases: bool | None = None,
                   program: Structured | None = None, trained: bool = False) -> CompiledUpdate:
    """Generate, check, compile and return the update code of ``network``.

    ``trained``: the update is the network's optimizer and penalty (:func:`trained_source`); the
    function then takes ``t0`` and the state after the parameters and returns both.
    """
    if len(network.parameter_names()) > MAX_PARAMETERS:
        raise DerivcheckError(f"Networks of more than {MAX_PARAMETERS:,} parameters are not compiled to plain "
                              f"Python; use the NumPy engine.")
    start = time.perf_counter()
    p = program if program is not None else Structured(network)
    ub = network.update_biases if update_biases is None else update_biases
    source, names, params = trained_source(p, ub) if trained else _source(p, ub)
    tree = _verify(source, names)
    namespace: dict = {"__builtins__": dict(_BUILTINS), "math": math}
    exec(compile(tree, f"<derivcheck update {'-'.join(map(str, network.layers))}>", "exec"), namespace)
    return CompiledUpdate(network, ub, params, source, namespace["run"], time.perf_counter() - start)


# ============================================================================================ source
def _source(p: Structured, update_biases: bool) -> tuple[str, set[str], list[str]]:
    """The generated function's text, the identifiers it may use, and its parameter order."""
    net = p.network
    params = net.parameter_names()
    updated = [k for k in params if parse_name(k).kind == "W" or update_biases]
    grads = p.gradient_exprs()
    exprs = {k: grads[k] for k in updated}
    pset = set(p.params.values())
    if any(e.free_symbols & pset for e in exprs.values()):  # gradients must be expressions of nodes only
        raise DerivcheckError("A gradient expression refers to a parameter directly; it cannot be updated in place.")
    printer = _Printer()
    names: set[str] = {"steps", "lr", "data", "m", "step_", "math", *_BUILTINS}
    body: list[tuple[str, str]] = []
    for target, e in _assignments(p, list(exprs.values())):
        body.append((target.name, printer.doprint(e)))
    pnames = [_ident(p.params[k].name) for k in params]
    data = [s.name for s in p.x + p.y]
    names.update(pnames, data, (t for t, _ in body))
    ind = " " * 8
    lines = [f"def run(steps, lr, data, {', '.join(pnames)}):", "    m = len(data)"]
    single = len(net.x) == 1
    if single:
        lines.append(f"    {', '.join(data)}, = data[0]")
    lines.append("    for step_ in range(steps):")
    inner = ind
    if not single:
        for k in updated:
            lines.append(f"{ind}s_{_ident(p.params[k].name)} = 0.0")
        lines.append(f"{ind}for {', '.join(data)} in data:")
        inner = ind + "    "
    lines += [f"{inner}{t} = {e}" for t, e in body]
    for k in updated:
        name = _ident(p.params[k].name)
        g = printer.doprint(exprs[k])
        if single:
            lines.append(f"{inner}{name} -= lr * ({g})")
        else:
            names.add(f"s_{name}")
            lines.append(f"{inner}s_{name} += {g}")
    if not single:
        for k in updated:
            name = _ident(p.params[k].name)
            lines.append(f"{ind}{name} -= lr * (s_{name} / m)")
    lines.append(f"    return ({', '.join(pnames)},)")
    for n in names:
        _ident(n)
    return "\n".join(lines) + "\n", names, params


def trained_source(p: Structured, update_biases: bool) -> tuple[str, set[str], list[str]]:
    """The update of the network's optimizer and penalty: per step the gradient ``g_θ`` of every moving
    parameter (the penalty's 2c·θ added), then the rule table's ``float_code`` lines per parameter over the
    state identifiers ``state_<state>_θ``; ``t_`` is the step number (``t0`` + 1 for the first)."""
    net = p.network
    opt = net.optimizer or PLAIN_SGD
    rule, variant, reg = opt.rule, opt.v, net.regularization
    if rule.lookahead is not None and opt.convention == "sutskever":
        raise DerivcheckError("Nesterov's look-ahead gradient is not compiled to plain Python; NumPy runs it.")
    params = net.parameter_names()
    updated = [k for k in params if parse_name(k).kind == "W" or update_biases]
    grads = p.gradient_exprs()
    printer = _Printer()
    names: set[str] = {"steps", "lr", "data", "m", "step_", "math", "t0", "t_", *_PRELUDE, *_BUILTINS}
    body = [(t.name, printer.doprint(e)) for t, e in _assignments(p, [grads[k] for k in updated])]
    ident = {k: _ident(p.params[k].name) for k in params}
    states = [f"state_{s}_{ident[k]}" for s in rule.state for k in params]  # never s_θ, the per-sample sums
    data = [sym.name for sym in p.x + p.y]
    # hyperparameters as names set once at the top from exact quotients (folded to floats by Python, exact balls
    # in symbolic.truth.ball_update), so the loop never rebuilds them
    consts = {f"h_{k}": _quotient(v) for k, v in opt.h.items()}
    if reg is not None and reg.l2:
        consts.update(h_penalty=_quotient(2 * reg.coefficient), h_decay=_quotient(reg.l2))
    hyper = {k: f"h_{k}" for k in opt.h}
    for k in ("beta1", "beta2", "rho"):  # 1 − β and 1 − ρ once, not per parameter and update
        if k in opt.h:
            consts[f"h_1m_{k}"] = _quotient(1 - opt.h[k])
            hyper[f"1-{k}"] = f"h_1m_{k}"
    hyper["lr"] = "lr"
    names.update(ident.values(), states, data, consts, (t for t, _ in body), (f"g_{ident[k]}" for k in updated),
                 (f"s_{ident[k]}" for k in updated), (f"o_{ident[k]}" for k in updated))
    single = len(net.x) == 1
    ind, inner = " " * 8, " " * (8 if single else 12)
    lines = [f"def run(steps, lr, data, t0, {', '.join([ident[k] for k in params] + states)}):", "    m = len(data)"]
    lines += [f"    {name} = {value}" for name, value in consts.items()]
    if rule.float_setup is not None:
        lines += ["    " + line for line in rule.float_setup(hyper, variant)]
    if single:
        lines.append(f"    {', '.join(data)}, = data[0]")
    lines.append("    for step_ in range(steps):")
    if variant.get("reset_every_step"):
        lines += [f"{ind}{s} = 0.0" for s in states] + [f"{ind}t_ = 1 + {variant.get('t_offset', 0)}"]
    else:
        lines.append(f"{ind}t_ = t0 + step_ + 1 + {variant.get('t_offset', 0)}")
    if rule.float_prelude is not None:
        lines += [ind + line for line in rule.float_prelude(hyper, "t_", variant)]
    if not single:
        lines += [f"{ind}s_{ident[k]} = 0.0" for k in updated] + [f"{ind}for {', '.join(data)} in data:"]
    lines += [f"{inner}{t} = {e}" for t, e in body]
    for k in updated:
        g = printer.doprint(grads[k])
        lines.append(f"{inner}g_{ident[k]} = {g}" if single else f"{inner}s_{ident[k]} += {g}")
    for k in updated:
        x, gid = ident[k], f"g_{ident[k]}"
        if not single:
            lines.append(f"{ind}{gid} = s_{x} / m")
        penalized = reg is not None and reg.l2 and reg.applies(k)
        if penalized and not reg.decoupled:
            lines.append(f"{ind}{gid} += h_penalty * {x}")
        if penalized and reg.decoupled:
            lines.append(f"{ind}o_{x} = {x}")
        decays = reg.applies(k) if reg is not None else k.startswith("W")
        lines += [ind + line for line in rule.float_code(x, gid, {s: f"state_{s}_{x}" for s in rule.state}, hyper, "t_",
                                                         opt.convention, variant, decays)]
        if penalized and reg.decoupled:
            lines.append(f"{ind}{x} -= lr * h_decay * o_{x}")
    lines.append(f"    return ({', '.join([ident[k] for k in params] + states)},)")
    for n in names:
        _ident(n)
    return "\n".join(lines) + "\n", names, params


def _quotient(x) -> str:
    """An exact rational hyperparameter as integer quotient text, ``(9/10)``: Python folds it to the float
    0.9 when compiling, :mod:`symbolic.truth.ball_update` rewrites it to the exact ball quotient."""
    x = Fraction(x)
    return f"({x.numerator}/{x.denominator})" if x.denominator != 1 else f"({x.numerator})"


def _assignments(p: Structured, wanted: Sequence[Expr]) -> list[tuple[sp.Symbol, Expr]]:
    """Forward, local and δ assignments ``wanted`` depends on, in order, with the rewrites applied."""
    net = p.network
    out: list[tuple[sp.Symbol, Expr]] = []
    for l in range(1, net.depth + 1):
        out += [(s, p.definition[s]) for s in p.u[l]]
        if ACTIVATIONS[net.activations[l - 1]].elementwise:
            out += [(s, p.definition[s]) for s in p.a[l]]
        else:
            out += _shifted(p, l)
    through_node = {}
    for l in range(1, net.depth + 1):
        for a, d in zip(p.a[l], p.df[l]):
            through_node[d] = a
    for s, e in p.local:
        a = through_node[s]
        a_def = p.definition[a]
        out.append((s, e if a_def.is_Atom else e.xreplace({a_def: a})))
    out += list(p.sweep("L").assignments)
    return _needed(out, wanted)


def _shifted(p: Structured, l: int) -> list[tuple[sp.Symbol, Expr]]:
    """A vector layer's outputs at u − max(u) (same values; exp never overflows), subexpressions shared."""
    us = p.u[l]
    top = sp.Symbol(f"mx{l}", real=True)
    shifts = [sp.Symbol(f"sh{l}_{i + 1}", real=True) for i in range(len(us))]
    out: list[tuple[sp.Symbol, Expr]] = [(top, sp.Max(*us))]
    out += [(s, u - top) for s, u in zip(shifts, us)]
    defs = [p.definition[a].xreplace(dict(zip(us, shifts))) for a in p.a[l]]
    reps, reduced = sp.cse(defs, symbols=sp.numbered_symbols(f"t{l}_", real=True), optimizations=())
    out += list(reps)
    out += list(zip(p.a[l], reduced))
    return out


def _needed(assignments: list[tuple[sp.Symbol, Expr]], wanted: Sequence[Expr]) -> list[tuple[sp.Symbol, Expr]]:
    defs = dict(assignments)
    want: set = set()
    stack = [s for e in wanted for s in e.free_symbols if s in defs]
    while stack:
        s = stack.pop()
        if s not in want:
            want.add(s)
            stack.extend(t for t in defs[s].free_symbols if t in defs and t not in want)
    return [(s, e) for s, e in assignments if s in want]


def _ident(name: str) -> str:
    if not _IDENT.match(name) or keyword.iskeyword(name):
        raise DerivcheckError(f"Internal: {name!r} is not an identifier derivcheck builds.")
    return name


def _verify(source: str, names: set[str]) -> ast.Module:
    """Every name, attribute and call of ``source`` is one we built (defence in depth before compile); the
    checked tree, for ``compile``."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        verify_node(node, names)
    return tree


def verify_node(node: ast.AST, names: set[str], math: set[str] = _MATH) -> None:
    """One node of generated code: only our names, ``math.<one of math>`` attributes, calls of those and of the
    builtins, no import, lambda, global or nonlocal (also :mod:`symbolic.truth.ball_update`'s check)."""
    if isinstance(node, ast.Name) and node.id not in names and node.id != "run":
        raise DerivcheckError(f"Internal: generated update code uses an unknown name {node.id!r}.")
    if isinstance(node, ast.Attribute) and not (
            isinstance(node.value, ast.Name) and node.value.id == "math" and node.attr in math):
        raise DerivcheckError("Internal: generated update code uses an attribute outside math.")
    if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Attribute) or (isinstance(node.func, ast.Name) and node.func.id in _BUILTINS)):
        raise DerivcheckError("Internal: generated update code calls something we did not name.")
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.Lambda, ast.Global, ast.Nonlocal)):
        raise DerivcheckError("Internal: generated update code holds a statement it must not.")
