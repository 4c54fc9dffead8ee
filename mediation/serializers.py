"""Input and output shapes of the mediation API (DESIGN §8), one pair per endpoint.

Inputs only check types and resolve natural codes (insurer UZOVI, specialism, treatment, location
codes); every domain rule (urgency classes 1 and 2, consent, postcode, dates, distances, which
transitions are allowed) is the services' (``mediation.services``), whose errors the API answers
with 400 naming the field.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organisation, OrganisationKind
from core.serializers import InputSerializer
from mediation.matching import OFFER_RULES
from mediation.models import (
    CLOSE_OUTCOMES,
    STAFF_ANSWER_CHANNELS,
    AnswerChannel,
    Case,
    CaseEvent,
    CaseOutcome,
    CaseStatus,
    Offer,
)
from mediation.selectors.cases import case_offer_list, case_timeline
from mediation.services.cases import (
    MAX_DISTANCE_KM,
    MIN_DISTANCE_KM,
    PHONE_PATTERN,
    POLICY_NUMBER_PATTERN,
)
from providers.models import MEDIATED_URGENCY_CLASSES, Location, WaitingTimeKind
from providers.reference import selectors as reference
from providers.reference.serializers import CodeRelatedField

UNKNOWN = {
    "insurer": _("Unknown health insurer."),
    "specialism": _("Unknown specialism."),
    "treatment": _("Unknown treatment."),
    "current_location": _("Unknown location."),
    "location": _("Unknown location."),
}
EMAIL_REQUIRED = _("Enter your email address: we send the link to your request there.")
POLICY_NUMBER_MESSAGE = _("A policy number has at most 32 letters and digits.")
PHONE_MESSAGE = _("Enter a phone number of 8 to 20 digits, e.g. 06 12345678.")


@extend_schema_field(
    {
        "type": "integer",
        "minimum": min(MEDIATED_URGENCY_CLASSES),
        "maximum": max(MEDIATED_URGENCY_CLASSES),
    }
)
class MediatedUrgencyClassField(serializers.IntegerField):
    """An urgency class that mediation handles: 3, 4 or 5 (DESIGN §3.2), as the schema says.

    Any whole number passes the type check, so that the service refuses 1 and 2 with its own
    message (acute care: see your specialist, GP or huisartsenpost) and others with the range."""


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A choice that may be unset (stored blank): answered as ``null``, never as ``""``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        return value or None


def _code_field(name: str, queryset: Any, **kwargs: Any) -> CodeRelatedField:
    return CodeRelatedField(
        queryset=queryset,
        error_messages={"does_not_exist": UNKNOWN[name], "invalid": UNKNOWN[name]},
        **kwargs,
    )


@extend_schema_field({"type": "boolean", "enum": [True]})
class ConsentField(serializers.BooleanField):
    """Explicit consent: ``true``, as the schema says (DESIGN §3.3). ``false`` passes the type
    check, so that the service refuses it with its own message."""


# --- Public: mediation requests ------------------------------------------------------------------
class MediationRequestInputSerializer(InputSerializer):
    insurer = CodeRelatedField(
        slug_field="uzovi",
        queryset=Organisation.objects.filter(kind=OrganisationKind.INSURER),
        help_text="UZOVI code of the patient's health insurer (see GET /api/v1/insurers/)",
        error_messages={"does_not_exist": UNKNOWN["insurer"], "invalid": UNKNOWN["insurer"]},
    )
    # The service's own formats, so that the schema states them; not trimmed, so that what the
    # pattern refuses is refused.
    policy_number = serializers.CharField(
        max_length=32,
        trim_whitespace=False,
        validators=[RegexValidator(POLICY_NUMBER_PATTERN, POLICY_NUMBER_MESSAGE)],
        help_text="Policy (polis) number",
    )
    full_name = serializers.CharField(max_length=200)
    birth_date = serializers.DateField()
    # Required for the patient's own request (the status link goes there); a mediator's phone
    # intake, not through this API, may leave it out. The service's message for a missing one.
    email = serializers.EmailField(
        help_text="For the status link and updates",
        error_messages={"required": EMAIL_REQUIRED, "blank": EMAIL_REQUIRED},
    )
    phone = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        validators=[RegexValidator(PHONE_PATTERN, PHONE_MESSAGE)],
        help_text="Needed when there is no email address",
    )
    postcode = serializers.CharField(max_length=16, help_text="Dutch postcode, e.g. 3511 AB")
    specialism = _code_field(
        "specialism",
        reference.specialism_list(),
        help_text="Specialism code (Vektis COD016, e.g. 0305)",
    )
    treatment = _code_field(
        "treatment",
        reference.treatment_list(),
        allow_null=True,
        required=False,
        default=None,
        help_text="Treatment code; with kind treatment",
    )
    kind = serializers.ChoiceField(choices=WaitingTimeKind.choices)
    urgency_class = MediatedUrgencyClassField(
        help_text="FMS urgency class; mediation handles 3, 4 and 5 (1 and 2, acute care, are "
        "refused with a message sending the patient to their specialist, GP or huisartsenpost)",
    )
    current_location = _code_field(
        "current_location",
        Location.objects.filter(is_active=True),
        help_text="Code of the location where the patient waits now",
    )
    waiting_since = serializers.DateField()
    expected_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The appointment the patient already has, if any",
    )
    max_distance_km = serializers.IntegerField(
        min_value=MIN_DISTANCE_KM,
        max_value=MAX_DISTANCE_KM,
        help_text="How far the patient can travel, in km",
    )
    hospital_setting_required = serializers.BooleanField(required=False, default=False)
    consent = ConsentField(
        help_text="The patient consents to sharing their data with a new provider (required)"
    )


class MediationRequestCreatedSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="Case reference, e.g. ZB-2026-000123")
    access_token = serializers.CharField(
        help_text="Secret for X-Access-Token; shown only in this answer"
    )
    status = serializers.ChoiceField(choices=CaseStatus.choices)


class PatientOfferOutputSerializer(serializers.ModelSerializer):
    location = serializers.CharField(source="location.code", help_text="Location code")
    location_name = serializers.CharField(source="location.name")
    city = serializers.CharField(source="location.city")
    expected_days = serializers.IntegerField(
        help_text="Expected wait at this location, in days from the offer"
    )
    distance_km = serializers.DecimalField(
        max_digits=6, decimal_places=1, allow_null=True, help_text="Distance from the patient"
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "location",
            "location_name",
            "city",
            "expected_days",
            "expected_date",
            "distance_km",
            "status",
            "expires_at",
        ]
        read_only_fields = fields


class MediationRequestOutputSerializer(serializers.ModelSerializer):
    outcome = BlankAsNullChoiceField(
        choices=CaseOutcome.choices, help_text="Set when the request is finished"
    )
    offers = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = ["reference", "status", "outcome", "offers"]
        read_only_fields = fields

    @extend_schema_field(PatientOfferOutputSerializer(many=True))
    def get_offers(self, case: Case) -> Any:
        return PatientOfferOutputSerializer(case_offer_list(case=case), many=True).data


# The short reasons of the status page (``DeclineReason``, in English: the schema's language);
# tests/mediation/test_patient_side.py checks that the two lists agree.
DECLINE_REASON_HELP = (
    "Optional: why the patient declines, as free text (at most 2000 characters; empty or left "
    "out when the patient gives no reason). The status page lets the patient choose one of these "
    "short reasons and add their own words: “The hospital or clinic is too far away for me”; "
    "“The date does not suit me”; “I prefer to stay with my own hospital or clinic”; “I no "
    "longer need this care”; “Another reason”."
)


class OfferDeclineInputSerializer(InputSerializer):
    reason = serializers.CharField(
        max_length=2000,
        allow_blank=True,
        required=False,
        default="",
        help_text=DECLINE_REASON_HELP,
    )


class MediationRequestWithdrawInputSerializer(InputSerializer):
    reason = serializers.CharField(
        max_length=2000, allow_blank=True, required=False, default="", help_text="Why (optional)"
    )


# --- Staff: cases --------------------------------------------------------------------------------
class CaseListOutputSerializer(serializers.ModelSerializer):
    outcome = BlankAsNullChoiceField(
        choices=CaseOutcome.choices, help_text="Set when the case is finished"
    )
    insurer = serializers.CharField(source="insurer.uzovi")
    specialism = serializers.CharField(source="specialism.code")
    treatment = serializers.CharField(source="treatment.code", allow_null=True, default=None)
    current_location = serializers.CharField(source="current_location.code")
    overdue = serializers.BooleanField(
        source="is_overdue", help_text="Open, no first contact, and its due date has passed"
    )
    assigned_to = serializers.CharField(
        source="assigned_to.username", allow_null=True, default=None
    )

    class Meta:
        model = Case
        fields = [
            "reference",
            "status",
            "outcome",
            "channel",
            "insurer",
            "specialism",
            "treatment",
            "kind",
            "urgency_class",
            "current_location",
            "submitted_at",
            "first_contact_due",
            "first_contact_at",
            "overdue",
            "assigned_to",
        ]
        read_only_fields = fields


class CaseOfferOutputSerializer(serializers.ModelSerializer):
    location = serializers.CharField(source="location.code")
    location_name = serializers.CharField(source="location.name")
    capacity_offer: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    made_by = serializers.CharField(source="made_by.username", allow_null=True, default=None)
    answer_channel = BlankAsNullChoiceField(
        choices=AnswerChannel.choices,
        help_text="How the answer came: online by the patient, or taken by phone or letter",
    )
    answered_by = serializers.CharField(
        source="answered_by.username",
        allow_null=True,
        default=None,
        help_text="The mediator who recorded the patient's answer (phone or letter)",
    )
    overridden_rules = serializers.ListField(
        child=serializers.ChoiceField(choices=list(OFFER_RULES)),
        read_only=True,
        help_text="The matching rules the offer broke, made with override_reason",
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "location",
            "location_name",
            "capacity_offer",
            "expected_days",
            "expected_date",
            "distance_km",
            "days_gained",
            "override_reason",
            "overridden_rules",
            "status",
            "made_at",
            "made_by",
            "expires_at",
            "responded_at",
            "answer_channel",
            "answered_by",
            "decline_reason",
            "note",
            "appointment_date",
            "confirmed_at",
        ]
        read_only_fields = fields


class CaseEventOutputSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="actor_label")
    from_status = BlankAsNullChoiceField(choices=CaseStatus.choices)
    to_status = BlankAsNullChoiceField(choices=CaseStatus.choices)
    offer: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )

    class Meta:
        model = CaseEvent
        fields = ["at", "by", "kind", "from_status", "to_status", "note", "offer"]
        read_only_fields = fields


class CaseDetailOutputSerializer(CaseListOutputSerializer):
    offers = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    class Meta(CaseListOutputSerializer.Meta):
        fields = [
            *CaseListOutputSerializer.Meta.fields,
            "policy_number",
            "full_name",
            "birth_date",
            "email",
            "phone",
            "postcode",
            "waiting_since",
            "expected_date",
            "max_distance_km",
            "hospital_setting_required",
            "consent_at",
            "closed_at",
            "completed_at",
            "appointment_date",
            "days_gained",
            "anonymised_at",
            "offers",
            "timeline",
        ]
        read_only_fields = fields

    @extend_schema_field(CaseOfferOutputSerializer(many=True))
    def get_offers(self, case: Case) -> Any:
        return CaseOfferOutputSerializer(case_offer_list(case=case), many=True).data

    @extend_schema_field(CaseEventOutputSerializer(many=True))
    def get_timeline(self, case: Case) -> Any:
        return CaseEventOutputSerializer(case_timeline(case=case), many=True).data


class ReasonOutputSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable code: days_gained (or days_gained_unknown), capacity_offer, "
        "published_wait, within_norm, above_norm, norm_unknown, distance, data_age, contracted, "
        "not_contracted, and for urgency class 3 class3_window or outside_class3_window"
    )
    text = serializers.CharField(help_text="The reason in English")
    params = serializers.DictField(help_text="The figures behind the reason")


class MatchOutputSerializer(serializers.Serializer):
    location = serializers.CharField(source="location_code", help_text="Location code")
    location_name = serializers.CharField()
    city = serializers.CharField()
    provider = serializers.CharField(source="provider_agb_code", help_text="Provider AGB code")
    provider_name = serializers.CharField()
    expected_days = serializers.IntegerField()
    expected_date = serializers.DateField()
    days_gained = serializers.IntegerField(
        allow_null=True,
        help_text="Remaining wait − expected wait; null (unknown) when the patient has waited "
        "past the expected moment of care without an appointment date, until the mediator "
        "records that date",
    )
    total_wait_days = serializers.IntegerField(
        help_text="Days from waiting_since to the expected moment of care here"
    )
    outside_class3_window = serializers.BooleanField(
        help_text="Urgency class 3 only: care here is expected more than 42 days after "
        "waiting_since (ranked after the candidates inside the window)"
    )
    distance_km = serializers.DecimalField(max_digits=6, decimal_places=1)
    within_norm = serializers.BooleanField()
    contracted = serializers.BooleanField()
    capacity_offer = serializers.IntegerField(
        source="capacity_offer_id",
        allow_null=True,
        help_text="The capacity offer that gives the earlier date, if any (reserve it with an "
        "offer)",
    )
    reasons = serializers.SerializerMethodField()

    @extend_schema_field(ReasonOutputSerializer(many=True))
    def get_reasons(self, candidate: Any) -> list[dict[str, Any]]:
        return [
            {"code": reason.code, "text": reason.text, "params": dict(reason.params)}
            for reason in candidate.reasons
        ]


class CaseOfferInputSerializer(InputSerializer):
    location = _code_field("location", Location.objects.filter(is_active=True))
    expected_days = serializers.IntegerField(
        min_value=0,
        max_value=3 * 365,
        required=False,
        allow_null=True,
        default=None,
        help_text="Expected wait in days at the location; or give capacity_offer",
    )
    capacity_offer = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of a capacity offer of the location to reserve one slot of",
    )
    note = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    override_reason = serializers.CharField(
        max_length=2000,
        allow_blank=True,
        required=False,
        default="",
        help_text="Why the offer is made although it breaks matching rules (gain below the "
        "margin, beyond the patient's distance, no current waiting time, above the Treeknorm "
        "while the gain is unknown, outside the class-3 window); required only then. An offer "
        "that does not shorten the patient's wait is refused whatever the reason.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("expected_days") is None and attrs.get("capacity_offer") is None:
            raise serializers.ValidationError(
                {"expected_days": [_("Give the expected wait in days, or a capacity offer.")]}
            )
        return attrs


class CaseCloseInputSerializer(InputSerializer):
    outcome = serializers.ChoiceField(choices=[(o.value, o.label) for o in CLOSE_OUTCOMES])
    note = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class CaseUpdateInputSerializer(InputSerializer):
    """A correction: only the fields given are changed (DESIGN §8 ``PATCH /cases/{reference}/``)."""

    email = serializers.EmailField(
        required=False, allow_blank=True, help_text="Empty: the patient has no email address"
    )
    phone = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        validators=[RegexValidator(PHONE_PATTERN, PHONE_MESSAGE)],
    )
    postcode = serializers.CharField(
        max_length=16, required=False, help_text="Dutch postcode, e.g. 3511 AB"
    )
    max_distance_km = serializers.IntegerField(
        min_value=MIN_DISTANCE_KM, max_value=MAX_DISTANCE_KM, required=False
    )
    expected_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The appointment at the current provider; null when there is none",
    )
    hospital_setting_required = serializers.BooleanField(required=False)
    urgency_class = MediatedUrgencyClassField(
        required=False, help_text="3, 4 or 5; a change needs a note (who gave the new class)"
    )
    note = serializers.CharField(
        max_length=2000,
        allow_blank=True,
        required=False,
        default="",
        help_text="Why, for the timeline; required when the urgency class changes",
    )


class OfferAnswerInputSerializer(InputSerializer):
    decision = serializers.ChoiceField(choices=[("accept", "accept"), ("decline", "decline")])
    channel = serializers.ChoiceField(
        choices=[(c.value, c.label) for c in STAFF_ANSWER_CHANNELS],
        help_text="How the patient gave the answer",
    )
    reason = serializers.CharField(
        max_length=2000,
        allow_blank=True,
        required=False,
        default="",
        help_text="Why the patient declines (optional; only with decline)",
    )


# --- Receiving provider: incoming patients -------------------------------------------------------
class IncomingOutputSerializer(serializers.ModelSerializer):
    """An accepted patient coming to the provider: only what scheduling needs (who, how to reach
    them, what for, where, from when), never the policy number or the case's history."""

    reference = serializers.CharField(source="case.reference")
    full_name = serializers.CharField(source="case.full_name")
    birth_date = serializers.DateField(source="case.birth_date", allow_null=True)
    email = serializers.CharField(source="case.email")
    phone = serializers.CharField(source="case.phone")
    specialism = serializers.CharField(source="case.specialism.code", help_text="Specialism code")
    treatment = serializers.CharField(
        source="case.treatment.code", allow_null=True, default=None, help_text="Treatment code"
    )
    kind = serializers.ChoiceField(source="case.kind", choices=WaitingTimeKind.choices)
    urgency_class = serializers.IntegerField(source="case.urgency_class")
    location = serializers.CharField(source="location.code", help_text="Location code")
    capacity_offer: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The capacity offer whose slot is reserved"
    )
    accepted_at = serializers.DateTimeField(source="responded_at", allow_null=True)
    confirmed = serializers.SerializerMethodField(
        help_text="Whether the appointment date has been confirmed"
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "reference",
            "full_name",
            "birth_date",
            "email",
            "phone",
            "specialism",
            "treatment",
            "kind",
            "urgency_class",
            "location",
            "expected_date",
            "capacity_offer",
            "accepted_at",
            "confirmed",
            "appointment_date",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_confirmed(self, offer: Offer) -> bool:
        return offer.confirmed_at is not None


class IncomingConfirmInputSerializer(InputSerializer):
    appointment_date = serializers.DateField(
        help_text="The date of the appointment: not in the past, at most a year ahead"
    )
