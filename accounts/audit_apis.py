"""The audit trail in the API (DESIGN §8: ``GET /api/v1/audit-events/``).

* ``insurer_admin`` reads the own organisation's trail, with every NEN 7513 field (who, role,
  organisation, action, object, case, when, from where, outcome, detail).
* The ``regulator`` reads every organisation's trail, but only that access happened: when, which
  role in which organisation, which action on which kind of object, and its outcome. Never which
  patient or case (case reference, object id, detail), nor the staff member's name, address or
  browser — that is personal data the regulator does not need for supervision. Filters that could
  single out a case or a person are not offered to the regulator either.
* Every other role: 403.

Reading the trail is itself recorded (action ``list`` on ``accounts.auditevent``), so that an
organisation can see who looked at its audit log.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.actors import Actor, actor_from_request
from accounts.models import AuditAction, AuditEvent, AuditOutcome, Role
from accounts.permissions import audit_event_list_for, role_required
from accounts.services import audit_record
from core.dates import validate_plausible_date
from core.filters import ApiFilterBackend
from core.serializers import ClosedSchema

AUDIT_TRAIL_ROLES = (Role.INSURER_ADMIN, Role.REGULATOR)
AUDIT_OBJECT_TYPE = "accounts.auditevent"
# Query parameters that are not filters (they never go into the audit event's detail).
_NOT_FILTERS = {"page", "page_size", "format"}


def _start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` in the site's time zone (Europe/Amsterdam)."""
    return timezone.make_aware(datetime.combine(day, time.min))


class AuditFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("The end date lies before the start date."))
        return cleaned


class RegulatorAuditEventFilter(django_filters.FilterSet):
    """Filters without patient or person content: what the regulator may narrow down by."""

    action = django_filters.ChoiceFilter(
        choices=AuditAction.choices,
        label=_("Action"),
        empty_label=_("All actions"),
        help_text="The action",
    )
    outcome = django_filters.ChoiceFilter(
        choices=AuditOutcome.choices,
        label=_("Outcome"),
        empty_label=_("All outcomes"),
        help_text="The outcome",
    )
    object_type = django_filters.CharFilter(
        label=_("Object type"), help_text="Kind of object, `<app>.<model>`, e.g. `mediation.case`"
    )
    # An API key acts in several roles at once, stored as e.g. "contract_manager,mediator".
    role = django_filters.ChoiceFilter(
        choices=Role.choices,
        field_name="role",
        lookup_expr="icontains",
        label=_("Role"),
        empty_label=_("All roles"),
        help_text="Role of the actor, e.g. `mediator`",
    )
    organisation = django_filters.CharFilter(
        method="filter_organisation",
        label=_("Organisation code"),
        help_text="Organisation of the actor, by UZOVI code (insurer) or AGB code (provider)",
    )
    # Plausible dates only (1900 up to ten years ahead): year 1 or 9999 ran off the calendar
    # when turned into a bound (a 500).
    date_from = django_filters.DateFilter(
        method="filter_date_from",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_plausible_date],
        help_text="Events on or after this date (ISO, Dutch time; from 1900 up to 10 years ahead)",
    )
    date_to = django_filters.DateFilter(
        method="filter_date_to",
        label=_("Up to and including"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_plausible_date],
        help_text="Events on or before this date (ISO, Dutch time; from 1900 up to 10 years ahead)",
    )

    # The insurer admin's filters on case, object and person are not the regulator's: they are
    # checked like any parameter (well-formed, not empty) and then ignored, so that the answer
    # says nothing about whether such a case or person exists.
    user = django_filters.CharFilter(method="filter_ignored")
    case_reference = django_filters.CharFilter(method="filter_ignored")
    object_id = django_filters.CharFilter(method="filter_ignored")

    class Meta:
        model = AuditEvent
        fields: list[str] = []
        form = AuditFilterForm

    def filter_ignored(
        self, queryset: QuerySet[AuditEvent], name: str, value: str
    ) -> QuerySet[AuditEvent]:
        return queryset

    def filter_organisation(
        self, queryset: QuerySet[AuditEvent], name: str, value: str
    ) -> QuerySet[AuditEvent]:
        code = value.strip()
        return queryset.filter(
            Q(organisation__uzovi=code) | Q(organisation__provider__agb_code=code)
        )

    # Bounds are computed in Dutch time and compared on the indexed timestamp itself (a
    # ``__date`` lookup would convert every row).
    def filter_date_from(
        self, queryset: QuerySet[AuditEvent], name: str, value: date
    ) -> QuerySet[AuditEvent]:
        return queryset.filter(occurred_at__gte=_start_of(value))

    def filter_date_to(
        self, queryset: QuerySet[AuditEvent], name: str, value: date
    ) -> QuerySet[AuditEvent]:
        return queryset.filter(occurred_at__lt=_start_of(value + timedelta(days=1)))


class AuditEventFilter(RegulatorAuditEventFilter):
    """The insurer_admin's filters: also by person, case and object."""

    user = django_filters.CharFilter(
        field_name="actor_label",
        label=_("User"),
        help_text="Username of the actor (or `api-key:<prefix>` for an API key)",
    )
    case_reference = django_filters.CharFilter(
        method="filter_case_reference",
        label=_("Case reference"),
        help_text="Case reference, e.g. `ZB-2026-000123`",
    )
    object_id = django_filters.CharFilter(
        label=_("Object id"), help_text="Id of the object (with `object_type`)"
    )

    class Meta(RegulatorAuditEventFilter.Meta):
        fields: list[str] = []

    def filter_case_reference(
        self, queryset: QuerySet[AuditEvent], name: str, value: str
    ) -> QuerySet[AuditEvent]:
        return queryset.filter(case_reference=value.strip().upper())


def audit_filter_class_for(actor: Actor) -> type[RegulatorAuditEventFilter]:
    if actor.has_role(Role.INSURER_ADMIN):
        return AuditEventFilter
    return RegulatorAuditEventFilter


def audit_filters_used(filterset: RegulatorAuditEventFilter) -> dict[str, str]:
    """The filters of a request as recorded in the audit event of reading the trail (not the
    ones ignored for the regulator)."""
    return {
        key: str(value)
        for key, value in filterset.data.items()
        if key in filterset.filters
        and key not in _NOT_FILTERS
        and value not in ("", None)
        and filterset.filters[key].method != "filter_ignored"
    }


class AuditEventOutputSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor_label", help_text="Username, or `api-key:<prefix>` for an API key"
    )
    organisation = serializers.CharField(source="organisation_label")

    class Meta:
        model = AuditEvent
        fields = [
            "id",
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
        read_only_fields = fields


class RegulatorAuditEventOutputSerializer(ClosedSchema, serializers.ModelSerializer):
    """That access happened — never which patient, case or staff member."""

    organisation = serializers.CharField(source="organisation_label")

    class Meta:
        model = AuditEvent
        fields = ["id", "occurred_at", "role", "organisation", "action", "object_type", "outcome"]
        read_only_fields = fields


class _AuditFilterBackend(ApiFilterBackend):
    """The filter set depends on who asks (see the module docstring)."""

    def get_filterset_class(self, view: Any, queryset: Any = None) -> Any:
        if getattr(view, "swagger_fake_view", False):
            return AuditEventFilter
        return audit_filter_class_for(actor_from_request(view.request))


@extend_schema_view(
    get=extend_schema(
        summary="The audit trail",
        description=(
            "Newest first. `insurer_admin`: the own organisation's events with every field. "
            "`regulator`: every organisation's events with `id`, `occurred_at`, `role`, "
            "`organisation`, `action`, `object_type` and `outcome` only, filterable by `action`, "
            "`outcome`, `object_type`, `role`, `organisation`, `date_from` and `date_to`; the "
            "filters `user`, `case_reference` and `object_id` are for `insurer_admin` only."
        ),
        responses=PolymorphicProxySerializer(
            component_name="AuditEventByRole",
            serializers=[AuditEventOutputSerializer, RegulatorAuditEventOutputSerializer],
            resource_type_field_name=None,
            many=True,
        ),
    )
)
class AuditEventListApi(generics.ListAPIView):
    permission_classes = [role_required(*AUDIT_TRAIL_ROLES)]
    filter_backends = [_AuditFilterBackend]
    serializer_class = AuditEventOutputSerializer

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return audit_event_list_for(actor=actor_from_request(self.request))

    def get_serializer_class(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return AuditEventOutputSerializer
        if actor_from_request(self.request).has_role(Role.INSURER_ADMIN):
            return AuditEventOutputSerializer
        return RegulatorAuditEventOutputSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        actor = actor_from_request(request)
        filterset = audit_filter_class_for(actor)(data=request.query_params)
        audit_record(
            actor=actor,
            action=AuditAction.LIST,
            object_type=AUDIT_OBJECT_TYPE,
            request=request,
            detail={"filters": audit_filters_used(filterset), "channel": "api"},
        )
        return response
