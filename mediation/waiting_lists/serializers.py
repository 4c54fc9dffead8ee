"""Serializers of the waiting-list, scan and invitation endpoints (DESIGN §8; one input and one
output serializer per endpoint; field names exactly DESIGN §3.6)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from mediation.waiting_lists.models import (
    NOT_INVITED_REASONS,
    ProactiveScan,
    WaitingListEntry,
)


class WaitingListUploadedSerializer(serializers.Serializer):
    entries = serializers.IntegerField()
    closed = serializers.IntegerField()
    duplicates = serializers.IntegerField()


class WaitingListEntryInputSerializer(serializers.Serializer):
    """One entry as the API takes it (for the schema; the rules are the upload service's, which
    reports each row's errors with its position counted from 1)."""

    external_id = serializers.CharField(max_length=64)
    location = serializers.CharField(max_length=16)
    insurer = serializers.CharField(max_length=4)
    policy_number = serializers.CharField(max_length=32)
    full_name = serializers.CharField(max_length=200)
    birth_date = serializers.DateField()
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    postcode = serializers.CharField(max_length=8)
    specialism = serializers.CharField(max_length=4)
    treatment = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    kind = serializers.ChoiceField(choices=["first_visit", "diagnostics", "treatment"])
    urgency_class = serializers.IntegerField(min_value=3, max_value=5)
    waiting_since = serializers.DateField()
    expected_date = serializers.DateField(required=False, allow_null=True)
    consent_date = serializers.DateField()


class WaitingListImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV with the columns of the JSON entries")


class WaitingListEntryOutputSerializer(serializers.ModelSerializer):
    location = serializers.CharField(source="location.code")
    insurer = serializers.CharField(source="insurer.uzovi")
    provider = serializers.CharField(source="provider.agb_code")
    specialism = serializers.CharField(source="specialism.code")
    treatment = serializers.CharField(source="treatment.code", allow_null=True, default=None)
    case = serializers.CharField(source="case.reference", allow_null=True, default=None)
    status = serializers.SerializerMethodField()

    class Meta:
        model = WaitingListEntry
        fields = [
            "external_id",
            "provider",
            "location",
            "insurer",
            "policy_number",
            "full_name",
            "birth_date",
            "email",
            "phone",
            "postcode",
            "specialism",
            "treatment",
            "kind",
            "urgency_class",
            "waiting_since",
            "expected_date",
            "consent_date",
            "status",
            "closed_on",
            "is_duplicate",
            "implausible",
            "case",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=["open", "closed"]))
    def get_status(self, entry: WaitingListEntry) -> str:
        return "open" if entry.closed_on is None else "closed"


class ProactiveScanInputSerializer(serializers.Serializer):
    specialisms = serializers.ListField(
        child=serializers.RegexField(r"^\d{4}$"), required=False, max_length=100
    )


class ProactiveScanStartedSerializer(serializers.Serializer):
    id = serializers.IntegerField()


class NotInvitedSerializer(serializers.Serializer):
    within_norm = serializers.IntegerField()
    no_alternative = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    open_case = serializers.IntegerField()
    quiet_period = serializers.IntegerField()
    no_consent = serializers.IntegerField()


class ProactiveScanOutputSerializer(serializers.ModelSerializer):
    not_invited = serializers.SerializerMethodField()

    class Meta:
        model = ProactiveScan
        fields = [
            "id",
            "status",
            "progress",
            "scan_date",
            "trigger",
            "specialisms",
            "scanned",
            "over_norm",
            "invited",
            "not_invited",
            "created_at",
            "finished_at",
        ]

    @extend_schema_field(NotInvitedSerializer)
    def get_not_invited(self, scan: ProactiveScan) -> dict[str, int]:
        found = scan.not_invited or {}
        return {reason: int(found.get(reason, 0)) for reason in NOT_INVITED_REASONS}


class AlternativeSerializer(serializers.Serializer):
    location = serializers.CharField()
    location_name = serializers.CharField()
    city = serializers.CharField()
    provider = serializers.CharField()
    provider_name = serializers.CharField()
    expected_days = serializers.IntegerField()
    expected_date = serializers.DateField()
    days_gained = serializers.IntegerField(allow_null=True)
    distance_km = serializers.DecimalField(max_digits=6, decimal_places=1)
    within_norm = serializers.BooleanField()
    contracted = serializers.BooleanField()


class InvitationOutputSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    waited_days = serializers.IntegerField()
    projected_total_days = serializers.IntegerField()
    norm_max_days = serializers.IntegerField()
    specialism = serializers.CharField(source="entry.specialism.code")
    treatment = serializers.CharField(source="entry.treatment.code", allow_null=True, default=None)
    current_location = serializers.CharField(source="entry.location.code")
    alternatives = AlternativeSerializer(many=True)
    expires_at = serializers.DateTimeField()
    case = serializers.CharField(source="case.reference", allow_null=True, default=None)


class InvitationAcceptInputSerializer(serializers.Serializer):
    location = serializers.CharField(
        required=False, max_length=16, help_text="One of the alternatives; default the first"
    )


class InvitationAcceptedSerializer(serializers.Serializer):
    case = serializers.CharField()


class InvitationDeclineInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    no_contact = serializers.BooleanField(
        required=False, default=False, help_text="Do not approach me about this again"
    )
