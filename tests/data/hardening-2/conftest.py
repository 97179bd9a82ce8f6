"""Repro inputs of issue 21 (copied from ../shared/repro/hardening-2); the plugin projects are run by the tests
in their own temporary folders, never collected in place."""
collect_ignore = ["plugin", "res", "formula/mk.py", "msgs/mk.py", "msgs/formula/mk.py"]
