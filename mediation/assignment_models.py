"""Assignment runs and their proposals (DESIGN §3.7, issue 16).

A run belongs to one insurer and covers some specialisms (all when none are named). It is split
into one :class:`AssignmentRunPart` per specialism — independent sub-problems, each solved by its
own Celery task, so that any number of workers can share a run; a part is claimed by moving it
from ``pending`` to ``running`` in one conditional update, so a duplicated task does nothing.
The run's figures (and the greedy baseline's) are the sums of its parts'. A proposal is what the
solver proposes for one case; the mediator may deselect it before applying the run. Applying
(once) makes the offers; what could not be offered any more is kept on the proposal as
``skipped_reason``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AssignmentRunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


class AssignmentRun(models.Model):
    insurer = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("insurer"),
        on_delete=models.CASCADE,
        related_name="assignment_runs",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey",
        verbose_name=_("API key"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Specialism codes; empty: every specialism with open cases.
    specialisms = models.JSONField(_("specialisms"), default=list, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AssignmentRunStatus.choices,
        default=AssignmentRunStatus.PENDING,
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    baseline = models.JSONField(_("baseline figures"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applied by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # {"offers": [{"proposal", "case", "offer"}], "skipped": [{"proposal", "case", "reason"}]}
    apply_result = models.JSONField(_("result of applying"), default=dict, blank=True)

    class Meta:
        verbose_name = _("assignment run")
        verbose_name_plural = _("assignment runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="assignment_run_progress_percent", condition=Q(progress__lte=100)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (AssignmentRunStatus.SUCCEEDED, AssignmentRunStatus.FAILED)


class AssignmentRunPart(models.Model):
    """One specialism of a run: its own status, figures and baseline."""

    run = models.ForeignKey(
        AssignmentRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="parts"
    )
    specialism = models.ForeignKey(
        "providers.Specialism",
        verbose_name=_("specialism"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AssignmentRunStatus.choices,
        default=AssignmentRunStatus.PENDING,
    )
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    baseline = models.JSONField(_("baseline figures"), default=dict, blank=True)
    seconds = models.FloatField(_("solve time (s)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    # When a worker took the part: a part still running long after that lost its worker (a
    # killed process) and is handed out again (``assignment_parts_dispatch``).
    claimed_at = models.DateTimeField(_("taken at"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment run part")
        verbose_name_plural = _("assignment run parts")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "specialism"], name="assignment_part_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.run_id} {self.specialism_id}"


class AssignmentProposal(models.Model):
    """What a run proposes for one case: a location (with a capacity-offer slot or at its
    published wait), or nothing (``location`` empty) — always with its reasons."""

    run = models.ForeignKey(
        AssignmentRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="proposals"
    )
    part = models.ForeignKey(
        AssignmentRunPart,
        verbose_name=_("run part"),
        on_delete=models.CASCADE,
        related_name="proposals",
    )
    case = models.ForeignKey(
        "mediation.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="+"
    )
    location = models.ForeignKey(
        "providers.Location",
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    capacity_offer = models.ForeignKey(
        "providers.CapacityOffer",
        verbose_name=_("capacity offer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    expected_days = models.PositiveIntegerField(_("expected wait (days)"), null=True, blank=True)
    days_gained = models.IntegerField(_("days gained"), null=True, blank=True)
    within_norm = models.BooleanField(_("within the Treeknorm"), default=False)
    distance_km = models.DecimalField(
        _("distance (km)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    outside_class3_window = models.BooleanField(_("outside the class-3 window"), default=False)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    selected = models.BooleanField(_("selected"), default=True)
    offer = models.ForeignKey(
        "mediation.Offer",
        verbose_name=_("offer made"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    skipped_reason = models.TextField(_("why it was skipped"), blank=True)

    class Meta:
        verbose_name = _("assignment proposal")
        verbose_name_plural = _("assignment proposals")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "case"], name="assignment_proposal_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.run_id} {self.case_id}"
