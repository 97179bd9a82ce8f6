"""derivcheck's numeric witness: NumPy forward pass, backprop, training, finite differences.

This package never imports SymPy, so it is an independent check of the
symbolic truth, and it is the fast path for long training runs.
"""
from .engine import Architecture, Forward, forward, gd_step, gradient, loss, output_delta, sample_losses
from .finite import central_difference, complex_step, richardson
from .functions import ACTIVATIONS, LOSSES, Activation, Loss
from .parameters import array_names, entry_index, entry_names, flatten, unflatten
from .train import TrainResult, train

__all__ = [
    "Architecture", "Forward", "forward", "gd_step", "gradient", "loss", "output_delta", "sample_losses",
    "central_difference", "complex_step", "richardson",
    "ACTIVATIONS", "LOSSES", "Activation", "Loss",
    "array_names", "entry_index", "entry_names", "flatten", "unflatten",
    "TrainResult", "train",
]
