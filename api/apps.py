from django.apps import AppConfig

AUDIT_ACTIONS = {
    # a list endpoint read with page_size >= audit.BULK_PAGE_SIZE (api.pagination)
    "api.list.bulk_read": "APIによる一括読み出し",
}


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from schools import audit

        audit.register_all(AUDIT_ACTIONS)
