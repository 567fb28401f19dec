"""Benchmarks of retrosense: throughput, streaming cost, memory, end-to-end delay, CSV reading.

Run ``python -m benchmarks`` from the project's root (see ``benchmarks/run.py`` for options).
CI never times anything; these figures are measured here and quoted in README.md.
"""
