"""Web UI of the portal: the site pages (no namespace), and the dashboard and regional report,
which keep their names in the accounts and providers namespaces (``accounts:dashboard``,
``providers:regional-report``). ``config/urls.py`` includes ``accounts_patterns`` and
``providers_patterns`` there, beside those apps' own URLs: an app's urls.py cannot import the
portal (DESIGN §4, floors)."""

from django.urls import path

from portal import views
from portal.reports import views as report_views

urlpatterns = [
    path("", views.home, name="home"),
    path("over/", views.about, name="about"),
    path("health/", views.health, name="health"),
]

accounts_patterns = [
    path("", views.dashboard, name="dashboard"),
]

providers_patterns = [
    path(
        "rapportages/regio/",
        report_views.regional_report_index,
        name="regional-report-index",
    ),
    path(
        "rapportages/regio/<str:code>/",
        report_views.regional_report_view,
        name="regional-report",
    ),
    path(
        "rapportages/landelijk/",
        report_views.national_report_view,
        name="national-report",
    ),
]
