"""Site-wide pages that belong to no single app: home, about, health check."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from providers.selectors.reference import norm_list


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"norms": norm_list()})


def about(request: HttpRequest) -> HttpResponse:
    return render(request, "about.html")


def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and monitoring."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
