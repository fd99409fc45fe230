"""Benchmarks of specbase: scripts that measure, never tests that assert a speed."""
