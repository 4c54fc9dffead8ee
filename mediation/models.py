"""Mediation cases, their timeline, offers and the insurer's mediation settings (DESIGN §3.3).

A case is one patient's request to be helped to a provider with a shorter wait. Its status moves
only through the services in ``mediation.services`` along one explicit transition map; every
change is a :class:`CaseEvent` on the case's timeline. No BSN is ever stored.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from providers.models import (
    TREATMENT_ONLY_FOR_TREATMENT_KIND,
    WaitingTimeKind,
)

if TYPE_CHECKING:
    from accounts.models import Organisation


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_PROGRESS = "in_progress", _("In progress")
    OFFERED = "offered", _("Offer made")
    ACCEPTED = "accepted", _("Offer accepted")
    COMPLETED = "completed", _("Completed")
    CLOSED = "closed", _("Closed")


# Statuses in which a case still needs work (and may be closed with an outcome).
OPEN_STATUSES = (
    CaseStatus.SUBMITTED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.OFFERED,
    CaseStatus.ACCEPTED,
)
FINISHED_STATUSES = (CaseStatus.COMPLETED, CaseStatus.CLOSED)


class CaseOutcome(models.TextChoices):
    PLACED = "placed", _("Placed with another provider")
    NO_ALTERNATIVE = "no_alternative", _("No alternative found")
    WITHDRAWN = "withdrawn", _("Withdrawn by the patient")
    RESOLVED_AT_CURRENT_PROVIDER = (
        "resolved_at_current_provider",
        _("Resolved at the current provider"),
    )
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
    DECLINED_BY_PATIENT = "declined_by_patient", _("Declined by the patient")


# The outcomes a case can be closed with (``placed`` is only set by completing a case).
CLOSE_OUTCOMES = tuple(o for o in CaseOutcome if o != CaseOutcome.PLACED)


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    API = "api", _("API")
    PHONE = "phone", _("Phone (entered by a mediator)")
    PROACTIVE = "proactive", _("Proactive scan")


class ContactChannel(models.TextChoices):
    """How a mediator reached (or tried to reach) the patient."""

    PHONE = "phone", _("by phone")
    EMAIL = "email", _("by email")
    LETTER = "letter", _("by letter")


class ContactResult(models.TextChoices):
    REACHED = "reached", _("Reached")
    NOT_REACHED = "not_reached", _("Not reached")


class AnswerChannel(models.TextChoices):
    """How the patient's answer to an offer reached us: online by the patient, or taken by a
    mediator on the patient's behalf (DESIGN §3.3)."""

    WEB = "web", _("online")
    PHONE = "phone", _("by phone")
    LETTER = "letter", _("by letter")


# The channels through which a mediator records a patient's answer.
STAFF_ANSWER_CHANNELS = (AnswerChannel.PHONE, AnswerChannel.LETTER)


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> CaseQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, *, today: date) -> CaseQuerySet:
        """The overdue cases (:func:`overdue_condition`)."""
        return self.filter(overdue_condition(today=today))

    def with_overdue(self, *, today: date) -> CaseQuerySet:
        """Annotate ``is_overdue`` (bool), e.g. to order a work queue overdue first."""
        return self.annotate(
            is_overdue=models.ExpressionWrapper(
                overdue_condition(today=today), output_field=models.BooleanField()
            )
        )


def overdue_condition(*, today: date) -> Q:
    """The overdue rule (DESIGN §3.3): a case is overdue on ``today`` when it is open, has had no
    first contact yet and its first-contact due date lies before ``today``.

    This is the rule as a query condition; :meth:`Case.is_overdue_on` is the same rule for one
    case in memory (tests/mediation/test_models.py holds the two to each other)."""
    return Q(
        status__in=OPEN_STATUSES,
        first_contact_at__isnull=True,
        first_contact_due__lt=today,
    )


class Case(models.Model):
    """One patient's mediation request with their insurer."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    insurer = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("insurer"),
        on_delete=models.PROTECT,
        related_name="mediation_cases",
        limit_choices_to={"kind": "insurer"},
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED
    )
    outcome = models.CharField(_("outcome"), max_length=32, choices=CaseOutcome.choices, blank=True)

    # The patient (DESIGN §3.3; no BSN). Blanked by anonymisation after the retention period.
    policy_number = models.CharField(_("policy number"), max_length=32)
    full_name = models.CharField(_("name"), max_length=200)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=32, blank=True)
    # Normalised PC6 ("1234AB"); only the PC4 is kept after anonymisation.
    postcode = models.CharField(_("postcode"), max_length=6)

    # What the patient waits for.
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
    kind = models.CharField(_("kind"), max_length=16, choices=WaitingTimeKind.choices)
    urgency_class = models.PositiveSmallIntegerField(
        _("urgency class"), validators=[MinValueValidator(3), MaxValueValidator(5)]
    )
    current_location = models.ForeignKey(
        "providers.Location",
        verbose_name=_("current location"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    waiting_since = models.DateField(_("waiting since"))
    expected_date = models.DateField(_("expected date at current provider"), null=True, blank=True)
    max_distance_km = models.PositiveIntegerField(_("maximum travel distance (km)"))
    hospital_setting_required = models.BooleanField(_("hospital setting required"), default=False)
    consent_at = models.DateTimeField(_("consent given at"))

    # Only SHA-256 of the patient's secret token; the token itself is shown once.
    access_token_hash = models.CharField(max_length=64, editable=False)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_mediation_cases",
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    first_contact_due = models.DateField(_("first contact due"))
    first_contact_at = models.DateTimeField(_("first contact at"), null=True, blank=True)
    # How the patient was reached at first contact (empty when unknown: an offer, the web).
    first_contact_channel = models.CharField(
        _("first contact channel"), max_length=16, choices=ContactChannel.choices, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    appointment_date = models.DateField(_("appointment date"), null=True, blank=True)
    days_gained = models.IntegerField(_("days gained"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("mediation case")
        verbose_name_plural = _("mediation cases")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="case_urgency_class_3_to_5",
                condition=Q(urgency_class__gte=3, urgency_class__lte=5),
            ),
            models.CheckConstraint(
                name="case_treatment_only_for_treatment_kind",
                condition=TREATMENT_ONLY_FOR_TREATMENT_KIND,
            ),
            models.CheckConstraint(
                name="case_outcome_only_when_finished",
                condition=(Q(status__in=FINISHED_STATUSES) & ~Q(outcome=""))
                | (~Q(status__in=FINISHED_STATUSES) & Q(outcome="")),
            ),
            models.CheckConstraint(
                name="case_max_distance_positive", condition=Q(max_distance_km__gte=1)
            ),
        ]
        indexes = [
            models.Index(fields=["insurer", "status", "first_contact_due"], name="case_work_queue"),
            models.Index(fields=["status", "closed_at"], name="case_status_closed"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue_on(self, today: date) -> bool:
        """The overdue rule of :func:`overdue_condition`, for this case: open, no first contact
        yet, and the first-contact due date before ``today``."""
        return self.is_open and self.first_contact_at is None and self.first_contact_due < today

    @property
    def pc4(self) -> str:
        return self.postcode[:4]


class CaseReferenceCounter(models.Model):
    """The last case number handed out in a year; locked while a reference is allocated, so
    references are sequential per year and never given twice."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case reference counter")
        verbose_name_plural = _("case reference counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class CaseEventKind(models.TextChoices):
    CREATED = "created", _("Request received")
    STATUS_CHANGED = "status_changed", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    NOTE = "note", _("Note")
    OFFER_MADE = "offer_made", _("Offer made")
    OFFER_ACCEPTED = "offer_accepted", _("Offer accepted")
    OFFER_DECLINED = "offer_declined", _("Offer declined")
    OFFER_EXPIRED = "offer_expired", _("Offer expired")
    APPOINTMENT_CONFIRMED = "appointment_confirmed", _("Appointment confirmed")
    CONTACT_RECORDED = "contact_recorded", _("First contact")
    CONTACT_ATTEMPTED = "contact_attempted", _("Patient not reached")
    CASE_UPDATED = "case_updated", _("Details corrected")
    LETTER_PRINTED = "letter_printed", _("Letter printed")
    ANONYMISED = "anonymised", _("Personal data anonymised")


class CaseEvent(models.Model):
    """One entry of a case's timeline: who did what, when, with which note."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # "patient", "system", or the staff user's name (kept when the user is removed).
    actor_label = models.CharField(_("by"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=CaseEventKind.choices)
    from_status = models.CharField(
        _("from status"), max_length=16, choices=CaseStatus.choices, blank=True
    )
    to_status = models.CharField(
        _("to status"), max_length=16, choices=CaseStatus.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    offer = models.ForeignKey(
        "Offer",
        verbose_name=_("offer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_timeline")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.at:%Y-%m-%d %H:%M} {self.kind}"


class OfferStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Offer(models.Model):
    """A location proposed to the patient, optionally holding one reserved slot of a capacity
    offer (held while the offer is open or accepted, released otherwise)."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="offers"
    )
    location = models.ForeignKey(
        "providers.Location",
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        related_name="mediation_offers",
    )
    capacity_offer = models.ForeignKey(
        "providers.CapacityOffer",
        verbose_name=_("capacity offer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mediation_offers",
    )
    expected_days = models.PositiveIntegerField(_("expected wait (days)"))
    expected_date = models.DateField(_("expected date"))
    distance_km = models.DecimalField(
        _("distance (km)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    # None: unknown (the patient's remaining wait was unknown when the offer was made).
    days_gained = models.IntegerField(_("days gained"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=OfferStatus.choices, default=OfferStatus.OPEN
    )
    # An offer that breaks matching rules (``mediation.matching.OFFER_RULES``) needs the
    # mediator's reason (DESIGN §3.3); both are kept with the offer.
    override_reason = models.TextField(_("reason for overriding the matching rules"), blank=True)
    overridden_rules = models.JSONField(_("matching rules overridden"), default=list, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    made_at = models.DateTimeField(_("made at"), default=timezone.now)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    note = models.TextField(_("note"), blank=True)
    appointment_date = models.DateField(_("appointment date"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # When the patient was reminded that the offer is about to expire (once per offer).
    reminder_sent_at = models.DateTimeField(_("expiry reminder sent at"), null=True, blank=True)
    # How the answer came: online by the patient, or taken by phone or letter by ``answered_by``.
    answer_channel = models.CharField(
        _("answer channel"), max_length=16, choices=AnswerChannel.choices, blank=True
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answer recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-made_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status="accepted"),
                name="offer_one_accepted_per_case",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="offer_status_expiry")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.location_id} ({self.status})"

    @property
    def hold_key(self) -> str:
        """The key of this offer's slot hold (``providers.CapacityHold.holder``)."""
        return f"mediation.offer:{self.pk}"

    def is_lapsed_at(self, now: datetime) -> bool:
        """Open, but its time has passed: it reads as expired whether or not the expiry has
        been recorded yet (DESIGN §3.3, time-driven changes hold without a beat process)."""
        return self.status == OfferStatus.OPEN and self.expires_at <= now

    @property
    def holds_slot(self) -> bool:
        return self.capacity_offer_id is not None and self.status in (
            OfferStatus.OPEN,
            OfferStatus.ACCEPTED,
        )


class NotificationKind(models.TextChoices):
    REQUEST_RECEIVED = "request_received", _("Request received")
    OFFER_MADE = "offer_made", _("Offer made")
    OFFER_EXPIRING = "offer_expiring", _("Offer about to expire")
    OFFER_EXPIRED = "offer_expired", _("Offer expired")
    OFFER_DECLINED = "offer_declined", _("Offer declined")
    APPOINTMENT_CONFIRMED = "appointment_confirmed", _("Appointment confirmed")
    CASE_CLOSED = "case_closed", _("Request closed")
    CASE_WITHDRAWN = "case_withdrawn", _("Request withdrawn")


class NotificationRecipient(models.TextChoices):
    PATIENT = "patient", _("Patient")
    MEDIATOR = "mediator", _("Assigned mediator")


class CaseNotification(models.Model):
    """An email to send about a case (an outbox row).

    Written in the same transaction as the change it reports, and sent by a Celery task after the
    commit; a beat task re-sends rows that are still unsent (e.g. after a broker outage), and a
    sent row is never sent again. ``secret`` carries the patient's status-page token for the
    first mail only, and is erased once that mail has gone.
    """

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="notifications"
    )
    offer = models.ForeignKey(
        Offer,
        verbose_name=_("offer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    recipient = models.CharField(
        _("recipient"), max_length=16, choices=NotificationRecipient.choices
    )
    secret = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_to = models.EmailField(_("sent to"), blank=True)
    # Set when there was nobody to send to (no email address, no assigned mediator).
    skipped = models.BooleanField(_("skipped"), default=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("case notification")
        verbose_name_plural = _("case notifications")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sent_at", "created_at"], name="notification_outbox")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} → {self.recipient}"

    @property
    def is_done(self) -> bool:
        return self.sent_at is not None or self.skipped


class MediationSettings(models.Model):
    """An insurer's mediation settings (defaults apply while it has no row)."""

    insurer = models.OneToOneField(
        "accounts.Organisation",
        verbose_name=_("insurer"),
        on_delete=models.CASCADE,
        related_name="mediation_settings",
        limit_choices_to={"kind": "insurer"},
    )
    first_contact_working_days = models.PositiveSmallIntegerField(
        _("first contact within (working days)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    match_margin_days = models.PositiveSmallIntegerField(
        _("minimum days gained for a match"),
        default=14,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
    )
    offer_expiry_working_days = models.PositiveSmallIntegerField(
        _("offers expire after (working days)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    retention_months = models.PositiveSmallIntegerField(
        _("keep personal data of finished cases (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    # The proactive scan of consented waiting lists (DESIGN §3.6, issue 15).
    scan_look_ahead_days = models.PositiveSmallIntegerField(
        _("scan: look ahead (days)"),
        default=14,
        validators=[MinValueValidator(0), MaxValueValidator(180)],
    )
    scan_distance_km = models.PositiveSmallIntegerField(
        _("scan: travel distance for waiting lists (km)"),
        default=25,
        validators=[MinValueValidator(5), MaxValueValidator(300)],
    )
    invitation_quiet_days = models.PositiveSmallIntegerField(
        _("invitations: quiet period (days)"),
        default=60,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
    )
    invitation_reminder_days = models.PositiveSmallIntegerField(
        _("invitations: reminder after (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    invitation_lapse_days = models.PositiveSmallIntegerField(
        _("invitations: lapse after (days)"),
        default=14,
        validators=[MinValueValidator(2), MaxValueValidator(90)],
    )

    class Meta:
        verbose_name = _("mediation settings")
        verbose_name_plural = _("mediation settings")

    def __str__(self) -> str:
        return f"{self.insurer_id}"


def mediation_settings_for(insurer: Organisation) -> MediationSettings:
    """The insurer's settings row, or an unsaved one with the defaults."""
    found = MediationSettings.objects.filter(insurer=insurer).first()
    return found if found is not None else MediationSettings(insurer=insurer)


class DeclineReason(models.TextChoices):
    """The short reasons the status page offers a patient who declines an offer (DESIGN §3.3:
    the reason is optional, chosen from a short list or written). What is stored is text
    (``Offer.decline_reason``): the chosen reason in the staff's language, with the patient's
    own words after it; the API takes the same free text."""

    TOO_FAR = "too_far", _("The hospital or clinic is too far away for me")
    DATE = "date", _("The date does not suit me")
    STAY = "stay", _("I prefer to stay with my own hospital or clinic")
    NO_LONGER = "no_longer", _("I no longer need this care")
    OTHER = "other", _("Another reason")


# Assignment runs (issue 16) live in their own module; imported here so Django registers them.
from mediation.assignment_models import (  # noqa: E402, F401
    AssignmentProposal,
    AssignmentRun,
    AssignmentRunPart,
    AssignmentRunStatus,
)

# The consented waiting lists, scans and invitations (issue 15) are models of this app too.
from mediation.waiting_lists.models import (  # noqa: E402, F401
    Invitation,
    InvitationMail,
    ProactiveScan,
    ProactiveScanPart,
    WaitingListEntry,
    WaitingListUpload,
)
