from rest_framework import serializers

from accounts.models import AuditEvent, Organisation


class InsurerOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["uzovi", "name"]


class AuditEventOutputSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation_label")
    actor = serializers.CharField(source="actor_label")

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


class RegulatorAuditEventOutputSerializer(AuditEventOutputSerializer):
    """The regulator sees that access happened, never which patient or what content."""

    class Meta(AuditEventOutputSerializer.Meta):
        fields = [
            "id",
            "occurred_at",
            "actor",
            "role",
            "organisation",
            "action",
            "object_type",
            "outcome",
        ]
