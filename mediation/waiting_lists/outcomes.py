"""The proactive channel against the reactive one on the outcomes dashboard (issue 15):
invitations, opt-in rate, cases, placed and average days gained, over the same period as the
dashboard. Aggregates only, of the own insurer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q
from django.utils import timezone

from accounts.actors import Actor
from core.months import month_add, month_of
from mediation.models import Case, CaseOutcome, Channel
from mediation.selectors.outcomes import OUTCOME_ROLES
from mediation.waiting_lists.models import Invitation, InvitationStatus


@dataclass(frozen=True)
class ChannelRow:
    key: str  # "proactive" or "reactive"
    invitations: int | None  # None for the reactive channel (nobody is invited)
    opted_in: int | None
    cases: int
    placed: int
    average_days_gained: Decimal | None

    @property
    def opt_in_percentage(self) -> Decimal | None:
        if not self.invitations or self.opted_in is None:
            return None
        return (Decimal(self.opted_in) * 100 / Decimal(self.invitations)).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )


def outcomes_by_channel(*, actor: Actor, today: date, months: int = 12) -> list[ChannelRow]:
    """Proactive (cases opened from an invitation) against reactive (web, API, phone) cases
    submitted in the last ``months`` calendar months; invitations made in the same period."""
    if not actor.has_role(*OUTCOME_ROLES) or actor.organisation is None:
        return []
    start = timezone.make_aware(
        datetime.combine(month_add(month_of(today), -(months - 1)), time.min)
    )
    cases = Case.objects.filter(insurer=actor.organisation, submitted_at__gte=start)
    result: list[ChannelRow] = []
    invitations = Invitation.objects.filter(insurer=actor.organisation, created_at__gte=start)
    for key, channel_filter in (
        ("proactive", Q(channel=Channel.PROACTIVE)),
        ("reactive", ~Q(channel=Channel.PROACTIVE)),
    ):
        figures = cases.filter(channel_filter).aggregate(
            n=Count("id"),
            placed=Count("id", filter=Q(outcome=CaseOutcome.PLACED)),
            average=Avg("days_gained", filter=Q(outcome=CaseOutcome.PLACED)),
        )
        average = figures["average"]
        result.append(
            ChannelRow(
                key=key,
                invitations=invitations.count() if key == "proactive" else None,
                opted_in=invitations.filter(status=InvitationStatus.OPTED_IN).count()
                if key == "proactive"
                else None,
                cases=figures["n"],
                placed=figures["placed"],
                average_days_gained=None
                if average is None
                else Decimal(str(average)).quantize(Decimal("0.1"), ROUND_HALF_UP),
            )
        )
    return result
