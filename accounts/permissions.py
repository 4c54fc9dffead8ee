"""The access layer every feature uses.

Two questions, answered in one place each:

* *May this actor do this kind of thing?* — :func:`role_required` (DRF) and
  :func:`view_role_required` (web UI). Not authenticated → 401 / login page; wrong role → 403,
  recorded in the audit trail as a ``denied`` attempt (NEN 7513).
* *May this actor see this object?* — scoped selectors built on :func:`scope_to_organisation`, and
  :func:`get_object_or_404_for`. An object of another organisation is **404, exactly like a missing
  one** (DESIGN §5), so the existence of other organisations' data is never revealed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission

from accounts.actors import Actor, actor_from_request
from accounts.models import AuditEvent, Membership, OrganisationKind, Role
from accounts.services import audit_refusal

M = TypeVar("M", bound=Model)

INSURER_ROLES = (Role.MEDIATOR, Role.CONTRACT_MANAGER, Role.INSURER_ADMIN)
PROVIDER_ROLES = (Role.PLANNER, Role.PROVIDER_ADMIN)
ADMIN_ROLES = (Role.INSURER_ADMIN, Role.PROVIDER_ADMIN)


def role_required(*roles: str) -> type[BasePermission]:
    """A DRF permission class that admits actors holding any of ``roles``."""

    class HasRole(BasePermission):
        message = "Your role may not perform this action."

        def has_permission(self, request: Any, view: Any) -> bool:
            actor = actor_from_request(request)
            if not actor.is_authenticated:
                return False
            if actor.has_role(*roles):
                return True
            audit_refusal(actor=actor, request=request)
            return False

    HasRole.__name__ = "HasRole_" + "_".join(roles)
    return HasRole


def view_role_required(
    *roles: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Web UI: anonymous users go to the login page; users without one of ``roles`` get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            actor = actor_from_request(request)
            if not actor.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if roles and not actor.has_role(*roles):
                audit_refusal(actor=actor, request=request)
                raise PermissionDenied
            return view(request, *args, actor=actor, **kwargs)

        return wrapped

    return decorator


def scope_to_organisation(
    queryset: QuerySet[M],
    *,
    actor: Actor,
    insurer_field: str | None = None,
    provider_field: str | None = None,
    organisation_field: str | None = None,
) -> QuerySet[M]:
    """Restrict ``queryset`` to rows that belong to the actor's organisation.

    ``insurer_field`` names the path to the owning insurer organisation, ``provider_field`` the path
    to the owning ``providers.Provider``, ``organisation_field`` the path to the owning
    organisation of any kind. An actor whose organisation owns nothing through the given fields
    (including the regulator and anonymous actors) gets an empty queryset.
    """
    organisation = actor.organisation
    if organisation is None:
        return queryset.none()
    condition = Q(pk__in=[])
    if organisation_field:
        condition |= Q(**{organisation_field: organisation})
    if insurer_field and organisation.kind == OrganisationKind.INSURER:
        condition |= Q(**{insurer_field: organisation})
    if provider_field and organisation.kind == OrganisationKind.PROVIDER:
        condition |= Q(**{provider_field: organisation.provider_id})
    return queryset.filter(condition)


def get_object_or_404_for(queryset: QuerySet[M], **lookup: Any) -> M:
    """Fetch from an already scoped queryset; foreign and missing objects both raise 404."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# --- Scoped selectors of the accounts app -------------------------------------------------------
def member_list_for(*, actor: Actor) -> QuerySet[Membership]:
    if not actor.has_role(*ADMIN_ROLES):
        return Membership.objects.none()
    return scope_to_organisation(
        Membership.objects.select_related("user", "organisation"),
        actor=actor,
        organisation_field="organisation",
    )


def api_key_list_for(*, actor: Actor) -> QuerySet:
    from accounts.models import ApiKey

    if not actor.has_role(*ADMIN_ROLES):
        return ApiKey.objects.none()
    return scope_to_organisation(
        ApiKey.objects.select_related("organisation", "created_by"),
        actor=actor,
        organisation_field="organisation",
    )


def audit_event_list_for(*, actor: Actor) -> QuerySet[AuditEvent]:
    """insurer_admin: the own organisation's trail. The regulator: every event, but the API
    serialiser leaves out patient content (case reference, object id, detail)."""
    if actor.has_role(Role.REGULATOR):
        return AuditEvent.objects.all()
    if actor.has_role(Role.INSURER_ADMIN):
        return scope_to_organisation(
            AuditEvent.objects.all(), actor=actor, organisation_field="organisation"
        )
    return AuditEvent.objects.none()
