"""Money (DESIGN §3.5): purchase contracts, arrangements on them, monthly production, cost claims,
payments, and the volume transfers through which "the money follows the patient".

Production belongs to the *contract*, not to one arrangement: an insurer and a provider have one
realised production per contract year, and every arrangement of that contract is settled against
the same figures. The API records production through an arrangement (``POST
/api/v1/arrangements/{id}/production/``) and stores it on that arrangement's contract.

All amounts are euros with cents (``DecimalField(decimal_places=2)``), never floats.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.history import history_user

ZERO = Decimal("0.00")
# Purchase contracts are recorded from 2000 on; the services take years up to ten years ahead
# (core.dates), the column keeps its older, wider bound.
FIRST_CONTRACT_YEAR = 2000


class Contract(models.Model):
    """A zorginkoopcontract: insurer × provider × year, with the agreed revenue ceiling.

    Its existence makes the provider *contracted* by the insurer for that year (DESIGN §3.5).
    """

    insurer = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("insurer"),
        on_delete=models.PROTECT,
        related_name="contracts",
        limit_choices_to={"kind": "insurer"},
    )
    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(FIRST_CONTRACT_YEAR), MaxValueValidator(2100)]
    )
    contract_value = models.DecimalField(
        _("contract value (EUR)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("purchase contract")
        verbose_name_plural = _("purchase contracts")
        ordering = ["-year", "provider__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["insurer", "provider", "year"], name="contract_unique_per_year"
            ),
            models.CheckConstraint(
                name="contract_value_not_negative", condition=Q(contract_value__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.insurer.name} × {self.provider.name} {self.year}"


class ArrangementKind(models.TextChoices):
    CONTINUITY_CONTRIBUTION = "continuity_contribution", _("Continuity contribution")
    ADDITIONAL_COSTS = "additional_costs", _("Additional costs (meerkosten)")
    CATCH_UP_CARE = "catch_up_care", _("Catch-up care budget")
    SUPPLEMENTARY_AGREEMENT = "supplementary_agreement", _("Supplementary agreement")


class ArrangementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AGREED = "agreed", _("Agreed")
    SETTLED = "settled", _("Settled")


class Arrangement(models.Model):
    """A financial arrangement on a contract, of one kind (DESIGN §3.5).

    ``coverage_percentage`` is used by continuity contributions only, ``budget`` by catch-up care
    and supplementary agreements only; the other kinds leave them empty. One arrangement per kind
    per contract, so that no shortfall or budget is paid twice. A settled arrangement is locked:
    ``settled_due`` keeps the amount due at settlement, and differences found later are booked as
    correction payments.
    """

    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="arrangements",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=ArrangementKind.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ArrangementStatus.choices,
        default=ArrangementStatus.DRAFT,
    )
    coverage_percentage = models.DecimalField(
        _("coverage percentage"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    budget = models.DecimalField(
        _("budget (EUR)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
        max_digits=14,
        decimal_places=2,
    )
    note = models.TextField(_("note"), blank=True)
    settled_due = models.DecimalField(
        _("due at settlement (EUR)"),
        null=True,
        blank=True,
        editable=False,
        max_digits=14,
        decimal_places=2,
    )
    agreed_at = models.DateTimeField(_("agreed at"), null=True, blank=True, editable=False)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("arrangement")
        verbose_name_plural = _("arrangements")
        ordering = ["contract", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "kind"], name="arrangement_one_per_kind"),
            models.CheckConstraint(
                name="arrangement_coverage_0_100",
                condition=Q(coverage_percentage__isnull=True)
                | Q(coverage_percentage__gte=0, coverage_percentage__lte=100),
            ),
            models.CheckConstraint(
                name="arrangement_budget_not_negative",
                condition=Q(budget__isnull=True) | Q(budget__gte=0),
            ),
            models.CheckConstraint(
                name="arrangement_settled_has_due",
                condition=~Q(status="settled") | Q(settled_due__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.contract}"

    @property
    def is_locked(self) -> bool:
        return self.status == ArrangementStatus.SETTLED


class ProductionRecord(models.Model):
    """The realised production of one month under a contract, in euros.

    ``catch_up_amount`` is the part of ``amount`` that was catch-up care (inhaalzorg), so it is
    never more than ``amount``. One record per contract and month; recording a month again
    replaces it (the change history keeps the earlier figure).
    """

    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.CASCADE,
        related_name="production_records",
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    amount = models.DecimalField(
        _("realised production (EUR)"),
        validators=[MinValueValidator(ZERO)],
        max_digits=14,
        decimal_places=2,
    )
    catch_up_amount = models.DecimalField(
        _("of which catch-up care (EUR)"),
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
        max_digits=14,
        decimal_places=2,
    )
    recorded_by = models.CharField(_("recorded by"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("production record")
        verbose_name_plural = _("production records")
        ordering = ["contract", "month"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "month"], name="production_one_per_month"),
            models.CheckConstraint(
                name="production_amounts_valid",
                condition=Q(amount__gte=0, catch_up_amount__gte=0)
                & Q(catch_up_amount__lte=models.F("amount")),
            ),
            models.CheckConstraint(name="production_month_first_day", condition=Q(month__day=1)),
        ]

    def __str__(self) -> str:
        return f"{self.contract} {self.month:%Y-%m}"


class ClaimCategory(models.TextChoices):
    PROTECTIVE_EQUIPMENT = "protective_equipment", _("Protective equipment")
    RESERVED_CAPACITY = "reserved_capacity", _("Capacity kept free at the ROAZ's request")
    EXTRA_STAFF = "extra_staff", _("Extra staff")
    OTHER = "other", _("Other")


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("To assess")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class CostClaim(models.Model):
    """A claim for COVID extra costs (meerkosten) under an ``additional_costs`` arrangement.

    Only approved claims count towards what is due; a rejection always carries its reason.
    """

    arrangement = models.ForeignKey(
        Arrangement,
        verbose_name=_("arrangement"),
        on_delete=models.PROTECT,
        related_name="claims",
    )
    category = models.CharField(_("category"), max_length=32, choices=ClaimCategory.choices)
    amount = models.DecimalField(
        _("amount (EUR)"),
        validators=[MinValueValidator(Decimal("0.01"))],
        max_digits=14,
        decimal_places=2,
    )
    note = models.TextField(_("evidence"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.PENDING
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.CharField(_("decided by"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("cost claim")
        verbose_name_plural = _("cost claims")
        ordering = ["arrangement", "created_at", "id"]
        constraints = [
            models.CheckConstraint(name="claim_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="claim_rejection_has_reason",
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} € {self.amount}"


class PaymentKind(models.TextChoices):
    ADVANCE = "advance", _("Advance")
    SETTLEMENT = "settlement", _("Settlement")
    CORRECTION = "correction", _("Correction")


class Payment(models.Model):
    """A payment to the provider under an arrangement. Payments are never changed or removed:
    a mistake is put right with a correction payment (which may be negative)."""

    arrangement = models.ForeignKey(
        Arrangement,
        verbose_name=_("arrangement"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=PaymentKind.choices)
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (EUR)"), max_digits=14, decimal_places=2)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.CharField(_("recorded by"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["arrangement", "date", "id"]
        constraints = [
            models.CheckConstraint(
                name="payment_amount_sign",
                condition=Q(kind="correction", amount__lt=0)
                | Q(kind="correction", amount__gt=0)
                | Q(amount__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date} € {self.amount}"


class Tariff(models.Model):
    """Estimated value of one treated patient, used to price volume transfers.

    A row names a treatment (most specific), or a specialism, or neither: the default tariff.
    The lookup takes the treatment's tariff first, then the specialism's, then the default
    (``finance.services.transfers.tariff_for``).
    """

    specialism = models.OneToOneField(
        "providers.Specialism",
        verbose_name=_("specialism"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tariff",
    )
    treatment = models.OneToOneField(
        "providers.Treatment",
        verbose_name=_("treatment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tariff",
    )
    amount = models.DecimalField(
        _("amount per patient (EUR)"),
        validators=[MinValueValidator(ZERO)],
        max_digits=14,
        decimal_places=2,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("transfer tariff")
        verbose_name_plural = _("transfer tariffs")
        ordering = ["specialism__code", "treatment__code"]
        constraints = [
            models.CheckConstraint(
                name="tariff_treatment_or_specialism",
                condition=Q(specialism__isnull=True) | Q(treatment__isnull=True),
            ),
            models.CheckConstraint(name="tariff_not_negative", condition=Q(amount__gte=0)),
        ]

    def __str__(self) -> str:
        if self.treatment_id:
            return f"{self.treatment} € {self.amount}"
        if self.specialism_id:
            return f"{self.specialism} € {self.amount}"
        return f"{_('Default')} € {self.amount}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.treatment_id is None and self.specialism_id is None:
            others = Tariff.objects.filter(specialism__isnull=True, treatment__isnull=True)
            if others.exclude(pk=self.pk).exists():
                raise ValidationError(
                    _("There is already a default tariff: change that one instead.")
                )
        if self.treatment_id is not None and self.specialism_id is not None:
            raise ValidationError(
                _("A tariff is for a treatment or for a specialism, not for both.")
            )

    @property
    def is_default(self) -> bool:
        return self.treatment_id is None and self.specialism_id is None


class TariffSource(models.TextChoices):
    TREATMENT = "treatment", _("Treatment tariff")
    SPECIALISM = "specialism", _("Specialism tariff")
    DEFAULT = "default", _("Default tariff")


class VolumeTransfer(models.Model):
    """A mediated patient treated by another provider than the one they waited at: the estimated
    value moves from ``from_provider`` to ``to_provider`` under the insurer's contracts of the year
    of the care — ``care_date``, the appointment — not of the day the placement was confirmed
    (``completed_on``): "the money follows the patient", DESIGN §3.5.

    ``case_reference`` is the mediation case's reference, kept as text so that finance does not
    depend on the mediation app's tables; one transfer per case.
    """

    insurer = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("insurer"),
        on_delete=models.PROTECT,
        related_name="volume_transfers",
        limit_choices_to={"kind": "insurer"},
    )
    from_provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("from provider"),
        on_delete=models.PROTECT,
        related_name="transfers_out",
    )
    to_provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("to provider"),
        on_delete=models.PROTECT,
        related_name="transfers_in",
    )
    specialism = models.ForeignKey(
        "providers.Specialism",
        verbose_name=_("specialism"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    treatment = models.ForeignKey(
        "providers.Treatment",
        verbose_name=_("treatment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    case_reference = models.CharField(_("case reference"), max_length=32, unique=True)
    completed_on = models.DateField(_("completed on"))
    # The day of the care (the confirmed appointment): its year decides the contracts.
    care_date = models.DateField(_("date of care"))
    estimated_amount = models.DecimalField(
        _("estimated amount (EUR)"), max_digits=14, decimal_places=2
    )
    tariff_source = models.CharField(_("tariff used"), max_length=16, choices=TariffSource.choices)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("volume transfer")
        verbose_name_plural = _("volume transfers")
        ordering = ["-care_date", "-id"]
        indexes = [
            models.Index(fields=["insurer", "to_provider", "care_date"]),
            models.Index(fields=["insurer", "from_provider", "care_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="transfer_between_two_providers",
                condition=~Q(from_provider=models.F("to_provider")),
            ),
            models.CheckConstraint(
                name="transfer_amount_not_negative", condition=Q(estimated_amount__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_reference}: {self.from_provider} → {self.to_provider}"
