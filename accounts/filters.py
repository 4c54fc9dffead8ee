import django_filters

from accounts.models import AuditAction, AuditEvent, AuditOutcome


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=AuditAction.choices)
    outcome = django_filters.ChoiceFilter(choices=AuditOutcome.choices)
    actor = django_filters.CharFilter(field_name="actor_label")
    object_type = django_filters.CharFilter()
    case_reference = django_filters.CharFilter()
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["action", "outcome", "actor", "object_type", "case_reference"]
