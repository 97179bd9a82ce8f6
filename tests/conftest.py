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

import os
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


def pytest_addoption(parser):
    """``--fuzz-long``: run every fuzz target of tests/test_fuzz.py with 10,000+ generated inputs."""
    parser.addoption("--fuzz-long", action="store_true", default=False,
                     help="fuzz each target (TOML loader, LaTeX parser, CLI) with 10,000+ inputs (slow)")
