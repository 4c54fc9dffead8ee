"""Site-wide pages that belong to no single app: home, about, health check, not found, and the
staff dashboard (which gathers what several apps have for the user)."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.defaults import page_not_found

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import view_role_required
from providers.reference.selectors import norm_list
from providers.waiting_times.selectors import waiting_time_series_stale_count


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


@view_role_required()
def dashboard(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    context = {}
    if actor.has_role(Role.PLANNER):
        # Planners are reminded on arrival when some of their figures are stale (DESIGN §3.1).
        context["stale_count"] = waiting_time_series_stale_count(
            actor=actor, today=timezone.localdate()
        )
    return render(request, "accounts/dashboard.html", context)
