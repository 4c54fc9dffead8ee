"""Plannen Inhaalzorg (DESIGN §3.4): a provider's catch-up plan, addressed to one insurer.

A plan covers a period of whole months and has lines per specialism × urgency class (3, 4, 5) with
the backlog at the start and the planned volume per month; its measures are text sections. Its
lifecycle ``draft → submitted → (changes_requested → submitted)* → approved → closed`` is kept by
``plans.services`` (one service per transition); every transition is a :class:`PlanTransition`,
every submission a :class:`PlanVersion` with an immutable snapshot. Providers report realised
volume per line and month (:class:`PlanProgress`).

The forecast (``plans.forecast``) is stored on the plan and its lines by the services whenever
lines or progress change, so that lists, filters and portfolio totals are plain queries.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.months import month_format
from providers.models import MEDIATED_URGENCY_CLASSES


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    CLOSED = "closed", _("Closed")


# Only these statuses may be edited by the provider.
EDITABLE_STATUSES = frozenset({PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED})

# The measure sections of a plan (DESIGN §3.4), in the order they are shown.
MEASURES: list[tuple[str, Any]] = [
    ("digital_care", _("Digital and hybrid care")),
    ("right_place", _("Right care at the right place, and appropriate care")),
    ("cooperation", _("Cooperation with ZBCs and other providers")),
    ("staff", _("Staff capacity and room for recovery")),
    ("follow_up_care", _("Follow-up care needs (nursing homes, rehabilitation, home care)")),
]
MEASURE_KEYS = [key for key, _label in MEASURES]
MEASURE_MAX_LENGTH = 10_000
# Volumes (backlog, planned, realised) above this are typing errors, not plans.
MAX_VOLUME = 1_000_000


class Plan(models.Model):
    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="catch_up_plans",
    )
    insurer = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("insurer"),
        on_delete=models.PROTECT,
        related_name="addressed_plans",
        limit_choices_to={"kind": "insurer"},
    )
    # Months: the first day of the first and of the last month of the period.
    period_start = models.DateField(_("first month"))
    period_end = models.DateField(_("last month"))
    status = models.CharField(
        _("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    # The number of the latest submitted version (0 while never submitted).
    version = models.PositiveIntegerField(_("version"), default=0)

    digital_care = models.TextField(_("digital and hybrid care"), blank=True)
    right_place = models.TextField(_("right care at the right place"), blank=True)
    cooperation = models.TextField(_("cooperation with ZBCs and other providers"), blank=True)
    staff = models.TextField(_("staff capacity and recovery"), blank=True)
    follow_up_care = models.TextField(_("follow-up care needs"), blank=True)

    # The forecast of the plan as a whole, kept by the services (plans.forecast).
    backlog_total = models.PositiveIntegerField(_("backlog at the start"), default=0)
    realised_total = models.PositiveIntegerField(_("realised to date"), default=0)
    remaining_total = models.PositiveIntegerField(_("remaining backlog"), default=0)
    last_reported_month = models.DateField(_("last reported month"), null=True, blank=True)
    projected_clearance_month = models.DateField(
        _("projected clearance month"), null=True, blank=True
    )
    on_track = models.BooleanField(_("on track"), default=False)
    behind = models.BooleanField(_("behind plan"), default=False)

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.CharField(_("created by"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)
    submitted_at = models.DateTimeField(_("last submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("last decision"), null=True, blank=True)

    class Meta:
        verbose_name = _("catch-up plan")
        verbose_name_plural = _("catch-up plans")
        ordering = ["-period_start", "provider__name", "insurer__name"]
        constraints = [
            models.CheckConstraint(
                name="plan_period_end_not_before_start",
                condition=Q(period_end__gte=F("period_start")),
            ),
            models.CheckConstraint(
                name="plan_status_valid", condition=Q(status__in=PlanStatus.values)
            ),
            models.CheckConstraint(
                name="plan_draft_never_submitted",
                condition=~Q(status=PlanStatus.DRAFT) | Q(version=0),
            ),
        ]
        indexes = [
            models.Index(fields=["insurer", "status"], name="plan_insurer_status"),
            models.Index(fields=["provider", "status"], name="plan_provider_status"),
        ]

    def __str__(self) -> str:
        return _("Plan Inhaalzorg %(provider)s %(start)s – %(end)s") % {
            "provider": self.provider.name,
            "start": month_format(self.period_start),
            "end": month_format(self.period_end),
        }

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def measures(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in MEASURE_KEYS}

    def measure_sections(self) -> list[tuple[str, str, str]]:
        """(key, label, text) of every measure section, in order."""
        return [(key, str(label), getattr(self, key)) for key, label in MEASURES]


class PlanLine(models.Model):
    """One specialism × urgency class of a plan: the backlog at the start of the period and the
    planned volume per month (``{"YYYY-MM": volume}``, months inside the period)."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="lines"
    )
    specialism = models.ForeignKey(
        "providers.Specialism",
        verbose_name=_("specialism"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    urgency_class = models.PositiveSmallIntegerField(
        _("urgency class"), validators=[MinValueValidator(3), MaxValueValidator(5)]
    )
    backlog = models.PositiveIntegerField(_("backlog at the start"))
    planned = models.JSONField(_("planned volume per month"), default=dict)

    # The line's forecast, kept by the services (plans.forecast).
    realised_to_date = models.PositiveIntegerField(_("realised to date"), default=0)
    remaining = models.PositiveIntegerField(_("remaining backlog"), default=0)
    projected_clearance_month = models.DateField(
        _("projected clearance month"), null=True, blank=True
    )
    on_track = models.BooleanField(_("on track"), default=False)
    behind = models.BooleanField(_("behind plan"), default=False)

    class Meta:
        verbose_name = _("plan line")
        verbose_name_plural = _("plan lines")
        ordering = ["plan", "specialism__code", "urgency_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "specialism", "urgency_class"],
                name="plan_line_unique_specialism_class",
            ),
            models.CheckConstraint(
                name="plan_line_urgency_class_3_to_5",
                condition=Q(urgency_class__in=MEDIATED_URGENCY_CLASSES),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.specialism.code} / {self.urgency_class}"

    @property
    def planned_total(self) -> int:
        return sum(self.planned.values())


class PlanProgress(models.Model):
    """The volume realised in one month for one specialism × urgency class of a plan.

    Kept by specialism and class rather than by line, so that progress survives when a plan with
    changes requested has its lines replaced; reporting a month again corrects it."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="progress"
    )
    specialism = models.ForeignKey(
        "providers.Specialism",
        verbose_name=_("specialism"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    urgency_class = models.PositiveSmallIntegerField(_("urgency class"))
    month = models.DateField(_("month"))
    realised = models.PositiveIntegerField(_("realised volume"))
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    reported_by = models.CharField(_("reported by"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["plan", "month", "specialism__code", "urgency_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "specialism", "urgency_class", "month"],
                name="plan_progress_unique_line_month",
            ),
        ]

    def __str__(self) -> str:
        month = month_format(self.month)
        return f"{self.specialism.code}/{self.urgency_class} {month}: {self.realised}"


class PlanTransition(models.Model):
    """One step of a plan's lifecycle: who, when, from which status to which, with what comment
    (the comment of a review is the reviewer's text, which the regulator does not see)."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(_("from"), max_length=20, choices=PlanStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=PlanStatus.choices)
    version = models.PositiveIntegerField(_("version"), default=0)
    comment = models.TextField(_("comment"), blank=True)
    actor = models.ForeignKey(
        "accounts.User",
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("by"), max_length=200)
    organisation_label = models.CharField(_("organisation"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("plan transition")
        verbose_name_plural = _("plan transitions")
        ordering = ["plan", "occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '–'} → {self.to_status} ({self.actor_label})"


class PlanVersion(models.Model):
    """A submission: an immutable snapshot of the measures and lines as submitted."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("snapshot"))
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    submitted_by = models.CharField(_("submitted by"), max_length=200)

    class Meta:
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} v{self.number}"

    # A submitted version is a record of what the insurer received: it is never rewritten.
    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("A submitted plan version cannot be changed.")
        super().save(*args, **kwargs)
