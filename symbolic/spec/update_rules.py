"""The update rules of the optimizer table, each written once: over a number domain, and as plain-float code.

Contract
--------
Each ``<name>`` update takes the domain ``D`` (only ``D.sqrt`` is asked for; ``+ − × ÷`` are the
values' own, so Fractions, flint balls, mpmath and Python floats all run it), the parameter θ, its
gradient g, the state dict s (updated in place), the step number t (1 for the first update), the
hyperparameters h (domain numbers, the learning rate as ``"lr"``), the convention, the variant
flags v of :attr:`symbolic.spec.optimizers.Optimizer.variant` and ``decays`` (AdamW's decoupled
decay applies to this parameter); it returns (θ', derived values such as m̂ and v̂). Each
``<name>_code`` returns the same update as lines of plain-float Python over identifiers the caller
builds (never user text) and hyperparameters printed as float literals. The rule table
(:data:`symbolic.spec.optimizers.OPTIMIZERS`) is their only user.
"""
from __future__ import annotations

__all__ = ["sgd", "momentum", "nesterov", "nesterov_lookahead", "adagrad", "rmsprop", "adam",
           "sgd_code", "momentum_code", "nesterov_code", "adagrad_code", "rmsprop_code", "rmsprop_setup", "adam_code",
           "adam_setup", "adam_prelude"]


def sgd(D, th, g, s, t, h, conv, v, decays):
    return th - h["lr"] * g, {}


def momentum(D, th, g, s, t, h, conv, v, decays):
    mu, lr = h["momentum"], h["lr"]
    if conv == "sutskever":
        s["velocity"] = mu * s["velocity"] - lr * g
        return th + s["velocity"], {}
    s["velocity"] = mu * s["velocity"] + g
    return th - lr * s["velocity"], {}


def nesterov(D, th, g, s, t, h, conv, v, decays):
    mu, lr = h["momentum"], h["lr"]
    if conv == "sutskever":  # g was taken at the look-ahead point θ + μ v
        s["velocity"] = mu * s["velocity"] - lr * g
        return th + s["velocity"], {}
    s["velocity"] = mu * s["velocity"] + g
    return th - lr * (g + mu * s["velocity"]), {}


def nesterov_lookahead(th, s, h, conv):
    return th + h["momentum"] * s["velocity"] if conv == "sutskever" else th


def _root(D, x, eps, v):
    """√x + ε, or √(x + ε) for the "ε inside the root" variant."""
    return D.sqrt(x + eps) if v.get("eps_inside") else D.sqrt(x) + eps


def adagrad(D, th, g, s, t, h, conv, v, decays):
    s["G"] = s["G"] + g * g
    return th - h["lr"] * g / _root(D, s["G"], h["eps"], v), {}


def rmsprop(D, th, g, s, t, h, conv, v, decays):
    rho = h["rho"]
    s["s"] = rho * s["s"] + (1 - rho) * g * g
    return th - h["lr"] * g / _root(D, s["s"], h["eps"], v), {}


def _correction(beta, t, v):
    """1 − βᵗ (the variants: no correction, or 1 − β)."""
    kind = v.get("bias_correction", "")
    if kind == "none":
        return 1
    return 1 - beta if kind == "exponent1" else 1 - beta ** t


def adam(D, th, g, s, t, h, conv, v, decays):
    b1, b2 = h["beta1"], h["beta2"]
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    m_hat, v_hat = s["m"] / _correction(b1, t, v), s["v"] / _correction(b2, t, v)
    new = th - h["lr"] * m_hat / _root(D, v_hat, h["eps"], v)
    if decays and "weight_decay" in h:  # AdamW: decoupled decay of the parameter itself
        new = new - h["lr"] * h["weight_decay"] * th
    return new, {"m_hat": m_hat, "v_hat": v_hat}


def _complement(h, key: str) -> str:
    """1 − h[key]: the caller's name for it when it gives one (``1-beta1``), else the expression."""
    return h.get(f"1-{key}", f"(1.0 - {h[key]})")


def _float_root(x: str, h, v) -> str:
    return f"math.sqrt({x} + {h['eps']})" if v.get("eps_inside") else f"(math.sqrt({x}) + {h['eps']})"


def _float_correction(beta: str, t: str, v) -> str:
    kind = v.get("bias_correction", "")
    return "1.0" if kind == "none" else (f"(1.0 - {beta})" if kind == "exponent1" else f"(1.0 - {beta}**{t})")


# plain-float twins: p (parameter), g (gradient), s (state identifiers), h (hyperparameters as float literals),
# t (the step number's identifier); every identifier is the caller's, never user text
def sgd_code(p, g, s, h, t, conv, v, decays):
    return [f"{p} -= {h['lr']} * {g}"]


def momentum_code(p, g, s, h, t, conv, v, decays, nesterov=False):
    vel, mu, lr = s["velocity"], h["momentum"], h["lr"]
    if conv == "sutskever":
        return [f"{vel} = {mu} * {vel} - {lr} * {g}", f"{p} += {vel}"]
    step = f"({g} + {mu} * {vel})" if nesterov else vel
    return [f"{vel} = {mu} * {vel} + {g}", f"{p} -= {lr} * {step}"]


def adagrad_code(p, g, s, h, t, conv, v, decays):
    return [f"{s['G']} += {g} * {g}", f"{p} -= {h['lr']} * {g} / {_float_root(s['G'], h, v)}"]


def rmsprop_code(p, g, s, h, t, conv, v, decays):
    # over S = s / (1 − ρ) (the caller scales the state in and out, :attr:`OptimizerRule.float_scale`):
    # S ← ρ S + g², θ ← θ − (η/√(1−ρ)) g / (√S + ε/√(1−ρ)) — the same numbers, one ball operation fewer
    sq = s["s"]
    root = f"math.sqrt({sq} + eps_)" if v.get("eps_inside") else f"(math.sqrt({sq}) + eps_)"
    return [f"{sq} = {h['rho']} * {sq} + {g} * {g}", f"{p} -= lr_ * {g} / {root}"]


def rmsprop_setup(h, v):
    """Once per run: lr_ = η/√(1−ρ) and eps_ = ε/√(1−ρ) (ε/(1−ρ) inside the root) of :func:`rmsprop_code`."""
    c = _complement(h, "rho")
    eps = f"{h['eps']} / {c}" if v.get("eps_inside") else f"{h['eps']} / math.sqrt({c})"
    return [f"lr_ = {h['lr']} / math.sqrt({c})", f"eps_ = {eps}"]


def adam_code(p, g, s, h, t, conv, v, decays):
    # over M = m / (1 − β1) and V = v / (1 − β2) (the caller scales the state in and out,
    # :attr:`OptimizerRule.float_scale`), the corrections and η folded into a_ and e_ once per update
    # (:func:`adam_prelude`): M ← β1 M + g; V ← β2 V + g²; θ ← θ − a_ M / (√V + e_) — the same numbers as
    # m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ), θ ← θ − η m̂/(√v̂ + ε), with 11 ball operations per parameter instead of 15
    m, sq = s["m"], s["v"]
    root = f"math.sqrt({sq} + e_)" if v.get("eps_inside") else f"(math.sqrt({sq}) + e_)"
    lines = [f"{m} = {h['beta1']} * {m} + {g}", f"{sq} = {h['beta2']} * {sq} + {g} * {g}"]
    if decays and "weight_decay" in h:
        return lines + [f"{p} -= a_ * {m} / {root} + d_ * {p}"]
    return lines + [f"{p} -= a_ * {m} / {root}"]


def nesterov_code(p, g, s, h, t, conv, v, decays):
    return momentum_code(p, g, s, h, t, conv, v, decays, nesterov=True)


def _incremental(v) -> bool:
    """βᵗ kept as a running product (one multiplication per update, not a power): t counts up from t0."""
    return not v.get("reset_every_step") and v.get("bias_correction", "") == ""


def adam_setup(h, v):
    """Once per run, for :func:`adam_prelude`: η (1 − β1), 1/(1 − β2), βᵗ⁰ (the running powers), η λ (AdamW)."""
    lines = [f"lc1_ = {h['lr']} * {_complement(h, 'beta1')}", f"ic2_ = 1 / {_complement(h, 'beta2')}"]
    if _incremental(v):
        offset = v.get("t_offset", 0)
        lines += [f"pw1_ = {h['beta1']} ** (t0 + {offset})", f"pw2_ = {h['beta2']} ** (t0 + {offset})"]
    if "weight_decay" in h:
        lines.append(f"d_ = {h['lr']} * {h['weight_decay']}")
    return lines


def adam_prelude(h, t, v):
    """Once per update, for :func:`adam_code`: the corrections bc1_ = 1 − β1ᵗ, bc2_ = 1 − β2ᵗ, r_ = √(bc2_/(1−β2)),
    a_ = η (1−β1) r_ / bc1_ and e_ = ε r_ (ε r_² with ε inside the root): since m = (1−β1) M and
    v = (1−β2) V, η m̂/(√v̂ + ε) = a_ M/(√V + e_) and η m̂/√(v̂ + ε) = a_ M/√(V + e_)."""
    if _incremental(v):
        lines = [f"pw1_ = pw1_ * {h['beta1']}", "bc1_ = 1.0 - pw1_", f"pw2_ = pw2_ * {h['beta2']}", "bc2_ = 1.0 - pw2_"]
    else:
        lines = [f"bc1_ = {_float_correction(h['beta1'], t, v)}", f"bc2_ = {_float_correction(h['beta2'], t, v)}"]
    return lines + ["r_ = math.sqrt(bc2_ * ic2_)", "a_ = lc1_ * r_ / bc1_",
                    f"e_ = {h['eps']} * bc2_ * ic2_" if v.get("eps_inside") else f"e_ = {h['eps']} * r_"]
