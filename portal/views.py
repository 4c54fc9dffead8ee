"""Site-wide pages that belong to no single app: home, about, health check, not found, and the
staff dashboard (which gathers what several apps have for the user)."""

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.defaults import page_not_found

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import view_role_required
from providers.reference.selectors import norm_list
from providers.waiting_times.selectors import waiting_time_series_stale_count

# The health check's own connection to Redis gives up after this many seconds.
HEALTH_REDIS_TIMEOUT = 1.0


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"norms": norm_list()})


def about(request: HttpRequest) -> HttpResponse:
    return render(request, "about.html")


def _database_check() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return "down"
    return "ok"


def _redis_check() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=HEALTH_REDIS_TIMEOUT,
        socket_timeout=HEALTH_REDIS_TIMEOUT,
    )
    try:
        client.ping()
    except redis.RedisError:  # refused, timed out, not allowed, still loading: not usable
        return "down"
    finally:
        client.close()
    return "ok"


def health(request: HttpRequest) -> JsonResponse:
    """Each dependency as the web process sees it, for load balancers and monitoring (DESIGN §7).

    ``{"status": "ok", "checks": {"database": "ok", "redis": "ok"}}`` with 200 when all is well;
    ``"status": "down"`` with 503 when a required one cannot be reached: the database always,
    Redis (broker and cache) when ``REDIS_URL`` configures it. Pages keep working without Redis,
    but tasks wait in their outbox until it is back, which monitoring must see."""
    checks = {"database": _database_check(), "redis": _redis_check()}
    healthy = all(state in ("ok", "not configured") for state in checks.values())
    response = JsonResponse(
        {"status": "ok" if healthy else "down", "checks": checks}, status=200 if healthy else 503
    )
    response["Cache-Control"] = "no-store"
    return response


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
