"""URL configurations for the search page's tests: the site with and without a mediation request
page (which another part of the product provides), so the page's link can be tested either way."""

from django.http import HttpRequest, HttpResponse
from django.urls import URLResolver, include, path

from config.urls import urlpatterns as site_urlpatterns


def request_create(request: HttpRequest) -> HttpResponse:
    return HttpResponse("mediation request form")


def _without_mediation(patterns: list) -> list:
    return [p for p in patterns if not (isinstance(p, URLResolver) and p.namespace == "mediation")]


class WithMediation:
    urlpatterns = [
        *_without_mediation(site_urlpatterns),
        path(
            "bemiddeling/",
            include(([path("aanvragen/", request_create, name="request-create")], "mediation")),
        ),
    ]


class WithoutMediation:
    urlpatterns = _without_mediation(site_urlpatterns)
