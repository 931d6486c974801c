"""Benchmarks and data generators (`manage.py bench_seed`, `python -m bench.run`); see docs/performance.md."""
