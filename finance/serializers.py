"""API shapes of the finance app (DESIGN §8): money as strings with two decimals, months as
"YYYY-MM", providers by AGB code and insurers by UZOVI code."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import DecimalStringField, InputSerializer, MonthField, PlausibleYearField
from finance.models import (
    FIRST_CONTRACT_YEAR,
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    ClaimCategory,
    ClaimStatus,
    Contract,
    CostClaim,
    Payment,
    PaymentKind,
    ProductionRecord,
)
from finance.selectors import arrangement_settlement, contract_headroom
from providers.models import Provider
from providers.reference.serializers import CodeRelatedField

# The years a contract (and so an arrangement) may have.
MIN_YEAR = 2000
MAX_YEAR = 2100


def money(**kwargs: Any) -> serializers.DecimalField:
    """Euros with cents; a JSON string such as ``"1250000.00"``, in answers and requests."""
    kwargs.setdefault("max_digits", 14)
    kwargs.setdefault("decimal_places", 2)
    return DecimalStringField(**kwargs)


def choice(choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=choices, **kwargs)


def provider_field(**kwargs: Any) -> CodeRelatedField:
    unknown = _("Unknown provider.")
    return CodeRelatedField(
        slug_field="agb_code",
        queryset=Provider.objects.all(),
        help_text="The provider's AGB code (8 digits)",
        error_messages={"does_not_exist": unknown, "invalid": unknown},
        **kwargs,
    )


# --- Contracts ----------------------------------------------------------------------------
class ContractInputSerializer(InputSerializer):
    provider = provider_field()
    year = PlausibleYearField(
        min_value=FIRST_CONTRACT_YEAR, help_text="From 2000 up to 10 years after this year"
    )
    contract_value = money(
        min_value=0, help_text='The agreed revenue ceiling in euros, e.g. "1250000.00"'
    )


class ContractOutputSerializer(serializers.ModelSerializer):
    insurer = serializers.CharField(source="insurer.uzovi", read_only=True)
    provider = serializers.CharField(source="provider.agb_code", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    contract_value = money(read_only=True)
    realised_production = money(read_only=True, help_text="Sum of the year's monthly production")
    transfers_in = money(
        read_only=True, help_text="Estimated value of the insurer's patients mediated to it"
    )
    transfers_out = money(
        read_only=True, help_text="Estimated value of the insurer's patients mediated away"
    )
    headroom = serializers.SerializerMethodField(
        help_text="contract_value − realised_production + transfers_in − transfers_out"
    )

    class Meta:
        model = Contract
        fields = [
            "id",
            "insurer",
            "provider",
            "provider_name",
            "year",
            "contract_value",
            "realised_production",
            "transfers_in",
            "transfers_out",
            "headroom",
        ]

    @extend_schema_field(money(read_only=True))
    def get_headroom(self, contract: Contract) -> str:
        return f"{contract_headroom(contract):.2f}"


# --- Arrangements -------------------------------------------------------------------------
class ArrangementInputSerializer(InputSerializer):
    provider = provider_field()
    year = PlausibleYearField(
        min_value=FIRST_CONTRACT_YEAR, help_text="From 2000 up to 10 years after this year"
    )
    kind = choice(ArrangementKind.choices)
    coverage_percentage = DecimalStringField(
        max_digits=5,
        decimal_places=2,
        pattern=r"^(?:100(?:\.0{1,2})?|[0-9]{1,2}(?:\.[0-9]{1,2})?)$",
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
        default=None,
        help_text="Share of the shortfall covered, 0–100 (continuity contributions only)",
        error_messages={
            "min_value": _("The coverage percentage must be between 0 and 100."),
            "max_value": _("The coverage percentage must be between 0 and 100."),
        },
    )
    budget = money(
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
        help_text="Cap in euros (catch-up care and supplementary agreements only)",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SettlementSerializer(serializers.Serializer):
    due = money(read_only=True)
    paid = money(read_only=True)
    balance = money(read_only=True, help_text="due − paid; negative when paid too much")


class ArrangementOutputSerializer(serializers.ModelSerializer):
    insurer = serializers.CharField(source="contract.insurer.uzovi", read_only=True)
    provider = serializers.CharField(source="contract.provider.agb_code", read_only=True)
    year = serializers.IntegerField(source="contract.year", read_only=True)
    kind = choice(ArrangementKind.choices, read_only=True)
    status = choice(ArrangementStatus.choices, read_only=True)
    coverage_percentage = serializers.DecimalField(
        max_digits=5, decimal_places=2, read_only=True, allow_null=True
    )
    budget = money(read_only=True, allow_null=True)
    settlement = serializers.SerializerMethodField()

    class Meta:
        model = Arrangement
        fields = [
            "id",
            "contract",
            "insurer",
            "provider",
            "year",
            "kind",
            "status",
            "coverage_percentage",
            "budget",
            "note",
            "settlement",
            "created_at",
            "agreed_at",
            "settled_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SettlementSerializer)
    def get_settlement(self, arrangement: Arrangement) -> dict[str, Any]:
        return SettlementSerializer(arrangement_settlement(arrangement)).data


# --- Production, claims, payments ---------------------------------------------------------
class ProductionInputSerializer(InputSerializer):
    month = MonthField(help_text='A month of the contract year, "YYYY-MM"')
    amount = money(min_value=0, help_text="Realised production of the month, in euros")
    catch_up_amount = money(
        min_value=0,
        default=Decimal("0.00"),
        help_text="The part of amount that was catch-up care (inhaalzorg), in euros",
    )


class ProductionOutputSerializer(serializers.ModelSerializer):
    month = MonthField(read_only=True)
    amount = money(read_only=True)
    catch_up_amount = money(read_only=True)

    class Meta:
        model = ProductionRecord
        fields = ["contract", "month", "amount", "catch_up_amount", "recorded_at"]
        read_only_fields = fields


class ClaimInputSerializer(InputSerializer):
    category = choice(ClaimCategory.choices)
    amount = money(min_value=0, allow_zero=False, help_text="More than zero, in euros")
    approved = serializers.BooleanField(
        allow_null=True,
        default=None,
        help_text="true: approved, false: rejected (give rejection_reason), null: to assess",
    )
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=4000, help_text="Evidence"
    )
    rejection_reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000
    )


class ClaimOutputSerializer(serializers.ModelSerializer):
    category = choice(ClaimCategory.choices, read_only=True)
    status = choice(ClaimStatus.choices, read_only=True)
    amount = money(read_only=True)
    approved = serializers.SerializerMethodField()

    class Meta:
        model = CostClaim
        fields = [
            "id",
            "arrangement",
            "category",
            "amount",
            "note",
            "status",
            "approved",
            "rejection_reason",
            "decided_at",
            "decided_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_approved(self, claim: CostClaim) -> bool | None:
        if claim.status == ClaimStatus.PENDING:
            return None
        return claim.status == ClaimStatus.APPROVED


class ClaimRejectInputSerializer(InputSerializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the claim is rejected")


class PaymentInputSerializer(InputSerializer):
    date = serializers.DateField()
    amount = money(
        allow_zero=False, help_text="More than zero; a correction may be negative (not zero)"
    )
    kind = choice(PaymentKind.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class PaymentOutputSerializer(serializers.ModelSerializer):
    kind = choice(PaymentKind.choices, read_only=True)
    amount = money(read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "arrangement", "kind", "date", "amount", "note", "created_at"]
        read_only_fields = fields


class ArrangementDetailOutputSerializer(ArrangementOutputSerializer):
    claims = ClaimOutputSerializer(many=True, read_only=True)
    payments = PaymentOutputSerializer(many=True, read_only=True)

    class Meta(ArrangementOutputSerializer.Meta):
        fields = [*ArrangementOutputSerializer.Meta.fields, "claims", "payments"]
        read_only_fields = fields
