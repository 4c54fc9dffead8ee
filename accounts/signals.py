"""Audit of logins and logouts (NEN 7513). Django's auth signals are the only place these happen."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts.actors import ANONYMOUS, actor_for_user
from accounts.models import AuditAction, AuditOutcome
from accounts.services import audit_record


@receiver(user_logged_in)
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(actor=actor_for_user(user), action=AuditAction.LOGIN, request=request)


@receiver(user_logged_out)
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=actor_for_user(user), action=AuditAction.LOGOUT, request=request)


@receiver(user_login_failed)
def audit_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    # The attempted username is kept in the detail; the password never is.
    audit_record(
        actor=ANONYMOUS,
        action=AuditAction.LOGIN_FAILED,
        outcome=AuditOutcome.FAILURE,
        request=request,
        detail={"username": str(credentials.get("username", ""))[:150]},
    )
