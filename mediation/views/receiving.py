"""The receiving provider's page: patients who accepted an offer at one of the provider's
locations, and the confirmation of their appointment date (which completes the case).

Only the provider's planners see them, and only what is needed to schedule them; another
provider's patient is 404 (``mediation.permissions.access_incoming_offer_for``).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.actors import Actor
from accounts.permissions import view_role_required
from core.errors import ApplicationError
from core.forms import add_service_errors
from mediation.forms import AppointmentConfirmForm
from mediation.models import CaseStatus, Offer
from mediation.permissions import access_incoming_offer_for
from mediation.selectors.cases import INCOMING_ROLES, incoming_offer_list_for
from mediation.services.offers import appointment_confirm
from mediation.views.audit import audit_list


def _incoming_page(
    request: HttpRequest,
    actor: Actor,
    *,
    bound: dict[int, AppointmentConfirmForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    offers = list(incoming_offer_list_for(actor=actor, today=today))
    bound = bound or {}
    rows = [
        (
            offer,
            bound.get(offer.pk)
            or AppointmentConfirmForm(
                prefix=f"offer-{offer.pk}", initial={"appointment_date": offer.expected_date}
            ),
        )
        for offer in offers
    ]
    audit_list(
        request,
        actor,
        object_type="mediation.offer",
        references=[offer.case.reference for offer in offers],
        page="incoming",
    )
    return render(
        request,
        "mediation/incoming_list.html",
        {
            "awaiting": [row for row in rows if row[0].case.status == CaseStatus.ACCEPTED],
            "confirmed": [row for row in rows if row[0].case.status == CaseStatus.COMPLETED],
            "today": today,
        },
        status=status,
    )


@view_role_required(*INCOMING_ROLES)
def incoming_list(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """Patients who accepted an offer at one of the provider's locations: only what is needed to
    schedule them."""
    return _incoming_page(request, actor)


@require_POST
@view_role_required(*INCOMING_ROLES)
def incoming_confirm(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    offer: Offer = access_incoming_offer_for(actor=actor, pk=pk, request=request)
    form = AppointmentConfirmForm(request.POST, prefix=f"offer-{offer.pk}")
    if form.is_valid():
        try:
            confirmed = appointment_confirm(
                offer=offer,
                actor=actor,
                appointment_date=form.cleaned_data["appointment_date"],
                request=request,
            )
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            confirmed.case.refresh_from_db()
            assert confirmed.appointment_date is not None
            messages.success(
                request,
                (
                    _(
                        "Appointment of %(name)s confirmed for %(date)s: %(days)s days sooner "
                        "than at the previous provider."
                    )
                    if confirmed.case.days_gained is not None
                    else _("Appointment of %(name)s confirmed for %(date)s.")
                )
                % {
                    "name": confirmed.case.full_name,
                    "date": date_format(confirmed.appointment_date, "j F Y"),
                    "days": confirmed.case.days_gained,
                },
            )
            return redirect("mediation:incoming-list")
    return _incoming_page(request, actor, bound={offer.pk: form}, status=400)
