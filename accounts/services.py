"""Writes of the accounts app: organisations, members, API keys and the audit trail."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import (
    ROLES_BY_KIND,
    ApiKey,
    AuditAction,
    AuditEvent,
    AuditOutcome,
    Membership,
    Notification,
    Organisation,
    User,
)
from core.client_ip import client_ip

if TYPE_CHECKING:
    from accounts.actors import Actor

API_KEY_PREFIX_LENGTH = 8
# last_used_at is refreshed at most this often, so a busy integration does not write on every call.
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


# --- Organisations and members ------------------------------------------------------------------
@transaction.atomic
def organisation_create(
    *,
    kind: str,
    name: str,
    uzovi: str | None = None,
    provider: Any = None,  # a providers.Provider: accounts sits below providers (DESIGN §4)
    is_demo: bool = False,
) -> Organisation:
    organisation = Organisation(
        kind=kind, name=name, uzovi=uzovi or None, provider=provider, is_demo=is_demo
    )
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def member_create(
    *,
    organisation: Organisation,
    username: str,
    role: str,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a staff user acting for ``organisation`` in ``role``."""
    if role not in ROLES_BY_KIND[organisation.kind]:
        raise ValidationError(
            {
                "role": _("The role %(role)s does not exist in this kind of organisation.")
                % {"role": role}
            }
        )
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


# --- API keys -------------------------------------------------------------------------------
def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split_key(raw_key: str) -> tuple[str, str] | None:
    prefix, sep, secret = raw_key.partition(".")
    if not sep or not prefix or not secret:
        return None
    return prefix, secret


@transaction.atomic
def api_key_create(
    *, organisation: Organisation, name: str, created_by: User | None = None
) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is never stored and cannot be shown again.

    The key reads ``zb_<prefix>.<secret>``; only SHA-256 of the secret is kept (the secret has 256
    bits of entropy, so a fast hash is the right tool, unlike for passwords).
    """
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the key a name, e.g. the system that will use it.")})
    if organisation.api_keys.filter(name=name, revoked_at__isnull=True).exists():
        raise ValidationError({"name": _("An active key with this name already exists.")})
    prefix = "zb_" + secrets.token_hex(API_KEY_PREFIX_LENGTH // 2)
    while ApiKey.objects.filter(prefix=prefix).exists():  # pragma: no cover - 2^32 space
        prefix = "zb_" + secrets.token_hex(API_KEY_PREFIX_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        organisation=organisation,
        name=name,
        prefix=prefix,
        hashed_key=_digest(secret),
        created_by=created_by,
    )
    return api_key, f"{prefix}.{secret}"


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key matching ``raw_key``, or ``None``. Records when the key was last used."""
    parts = _split_key(raw_key)
    if parts is None:
        return None
    prefix, secret = parts
    api_key = (
        ApiKey.objects.select_related("organisation", "organisation__provider")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.hashed_key, _digest(secret)):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= API_KEY_TOUCH_INTERVAL:
        ApiKey.objects.filter(pk=api_key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - API_KEY_TOUCH_INTERVAL)
        ).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


# --- Audit trail ------------------------------------------------------------------------------
def request_client_ip(request: Any) -> str | None:
    """The client's address for the audit trail (``core.client_ip``: behind the trusted proxies,
    the one they saw, never an address the client wrote itself)."""
    return None if request is None else client_ip(request)


def audit_record(
    *,
    actor: Actor,
    action: str,
    outcome: str = AuditOutcome.SUCCESS,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    case_reference: str = "",
    request: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit trail (NEN 7513).

    Called for every read or change of patient data by staff, for logins, and for administrative
    actions (API keys, members). Events are only ever added, never changed.
    """
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = object_id or str(obj.pk)
    user = actor.user
    organisation = actor.organisation
    return AuditEvent.objects.create(
        actor=user,
        actor_label=actor.label,
        role=actor.role_label,
        organisation=organisation,
        organisation_label=str(organisation) if organisation else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        case_reference=case_reference,
        client_ip=request_client_ip(request),
        user_agent=(getattr(request, "META", {}) or {}).get("HTTP_USER_AGENT", "")[:400]
        if request is not None
        else "",
        outcome=outcome,
        detail=detail or {},
    )


def audit_action_of(request: Any) -> str:
    """What a request attempts, when no page says more: reading (GET, HEAD, OPTIONS), deleting,
    or else changing."""
    method = getattr(request, "method", None) or "GET"
    if method in ("GET", "HEAD", "OPTIONS"):
        return AuditAction.VIEW
    if method == "DELETE":
        return AuditAction.DELETE
    return AuditAction.UPDATE


def audit_refusal(
    *,
    actor: Actor,
    request: Any,
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    case_reference: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """Record that a staff actor (a user or an API key) was refused (NEN 7513: refused attempts
    are logged too), with what was asked for as the caller gave it; ``action`` defaults to what
    the request's method attempts.

    The caller answers as it always does (a 404 for a foreign object, alike for a missing one);
    this adds the same one insert either way, so the answer tells nothing more. Anonymous
    callers are not recorded: they are not staff, and an unauthenticated request must not be able
    to fill an append-only table."""
    if not actor.is_authenticated:
        return None
    if request is not None:
        detail = {"path": str(getattr(request, "path", ""))[:300], **(detail or {})}
    return audit_record(
        actor=actor,
        action=action or audit_action_of(request),
        outcome=AuditOutcome.DENIED,
        object_type=object_type,
        object_id=object_id[:100],
        case_reference=case_reference[:32],
        request=request,
        detail=detail,
    )


# --- Notifications ------------------------------------------------------------------------------
def notification_mark_read(
    *, user: User, notification_ids: list[int] | None = None, now: Any = None
) -> int:
    """Mark the user's own unread notifications as read: those of ``notification_ids``, or all
    of them when ``None``. Another user's ids are ignored. Returns how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=now or timezone.now())
