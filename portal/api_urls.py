from django.urls import path

from portal.reports import apis as report_apis

urlpatterns = [
    path(
        "reports/regions/<str:code>/",
        report_apis.RegionalReportApi.as_view(),
        name="api-regional-report",
    ),
]
