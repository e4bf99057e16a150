from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Long work (exports, generation, backups) run by a Procrastinate worker, with a record per job.

    Installed in both SHARED_APPS and TENANT_APPS: a municipality's jobs (their parameters and
    results hold pupils' data) live in its own schema, operators' jobs in ``public``.
    """

    name = "tenants.jobs"
    label = "jobs"
    verbose_name = "バックグラウンド処理"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from tenants.jobs import selfcheck  # noqa: F401 (registers the 動作確認 kind)

        # Each app registers its job kinds in its own ``jobs.py`` (tenants knows no domain app).
        autodiscover_modules("jobs")
