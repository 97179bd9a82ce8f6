"""The ``derivcheck train`` command for a ``[[layer]]`` list (a face, beside cli.py).

Contract
--------
:func:`dense_only` refuses a layer list for a dense-only command (``gradcheck``) with a sentence.
:func:`train_layered` runs ``--updates`` full-batch gradient-descent updates of a layer list on its
NumPy twin (:func:`numeric.layered_train.train`: the whole batch's gradient, batch norm with the
current statistics, the file's dropout masks), at ``--learning-rate`` or the file's
``learning_rate``, moving the biases unless the file says ``update_biases = false``. It prints
the loss before, the loss after each of the first ``--show`` updates, the loss after the last,
and every parameter entry by its canonical name. Float64, as the dense ``train`` — the exact
trajectory is what ``check`` judges ``after = N`` claims with. Options the layer list cannot
honour are one sentence: ``--batch-size`` (a mini-batch would change batch norm's statistics and
leave the given per-sample dropout masks without their samples). An optimizer or penalty (the
file's keys or the ``train`` options) prints issue 17's per-update report instead
(:func:`symbolic.train_command.train_optimizer` on the twin).
"""
from __future__ import annotations

import numpy as np

from numeric.layered_train import train
from .spec.errors import DerivcheckError
from .spec.layered_network import LayeredNetwork
from .train_command import train_optimizer, training_keys

__all__ = ["is_layered", "dense_only", "train_layered"]



def is_layered(network) -> bool:
    return isinstance(network, LayeredNetwork)


def dense_only(network, command: str) -> None:
    """Refuse a layer list for a command that works on the dense shorthand only (gradcheck)."""
    if is_layered(network):
        raise DerivcheckError(f"'{command}' works on the dense shorthand (layers = [...]); this file is a [[layer]] "
                              f"list — check its claims with 'derivcheck check' (see docs/layers.md).")


def train_layered(network: LayeredNetwork, args) -> int:
    """The ``train`` report of a layer list (see the module contract)."""
    if getattr(args, "batch_size", None) is not None:
        raise DerivcheckError("--batch-size does not apply to a [[layer]] list: a mini-batch would change batch norm's "
                              "statistics and the dropout masks are given per sample; it trains on the whole batch.")
    trained = training_keys(args, network)  # the file's [optimizer]/[regularization] and the options (issue 17)
    if trained.optimizer.name != "sgd" or trained.regularization.l2 or trained.optimizer.state:
        if trained.learning_rate is None and args.learning_rate is None:
            raise DerivcheckError("Training needs a learning rate: set learning_rate in [network] or pass "
                                  "--learning-rate.")
        lr = float(args.learning_rate if args.learning_rate is not None else trained.learning_rate)
        return train_optimizer(trained, lr, args.updates, 10 if args.show is None else args.show)
    if network.params is None or network.x is None:
        raise DerivcheckError("Training needs [parameters] and [data] in the file.")
    if network.learning_rate is None and args.learning_rate is None:
        raise DerivcheckError("Training needs a learning rate: set learning_rate in [network] or pass --learning-rate.")
    lr = float(args.learning_rate if args.learning_rate is not None else network.learning_rate)
    X, Y = np.array(network.x, dtype=float), np.array(network.y, dtype=float)
    with np.errstate(all="ignore"):  # a diverging run prints inf/nan, as the dense train does
        run = train(network.numeric_layers(), network.loss, network.numeric_params(), X, Y, lr, args.updates,
                    network.update_biases)
    show = args.show or 0
    print(f"plain gradient descent of the whole batch ({len(X)} sample(s)), learning rate {lr:g}"
          f"{'' if network.update_biases else ', biases fixed'}")
    print(f"loss before: {run.losses[0]:.12g}")
    for k in range(1, min(show, args.updates) + 1):
        print(f"  loss after update {k:,}: {run.losses[k]:.12g}")
    print(f"loss after {args.updates:,} update(s): {run.losses[-1]:.12g}")
    for array, value in run.params.items():
        value = np.asarray(value)
        for idx in np.ndindex(value.shape):
            entry = f"{array}[{','.join(str(i + 1) for i in idx)}]" if idx else array
            print(f"  {entry} = {float(value[idx]):.12g}")
    return 0
