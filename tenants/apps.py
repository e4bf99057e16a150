from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "自治体 (テナント)"

    def ready(self) -> None:
        from django.core.signals import request_finished

        # the operators' job kinds (backups, purge): registered by importing them
        from tenants.backups import jobs  # noqa: F401
        from tenants.connections import close_after_many_schemas

        # Keep a worker's backend from caching the catalog of every municipality.
        request_finished.connect(close_after_many_schemas, dispatch_uid="ai_conn_max_schemas")
