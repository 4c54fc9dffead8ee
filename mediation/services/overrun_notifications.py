"""Notifications of persistent overruns (DESIGN §3.8; issue 14): a series above the Treeknorm
maximum for three cycles in a row, and its return within the norm.

Who is told (in the in-app list and by mail, through ``accounts.Notification``'s outbox):

* the **planners of the provider** of the series (their own waiting times);
* the **mediators and contract managers of the insurers that contract the provider** this year
  (a ``finance.Contract`` for the provider and the current year) — no other insurer.

Exactly once per flag and once per clearance: the flag rows record when they were notified
(``notified_at``, ``clear_notified_at``) and each notification has a ``dedupe_key`` of the flags it
tells, so a retried or concurrent run writes nothing twice. One flag is told in full; several
flags of one run are one digest per provider (its planners) and per insurer (its staff). A flag
that cleared before it was ever notified is closed silently (nobody heard of it). The texts name
the location, the subject and the figures: no patient data.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from accounts.models import Role, User
from finance.models import Contract
from mediation.services.notifications import staff_notify
from providers.models import PersistentOverrun

SERIES_OVERRUN = "series_overrun"
SERIES_OVERRUN_CLEARED = "series_overrun_cleared"
# Insurer staff told about a contracted provider's overrun.
INSURER_RECIPIENT_ROLES = (Role.MEDIATOR, Role.CONTRACT_MANAGER)


def _in_site_language(label: Callable[[], object]) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(label())


def _params(flag: PersistentOverrun) -> dict[str, str | int]:
    series = flag.series
    location = series.location
    subject = series.treatment.name if series.treatment else series.specialism.name
    return {
        "provider": location.provider.name,
        "location": location.name,
        "subject": subject,
        # The kind's name is stored as text: in the site's language, as the mail is.
        "kind": _in_site_language(series.get_kind_display),
        "cycles": flag.cycles,
        "days": flag.days,
        "max_days": flag.max_days,
        "since": flag.since.isoformat(),
    }


def _insurer_staff(*, insurer_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active mediators and contract managers of each insurer."""
    staff: dict[int, list[User]] = defaultdict(list)
    users = User.objects.filter(
        is_active=True,
        membership__role__in=INSURER_RECIPIENT_ROLES,
        membership__organisation_id__in=list(insurer_ids),
    ).annotate(insurer_id=F("membership__organisation_id"))
    for user in users:
        staff[user.insurer_id].append(user)  # type: ignore[attr-defined]
    return staff


def _planners(*, provider_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active planners of each provider."""
    planners: dict[int, list[User]] = defaultdict(list)
    users = User.objects.filter(
        is_active=True,
        membership__role=Role.PLANNER,
        membership__organisation__provider_id__in=list(provider_ids),
    ).annotate(provider_id=F("membership__organisation__provider_id"))
    for user in users:
        planners[user.provider_id].append(user)  # type: ignore[attr-defined]
    return planners


def _digest_key(kind: str, audience: str, flags: list[PersistentOverrun]) -> str:
    """The same flags told to the same audience give the same key: told once, also when the
    flags' own record of it is lost."""
    digest = hashlib.sha256(",".join(str(flag.pk) for flag in flags).encode()).hexdigest()
    return f"{kind}:{audience}:{digest[:40]}"


# One flag is told in full; several flags of one run are told as one digest per provider (to its
# planners) and per insurer (to its staff), so that a first run over national data, which flags
# thousands of series, is a handful of messages and not a mail per series.
MESSAGES = {
    SERIES_OVERRUN: (
        gettext_noop(
            "Persistently over the norm: %(kind)s %(subject)s at %(location)s "
            "(%(provider)s) has been above the Treeknorm maximum of %(max_days)s days "
            "for %(cycles)s cycles in a row since %(since)s (latest: %(days)s days)."
        ),
        gettext_noop(
            "Persistently over the norm: %(count)s series of %(provider)s have been above the "
            "Treeknorm maximum for three cycles in a row or more, among them %(kind)s "
            "%(subject)s at %(location)s (latest: %(days)s days, maximum %(max_days)s)."
        ),
        gettext_noop(
            "Persistently over the norm: %(count)s series at %(providers)s providers you "
            "contract have been above the Treeknorm maximum for three cycles in a row or more. "
            "The national report lists them per region and provider."
        ),
    ),
    SERIES_OVERRUN_CLEARED: (
        gettext_noop(
            "Back within the norm: %(kind)s %(subject)s at %(location)s "
            "(%(provider)s) is within the Treeknorm maximum of %(max_days)s days "
            "again."
        ),
        gettext_noop(
            "Back within the norm: %(count)s series of %(provider)s that were persistently over "
            "the norm are within the Treeknorm maximum again, among them %(kind)s %(subject)s "
            "at %(location)s."
        ),
        gettext_noop(
            "Back within the norm: %(count)s series at %(providers)s providers you contract "
            "that were persistently over the norm are within the Treeknorm maximum again."
        ),
    ),
}


def _tell(*, kind: str, flags: list[PersistentOverrun], today: date) -> int:
    """Write the notifications of one kind (flag or clearance) for ``flags``."""
    single, per_provider, per_insurer = MESSAGES[kind]
    by_provider: dict[int, list[PersistentOverrun]] = defaultdict(list)
    for flag in flags:
        by_provider[flag.series.location.provider_id].append(flag)
    planners = _planners(provider_ids=by_provider)
    contracts = Contract.objects.filter(provider_id__in=list(by_provider), year=today.year)
    by_insurer: dict[int, list[PersistentOverrun]] = defaultdict(list)
    for insurer_id, provider_id in contracts.values_list("insurer_id", "provider_id").distinct():
        by_insurer[insurer_id].extend(by_provider[provider_id])
    insurer_staff = _insurer_staff(insurer_ids=by_insurer)
    written = 0
    for provider_id, provider_flags in sorted(by_provider.items()):
        first = provider_flags[0]
        one = len(provider_flags) == 1
        written += len(
            staff_notify(
                users=planners.get(provider_id, []),
                kind=kind,
                message=single if one else per_provider,
                params={**_params(first), "count": len(provider_flags)},
                link=(
                    reverse("providers:waiting-time-series", args=[first.series_id])
                    if one
                    else reverse("providers:waiting-time-list")
                ),
                dedupe_key=_digest_key(kind, f"p{provider_id}", provider_flags),
            )
        )
    for insurer_id, insurer_flags in sorted(by_insurer.items()):
        insurer_flags.sort(key=lambda flag: flag.pk)
        first = insurer_flags[0]
        one = len(insurer_flags) == 1
        providers = {flag.series.location.provider_id for flag in insurer_flags}
        written += len(
            staff_notify(
                users=insurer_staff.get(insurer_id, []),
                kind=kind,
                message=single if one else per_insurer,
                params={**_params(first), "count": len(insurer_flags), "providers": len(providers)},
                link=(
                    reverse(
                        "providers:regional-report",
                        args=[first.series.location.provider.region.code],
                    )
                    if one
                    else reverse("providers:national-report")
                ),
                dedupe_key=_digest_key(kind, f"i{insurer_id}", insurer_flags),
            )
        )
    return written


def persistent_overruns_notify(*, today: date | None = None) -> int:
    """Notify the flags and clearances not notified yet (see the module docstring); return how
    many notifications were written. One transaction: the flags are locked, told and marked
    together, so a concurrent or retried run tells nothing twice."""
    today = today or timezone.localdate()
    related = ("series__location__provider__region", "series__specialism", "series__treatment")
    pending = PersistentOverrun.objects.filter(
        Q(notified_at__isnull=True) | Q(cleared_at__isnull=False, clear_notified_at__isnull=True)
    )
    with transaction.atomic():
        flags = list(
            pending.select_for_update(of=("self",)).select_related(*related).order_by("pk")
        )
        now = timezone.now()
        silent = [flag for flag in flags if flag.notified_at is None and flag.cleared_at]
        new = [flag for flag in flags if flag.notified_at is None and not flag.cleared_at]
        cleared = [flag for flag in flags if flag.notified_at is not None]
        # Flagged and cleared between two runs: nobody was told, nothing to undo.
        PersistentOverrun.objects.filter(pk__in=[flag.pk for flag in silent]).update(
            notified_at=now, clear_notified_at=now
        )
        written = _tell(kind=SERIES_OVERRUN, flags=new, today=today)
        written += _tell(kind=SERIES_OVERRUN_CLEARED, flags=cleared, today=today)
        PersistentOverrun.objects.filter(pk__in=[flag.pk for flag in new]).update(notified_at=now)
        PersistentOverrun.objects.filter(pk__in=[flag.pk for flag in cleared]).update(
            clear_notified_at=now
        )
    return written
