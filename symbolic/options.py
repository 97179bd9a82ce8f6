"""The command line's option types: every numeric option validated by argparse, with one sentence.

Contract
--------
Each function is an argparse ``type=``: it returns the parsed value or raises
``argparse.ArgumentTypeError`` with a short reason (argparse prints it as one usage line,
exit status 2). :func:`whole_number` builds a type for a whole number in a range (``--jobs``,
``--updates``, ``--batch-size``, ``--digits``); :func:`learning_rate` is a finite number above 0;
:func:`seed` a whole number, 0 or more (what NumPy accepts). Echoed text is cut to 60 characters
with control characters escaped.
"""
from __future__ import annotations

import argparse

from .terminal import visible

__all__ = ["whole_number", "learning_rate", "seed"]


def whole_number(lo: int, hi: int, what: str):
    """An argparse type: a whole number in lo..hi (one sentence otherwise)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{visible(text[:60])!r} is not a whole number") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{text[:60]} is out of range; {what} is {lo:,} to {hi:,}")
        return value
    return parse


def learning_rate(text: str) -> float:
    """An argparse type: a learning rate, a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{visible(text[:60])!r} is not a number") from None
    if not (value > 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"{text[:60]} is not a learning rate; give a finite number above 0")
    return value


def seed(text: str) -> int:
    """A random seed as NumPy takes it: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:60]!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; a seed is a whole number, 0 or more")
    return value
