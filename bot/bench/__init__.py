"""Benchmarks: ``gridbot bench`` (bot/bench/runner.py) and its bot worker."""
