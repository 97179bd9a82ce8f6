"""Rule tables: each activation and loss with its symbolic form, derivative and numeric twin.

Contract
--------
* ``ACTIVATIONS[name]`` is an :class:`ActivationRule`: ``symbolic(u)`` builds
  f(u) for one SymPy scalar (elementwise rules) and ``symbolic_prime(u)`` its
  derivative f'(u); ``numeric`` is the NumPy twin from ``numeric.functions``.
  softmax is a vector rule: ``symbolic_vector(us)`` maps the list of a layer's
  pre-activations to the list of its outputs.
* ``LOSSES[name]`` is a :class:`LossRule`: ``terms(a, y)`` gives the list of
  per-output terms L[k] (they sum to the loss), ``numeric`` the NumPy twin.
* relu is a ``Piecewise``; its kink (u = 0) is a point where the derivative
  does not exist, and the evaluator reports it (:class:`symbolic.spec.errors.KinkError`)
  instead of returning either one-sided value.

* ``ActivationRule.output_range`` is the set f takes its values in, an :class:`OutputRange` (ends exact
  Fractions or None for ±∞, each open or closed; softmax's ``total`` says its outputs sum to 1): what
  :mod:`symbolic.claims.targets` compares each training target with. :meth:`OutputRange.times` is the
  range of a product (the lstm's h = o·tanh(c) from the o gate's and the cell function's ranges).

* Generic activations: :func:`generic_functions` gives ``(f_<name>, fp_<name>)``,
  an undefined SymPy function (an :class:`_Activation`) whose derivative is the
  undefined ``fp_<name>``; one pair per name, kept in ``_GENERIC``, so every
  generic model and proof shares the same atoms. :func:`generic_to_concrete`
  substitutes the real ``symbolic`` / ``symbolic_prime`` rules back in.

Adding an activation or loss is one entry here plus one in
``numeric/functions.py``, and their tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

import sympy as sp

from numeric.functions import ACTIVATIONS as NUMERIC_ACTIVATIONS
from numeric.functions import LOSSES as NUMERIC_LOSSES
from numeric.functions import Activation, Loss

__all__ = ["OutputRange", "ActivationRule", "LossRule", "ACTIVATIONS", "LOSSES", "FUSED_OUTPUTS", "DEFAULT_ACTIVATION",
           "DEFAULT_LOSS", "LINEAR_ACTIVATION", "_Activation", "_GENERIC", "generic_functions",
           "generic_to_concrete"]

Expr = sp.Expr


@dataclass(frozen=True)
class OutputRange:
    """An interval of values: ``low`` / ``high`` exact (None: −∞ / +∞), each end open or closed; ``total``: the
    outputs of one vector rule sum to it (softmax: 1), None for an elementwise rule."""

    low: Fraction | None = None
    high: Fraction | None = None
    low_closed: bool = False
    high_closed: bool = False
    total: Fraction | None = None

    @property
    def bounded(self) -> bool:
        """Not every real number: some end is finite (identity's range is everything)."""
        return self.low is not None or self.high is not None

    def contains(self, v: Fraction) -> bool:
        """Whether the value ``v`` (exact) is in the range; an open end does not contain itself."""
        if self.low is not None and (v < self.low or (v == self.low and not self.low_closed)):
            return False
        return not (self.high is not None and (v > self.high or (v == self.high and not self.high_closed)))

    def closure_contains(self, v: Fraction) -> bool:
        """Whether ``v`` is in the range or is one of its finite ends (an open end is approached in the limit)."""
        return not ((self.low is not None and v < self.low) or (self.high is not None and v > self.high))

    def times(self, other: "OutputRange") -> "OutputRange":
        """The range of x·y for x in this bounded range and y in ``other``: the extremes are products of ends, a
        nonzero extreme attained only where both of its ends are closed, 0 wherever either range holds 0."""
        if None in (self.low, self.high, other.low, other.high):
            return OutputRange()  # an unbounded factor: kept simple (no rule needs it), everything
        corners = [(a * b, ca and cb) for a, ca in ((self.low, self.low_closed), (self.high, self.high_closed))
                   for b, cb in ((other.low, other.low_closed), (other.high, other.high_closed))]
        zero = self.contains(Fraction(0)) or other.contains(Fraction(0))

        def end(value: Fraction) -> tuple[Fraction, bool]:
            return value, any(c for p, c in corners if p == value) or (value == 0 and zero)

        low, high = end(min(p for p, _ in corners)), end(max(p for p, _ in corners))
        return OutputRange(low[0], high[0], low[1], high[1])

    def __str__(self) -> str:
        def show(v: Fraction | None, infinity: str) -> str:
            if v is None:
                return infinity
            text = str(v) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
            return text.replace("-", "−")

        return (("[" if self.low_closed else "(") + show(self.low, "−∞") + ", " + show(self.high, "∞")
                + ("]" if self.high_closed else ")"))


_ALL = OutputRange()
_UNIT = OutputRange(Fraction(0), Fraction(1))


@dataclass(frozen=True)
class ActivationRule:
    name: str
    symbolic: Callable[[Expr], Expr] | None
    symbolic_prime: Callable[[Expr], Expr] | None
    numeric: Activation
    has_kink: bool = False
    output_only: bool = False
    symbolic_vector: Callable[[Sequence[Expr]], list[Expr]] | None = None
    # vector rules: the vector-Jacobian product Σ_i g_i ∂a_i/∂u_k from the outputs a and the adjoint g,
    # in plain + and * so that it runs on SymPy expressions, rationals and balls alike
    vector_vjp: Callable[[Sequence, Sequence], list] | None = None
    # f' written through the output a = f(u) (sigmoid: a(1 − a)), where a rule has such a form: what hand
    # derivations print, and what the "f' from the net input" mistake evaluates at u instead of a
    prime_of_output: Callable[[Expr], Expr] | None = None
    prime_of_output_text: str = ""  # that form as plain text over {v}, for diagnoses ("{v}(1−{v})")
    # names: LaTeX and plain-text printers, the formula reader's spellings, the document's "Activations" line
    latex: str = ""
    text: str = ""
    parser_names: tuple[str, ...] = ()
    document_label: str = ""
    # display forms for documents: f(u) as printed (None: ``symbolic``), and f'(u) as tutorials print it
    # (through a = f(u) where ``prime_of_output`` exists), kept unevaluated so the printed order stays as written
    display: Callable[[Expr], Expr] | None = None
    display_prime: Callable[[Expr, Expr], Expr] | None = None
    # f and f' of a rule without a form through the output, written with a step function H (relu: v·H(v), H(v)),
    # for the generic-relations proof stage: step_form(v, H) -> (f(v), f'(v))
    step_form: Callable[[Expr, Callable], tuple[Expr, Expr]] | None = None
    # other names authors and libraries use (matched case-insensitively, "-" and " " read as "_")
    synonyms: tuple[str, ...] = ()
    # the values f takes (sigmoid: (0, 1)), beside its derivative: the targets it can reach
    output_range: OutputRange = _ALL

    @property
    def elementwise(self) -> bool:
        return self.symbolic_vector is None

    def apply(self, us: Sequence[Expr]) -> list[Expr]:
        """f applied to a whole layer's pre-activations."""
        if self.symbolic_vector is not None:
            return self.symbolic_vector(us)
        return [self.symbolic(u) for u in us]


def _sigmoid(u: Expr) -> Expr:
    return 1 / (1 + sp.exp(-u))


def _softmax(us: Sequence[Expr]) -> list[Expr]:
    total = sp.Add(*[sp.exp(u) for u in us])
    return [sp.exp(u) / total for u in us]


def _softmax_vjp(a: Sequence, g: Sequence) -> list:
    """Σ_i g_i ∂a_i/∂u_k = a_k (g_k − Σ_i a_i g_i): the softmax Jacobian a_i(δ_ik − a_k) applied to g."""
    total = sum((ai * gi for ai, gi in zip(a, g)), 0)
    return [ak * (gk - total) for ak, gk in zip(a, g)]


def _times(*factors) -> Expr:
    return sp.Mul(*factors, evaluate=False)


def _plus(*terms) -> Expr:
    return sp.Add(*terms, evaluate=False)


def _relu(u: Expr) -> Expr:
    return sp.Piecewise((0, u < 0), (u, True))


def _relu_prime(u: Expr) -> Expr:
    return sp.Piecewise((0, u < 0), (1, u > 0), (sp.nan, True))


ACTIVATIONS: dict[str, ActivationRule] = {
    "identity": ActivationRule("identity", lambda u: u, lambda u: sp.Integer(1), NUMERIC_ACTIVATIONS["identity"],
                               latex="\\operatorname{id}", text="id", document_label="identity",
                               display_prime=lambda u, a: sp.Integer(1), step_form=lambda v, H: (v, sp.Integer(1)),
                               synonyms=("linear", "none", "id", "purelin"), output_range=_ALL),
    "sigmoid": ActivationRule("sigmoid", _sigmoid, lambda u: _sigmoid(u) * (1 - _sigmoid(u)),
                              NUMERIC_ACTIVATIONS["sigmoid"], prime_of_output=lambda a: a * (1 - a),
                              prime_of_output_text="{v}(1−{v})",
                              latex="\\sigma", text="σ", parser_names=("\\sigma", "sigmoid"),
                              document_label=r"sigmoid $\sigma(z) = 1/(1+e^{-z})$",
                              display_prime=lambda u, a: _times(a, _plus(sp.Integer(1), _times(sp.Integer(-1), a))),
                              synonyms=("logistic", "sigma", "σ", "expit", "logsig"), output_range=_UNIT),
    "tanh": ActivationRule("tanh", sp.tanh, lambda u: 1 - sp.tanh(u) ** 2, NUMERIC_ACTIVATIONS["tanh"],
                           prime_of_output=lambda a: 1 - a ** 2, prime_of_output_text="1−{v}²",
                           latex="\\tanh", text="tanh", parser_names=("\\tanh", "tanh"), document_label=r"$\tanh$",
                           display_prime=lambda u, a: _plus(sp.Integer(1),
                                                            _times(sp.Integer(-1), sp.Pow(a, 2, evaluate=False))),
                           synonyms=("hyperbolic_tangent", "tansig"),
                           output_range=OutputRange(Fraction(-1), Fraction(1))),
    "relu": ActivationRule("relu", _relu, _relu_prime, NUMERIC_ACTIVATIONS["relu"], has_kink=True,
                           latex="\\operatorname{relu}", text="relu", parser_names=("relu", "ReLU"),
                           document_label=r"ReLU $\max(0, z)$", display=lambda u: sp.Max(0, u),
                           display_prime=lambda u, a: sp.Piecewise((sp.Integer(1), u > 0), (sp.Integer(0), True)),
                           step_form=lambda v, H: (v * H(v), H(v)), synonyms=("rectifier", "rectified_linear"),
                           output_range=OutputRange(Fraction(0), None, low_closed=True)),
    "softmax": ActivationRule("softmax", None, None, NUMERIC_ACTIVATIONS["softmax"], output_only=True,
                              symbolic_vector=_softmax, vector_vjp=_softmax_vjp,
                              latex="\\operatorname{softmax}", text="softmax", parser_names=("softmax",),
                              document_label="softmax",
                              output_range=OutputRange(Fraction(0), Fraction(1), total=Fraction(1))),
}


@dataclass(frozen=True)
class LossRule:
    name: str
    terms: Callable[[Sequence[Expr], Sequence[Expr]], list[Expr]]
    numeric: Loss
    needs_output: tuple[str, ...] | None = None  # activations the output layer may have
    description: str = ""
    latex: str = ""  # the loss as documents print it
    half: bool = False  # carries a ½ (the "½ dropped" / "½ applied twice" mistakes)
    averaged: bool = False  # (1/n) Σ over the outputs: the loss means its entries (a recurrent loss_over_steps)
    # what targets y it takes: "real", "binary" (0/1, and log(1 − a) appears) or "distribution" (Σ_k y_k = 1)
    targets: str = "real"
    # ∇_a L built from the matrix-form node constructors ``ops`` (sub, scale, ediv, hadamard, neg, one), the
    # output a, the target y and the output size n
    matrix_gradient: Callable | None = None
    # other names authors and libraries use (case-insensitive); ``after`` synonyms name this loss only after
    # one of the given output activations ("cross_entropy": softmax_ce after softmax, bce after sigmoid)
    synonyms: tuple[str, ...] = ()
    after_synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _half_sse(a, y):
    return [sp.Rational(1, 2) * (yk - ak) ** 2 for ak, yk in zip(a, y)]


def _sse(a, y):
    return [(yk - ak) ** 2 for ak, yk in zip(a, y)]


def _mse(a, y):
    n = len(a)
    return [(yk - ak) ** 2 / n for ak, yk in zip(a, y)]


def _bce(a, y):
    return [-(yk * sp.log(ak) + (1 - yk) * sp.log(1 - ak)) for ak, yk in zip(a, y)]


def _softmax_ce(a, y):
    return [-yk * sp.log(ak) for ak, yk in zip(a, y)]


LOSSES: dict[str, LossRule] = {
    "half_sse": LossRule("half_sse", _half_sse, NUMERIC_LOSSES["half_sse"], description="½Σ(y−a)²",
                         latex=r"\frac{1}{2} \sum_k (y_k - a_k)^2", half=True,
                         matrix_gradient=lambda o, a, y, n: o.sub(a, y),
                         synonyms=("half_squared_error", "half_mse", "squared_error_half")),
    "sse": LossRule("sse", _sse, NUMERIC_LOSSES["sse"], description="Σ(y−a)²", latex=r"\sum_k (y_k - a_k)^2",
                    matrix_gradient=lambda o, a, y, n: o.scale(Fraction(2), o.sub(a, y)),
                    synonyms=("sum_squared_error", "sum_of_squared_errors", "squared_error", "l2_loss")),
    "mse": LossRule("mse", _mse, NUMERIC_LOSSES["mse"], description="(1/n)Σ(y−a)²",
                    latex=r"\frac{1}{n} \sum_k (y_k - a_k)^2", averaged=True,
                    matrix_gradient=lambda o, a, y, n: o.scale(Fraction(2, n), o.sub(a, y)),
                    synonyms=("mseloss", "mean_squared_error", "mean_squared", "meansquarederror")),
    "bce": LossRule("bce", _bce, NUMERIC_LOSSES["bce"], needs_output=("sigmoid", "softmax"),
                   description="−Σ[y log a + (1−y) log(1−a)]",
                   latex=r"-\sum_k \left[y_k \log a_k + (1 - y_k) \log(1 - a_k)\right]", targets="binary",
                   matrix_gradient=lambda o, a, y, n: o.ediv(o.sub(a, y), o.hadamard(a, o.sub(o.one, a))),
                   synonyms=("binary_cross_entropy", "binary_crossentropy", "bceloss", "log_loss", "logloss",
                             "logistic_loss", "binary_ce"),
                   after_synonyms=(("sigmoid", ("cross_entropy", "crossentropy", "ce", "cross_entropy_loss")),)),
    "softmax_ce": LossRule("softmax_ce", _softmax_ce, NUMERIC_LOSSES["softmax_ce"], needs_output=("softmax",),
                           description="−Σ y log softmax(u)",
                           latex=r"-\sum_k y_k \log a_k, \ a = \operatorname{softmax}(u)", targets="distribution",
                           matrix_gradient=lambda o, a, y, n: o.neg(o.ediv(y, a)),
                           synonyms=("categorical_crossentropy", "categorical_cross_entropy", "softmax_cross_entropy",
                                     "crossentropyloss", "softmax_crossentropy", "nll_softmax"),
                           after_synonyms=(("softmax", ("cross_entropy", "crossentropy", "ce",
                                                        "cross_entropy_loss")),)),
}

# the network a derivation file, the CLI and Network.build get when they name none (configuration, not a rule)
DEFAULT_ACTIVATION = "sigmoid"
DEFAULT_LOSS = "half_sse"
LINEAR_ACTIVATION = "identity"  # a dense layer of a [[layer]] list without an activation (a linear layer)


# ============================================== fused output pairs
def _sigmoid_bce_delta(a: Sequence, y: Sequence) -> list:
    return [ak - yk for ak, yk in zip(a, y)]


def _softmax_ce_delta(a: Sequence, y: Sequence) -> list:
    total = sum(y, 0)
    return [ak * total - yk for ak, yk in zip(a, y)]


# (output activation, loss) -> ∂L/∂u^{(L)} from a^{(L)} and y, in plain + and *; exact for every target (also
# Σy ≠ 1), proved from sympy.diff of the two entries above by symbolic.formulas.program_proof.lemma_output
FUSED_OUTPUTS: dict[tuple[str, str], Callable[[Sequence, Sequence], list]] = {
    ("sigmoid", "bce"): _sigmoid_bce_delta,
    ("softmax", "softmax_ce"): _softmax_ce_delta,
}


# ============================================== generic (undefined) activations f / f'
class _Activation(sp.Function):
    """An undefined elementwise activation whose derivative is another undefined function."""

    nargs = 1
    _prime: type = None  # set per subclass

    def fdiff(self, argindex=1):
        return type(self)._prime(self.args[0])


_GENERIC: dict[str, tuple[type, type]] = {}


def generic_functions(name: str) -> tuple[type, type]:
    """(f_name, fp_name): the undefined activation ``name`` and its undefined derivative."""
    if name not in _GENERIC:
        prime = sp.Function(f"fp_{name}", real=True)
        fn = type(f"f_{name}", (_Activation,), {"_prime": prime})
        _GENERIC[name] = (fn, prime)
    return _GENERIC[name]


def generic_to_concrete(expr: sp.Expr) -> sp.Expr:
    """Replace every generic f_name / fp_name atom by the real rule."""
    mapping = {}
    for name, (fn, prime) in _GENERIC.items():
        rule = ACTIVATIONS[name]
        mapping[fn] = rule.symbolic
        mapping[prime] = rule.symbolic_prime
    out = expr
    for fn, real in mapping.items():
        if out.has(fn):
            out = out.replace(fn, real)
    return out
