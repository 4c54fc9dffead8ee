"""Consented waiting lists, proactive scans and invitations (DESIGN §3.6, issue 15).

* A provider uploads its consented waiting list as a **snapshot** (:class:`WaitingListUpload`):
  entries present are created or updated (keyed by the provider's ``external_id``), entries of
  the provider that are missing are closed on the upload's date; nothing is deleted.
* A **scan** (:class:`ProactiveScan`) looks at every open entry of one insurer, split in one
  :class:`ProactiveScanPart` per specialism (one Celery task each), and invites the patients who
  wait (or will wait within the look-ahead) beyond the Treeknorm maximum and whom an alternative
  helps by at least the margin.
* An **invitation** (:class:`Invitation`) is reached by the patient with a secret link (only
  SHA-256 of the token is stored); opting in opens a case with channel ``proactive``.

No BSN is stored; personal data of closed entries is blanked after the insurer's retention
period, like that of cases.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from providers.models import TREATMENT_ONLY_FOR_TREATMENT_KIND, WaitingTimeKind


class UploadSource(models.TextChoices):
    WEB = "web", _("Web upload")
    API = "api", _("API (JSON)")
    CSV = "csv", _("API (CSV)")


class WaitingListUploadStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Imported")
    FAILED = "failed", _("Refused")


class WaitingListUpload(models.Model):
    """One snapshot of a provider's consented waiting list, with its validation summary."""

    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("provider"),
        on_delete=models.CASCADE,
        related_name="waiting_list_uploads",
    )
    source = models.CharField(_("source"), max_length=8, choices=UploadSource.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by_label = models.CharField(_("uploaded by"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    upload_date = models.DateField(_("date of the snapshot"))
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    # The web upload keeps its file until its task has read it (then it is blanked).
    content = models.TextField(blank=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=WaitingListUploadStatus.choices,
        default=WaitingListUploadStatus.PENDING,
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    errors = models.JSONField(_("row errors"), default=list, blank=True)
    # The validation summary (issue 15).
    entries = models.PositiveIntegerField(_("entries"), default=0)
    created = models.PositiveIntegerField(_("new entries"), default=0)
    closed = models.PositiveIntegerField(_("closed (left the list)"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    implausible = models.PositiveIntegerField(_("implausible"), default=0)
    linked = models.PositiveIntegerField(_("linked to an open case"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("waiting-list upload")
        verbose_name_plural = _("waiting-list uploads")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.created_at:%Y-%m-%d %H:%M}"


class WaitingListEntry(models.Model):
    """One consented patient on a provider's waiting list (DESIGN §3.6)."""

    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("provider"),
        on_delete=models.CASCADE,
        related_name="waiting_list_entries",
    )
    external_id = models.CharField(_("provider's reference"), max_length=64)
    location = models.ForeignKey(
        "providers.Location", verbose_name=_("location"), on_delete=models.PROTECT, related_name="+"
    )
    insurer = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("insurer"),
        on_delete=models.PROTECT,
        related_name="waiting_list_entries",
        limit_choices_to={"kind": "insurer"},
    )
    policy_number = models.CharField(_("policy number"), max_length=32)
    full_name = models.CharField(_("name"), max_length=200)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=32, blank=True)
    postcode = models.CharField(_("postcode"), max_length=6)
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
    waiting_since = models.DateField(_("waiting since"))
    expected_date = models.DateField(_("expected date"), null=True, blank=True)
    consent_date = models.DateField(_("consent given on"))
    # Set when the patient asked not to be approached again (declining an invitation).
    consent_withdrawn_at = models.DateTimeField(_("consent withdrawn at"), null=True, blank=True)

    first_upload = models.ForeignKey(
        WaitingListUpload, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The last upload that changed the entry (an unchanged entry is not rewritten).
    last_upload = models.ForeignKey(
        WaitingListUpload, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The day the entry was missing from a snapshot (left the list: treated, withdrawn).
    closed_on = models.DateField(_("left the list on"), null=True, blank=True)
    # Validation (issue 15): the same patient on another provider's open list.
    is_duplicate = models.BooleanField(_("duplicate"), default=False)
    implausible = models.CharField(_("implausible"), max_length=200, blank=True)
    case = models.ForeignKey(
        "mediation.Case",
        verbose_name=_("mediation case"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waiting_list_entries",
    )
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("waiting-list entry")
        verbose_name_plural = _("waiting-list entries")
        ordering = ["waiting_since", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"], name="waiting_list_entry_external_id"
            ),
            models.CheckConstraint(
                name="waiting_list_urgency_3_to_5",
                condition=Q(urgency_class__gte=3, urgency_class__lte=5),
            ),
            models.CheckConstraint(
                name="waiting_list_treatment_only_for_treatment_kind",
                condition=TREATMENT_ONLY_FOR_TREATMENT_KIND,
            ),
        ]
        indexes = [
            models.Index(fields=["insurer", "specialism", "closed_on"], name="waiting_list_scan"),
            models.Index(fields=["insurer", "policy_number"], name="waiting_list_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id}:{self.external_id}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class ScanStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


class ScanTrigger(models.TextChoices):
    NIGHTLY = "nightly", _("Nightly")
    MANUAL = "manual", _("By a mediator")
    API = "api", _("API")


# Why an open entry was not invited, in the order the scan's report names them (DESIGN §3.6).
NOT_INVITED_REASONS = (
    "within_norm",
    "no_alternative",
    "duplicate",
    "open_case",
    "quiet_period",
    "no_consent",
)


class ProactiveScan(models.Model):
    """One scan of an insurer's open waiting-list entries; its counts are the sum of its parts."""

    insurer = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("insurer"),
        on_delete=models.CASCADE,
        related_name="proactive_scans",
        limit_choices_to={"kind": "insurer"},
    )
    trigger = models.CharField(_("started"), max_length=16, choices=ScanTrigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    specialisms = models.JSONField(_("specialisms"), default=list, blank=True)
    scan_date = models.DateField(_("scan date"))
    status = models.CharField(
        _("status"), max_length=16, choices=ScanStatus.choices, default=ScanStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    parts_total = models.PositiveIntegerField(default=0)
    parts_done = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The report (filled when the scan has finished, from its parts).
    scanned = models.PositiveIntegerField(_("scanned"), default=0)
    over_norm = models.PositiveIntegerField(_("over the norm"), default=0)
    invited = models.PositiveIntegerField(_("invited"), default=0)
    not_invited = models.JSONField(_("not invited, by reason"), default=dict, blank=True)

    class Meta:
        verbose_name = _("proactive scan")
        verbose_name_plural = _("proactive scans")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.insurer_id} {self.scan_date}"


class ProactiveScanPart(models.Model):
    """The scan of one specialism, or of a range of a large one (one Celery task each); done
    once, whatever how often it runs."""

    scan = models.ForeignKey(ProactiveScan, on_delete=models.CASCADE, related_name="parts")
    specialism = models.ForeignKey(
        "providers.Specialism", on_delete=models.PROTECT, related_name="+"
    )
    # A large specialism is split into parts by entry id (from … to, inclusive; 0 and None
    # when the part covers the whole specialism), so that workers share its entries too.
    first_entry_id = models.BigIntegerField(default=0)
    last_entry_id = models.BigIntegerField(null=True, blank=True)
    entries = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    scanned = models.PositiveIntegerField(default=0)
    over_norm = models.PositiveIntegerField(default=0)
    invited = models.PositiveIntegerField(default=0)
    not_invited = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("proactive scan part")
        verbose_name_plural = _("proactive scan parts")
        constraints = [
            models.UniqueConstraint(
                fields=["scan", "specialism", "first_entry_id"], name="scan_part_specialism"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scan_id}:{self.specialism_id}"


class InvitationStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    OPTED_IN = "opted_in", _("Opted in")
    DECLINED = "declined", _("Declined")
    LAPSED = "lapsed", _("Lapsed")


class InvitationChannel(models.TextChoices):
    EMAIL = "email", _("by email")
    LETTER = "letter", _("by letter")


class Invitation(models.Model):
    """A patient on a waiting list invited to switch to a provider that helps sooner."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    scan = models.ForeignKey(
        ProactiveScan, verbose_name=_("scan"), on_delete=models.CASCADE, related_name="invitations"
    )
    entry = models.ForeignKey(
        WaitingListEntry,
        verbose_name=_("waiting-list entry"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    insurer = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("insurer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=InvitationStatus.choices,
        default=InvitationStatus.INVITED,
    )
    channel = models.CharField(_("channel"), max_length=8, choices=InvitationChannel.choices)
    # Only SHA-256 of the secret tokens: the invitation's link, and the reminder's link.
    access_token_hash = models.CharField(max_length=64, editable=False)
    reminder_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Up to 3 alternatives as the scan found them (mediation.matching.Candidate, JSON-safe).
    alternatives = models.JSONField(_("alternatives"), default=list)
    waited_days = models.PositiveIntegerField(_("waited (days)"))
    projected_total_days = models.PositiveIntegerField(_("projected total wait (days)"))
    norm_max_days = models.PositiveIntegerField(_("Treeknorm maximum (days)"))
    created_at = models.DateTimeField(_("invited at"), default=timezone.now)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    lapsed_at = models.DateTimeField(_("lapsed at"), null=True, blank=True)
    letter_printed_at = models.DateTimeField(_("letter printed at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    chosen_location = models.ForeignKey(
        "providers.Location",
        verbose_name=_("chosen location"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    case = models.OneToOneField(
        "mediation.Case",
        verbose_name=_("mediation case"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitation",
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["scan", "entry"], name="invitation_once_per_scan")
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="invitation_status"),
            models.Index(fields=["entry", "created_at"], name="invitation_entry"),
        ]

    def __str__(self) -> str:
        return self.reference


class InvitationMailKind(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    REMINDER = "reminder", _("Reminder")


class InvitationMail(models.Model):
    """A mail to send about an invitation (an outbox row, like ``CaseNotification``): written in
    the transaction of the change, sent after the commit, re-sent by the flush task after a
    broker outage. ``secret`` holds the link's token until the mail has gone."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="mails")
    kind = models.CharField(_("kind"), max_length=16, choices=InvitationMailKind.choices)
    secret = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_to = models.EmailField(_("sent to"), blank=True)
    skipped = models.BooleanField(_("skipped"), default=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("invitation mail")
        verbose_name_plural = _("invitation mails")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sent_at", "created_at"], name="invitation_outbox")]

    def __str__(self) -> str:
        return f"{self.invitation_id} {self.kind}"

    @property
    def is_done(self) -> bool:
        return self.sent_at is not None or self.skipped
