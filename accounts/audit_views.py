"""The audit trail page for an insurer's administrator (NEN 7513): filter the own organisation's
events and export them as CSV. The filters are those of ``GET /api/v1/audit-events/``
(``accounts.audit_apis``), so a page URL and an API URL read the same.

Looking at the trail and exporting it are recorded in the trail too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.vary import vary_on_headers

from accounts.actors import Actor
from accounts.audit_apis import AUDIT_OBJECT_TYPE, AuditEventFilter, audit_filters_used
from accounts.models import AdminRole, AuditAction, AuditEvent, Role
from accounts.permissions import audit_event_list_for, view_role_required
from accounts.services import audit_record
from core.csv_export import csv_response

EVENTS_PER_PAGE = 50
CSV_COLUMNS = [
    "occurred_at",
    "actor",
    "role",
    "organisation",
    "action",
    "object_type",
    "object_id",
    "case_reference",
    "client_ip",
    "user_agent",
    "outcome",
    "detail",
]


def _filterset(request: HttpRequest, actor: Actor) -> AuditEventFilter:
    filterset = AuditEventFilter(data=request.GET, queryset=audit_event_list_for(actor=actor))
    # The filters' help texts document the API; the page's labels say enough. The page shows the
    # own organisation only, so a filter by organisation would be noise.
    for field in filterset.form.fields.values():
        field.help_text = ""
    filterset.form.fields.pop("organisation", None)
    return filterset


def _role_labels(role: str) -> str:
    """``"contract_manager,mediator"`` (an API key) → ``"Contract manager, Mediator"``."""
    labels = dict(Role.choices) | dict(AdminRole.choices)
    return ", ".join(str(labels.get(part, part)) for part in role.split(",") if part)


def _page_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@vary_on_headers("HX-Request")
@view_role_required(Role.INSURER_ADMIN)
def audit_event_list(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    filterset = _filterset(request, actor)
    valid = filterset.is_valid()
    page = None
    if valid:
        page = Paginator(filterset.qs, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)  # read before this look is itself recorded
        for event in page.object_list:
            event.role_display = _role_labels(event.role)  # type: ignore[attr-defined]
        audit_record(
            actor=actor,
            action=AuditAction.LIST,
            object_type=AUDIT_OBJECT_TYPE,
            request=request,
            detail={"filters": audit_filters_used(filterset), "channel": "web"},
        )
    htmx = getattr(request, "htmx", None)
    is_partial = bool(htmx and not htmx.history_restore_request)
    context = {
        "filter_form": filterset.form,
        "page": page,
        "page_query": _page_query(request),
        "export_query": _page_query(request),
    }
    template = "accounts/audit_events_results.html" if is_partial else "accounts/audit_events.html"
    return render(request, template, context, status=200 if valid else 400)


def _csv_rows(events: Iterator[AuditEvent]) -> Iterator[list[Any]]:
    for event in events:
        yield [
            timezone.localtime(event.occurred_at).isoformat(timespec="seconds"),
            event.actor_label,
            event.role,
            event.organisation_label,
            event.action,
            event.object_type,
            event.object_id,
            event.case_reference,
            event.client_ip,
            event.user_agent,
            event.outcome,
            json.dumps(event.detail, ensure_ascii=False, sort_keys=True) if event.detail else "",
        ]


@view_role_required(Role.INSURER_ADMIN)
def audit_event_export(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The filtered trail as CSV (streamed: a year of an insurer's events is large)."""
    filterset = _filterset(request, actor)
    if not filterset.is_valid():
        return render(
            request,
            "accounts/audit_events.html",
            {"filter_form": filterset.form, "page": None, "page_query": "", "export_query": ""},
            status=400,
        )
    events = filterset.qs
    export_event = audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type=AUDIT_OBJECT_TYPE,
        request=request,
        detail={"filters": audit_filters_used(filterset), "rows": events.count()},
    )
    events = events.exclude(pk=export_event.pk)
    filename = f"audit-trail-{timezone.localdate().isoformat()}.csv"
    # Streamed: a year of an insurer's events is large.
    return csv_response(
        filename, CSV_COLUMNS, _csv_rows(events.iterator(chunk_size=2000)), stream=True
    )
