"""The HTTP benchmark: the generated app against a hand-written one and a raw floor.

Run it with ``uv run python -m benchmarks.http --help``. The package stays free of
imports so that the load generator, a subprocess, starts fast.
"""
