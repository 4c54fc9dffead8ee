"""Reads of waiting lists, scans and invitations, scoped to who asks (DESIGN §5)."""

from __future__ import annotations

from collections import Counter

from django.db.models import QuerySet

from accounts.actors import Actor
from accounts.models import Role
from mediation.waiting_lists.models import (
    Invitation,
    InvitationStatus,
    ProactiveScan,
    WaitingListEntry,
    WaitingListUpload,
)


def waiting_list_entries_for(
    *, actor: Actor, include_closed: bool = False
) -> QuerySet[WaitingListEntry]:
    """A provider's planners see their own list; an insurer's mediators their own insured's
    entries (on every provider's list); anyone else nothing."""
    entries = WaitingListEntry.objects.select_related(
        "provider", "location", "insurer", "specialism", "treatment", "case"
    ).filter(anonymised_at__isnull=True)
    if actor.has_role(Role.PLANNER) and actor.provider_id is not None:
        entries = entries.filter(provider_id=actor.provider_id)
    elif actor.has_role(Role.MEDIATOR) and actor.is_insurer and actor.organisation is not None:
        entries = entries.filter(insurer=actor.organisation)
    else:
        return entries.none()
    if not include_closed:
        entries = entries.filter(closed_on__isnull=True)
    return entries.order_by("waiting_since", "id")


def waiting_list_uploads_for(*, actor: Actor) -> QuerySet[WaitingListUpload]:
    if actor.provider_id is None:
        return WaitingListUpload.objects.none()
    return WaitingListUpload.objects.filter(provider_id=actor.provider_id)


def proactive_scans_for(*, actor: Actor) -> QuerySet[ProactiveScan]:
    if not actor.has_role(Role.MEDIATOR) or actor.organisation is None:
        return ProactiveScan.objects.none()
    return ProactiveScan.objects.filter(insurer=actor.organisation)


def scan_cohort(
    *, scan: ProactiveScan, specialism: str = "", region: str = ""
) -> tuple[QuerySet[Invitation], dict[str, int]]:
    """The scan's invitations (filtered by specialism code and ROAZ region of the current
    location) and their counts: invited, opened, opted in, declined, lapsed."""
    invitations = Invitation.objects.filter(scan=scan).select_related(
        "entry__specialism", "entry__location__provider__region", "case", "chosen_location"
    )
    if specialism:
        invitations = invitations.filter(entry__specialism__code=specialism)
    if region:
        invitations = invitations.filter(entry__location__provider__region__code=region)
    statuses: Counter[str] = Counter(invitations.values_list("status", flat=True))
    counts = {
        "invited": sum(statuses.values()),
        "opened": invitations.filter(opened_at__isnull=False).count(),
        "opted_in": statuses[InvitationStatus.OPTED_IN],
        "declined": statuses[InvitationStatus.DECLINED],
        "lapsed": statuses[InvitationStatus.LAPSED],
        "waiting": statuses[InvitationStatus.INVITED],
    }
    return invitations.order_by("entry__specialism__code", "created_at", "id"), counts
