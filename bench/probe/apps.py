from django.apps import AppConfig


class ProbeConfig(AppConfig):
    """A tenant app that exists only while the migration benchmark runs."""

    name = "bench.probe"
    label = "bench_probe"
