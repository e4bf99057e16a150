from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "自治体 (テナント)"

    def ready(self) -> None:
        # --- backup (issue 13): the operators' job kinds (backups, purge) ---
        from tenants.backups import jobs  # noqa: F401

        from django.core.signals import request_finished

        from tenants.connections import close_after_many_schemas

        # Keep a worker's backend from caching the catalog of every municipality.
        request_finished.connect(close_after_many_schemas, dispatch_uid="ai_conn_max_schemas")
