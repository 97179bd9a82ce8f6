"""Gradient checks for users' own tests: numeric gradcheck and comparison with the exact gradient.

Contract
--------
* :func:`gradcheck` — compares an analytic gradient with a numeric one
  (central differences, complex step or Richardson extrapolation, all from
  :mod:`numeric.finite`) with torch-style tolerances: entry ``k`` passes when
  ``|analytic − numeric| ≤ atol + rtol·|numeric|`` (defaults ``eps=1e-6``,
  ``atol=1e-5``, ``rtol=1e-3``, everything in float64). On a mismatch it
  raises :class:`AssertionError` naming every bad entry (``W2[1,2]``, 1-based)
  with both values; otherwise it returns the numeric gradient (a non-empty,
  hence truthy, dict).
* :func:`assert_gradients_match` — compares a user's gradient function with
  the *exact* symbolic gradient (:class:`symbolic.truth.exact.Truth`) of a
  :class:`symbolic.spec.network.Network` at the network's own point, at points
  the caller gives and at ``n_random`` reproducible random points. The user's
  function has the signature ``my_grad_fn(params, x, y) -> grads``:

  - ``params``: ``{"W1": (n_1, n_0) array, "b1": (n_1,) array (or () for a
    shared bias), "W2": ..., ...}``, float64, one key per array the network
    has (no ``b{l}`` key for a layer with bias ``"none"``);
  - ``x``: shape ``(n_0,)`` and ``y``: shape ``(n_L,)`` — one sample; with
    ``batch=True`` instead ``(m, n_0)`` and ``(m, n_L)``, rows are samples,
    and the loss is the mean over the rows;
  - returns ``dL/dθ`` with the same keys and shapes as ``params``.

  A mismatch raises :class:`AssertionError` naming each wrong entry
  (``dL/dW2[1,2]``), the user's and the exact value, and, when the user's
  number is the exact value of another entry, which one (a transposed or
  shifted index).
* :func:`make_network` builds a network with reproducible round-number
  parameters and data; :func:`standard_network` returns the seeds' networks
  (``"mazur"`` 2-2-2 of seed 002, ``"sigai"`` 3-4-2 of seed 003, ``"lagou"``
  2-2-1 of seed 004). Both live in :mod:`symbolic.spec.standard` and are
  re-exported here; the pytest plugin exposes both as fixtures.

Nothing here evaluates user text; values are exact Fractions of the float64
numbers the user's function sees, so "exact" means exact at that point.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Iterable, Mapping

import numpy as np

import numeric
from numeric.parameters import array_names, entry_index

from .spec.errors import DerivcheckError, KinkError
from .spec.network import Network
from .spec.rules import LOSSES
from .spec.standard import STANDARD_NETWORKS, make_network, standard_network
from .truth.exact import Truth

__all__ = [
    "gradcheck", "assert_gradients_match", "make_network", "standard_network", "STANDARD_NETWORKS",
    "METHODS", "GradFn",
]

Params = dict[str, np.ndarray]
GradFn = Callable[[Params, np.ndarray, np.ndarray], Mapping[str, Any]]
METHODS = ("central", "complex", "richardson")
_MAX_LISTED = 8


# ----------------------------------------------------------------- naming
def _entry(key: str, idx: tuple[int, ...]) -> str:
    """``("W2", (0, 1))`` → ``"W2[1,2]"``; a scalar array is its key alone."""
    return f"{key}[{','.join(str(i + 1) for i in idx)}]" if idx else key


def _g(v: float) -> str:
    return f"{v:.10g}"


# -------------------------------------------------------------- gradcheck
def _as_params(params: Mapping[str, Any] | np.ndarray) -> tuple[Params, bool]:
    if isinstance(params, Mapping):
        if not params:
            raise ValueError("gradcheck needs at least one parameter array.")
        out = {}
        for k, v in params.items():
            arr = np.array(v, dtype=np.float64, copy=True)
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"parameter {k!r} contains non-finite values; gradcheck needs a finite point.")
            out[str(k)] = arr
        return out, False
    return _as_params({"params": params})[0], True


def _as_gradient(raw: Any, params: Params, single: bool, who: str) -> Params:
    if single and not isinstance(raw, Mapping):
        raw = {"params": raw}
    if not isinstance(raw, Mapping):
        raise AssertionError(f"{who} returned {type(raw).__name__}, not a dict of arrays keyed like params "
                             f"({', '.join(params)}).")
    out = {}
    for k, p in params.items():
        if k not in raw:
            raise AssertionError(f"{who} has no entry for parameter {k!r}; it must have the keys {', '.join(params)}.")
        g = np.asarray(raw[k])
        if np.iscomplexobj(g):
            raise AssertionError(f"{who} for {k!r} is complex; give the real gradient.")
        g = g.astype(np.float64)
        if g.shape != p.shape:
            if g.size == p.size == 1:
                g = g.reshape(p.shape)
            else:
                hint = " (transposed?)" if g.shape == p.shape[::-1] and g.ndim == 2 else ""
                raise AssertionError(f"{who} for {k!r} has shape {g.shape}, but {k} has shape {p.shape}{hint}.")
        out[k] = g
    return out


def gradcheck(
    fn: Callable[[Params], Any],
    params: Mapping[str, Any] | np.ndarray,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    method: str = "central",
    analytic: Mapping[str, Any] | Callable[[Params], Mapping[str, Any]] | np.ndarray | None = None,
) -> Params:
    """Check an analytic gradient of the scalar function ``fn`` against a numeric one.

    ``fn(params) -> float`` takes a dict of float64 arrays (a single array
    ``params`` is passed as ``{"params": array}``). ``analytic`` is the
    gradient to check: a dict keyed like ``params``, or a callable
    ``analytic(params) -> dict``; when it is ``None``, ``fn`` itself must
    return ``(value, gradient)``. ``method`` picks the numeric witness:
    ``"central"`` differences (step ``eps``), ``"complex"`` step (``fn`` must
    accept complex arrays: no ``abs``, ``max`` or comparisons on the
    parameters) or ``"richardson"`` extrapolation of central differences with
    steps ``eps`` and ``eps/2``.

    >>> import numpy as np
    >>> f = lambda p: float(np.sum(p["w"] ** 2))
    >>> g = gradcheck(f, {"w": np.array([1.0, -2.0])}, analytic={"w": np.array([2.0, -4.0])})
    >>> np.round(g["w"], 6).tolist()
    [2.0, -4.0]
    >>> gradcheck(f, {"w": np.array([1.0, -2.0])}, analytic={"w": np.array([2.0, 4.0])})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: gradcheck (central differences, eps=1e-06) failed for 1 of 2 entries: w[2]: analytic 4, numeric -4...
    """
    if method not in METHODS:
        raise ValueError(f"method {method!r} is unknown; use one of {', '.join(METHODS)}.")
    if not (eps > 0 and atol >= 0 and rtol >= 0):
        raise ValueError("eps must be positive and atol, rtol non-negative.")
    point, single = _as_params(params)

    def call(p: Params):
        return fn(p["params"] if single else p)

    def value(p: Params):
        out = call(p)
        if analytic is None:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError("with analytic=None, fn must return (value, gradient).")
            out = out[0]
        v = np.asarray(out)
        if v.size != 1:
            raise TypeError(f"fn must return a scalar, not an array of shape {v.shape}.")
        v = v.reshape(())[()]
        return v if method == "complex" else float(np.real(v))

    if analytic is None:
        raw = call({k: v.copy() for k, v in point.items()})[1]
    elif callable(analytic):
        raw = analytic(point["params"].copy() if single else {k: v.copy() for k, v in point.items()})
    else:
        raw = analytic
    grad = _as_gradient(raw, point, single, "the analytic gradient")

    if method == "central":
        numeric_grad, what = numeric.central_difference(value, point, eps), f"central differences, eps={eps:g}"
    elif method == "complex":
        numeric_grad, what = numeric.complex_step(value, point, eps), f"complex step, eps={eps:g}"
    else:
        numeric_grad, what = numeric.richardson(value, point, eps), f"Richardson extrapolation, eps={eps:g}"

    bad = []
    total = 0
    for k in point:
        a, n = grad[k], np.asarray(numeric_grad[k], dtype=np.float64)
        for idx in np.ndindex(n.shape):
            total += 1
            if not np.isfinite(n[idx]):
                bad.append(f"{_entry(k, idx)}: numeric derivative is {n[idx]} (is fn finite and smooth here?)")
            elif not abs(a[idx] - n[idx]) <= atol + rtol * abs(n[idx]):
                bad.append(f"{_entry(k, idx)}: analytic {_g(a[idx])}, numeric {_g(n[idx])} "
                           f"(|diff| {abs(a[idx] - n[idx]):.3g} > atol + rtol·|numeric| = "
                           f"{atol + rtol * abs(n[idx]):.3g})")
    if bad:
        listed = "; ".join(bad[:_MAX_LISTED]) + (f"; … and {len(bad) - _MAX_LISTED} more" if len(bad) > _MAX_LISTED else "")
        raise AssertionError(f"gradcheck ({what}) failed for {len(bad)} of {total} entries: {listed}")
    return numeric_grad


# ------------------------------------------------------ exact comparison
def _exact(value: Any) -> Fraction:
    return Fraction(float(value))  # the exact binary value the user's function sees


def _network_at(network: Network, params: Params, X: np.ndarray, Y: np.ndarray) -> Network:
    nested: dict[str, Any] = {}
    for k, arr in params.items():
        nested[k] = np.vectorize(_exact, otypes=[object])(arr).tolist() if arr.ndim else _exact(arr)
    to_rows = lambda A: [[_exact(v) for v in row] for row in A]  # noqa: E731
    return Network.build(network.layers, network.activations, network.loss, network.bias,
                         network.learning_rate, network.update_biases, params=nested, x=to_rows(X), y=to_rows(Y))


def _shapes(network: Network) -> dict[str, tuple[int, ...]]:
    out = {}
    for name in array_names(network.architecture):
        l = int(name[1:])
        if name[0] == "W":
            out[name] = (network.layers[l], network.layers[l - 1])
        else:
            out[name] = () if network.bias[l - 1] == "shared" else (network.layers[l],)
    return out


def _point_from(network: Network, point: Any, shapes: dict) -> tuple[Params, np.ndarray, np.ndarray]:
    """A user point: a mapping with optional "params", "x", "y", or a tuple (params, x, y)."""
    if isinstance(point, Mapping):
        unknown = set(point) - {"params", "x", "y"}
        if unknown:
            raise ValueError(f"a point has unknown key(s) {', '.join(sorted(unknown))}; use params, x and y.")
        raw_params, x, y = point.get("params"), point.get("x"), point.get("y")
    elif isinstance(point, (tuple, list)) and len(point) == 3:
        raw_params, x, y = point
    else:
        raise ValueError("each point must be a dict with params/x/y or a tuple (params, x, y).")
    if raw_params is None:
        if network.params is None:
            raise ValueError("a point without params needs a network that has parameter values.")
        params = network.numeric_params()
    else:
        params = {}
        for k, shape in shapes.items():
            if k not in raw_params:
                raise ValueError(f"a point's params lack {k!r}; give every one of {', '.join(shapes)}.")
            params[k] = np.array(raw_params[k], dtype=np.float64).reshape(shape)
    if x is None or y is None:
        if network.x is None:
            raise ValueError("a point without x and y needs a network that has data.")
        X0, Y0 = network.numeric_data()
        x = X0 if x is None else x
        y = Y0 if y is None else y
    X = np.atleast_2d(np.array(x, dtype=np.float64))
    Y = np.atleast_2d(np.array(y, dtype=np.float64))
    return params, X, Y


def _random_point(network: Network, shapes: dict, rng: np.random.Generator, m: int):
    params = {k: rng.uniform(-1, 1, size=s) for k, s in shapes.items()}
    X = rng.uniform(-1, 1, size=(m, network.layers[0]))
    if LOSSES[network.loss].targets == "distribution":  # one-hot targets
        Y = np.eye(network.layers[-1])[rng.integers(network.layers[-1], size=m)]
    else:
        Y = rng.uniform(0, 1, size=(m, network.layers[-1]))
    return params, X, Y


def assert_gradients_match(
    network: Network,
    my_grad_fn: GradFn,
    *,
    points: Iterable[Any] = (),
    n_random: int = 3,
    seed: int = 0,
    include_network_point: bool = True,
    batch: bool = False,
    atol: float = 1e-9,
    rtol: float = 1e-7,
) -> int:
    """Assert that ``my_grad_fn`` computes the exact dL/dθ of ``network`` (see the module contract).

    Points checked: the network's own parameters and data (if it has them and
    ``include_network_point``), then every entry of ``points`` (a dict with
    any of ``params``/``x``/``y``, the rest taken from the network, or a tuple
    ``(params, x, y)``), then ``n_random`` random points drawn with
    ``numpy.random.default_rng(seed)`` (parameters and inputs uniform in
    [-1, 1], targets in [0, 1], one-hot for softmax cross-entropy). Without
    ``batch``, every sample of a point is checked on its own. An entry passes
    when ``|yours − exact| ≤ atol + rtol·|exact|``. Returns the number of
    (point, sample) cases checked.
    """
    if not isinstance(network, Network):
        raise TypeError("network must be a symbolic.Network (see make_network / standard_network).")
    shapes = _shapes(network)
    index = entry_index(network.architecture)
    rng = np.random.default_rng(seed)
    cases: list[tuple[str, Params, np.ndarray, np.ndarray]] = []
    if include_network_point and network.params is not None and network.x is not None:
        X, Y = network.numeric_data()
        cases.append(("the network's own point", network.numeric_params(), X, Y))
    for k, p in enumerate(points, 1):
        cases.append((f"given point {k}",) + _point_from(network, p, shapes))
    drawn = 0
    attempts = 0
    while drawn < n_random:
        attempts += 1
        if attempts > 10 * n_random + 10:
            raise DerivcheckError("Could not draw random points off relu's kink; give points explicitly.")
        params, X, Y = _random_point(network, shapes, rng, 4 if batch else 1)
        try:
            _network_at(network, params, X, Y)  # validates; kinks are found below
        except DerivcheckError:
            continue
        cases.append((f"random point {drawn + 1} (seed {seed})", params, X, Y))
        drawn += 1

    checked = 0
    for label, params, X, Y in cases:
        groups = [(X, Y, "")] if batch else [
            (X[s:s + 1], Y[s:s + 1], f", sample {s + 1}" if len(X) > 1 else "") for s in range(len(X))]
        for Xs, Ys, which in groups:
            where = f"{label}{which}"
            try:
                exact = Truth(_network_at(network, params, Xs, Ys)).gradient()
            except KinkError:
                if label.startswith("random"):
                    continue
                raise
            user_params = {k: v.copy() for k, v in params.items()}
            raw = my_grad_fn(user_params, Xs.copy() if batch else Xs[0].copy(), Ys.copy() if batch else Ys[0].copy())
            grads = _as_gradient(raw, {k: np.asarray(v, dtype=np.float64) for k, v in params.items()},
                                 False, f"{getattr(my_grad_fn, '__name__', 'my_grad_fn')}'s gradient")
            exact_f = {e: float(v) for e, v in exact.items()}
            bad = []
            for entry, (name, idx) in index.items():
                yours = float(grads[name][idx])
                truth = exact_f[entry]
                if np.isfinite(yours) and abs(yours - truth) <= atol + rtol * abs(truth):
                    continue
                twins = [o for o, v in exact_f.items()
                         if o != entry and abs(yours - v) <= atol + rtol * abs(v)]
                hint = f" — that is the exact dL/d{twins[0]} (wrong index?)" if twins else ""
                bad.append(f"dL/d{entry}: yours {_g(yours)}, exact {_g(truth)}{hint}")
            checked += 1
            if bad:
                fn_name = getattr(my_grad_fn, "__name__", "my_grad_fn")
                values = "; ".join(f"{k}={_g(float(v))}" for k, v in
                                   numeric.flatten(network.architecture, params).items())
                data = f"x={np.array2string(Xs if batch else Xs[0], precision=6)}, " \
                       f"y={np.array2string(Ys if batch else Ys[0], precision=6)}"
                listed = "\n  ".join(bad[:_MAX_LISTED])
                more = f"\n  … and {len(bad) - _MAX_LISTED} more" if len(bad) > _MAX_LISTED else ""
                raise AssertionError(
                    f"{fn_name} disagrees with the exact gradient at {where} in {len(bad)} of {len(index)} "
                    f"entries (tolerance atol={atol:g}, rtol={rtol:g}):\n  {listed}{more}\n"
                    f"  at {values}; {data}")
    return checked
