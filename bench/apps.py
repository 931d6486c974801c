from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmark's data generator (`manage.py bench_seed`); no models."""

    name = "bench"
    label = "bench"
    verbose_name = "Benchmarks"
