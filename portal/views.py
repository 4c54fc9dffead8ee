"""Site-wide pages that belong to no single app: home, about, health check, the error pages, and
the staff dashboard (which gathers what several apps have for the user)."""

import redis
from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.defaults import bad_request as site_bad_request
from django.views.defaults import page_not_found, server_error
from django.views.defaults import permission_denied as site_permission_denied

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


# --- Error pages: under /api/ every answer is JSON (DESIGN §8), elsewhere the site's pages --------
# Django answers these itself, outside the API's views: a request it refuses before a view runs or
# while a view reads it (too many form fields, too large a body), a path that matches no route,
# an error no view handled. The JSON has the API's error shape, ``{"detail": "..."}``.
def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _bad_request_detail(exception: Exception | None) -> str:
    if isinstance(exception, TooManyFieldsSent):
        return _("Too many fields in the request: at most %(max)d.") % {
            "max": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    if isinstance(exception, TooManyFilesSent):
        return _("Too many files in the request: at most %(max)d.") % {
            "max": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    if isinstance(exception, RequestDataTooBig):
        return _("The request is too large.")
    return _("The request could not be read.")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 for a request Django refused (e.g. ``DATA_UPLOAD_MAX_NUMBER_FIELDS``)."""
    if _is_api(request):
        return JsonResponse({"detail": _bad_request_detail(exception)}, status=400)
    return site_bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            {"detail": _("You do not have permission to perform this action.")}, status=403
        )
    return site_permission_denied(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404: under ``/api/`` in JSON like every other API answer (also for a path that matches no
    route, e.g. a negative id), elsewhere the site's page."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def server_failure(request: HttpRequest) -> HttpResponse:
    """500: nothing of the error itself is shown (it is logged)."""
    if _is_api(request):
        return JsonResponse({"detail": _("Server error: please try again later.")}, status=500)
    return server_error(request)


@view_role_required()
def dashboard(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    context = {}
    if actor.has_role(Role.PLANNER):
        # Planners are reminded on arrival when some of their figures are stale (DESIGN §3.1).
        context["stale_count"] = waiting_time_series_stale_count(
            actor=actor, today=timezone.localdate()
        )
    return render(request, "accounts/dashboard.html", context)
