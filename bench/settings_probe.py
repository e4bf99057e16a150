"""Settings for the migration benchmark: Ai plus one tenant app whose migration is 'new'."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS, TENANT_APPS

TENANT_APPS = [*TENANT_APPS, "bench.probe"]
INSTALLED_APPS = [*INSTALLED_APPS, "bench.probe"]
# The probe's migrations live in a temporary package the benchmark writes (see bench/provisioning.py).
MIGRATION_MODULES = {"bench_probe": "ai_bench_probe_migrations"}
LOGGING = {"version": 1, "disable_existing_loggers": False}
