"""Reads of the accounts app that need no actor."""

from django.db.models import QuerySet

from accounts.models import Notification, Organisation, OrganisationKind, User


def insurer_list() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.INSURER).order_by("uzovi")


def organisation_by_code(*, code: str) -> Organisation | None:
    """An insurer by UZOVI code or a provider organisation by AGB code."""
    code = (code or "").strip()
    return (
        Organisation.objects.filter(uzovi=code).first()
        or Organisation.objects.filter(provider__agb_code=code).first()
    )


def demo_data_present() -> bool:
    return Organisation.objects.filter(is_demo=True).exists()


def notification_list_for(*, user: User) -> QuerySet[Notification]:
    """A staff user's own notifications, newest first (nobody sees another's)."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def notification_unread_count(*, user: User) -> int:
    """How many of the user's notifications are unread: one COUNT on an index, cheap enough for
    the navigation bar of every staff page."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
