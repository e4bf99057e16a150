from rest_framework.pagination import PageNumberPagination

from schools import audit
from schools.permissions import get_actor


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000

    def paginate_queryset(self, queryset, request, view=None):
        page = super().paginate_queryset(queryset, request, view)
        size = self.get_page_size(request)
        if page is not None and size is not None and size >= audit.BULK_PAGE_SIZE:
            # a bulk read of pupils' data: who read how many rows of which list, when
            audit.record_read(
                get_actor(request),
                "api.list.bulk_read",
                target_type=request.path[:60],
                params={
                    "path": request.path,
                    "query": request.META.get("QUERY_STRING", "")[:500],
                    "page_size": size,
                    "page": self.page.number,
                    "count": self.page.paginator.count,
                },
            )
        return page
