"""The optimizer and regularizer rule tables, and the ``[optimizer]`` / ``[regularization]`` keys.

Contract
--------
* ``OPTIMIZERS[name]`` is an :class:`OptimizerRule`: its hyperparameters with their defaults,
  the state it keeps per parameter (``state``; ``derived`` are per-step values such as Adam's
  m̂), the claim words that name them (``words``: ``velocity`` and ``v`` for momentum), its
  update written once over an abstract number domain (``update``: Fractions, balls, mpmath or
  Python floats, the domain supplying ``sqrt``), an optional look-ahead point for the gradient
  (Sutskever's Nesterov), the LaTeX/text lines documents and ``derive`` print, and
  ``float_code`` — the same update as lines of plain-float Python over identifiers the
  caller builds (:mod:`symbolic.truth.compiled_update`).
* ``REGULARIZERS["l2"]`` is the L2 penalty: c·Σθ² with c = λ/2 (``half``) or λ (``full``),
  over the weights and, with ``include_biases``, the biases.
* :class:`Optimizer` and :class:`Regularization` are a file's validated settings (hashable);
  an :class:`Optimizer`'s ``variant`` holds the update-rule transformations the mistake table
  replays (ε inside √, bias correction missing or 1−β, t off by one, state reset every step).
* :func:`parse_training` validates the two tables of a derivation file: one sentence per
  problem, naming the key, with "did you mean" where a near key exists.
* :func:`state_word` maps a claim word (``m``, ``velocity``, ``step``) to the optimizer's own.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Callable, Mapping

from .errors import DerivcheckError, brief, shorten
from .network import exact_number
from . import update_rules as U

__all__ = ["OptimizerRule", "OPTIMIZERS", "REGULARIZERS", "CONVENTIONS", "L2_CONVENTIONS", "Optimizer",
           "Regularization", "PLAIN_SGD", "NO_REGULARIZATION", "parse_training", "state_word", "STEP",
           "did_you_mean"]

F = Fraction
STEP = "step"  # the claim word of the change Δθ an update makes (θ after the update − θ before it)
CONVENTIONS = ("pytorch", "sutskever")
L2_CONVENTIONS = ("half", "full")
VARIANTS = ("eps_inside", "bias_correction", "t_offset", "reset_every_step")


def did_you_mean(word: str, choices) -> str:
    near = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {near[0]!r}?)" if near else ""


@dataclass(frozen=True)
class OptimizerRule:
    name: str
    defaults: Mapping[str, Fraction]  # hyperparameters (the learning rate stays [network] learning_rate)
    state: tuple[str, ...]  # per-parameter state kept between updates
    update: Callable
    float_code: Callable
    words: Mapping[str, str] = field(default_factory=dict)  # claim word -> state or derived name
    derived: tuple[str, ...] = ()  # per-step values (claimable, not kept)
    lookahead: Callable | None = None  # where the gradient is taken (θ by default)
    conventions: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()  # which VARIANTS the rule reads
    latex: tuple[str, ...] = ()  # update lines as documents print them (per convention: latex_sutskever)
    latex_sutskever: tuple[str, ...] = ()
    text: str = ""
    # documents: (lhs, rhs template, value key) lines of one update's arithmetic; placeholders are g, theta,
    # t, lr, the hyperparameters, each state before ("m0") and after ("m"), derived values, step and new
    arithmetic: tuple[tuple[str, str, str], ...] = ()
    arithmetic_sutskever: tuple[tuple[str, str, str], ...] = ()
    float_prelude: Callable | None = None  # plain-float lines run once per update (Adam's bias corrections)
    float_setup: Callable | None = None  # plain-float lines run once per run, before the updates
    # state the plain-float code keeps divided by 1 − a hyperparameter (Adam's m as M = m/(1−β1)): the
    # generated function takes and returns it so (symbolic.truth.compiled_update.state_scales)
    float_scale: Mapping[str, str] = field(default_factory=dict)
    rational: bool = False  # the update is + − × ÷ only: rational parameters and gradients stay rational

    def arithmetic_for(self, convention: str) -> tuple[tuple[str, str, str], ...]:
        return self.arithmetic_sutskever if convention == "sutskever" and self.arithmetic_sutskever else self.arithmetic


_MOMENTUM_LATEX = (r"v \leftarrow \mu v + g", r"\theta \leftarrow \theta - \eta v")
_SUTSKEVER_LATEX = (r"v \leftarrow \mu v - \eta g", r"\theta \leftarrow \theta + v")
_ADAM_LATEX = (r"m \leftarrow \beta_1 m + (1 - \beta_1) g", r"v \leftarrow \beta_2 v + (1 - \beta_2) g^2",
               r"\hat m = m / (1 - \beta_1^t), \quad \hat v = v / (1 - \beta_2^t)",
               r"\theta \leftarrow \theta - \eta \hat m / (\sqrt{\hat v} + \epsilon)")

_MOMENTUM_ARITHMETIC = ((r"v", r"{momentum} \cdot {velocity0} + {g}", "velocity"),
                        (r"\theta^{+}", r"{theta} - {lr} \cdot {velocity}", "new"))
_SUTSKEVER_ARITHMETIC = ((r"v", r"{momentum} \cdot {velocity0} - {lr} \cdot {g}", "velocity"),
                         (r"\theta^{+}", r"{theta} + {velocity}", "new"))
_ADAM_ARITHMETIC = ((r"m", r"{beta1} \cdot {m0} + (1 - {beta1}) \cdot {g}", "m"),
                    (r"v", r"{beta2} \cdot {v0} + (1 - {beta2}) \cdot {g}^2", "v"),
                    (r"\hat m", r"{m} / (1 - {beta1}^{{{t}}})", "m_hat"),
                    (r"\hat v", r"{v} / (1 - {beta2}^{{{t}}})", "v_hat"),
                    (r"\theta^{+}", r"{theta} - {lr} \cdot {m_hat} / (\sqrt{{{v_hat}}} + {eps})", "new"))

_ADAM_SCALE = {"m": "beta1", "v": "beta2"}

OPTIMIZERS: dict[str, OptimizerRule] = {
    "sgd": OptimizerRule("sgd", {}, (), U.sgd, U.sgd_code, rational=True,
                         arithmetic=((r"\theta^{+}", r"{theta} - {lr} \cdot {g}", "new"),), latex=(r"\theta \leftarrow \theta - \eta g",),
                         text="θ ← θ − η g"),
    "momentum": OptimizerRule(
        "momentum", {"momentum": F(9, 10)}, ("velocity",), U.momentum, U.momentum_code, rational=True,
        words={"velocity": "velocity", "v": "velocity"}, conventions=CONVENTIONS, latex=_MOMENTUM_LATEX,
        latex_sutskever=_SUTSKEVER_LATEX, arithmetic=_MOMENTUM_ARITHMETIC, arithmetic_sutskever=_SUTSKEVER_ARITHMETIC,
        text="pytorch: v ← μ v + g; θ ← θ − η v  |  sutskever: v ← μ v − η g; θ ← θ + v"),
    "nesterov": OptimizerRule(
        "nesterov", {"momentum": F(9, 10)}, ("velocity",), U.nesterov,
        U.nesterov_code, rational=True, words={"velocity": "velocity", "v": "velocity"},
        lookahead=U.nesterov_lookahead, conventions=CONVENTIONS,
        latex=(r"v \leftarrow \mu v + g", r"\theta \leftarrow \theta - \eta (g + \mu v)"),
        latex_sutskever=(r"v \leftarrow \mu v - \eta \nabla L(\theta + \mu v)", r"\theta \leftarrow \theta + v"),
        arithmetic=((r"v", r"{momentum} \cdot {velocity0} + {g}", "velocity"),
                    (r"\theta^{+}", r"{theta} - {lr} \cdot ({g} + {momentum} \cdot {velocity})", "new")),
        arithmetic_sutskever=_SUTSKEVER_ARITHMETIC,
        text="pytorch: v ← μ v + g; θ ← θ − η (g + μ v)  |  sutskever: v ← μ v − η ∇L(θ + μ v); θ ← θ + v"),
    "adagrad": OptimizerRule(
        "adagrad", {"eps": F(1, 10 ** 10)}, ("G",), U.adagrad, U.adagrad_code, words={"G": "G"},
        variants=("eps_inside",),
        latex=(r"G \leftarrow G + g^2", r"\theta \leftarrow \theta - \eta g / (\sqrt{G} + \epsilon)"),
        arithmetic=((r"G", r"{G0} + {g}^2", "G"),
                    (r"\theta^{+}", r"{theta} - {lr} \cdot {g} / (\sqrt{{{G}}} + {eps})", "new")),
        text="G ← G + g²; θ ← θ − η g / (√G + ε)"),
    "rmsprop": OptimizerRule(
        "rmsprop", {"rho": F(99, 100), "eps": F(1, 10 ** 8)}, ("s",), U.rmsprop, U.rmsprop_code,
        words={"s": "s", "v": "s"}, variants=("eps_inside",), float_setup=U.rmsprop_setup,
        float_scale={"s": "rho"},
        latex=(r"s \leftarrow \rho s + (1 - \rho) g^2", r"\theta \leftarrow \theta - \eta g / (\sqrt{s} + \epsilon)"),
        arithmetic=((r"s", r"{rho} \cdot {s0} + (1 - {rho}) \cdot {g}^2", "s"),
                    (r"\theta^{+}", r"{theta} - {lr} \cdot {g} / (\sqrt{{{s}}} + {eps})", "new")),
        text="s ← ρ s + (1−ρ) g²; θ ← θ − η g / (√s + ε)"),
    "adam": OptimizerRule(
        "adam", {"beta1": F(9, 10), "beta2": F(999, 1000), "eps": F(1, 10 ** 8)}, ("m", "v"), U.adam, U.adam_code,
        words={"m": "m", "v": "v", "m_hat": "m_hat", "v_hat": "v_hat"}, derived=("m_hat", "v_hat"),
        variants=VARIANTS[:3], latex=_ADAM_LATEX, arithmetic=_ADAM_ARITHMETIC, float_prelude=U.adam_prelude,
        float_setup=U.adam_setup, float_scale=_ADAM_SCALE, text="m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²; m̂ = m/(1−β1ᵗ); v̂ = v/(1−β2ᵗ); θ ← θ − η m̂/(√v̂ + ε)"),
    "adamw": OptimizerRule(
        "adamw", {"beta1": F(9, 10), "beta2": F(999, 1000), "eps": F(1, 10 ** 8), "weight_decay": F(1, 100)},
        ("m", "v"), U.adam, U.adam_code, words={"m": "m", "v": "v", "m_hat": "m_hat", "v_hat": "v_hat"},
        derived=("m_hat", "v_hat"), variants=VARIANTS[:3], float_prelude=U.adam_prelude, float_setup=U.adam_setup,
        float_scale=_ADAM_SCALE,
        arithmetic=_ADAM_ARITHMETIC[:4] + ((r"\theta^{+}", r"{theta} - {lr} \cdot {m_hat} / (\sqrt{{{v_hat}}} + {eps}) - "
                                            r"{lr} \cdot {weight_decay} \cdot {theta}", "new"),),
        latex=_ADAM_LATEX[:3] + (r"\theta \leftarrow \theta - \eta \hat m / (\sqrt{\hat v} + \epsilon) - \eta \lambda \theta",),
        text="as adam, then θ ← θ − η λ θ (decoupled weight decay, λ = weight_decay)"),
}


@dataclass(frozen=True)
class RegularizerRule:
    name: str
    latex: Mapping[str, str]  # per convention
    text: Mapping[str, str]


REGULARIZERS: dict[str, RegularizerRule] = {
    "l2": RegularizerRule("l2", {"half": r"\frac{\lambda}{2} \sum \theta^2", "full": r"\lambda \sum \theta^2"},
                          {"half": "(λ/2) Σ θ²", "full": "λ Σ θ²"}),
}


# ================================================================================== the settings
@dataclass(frozen=True)
class Optimizer:
    """A file's optimizer: rule name, hyperparameters, convention, initial state and update variants."""

    name: str = "sgd"
    hyper: tuple[tuple[str, Fraction], ...] = ()
    convention: str = "pytorch"
    state: tuple[tuple[str, str, Fraction], ...] = ()  # (state name, parameter, initial value)
    t0: int = 0  # updates already made before the file's first one (Adam's bias correction)
    variant: tuple[tuple[str, Any], ...] = ()

    @property
    def rule(self) -> OptimizerRule:
        return OPTIMIZERS[self.name]

    @property
    def h(self) -> dict[str, Fraction]:
        return {**self.rule.defaults, **dict(self.hyper)}

    @property
    def v(self) -> dict[str, Any]:
        return dict(self.variant)

    @property
    def plain(self) -> bool:
        """Plain gradient descent θ ← θ − η g from the file's own parameters (the original program)."""
        return self.name == "sgd" and not self.variant

    def initial(self, name: str, parameter: str) -> Fraction:
        for s, p, value in self.state:
            if s == name and p == parameter:
                return value
        return Fraction(0)

    def with_variant(self, **changes) -> "Optimizer":
        v = {**self.v, **changes}
        return replace(self, variant=tuple(sorted((k, x) for k, x in v.items() if x)))

    def describe(self) -> str:
        hyper = ", ".join(f"{k} = {_short_number(x)}" for k, x in self.h.items())
        conv = f" ({self.convention} convention)" if self.rule.conventions else ""
        return f"{self.name}{conv}" + (f": {hyper}" if hyper else "")


@dataclass(frozen=True)
class Regularization:
    """The L2 penalty c·Σθ² (c = λ/2 for ``half``, λ for ``full``) over the weights (and biases if included)."""

    l2: Fraction = Fraction(0)
    convention: str = "half"
    include_biases: bool = False
    decoupled: bool = False  # a mistake's transformation: the penalty applied as decay θ ← θ − η λ θ instead

    @property
    def coefficient(self) -> Fraction:
        return self.l2 / 2 if self.convention == "half" else self.l2

    @property
    def active(self) -> bool:
        return bool(self.l2) and not self.decoupled

    def applies(self, parameter: str) -> bool:
        return parameter.startswith("W") or self.include_biases


PLAIN_SGD = Optimizer()
NO_REGULARIZATION = Regularization()


def _short_number(x: Fraction) -> str:
    if x.denominator == 1 and abs(x) < 10 ** 15:
        return str(x.numerator)
    text = f"{float(x):.12g}"
    return text if Fraction(text) == x else f"{x.numerator}/{x.denominator}"


# ================================================================================== parsing
OPTIMIZER_KEYS = ("name", "convention", "state", "t0")
REGULARIZATION_KEYS = ("l2", "convention", "include_biases")


def _unknown(table: str, key: str, allowed) -> DerivcheckError:
    return DerivcheckError(f"[{table}] has an unknown key {shorten(str(key))!r}{did_you_mean(str(key), allowed)}; "
                           f"allowed are {', '.join(allowed)}.")


def _number(value: Any, what: str, low: Fraction | None = None, high: Fraction | None = None,
            open_high: bool = False) -> Fraction:
    x = exact_number(value, what)
    if low is not None and x < low or high is not None and (x > high or (open_high and x == high)):
        bound = f"be {low} or more" if high is None else (f"lie from {low} to below {high}" if open_high else
                                                          f"lie from {low} to {high}")
        raise DerivcheckError(f"{what} is {_short_number(x)}; it must {bound}.")
    return x


_RANGES = {"momentum": (F(0), F(1), True), "rho": (F(0), F(1), True), "beta1": (F(0), F(1), True),
           "beta2": (F(0), F(1), True), "eps": (F(0), F(1), False), "weight_decay": (F(0), F(1), True)}


def parse_training(optimizer: Any, regularization: Any, parameters: list[str]) -> tuple[Optimizer, Regularization]:
    """Validate ``[optimizer]`` and ``[regularization]`` (each may be None) against the parameter names."""
    return _parse_optimizer(optimizer, parameters), _parse_regularization(regularization)


def _parse_optimizer(raw: Any, parameters: list[str]) -> Optimizer:
    if raw is None:
        return PLAIN_SGD
    if not isinstance(raw, dict):
        raise DerivcheckError("[optimizer] must be a table, e.g. [optimizer] with name = \"adam\".")
    name = raw.get("name", "sgd")
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise DerivcheckError(f"[optimizer] name {brief(name)} is unknown{did_you_mean(str(name), OPTIMIZERS)}; "
                              f"use one of {', '.join(OPTIMIZERS)}.")
    rule = OPTIMIZERS[name]
    allowed = OPTIMIZER_KEYS[:1] + (("convention",) if rule.conventions else ()) + tuple(rule.defaults) + OPTIMIZER_KEYS[2:]
    hyper = []
    for key, value in raw.items():
        if key not in allowed:
            if key in OPTIMIZER_KEYS or any(key in r.defaults for r in OPTIMIZERS.values()):
                raise DerivcheckError(f"[optimizer] key {key!r} does not apply to {name}; {name} takes "
                                      f"{', '.join(allowed[1:])}.")
            raise _unknown("optimizer", key, allowed)
        if key in rule.defaults:
            low, high, open_high = _RANGES[key]
            hyper.append((key, _number(value, f"[optimizer] {key}", low, high, open_high)))
    convention = raw.get("convention", "pytorch")
    if rule.conventions and convention not in rule.conventions:
        raise DerivcheckError(f"[optimizer] convention {brief(convention)} is unknown"
                              f"{did_you_mean(str(convention), rule.conventions)}; use pytorch (v ← μ v + g; "
                              f"θ ← θ − η v) or sutskever (v ← μ v − η g; θ ← θ + v).")
    t0 = raw.get("t0", 0)
    if isinstance(t0, bool) or not isinstance(t0, int) or not 0 <= t0 <= 10 ** 6:
        raise DerivcheckError(f"[optimizer] t0 is {brief(t0)}; give the number of updates already made (0 or more).")
    state = _parse_state(raw.get("state", {}), rule, parameters)
    return Optimizer(name, tuple(sorted(hyper)), convention if rule.conventions else "pytorch", state, t0)


def _parse_state(raw: Any, rule: OptimizerRule, parameters: list[str]) -> tuple:
    if not isinstance(raw, dict):
        raise DerivcheckError("[optimizer.state] must be a table of \"state(parameter)\" = number, e.g. "
                              "\"v(W1[1,1])\" = 0.5.")
    out = []
    for key, value in raw.items():
        word, _, rest = str(key).partition("(")
        parameter = rest[:-1].strip() if rest.endswith(")") else ""
        if not parameter:
            raise DerivcheckError(f"[optimizer.state] key {shorten(str(key))!r} is not of the form "
                                  f"state(parameter), e.g. \"m(W1[1,1])\".")
        state = state_word(word.strip(), rule, initial=True)
        if parameter not in parameters:
            raise DerivcheckError(f"[optimizer.state] key {shorten(str(key))!r} names {shorten(parameter)!r}, which "
                                  f"is not a parameter{did_you_mean(parameter, parameters)}.")
        out.append((state, parameter, exact_number(value, f"[optimizer.state] {shorten(str(key))}")))
    return tuple(sorted(out))


def state_word(word: str, rule: OptimizerRule, initial: bool = False) -> str:
    """The state (or derived value, or ``step``) a claim word names under ``rule``; one sentence otherwise."""
    if word in rule.words and (not initial or rule.words[word] in rule.state):
        return rule.words[word]
    if word == STEP and not initial:
        return STEP
    choices = [w for w, s in rule.words.items() if not initial or s in rule.state] + ([] if initial else [STEP])
    kept = f"keeps {', '.join(rule.state)}" if rule.state else "keeps no state"
    raise DerivcheckError(f"{shorten(word)!r} is not a state of the {rule.name} optimizer{did_you_mean(word, choices)}; "
                          f"{rule.name} {kept}" + ("" if initial else f" (claimable: {', '.join(choices)})") + ".")


def _parse_regularization(raw: Any) -> Regularization:
    if raw is None:
        return NO_REGULARIZATION
    if not isinstance(raw, dict):
        raise DerivcheckError("[regularization] must be a table, e.g. [regularization] with l2 = 0.01.")
    for key in raw:
        if key not in REGULARIZATION_KEYS:
            raise _unknown("regularization", key, REGULARIZATION_KEYS)
    l2 = _number(raw.get("l2", 0), "[regularization] l2", F(0), F(10 ** 6))
    convention = raw.get("convention", "half")
    if convention not in L2_CONVENTIONS:
        raise DerivcheckError(f"[regularization] convention {brief(convention)} is unknown"
                              f"{did_you_mean(str(convention), L2_CONVENTIONS)}; use half ((λ/2) Σ W²) or full (λ Σ W²).")
    biases = raw.get("include_biases", False)
    if not isinstance(biases, bool):
        raise DerivcheckError(f"[regularization] include_biases is {brief(biases)}; write true or false.")
    return Regularization(l2, convention, biases)
