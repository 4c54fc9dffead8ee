"""Waiting-time series (location × specialism or treatment × kind; DESIGN §3.1) that a planner adds
before their first figure (the grid's "add a series"). Reporting a figure creates its series by
itself (:mod:`providers.waiting_times.storage`).

The rules kept here:

* Only for one of the planner's own locations; a foreign location is "unknown", like a missing one.
* A series of kind ``treatment`` has a treatment, and its specialism is the treatment's (another
  specialism given is refused); ``first_visit`` and ``diagnostics`` have a specialism and no
  treatment.
* A series exists once: an existing one is refused. Its creation is audited.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.services import audit_record
from core.errors import ApplicationError
from providers.models import Location, Specialism, Treatment, WaitingTimeKind, WaitingTimeSeries
from providers.permissions import location_list_for_reporting
from providers.waiting_times.validation import KINDS


@transaction.atomic
def waiting_time_series_create(
    *,
    actor: Actor,
    location: Location,
    kind: str,
    specialism: Specialism | None,
    treatment: Treatment | None,
) -> WaitingTimeSeries:
    """A new (still empty) series for one of the actor's own locations; an existing one is
    refused. ``location`` must come from ``location_list_for_reporting``."""
    if not location_list_for_reporting(actor=actor).filter(pk=location.pk).exists():
        raise ApplicationError(_("Unknown location."), field="location")
    if kind not in KINDS:
        raise ApplicationError(_("Choose a kind."), field="kind")
    if kind == WaitingTimeKind.TREATMENT:
        if treatment is None:
            raise ApplicationError(
                _("A treatment is required on a row of kind treatment."), field="treatment"
            )
        if specialism is not None and specialism.pk != treatment.specialism_id:
            raise ApplicationError(
                _("This treatment belongs to another specialism."), field="specialism"
            )
        specialism = treatment.specialism
        lookup: dict[str, Any] = {"location": location, "kind": kind, "treatment": treatment}
    else:
        if treatment is not None:
            raise ApplicationError(
                _(
                    "A treatment belongs only on a row of kind treatment: first visits and "
                    "diagnostics are reported per specialism."
                ),
                field="treatment",
            )
        if specialism is None:
            raise ApplicationError(_("A specialism is required for this kind."), field="specialism")
        lookup = {"location": location, "kind": kind, "specialism": specialism, "treatment": None}
    if WaitingTimeSeries.objects.filter(**lookup).exists():
        raise ApplicationError(_("This series already exists."))
    series = WaitingTimeSeries.objects.create(
        location=location, kind=kind, specialism=specialism, treatment=treatment
    )
    audit_record(actor=actor, action=AuditAction.CREATE, obj=series)
    return series
