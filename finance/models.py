"""Money: purchase contracts (and, later, arrangements, payments, settlements, volume transfers)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.history import history_user


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
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
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
