"""Certified trajectories: the generated gradient-descent update run in ball arithmetic.

Contract
--------
:func:`compile_ball_update` takes the plain-float update source of
:mod:`symbolic.truth.compiled_update` (the structured program's forward pass, local
derivatives, δ sweep and gradient expressions, printed once from SymPy) and runs it
over python-flint ``arb`` balls instead of floats: ``math`` in the generated code is
a namespace whose ``exp``/``log``/``tanh`` are the ball functions, and every
constant quotient of the source (``1/3``, which Python would round to a float) is
rewritten into an exact ball quotient before compiling. The result is rigorous: every
true parameter after ``steps`` updates lies inside its ball (arb propagates every
rounding error into the radius).

:meth:`BallUpdate.run` iterates from exact rational starting values at ``prec`` bits
and returns one ball per parameter. A parameter that is never moved (a bias with
``update_biases = false``) or whose ball comes back identical — midpoint and radius —
to its starting ball (every update added an exact 0) is reported as its exact
starting rational (:class:`flint.fmpq`), so ties stay ties. A relu input whose ball
straddles 0 makes its f' ``nan``; such a run (or one that overflowed) returns ``None``
for the caller to retry at a higher precision or refuse. The run is made in ``RUN_CHUNKS``
chunks (the same arithmetic: the generated loop resumed from its own balls), and one whose
balls are non-finite after a chunk stops there.

:class:`PointUpdate` is the same certified run without generated code, for a few updates
(updates × samples ≤ ``POINT_STEPS``, where generating the code costs more than the steps): each
step's gradient is :meth:`symbolic.truth.point.Point.gradient` (the point evaluation's reverse sweep
over balls at the run's precision), subtracted in ball arithmetic; a kink or an undecidable branch
makes the run None as above. Both share :meth:`BallUpdate.certified`, the precision ladder.

Safety: the source is the one :mod:`symbolic.truth.compiled_update` generates (identifiers
we build); it is parsed once and, in one walk, every node is checked by the rules of
``compiled_update._verify`` (and no float constant is left) while the quotients are
rewritten; the rewrite adds only calls of ``math.ratio``. The tree compiled is the checked
one. The namespace holds only the ball ``math`` and the builtins ``range``, ``len`` and ``max``.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field
from fractions import Fraction
from types import SimpleNamespace
from typing import Callable, Mapping

from flint import arb, fmpq

from ..spec.errors import DerivcheckError
from ..spec.names import parse_name
from ..spec.network import Network
from .balls import Undecided, Unevaluable, exact, workprec
from .compiled_update import _BUILTINS, _MATH, _source, trained_source, verify_node
from .point import Point
from .program import Structured

__all__ = ["BallUpdate", "PointUpdate", "compile_ball_update", "ball_math", "BALL_PRECISIONS", "POINT_STEPS"]

BALL_PRECISIONS = (256, 1_024, 4_096)
PROBE_STEPS = 512  # from this many updates on, a short probe run picks the starting precision
# updates x samples up to which a trajectory steps with the point evaluation's gradient (PointUpdate) instead
# of generating code: measured, one step costs 45-80 us per parameter x sample and the code 0.6-1.3 ms per
# parameter (8-16-8-4: 14 ms a step, 200 ms of code; 4-3-3-4 with 2 samples: 6.6 ms, 56 ms), so the code
# pays off from about 9-17 steps x samples on
POINT_STEPS = 8
RUN_CHUNKS = 8  # a ball run is made in this many chunks, checked for non-finite balls in between
_RELATIVE = arb(10) ** -70  # a parameter ball this narrow keeps 60 digits of every claim within reach


def _ratio(p: int, q: int) -> arb:
    return arb(fmpq(p, q))


def _unary(method: str) -> Callable:
    f = getattr(arb, method)

    def fn(x):
        return f(x) if type(x) is arb else f(arb(x))
    return fn


def ball_math() -> SimpleNamespace:
    """The ``math`` the generated code sees when it runs over balls."""
    return SimpleNamespace(exp=_unary("exp"), log=_unary("log"), tanh=_unary("tanh"), sqrt=_unary("sqrt"),
                           nan=arb("nan"),
                           inf=arb("inf"), ratio=_ratio)


def _int(node) -> int | None:
    """The value of an integer constant or a negated one, else None."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int(node.operand)
        return None if inner is None else -inner
    return None


def _ratio_call(p: int, q: int, at: ast.AST) -> ast.Call:
    """``math.ratio(p, q)`` with ``at``'s source location on every new node (no fix_missing_locations pass)."""
    where = {k: getattr(at, k) for k in ("lineno", "col_offset", "end_lineno", "end_col_offset")}
    math_name = ast.Name("math", ast.Load(), **where)
    return ast.Call(ast.Attribute(math_name, "ratio", ast.Load(), **where),
                    [ast.Constant(p, **where), ast.Constant(q, **where)], [], **where)


def _exact_constant(node: ast.AST) -> ast.AST:
    """``1/3`` and ``-1/3`` (integer constant over integer constant) → ``math.ratio(1, 3)``; the sums' ``0.0``
    starts → ``0``; any other node unchanged."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        p, q = _int(node.left), _int(node.right)
        if p is not None and q:
            return _ratio_call(p, q, node)
    if isinstance(node, ast.Constant) and isinstance(node.value, float) and node.value.is_integer():
        node.value = int(node.value)
    return node


def _ball_tree(source: str, names: set[str]) -> ast.Module:
    """Parse ``source`` once and, in one walk, check it (:func:`compiled_update._verify`'s rules: only our names,
    ``math.<function>`` attributes, calls of those and of the builtins, no import/lambda/global) and make every
    constant exact over balls (:func:`_exact_constant`); a float constant left over is refused."""
    tree = ast.parse(source)
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        _verify_node(node, names)
        for name, value in ast.iter_fields(node):
            if isinstance(value, list):
                for i, child in enumerate(value):
                    if isinstance(child, ast.AST):
                        new = value[i] = _exact_constant(child)
                        stack.append(new)
            elif isinstance(value, ast.AST):
                new = _exact_constant(value)
                if new is not value:
                    setattr(node, name, new)
                stack.append(new)
    return tree


def _verify_node(node: ast.AST, names: set[str]) -> None:
    if isinstance(node, ast.Constant) and isinstance(node.value, float):
        raise DerivcheckError("Internal: a float constant in the generated update is not exact over balls.")
    verify_node(node, names, _BALL_MATH)


_BALL_MATH = _MATH | {"ratio"}


@dataclass
class BallUpdate:
    """Generated update code of one network run over balls (see the module contract)."""

    network: Network
    update_biases: bool
    parameters: list[str]
    function: Callable = field(repr=False)

    def run(self, values: Mapping[str, Fraction], steps: int, learning_rate: Fraction, prec: int) -> dict | None:
        """Parameters after ``steps`` updates at ``prec`` bits: fmpq where unchanged, else arb; None when a
        ball became non-finite (a relu input too close to its kink, or overflow) at this precision."""
        net = self.network
        with workprec(prec):
            start = {k: exact(values[k]) for k in self.parameters}
            balls = [arb(start[k]) for k in self.parameters]
            data = [tuple(arb(exact(v)) for v in (*xs, *ys)) for xs, ys in zip(net.x, net.y)]
            lr, out, done = arb(exact(learning_rate)), balls, 0
            chunk = -(-steps // RUN_CHUNKS) if steps else 0
            while True:  # in chunks: a ball once non-finite stays so, and the rest of a doomed run is skipped
                out = [v if isinstance(v, arb) else arb(v) for v in self.function(min(chunk, steps - done), lr, data,
                                                                                  *out)]
                done += chunk
                if done >= steps:
                    break
                if not all(v.is_finite() for v in out):
                    return None
        result: dict = {}
        for k, before, after in zip(self.parameters, balls, out):
            if not isinstance(after, arb):
                after = arb(after)
            if not after.is_finite():
                return None
            moved = parse_name(k).kind == "W" or self.update_biases
            same = after.mid() == before.mid() and after.rad() == before.rad()
            result[k] = start[k] if (not moved or same) else after
        return result

    def certified(self, values: Mapping[str, Fraction], steps: int, learning_rate: Fraction,
                  relative: arb = _RELATIVE) -> tuple[dict, int] | None:
        """:meth:`run` until every ball is narrower than ``relative`` times its value (or than ``relative``):
        ``(parameters, bits)`` of the first run that is, else of the widest precision that stayed finite; None
        if every precision met a non-finite ball (a relu input on or too near its kink, an overflow).

        Starts at 256 bits (from ``PROBE_STEPS`` updates on, at the precision a probe of 1/8 of the updates
        predicts: :meth:`_probed_bits`); a run that is too wide says by how much (a ball's radius is proportional to
        2^-bits), so the next run is at the precision that closes the gap (+ 32 bits), at most 4,096 bits;
        a non-finite run tries the next of ``BALL_PRECISIONS``."""
        found, bits, top = None, BALL_PRECISIONS[0], BALL_PRECISIONS[-1]
        if steps >= PROBE_STEPS:
            bits = self._probed_bits(values, steps, learning_rate, relative)
        while True:
            out = self.run(values, steps, learning_rate, bits)
            if out is not None:
                found = (out, bits)
                gap = _gap_bits(out.values(), relative)
                if gap <= 0 or bits >= top:
                    return found
                bits = min(top, int(-(-(bits + gap + 32) // 64)) * 64)
            elif bits >= top:
                return found
            else:
                bits = next(b for b in BALL_PRECISIONS if b > bits)


    def _probed_bits(self, values: Mapping[str, Fraction], steps: int, learning_rate: Fraction,
                     relative: arb) -> int:
        """The starting precision of a long run, from one probe at 256 bits of ``steps // 8`` updates read at
        1/32, 1/16 and 1/8 of the updates (one run, resumed from its own balls): the bits the widest ball lost at
        each, extrapolated over the three doublings left to ``steps``: by the second increment each doubling
        where it is at most 1.05× the first (a converging run: seed 002 loses 11.9, 13.1, 14.3 … 17.8 bits at
        312, 625, 1,250 … 10,000 updates), else doubling per doubling (compounding: 8-16-8-4 loses 10, 13, 18
        … 28, 48, 88 bits at 62, 125, 250 … 500, 1,000, 2,001), + 32, as a multiple of 64 within
        ``BALL_PRECISIONS``; 256 when the prediction fits in 256 bits (the loop below re-runs if it did not). Without it a run too wide
        at 256 bits was run twice in full (8-16-8-4, 2,001 updates: 0.66 s at 256 bits, then 0.78 s at 384).
        A probe that is not finite leaves the start at 256 bits."""
        bits = BALL_PRECISIONS[0]
        k = steps // 32
        lost = []
        with workprec(bits):
            lr = arb(exact(learning_rate))
            data = [tuple(arb(exact(v)) for v in (*xs, *ys)) for xs, ys in zip(self.network.x, self.network.y)]
            balls = [arb(exact(values[name])) for name in self.parameters]
            for chunk in (k, k, 2 * k):
                balls = [b if isinstance(b, arb) else arb(b) for b in self.function(chunk, lr, data, *balls)]
                if not all(b.is_finite() for b in balls):
                    return bits
                lost.append(_lost_bits(balls, bits))
        d1, d2 = lost[1] - lost[0], lost[2] - lost[1]
        r = 1.0 if d2 <= 1.05 * max(d1, 0.0) else 2.0
        predicted = lost[2] + max(0.0, d2) * (r + r * r + r ** 3)
        target = -float(relative.log().mid()) / math.log(2)
        if target + predicted <= bits:
            return bits
        return max(bits, min(BALL_PRECISIONS[-1], -(-int(target + predicted + 32) // 64) * 64))


def _lost_bits(balls, bits: int) -> float:
    """How many of ``bits`` the widest ball lost: log2(radius / max(|value|, 1)) + bits (0 for exact values)."""
    lost = 0.0
    for v in balls:
        if isinstance(v, fmpq) or v.rad() == 0:
            continue
        width = float((v.rad() / max(abs(v).upper(), arb(1))).log().mid()) / math.log(2) + bits
        lost = max(lost, width if math.isfinite(width) else float(BALL_PRECISIONS[-1]))
    return lost


@dataclass
class PointUpdate:
    """The same certified update without generated code, for a few updates (``POINT_STEPS``): each step's
    gradient is the point evaluation's (:meth:`symbolic.truth.point.Point.gradient`, a ball reverse sweep at
    ``prec`` bits), applied in ball arithmetic. A parameter every step leaves unchanged (it does not move, or
    each of its gradients is an exact 0) keeps its exact starting value; a kink or a branch the balls cannot
    decide makes the run None, as a non-finite ball does in :class:`BallUpdate`, whose precision ladder
    (:meth:`BallUpdate.certified`) it shares."""

    network: Network
    update_biases: bool

    def run(self, values: Mapping[str, Fraction], steps: int, learning_rate: Fraction, prec: int) -> dict | None:
        moves = {k: parse_name(k).kind == "W" or self.update_biases for k in self.network.parameter_names()}
        with workprec(prec):
            current = {k: exact(values[k]) for k in moves}
            lr = exact(learning_rate)
            try:
                for _ in range(steps):
                    gradient = Point(self.network, prec, values=current).gradient()
                    for k, move in moves.items():
                        g = gradient[k]
                        if not move or (isinstance(g, fmpq) and g == 0):
                            continue
                        if not isinstance(g, (arb, fmpq)):  # Undefined: the gradient passes through a kink
                            return None
                        current[k] = arb(current[k]) - lr * g
                        if not current[k].is_finite():
                            return None
            except (Undecided, Unevaluable):
                return None
        return current

    def _probed_bits(self, values, steps, learning_rate, relative) -> int:  # a few updates: never probed
        return BALL_PRECISIONS[0]

    certified = BallUpdate.certified


def _gap_bits(balls, relative: arb) -> float:
    """How many bits too wide the widest ball is (≤ 0: none is)."""
    gap = 0.0
    for v in balls:
        if isinstance(v, fmpq):
            continue
        ratio = v.rad() / max(abs(v).upper() * relative, relative)
        if ratio > 1:
            bits = float(ratio.log().mid()) / math.log(2)
            gap = max(gap, bits if math.isfinite(bits) else float(BALL_PRECISIONS[-1]))
    return gap


def compile_ball_update(network: Network, update_biases: bool | None = None,
                        program: Structured | None = None, trained: bool = False) -> BallUpdate:
    """Generate (via :mod:`symbolic.truth.compiled_update`), rewrite, check and compile the ball update.

    ``trained``: the network's optimizer and penalty (``compiled_update.trained_source``; its function takes
    ``t0`` and the state after the parameters, see :class:`symbolic.truth.trained.TrainedTrajectory`)."""
    p = program if program is not None else Structured(network)
    ub = network.update_biases if update_biases is None else update_biases
    source, names, params = trained_source(p, ub) if trained else _source(p, ub)
    tree = _ball_tree(source, names)
    namespace: dict = {"__builtins__": dict(_BUILTINS), "math": ball_math()}
    exec(compile(tree, f"<derivcheck ball update {'-'.join(map(str, network.layers))}>", "exec"), namespace)
    return BallUpdate(network, ub, params, namespace["run"])
