"""The public REST API, v1 (DESIGN §8)."""

from django.urls import include, path

urlpatterns = [
    path("", include("providers.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("finance.api_urls")),
    path("", include("plans.api_urls")),
    path("", include("mediation.api_urls")),
    path("", include("portal.api_urls")),
]
