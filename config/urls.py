from types import ModuleType
from typing import Any

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.http import HttpResponseBase
from django.urls import URLPattern, include, path
from django.views import View
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.request import Request

from accounts import urls as accounts_urls
from portal import urls as portal_urls
from providers import urls as providers_urls


def _with_portal(app_urls: ModuleType, portal_patterns: list[URLPattern]) -> tuple:
    """An app's URLs under its own namespace, together with the portal's pages that carry a name
    in that namespace (the app cannot include them itself: portal is the floor above it)."""
    return include((app_urls.urlpatterns + portal_patterns, app_urls.app_name))


class SwaggerUiView(SpectacularSwaggerSplitView):
    """Swagger UI's page. ``OPTIONS`` answers as any page does (200, ``Allow``), not with DRF's
    endpoint description, which its HTML renderer cannot render (a 500; issue 12)."""

    def options(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        return View.options(self, request, *args, **kwargs)


urlpatterns = [
    path("", include("portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", _with_portal(accounts_urls, portal_urls.accounts_patterns)),
    path("", _with_portal(providers_urls, portal_urls.providers_patterns)),
    path("bemiddeling/", include("mediation.urls")),
    path("plannen/", include("plans.urls")),
    path("financien/", include("finance.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # Swagger UI's page carries one inline <style> block; allow inline styles on this page
        # only (scripts stay 'self'-only everywhere).
        csp_update({"style-src": [UNSAFE_INLINE]})(SwaggerUiView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]

# Under /api/ these answer JSON, elsewhere the site's pages (portal.views).
handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.not_found"
handler500 = "portal.views.server_failure"
