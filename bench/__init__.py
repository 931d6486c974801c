"""Benchmarks and data generators; see docs/performance.md.

- customers and lists: `manage.py bench_seed`, `python -m bench.run` (`make bench`);
- the stock ledger: `manage.py bench_stock_seed`, `python -m bench.stock` (`make bench-stock`), against
  Tryton's stock module in its own virtualenv (`bench/tryton_stock.py`).
"""
