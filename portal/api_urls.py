from django.urls import path

from portal.reports import apis as report_apis
from portal.reports import national_apis

urlpatterns = [
    path(
        "reports/regions/<str:code>/",
        report_apis.RegionalReportApi.as_view(),
        name="api-regional-report",
    ),
    path(
        "reports/national/",
        national_apis.NationalReportApi.as_view(),
        name="api-national-report",
    ),
]
