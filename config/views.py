"""Site-wide pages that belong to no single app: home, about, health check, not found."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.defaults import page_not_found

from providers.reference.selectors import norm_list


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"norms": norm_list()})


def about(request: HttpRequest) -> HttpResponse:
    return render(request, "about.html")


def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and monitoring."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404: under ``/api/`` in JSON like every other API answer (also for a path that matches no
    route, e.g. a negative id), elsewhere the site's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
