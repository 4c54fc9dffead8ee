from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """DESIGN §8: ``{"count", "next", "previous", "results"}``; 50 per page by default,
    ``?page_size=`` up to 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
