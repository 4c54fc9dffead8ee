"""Identity and tenancy: users, organisations, memberships with roles, API keys, the audit trail.

A user acts for exactly one organisation, through exactly one membership that carries the user's
role (DESIGN §5). API keys act for an organisation with that organisation's machine role.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

UZOVI_VALIDATOR = RegexValidator(r"^\d{4}$", _("A UZOVI code has exactly 4 digits."))


class User(AbstractUser):
    """A staff user. Patients have no account; they use their case's access token."""

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def organisation(self) -> Organisation | None:
        membership = getattr(self, "membership", None)
        return membership.organisation if membership else None

    @property
    def role(self) -> str | None:
        membership = getattr(self, "membership", None)
        return membership.role if membership else None


class OrganisationKind(models.TextChoices):
    INSURER = "insurer", _("Health insurer")
    PROVIDER = "provider", _("Care provider")
    REGULATOR = "regulator", _("Regulator")


class Role(models.TextChoices):
    MEDIATOR = "mediator", _("Mediator")
    CONTRACT_MANAGER = "contract_manager", _("Contract manager")
    INSURER_ADMIN = "insurer_admin", _("Insurer administrator")
    PLANNER = "planner", _("Planner")
    PROVIDER_ADMIN = "provider_admin", _("Provider administrator")
    REGULATOR = "regulator", _("Regulator")


class AdminRole(models.TextChoices):
    """The rights a user acts with outside the roles of organisations: Django's own staff and
    superuser flags, which open the Django admin. Recorded in the audit trail as the role, so that
    a read in the admin is never attributed to a role the user did not act in; never a role
    that grants anything on the application's own pages."""

    SUPERUSER = "superuser", _("Superuser (Django admin)")
    STAFF = "staff", _("Staff (Django admin)")


# Which roles a member of each kind of organisation may hold (DESIGN §5).
ROLES_BY_KIND: dict[str, frozenset[str]] = {
    OrganisationKind.INSURER: frozenset({Role.MEDIATOR, Role.CONTRACT_MANAGER, Role.INSURER_ADMIN}),
    OrganisationKind.PROVIDER: frozenset({Role.PLANNER, Role.PROVIDER_ADMIN}),
    OrganisationKind.REGULATOR: frozenset({Role.REGULATOR}),
}

# The machine role an organisation's API key acts with (DESIGN §5: provider key ≈ planner,
# insurer key ≈ mediator + contract manager).
API_KEY_ROLES: dict[str, frozenset[str]] = {
    OrganisationKind.INSURER: frozenset({Role.MEDIATOR, Role.CONTRACT_MANAGER}),
    OrganisationKind.PROVIDER: frozenset({Role.PLANNER}),
    OrganisationKind.REGULATOR: frozenset({Role.REGULATOR}),
}


class Organisation(models.Model):
    """An insurer (UZOVI code), a care provider (linked to its ``providers.Provider``) or the
    regulator."""

    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices)
    name = models.CharField(_("name"), max_length=200)
    uzovi = models.CharField(
        _("UZOVI code"),
        max_length=4,
        unique=True,
        null=True,
        blank=True,
        validators=[UZOVI_VALIDATOR],
    )
    provider = models.OneToOneField(
        "providers.Provider",
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisation",
    )
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                name="organisation_identity_matches_kind",
                condition=(
                    Q(kind="insurer", uzovi__isnull=False, provider__isnull=True)
                    | Q(kind="provider", uzovi__isnull=True, provider__isnull=False)
                    | Q(kind="regulator", uzovi__isnull=True, provider__isnull=True)
                ),
            ),
        ]

    def __str__(self) -> str:
        code = self.code
        return f"{self.name} ({code})" if code else self.name

    @property
    def code(self) -> str | None:
        """The natural code: UZOVI for an insurer, AGB for a provider."""
        if self.kind == OrganisationKind.INSURER:
            return self.uzovi
        if self.kind == OrganisationKind.PROVIDER and self.provider is not None:
            return self.provider.agb_code
        return None


class Membership(models.Model):
    """The one organisation a user acts for, and the role the user has there."""

    user = models.OneToOneField(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="membership"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.organisation.name}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.organisation_id and self.role not in ROLES_BY_KIND[self.organisation.kind]:
            raise ValidationError(
                {"role": _("This role does not exist in an organisation of this kind.")}
            )


class ApiKey(models.Model):
    """A named key for an organisation's own systems.

    Only a SHA-256 digest of the secret is stored; the key is shown once when created. The prefix is
    stored in clear so keys can be told apart in lists and looked up without scanning.
    """

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditAction(models.TextChoices):
    VIEW = "view", _("view")
    LIST = "list", _("list")
    CREATE = "create", _("create")
    UPDATE = "update", _("update")
    DELETE = "delete", _("delete")
    EXPORT = "export", _("export")
    LOGIN = "login", _("login")
    LOGIN_FAILED = "login_failed", _("failed login")
    LOGOUT = "logout", _("logout")


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", _("success")
    DENIED = "denied", _("denied")
    FAILURE = "failure", _("failure")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The audit trail is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only.")


class AuditEvent(models.Model):
    """One append-only entry of the audit trail (NEN 7513: who, in which role and organisation,
    did what to which object or case, when, from where, with what outcome).

    References to the actor and organisation are kept without database constraints and with their
    labels copied, so that the trail never needs to change when a user or organisation does.
    """

    occurred_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User,
        verbose_name=_("actor"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=200)
    role = models.CharField(_("role"), max_length=64, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    organisation_label = models.CharField(_("organisation"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=100, blank=True)
    case_reference = models.CharField(_("case reference"), max_length=32, blank=True, db_index=True)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=AuditOutcome.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    # Append-only: the guard lives on the model so that no code path (admin, shell, services) can
    # rewrite or remove history. PostgreSQL additionally refuses it with a trigger (migration 0002).
    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only.")


class Notification(models.Model):
    """A message to one staff user: in the in-app list (unread until read) and, unless it is
    marked as needing no mail, also an email — this row is that mail's outbox entry (written in
    the transaction of the change it reports, sent after the commit, sent again by a beat task
    when the broker lost it; never sent twice).

    The text is an English message id with its parameters, translated when shown (the user's
    language) or mailed (Dutch); it names a case by reference only, never the patient. Apps above
    this floor write these rows (``mediation.services.notifications``); ``dedupe_key`` lets a
    periodic job write a notification at most once (e.g. one digest per mediator per day)."""

    recipient = models.ForeignKey(
        User,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=32)
    message = models.CharField(_("message"), max_length=500)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    dedupe_key = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # The mail (an outbox row): done when sent, or skipped (no mail wanted, no address).
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    email_skipped = models.BooleanField(_("no email"), default=False)
    email_attempts = models.PositiveSmallIntegerField(_("email attempts"), default=0)
    email_error = models.TextField(_("last email error"), blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_once_per_key",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["emailed_at", "created_at"], name="notification_mail_outbox"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def text(self) -> str:
        """The message in the active language, with its parameters."""
        try:
            return gettext(self.message) % self.params
        except (KeyError, TypeError, ValueError):
            return gettext(self.message)

    @property
    def is_mail_done(self) -> bool:
        return self.emailed_at is not None or self.email_skipped
