from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "自治体 (テナント)"

    def ready(self) -> None:
        # --- backup (issue 13): the operators' job kinds (backups, purge) ---
        from tenants.backups import jobs  # noqa: F401
