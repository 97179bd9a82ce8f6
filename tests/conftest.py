"""Test configuration.

* When a hypothesis test fails, hypothesis's pytest plugin imports
  ``hypothesis.extra._patching`` (which imports libcst, which triggers a
  ``DeprecationWarning`` from mypy_extensions). With ``filterwarnings = error``
  that warning would crash the report with an INTERNALERROR and hide the
  failing example, so the module is imported here once, warnings silenced.
* Hypothesis profiles: ``ci`` (the default) is derandomized, so every run — CI's
  included, whose command sets no profile — draws the same examples and a random draw
  can never fail a landing; ``random`` (``HYPOTHESIS_PROFILE=random``) explores new ones.
"""
from __future__ import annotations

import argparse
import os
import re
import warnings

from hypothesis import settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import hypothesis.extra._patching  # noqa: F401
    except ImportError:  # libcst not installed: hypothesis will not import it either
        pass

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("random", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def fuzz_seeds(text: str) -> range:
    """``A:B`` (0 <= A < B, whole numbers) as ``range(A, B)``; anything else is one sentence."""
    match = re.fullmatch(r"(\d{1,9}):(\d{1,9})", text.strip())
    if not match or int(match[1]) >= int(match[2]):
        raise argparse.ArgumentTypeError(f"--fuzz-seeds takes A:B, two whole numbers with A < B (e.g. 0:4), "
                                         f"not {text[:40]!r}")
    return range(int(match[1]), int(match[2]))


def pytest_addoption(parser):
    """``--fuzz-long``: run every fuzz target of tests/test_fuzz.py with 10,000+ generated inputs (and the
    differential test of tests/test_differential.py at 250 networks). ``--fuzz-seeds A:B``: the long run in
    pieces — seeds A to B−1, each seed one piece (see tests/test_fuzz.py and tests/test_differential.py)."""
    parser.addoption("--fuzz-long", action="store_true", default=False,
                     help="fuzz each target (TOML loader, LaTeX parser, CLI) with 10,000+ inputs (slow)")
    parser.addoption("--fuzz-seeds", type=fuzz_seeds, default=None, metavar="A:B",
                     help="run the long fuzz and differential runs as pieces: seeds A..B-1, one piece each "
                          "(500 fuzz inputs per target, 25 differential networks); implies a long run")
