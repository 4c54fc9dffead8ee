"""Planners' pages for capacity offers and the scale-down status of their locations.

The views only collect input and show results; ``providers.capacity.services`` holds the rules,
and its errors are shown next to the fields they belong to, with the input kept."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import view_role_required
from core.errors import ApplicationError
from core.forms import add_service_errors
from providers.capacity.forms import (
    CapacityOfferCreateForm,
    CapacityOfferUpdateForm,
    LocationStatusForm,
    week_label,
)
from providers.capacity.selectors import capacity_offer_upcoming_list_for, week_start_of
from providers.capacity.services import (
    capacity_offer_create,
    capacity_offer_update,
    capacity_offer_withdraw,
    location_accepted_urgency_classes_set,
)
from providers.models import URGENCY_CLASSES, CapacityOffer, Location
from providers.permissions import (
    access_capacity_offer_for,
    access_location_for_reporting,
    location_list_for_reporting,
)


def _offer_label(offer: CapacityOffer) -> str:
    return _("%(location)s, %(week)s") % {
        "location": offer.location.name,
        "week": week_label(offer.week_start),
    }


@view_role_required(Role.PLANNER)
def capacity_offer_list(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The provider's offers of this week and later, and a form to add one."""
    today = timezone.localdate()
    form = CapacityOfferCreateForm(request.POST or None, actor=actor, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            offer = capacity_offer_create(
                actor=actor, today=today, request=request, **form.cleaned_data
            )
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Your offer has been added: %(offer)s.") % {"offer": _offer_label(offer)}
            )
            return redirect("providers:capacity-offer-list")
    offers = capacity_offer_upcoming_list_for(actor=actor, today=today)
    return render(
        request,
        "providers/capacity_offer_list.html",
        {
            "form": form,
            "offers": offers,
            "has_locations": form.location_count > 0,
        },
        status=400 if form.errors else 200,
    )


@view_role_required(Role.PLANNER)
def capacity_offer_update_view(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    today = timezone.localdate()
    offer = access_capacity_offer_for(actor=actor, pk=pk)
    editable = offer.week_start >= week_start_of(today)
    form = CapacityOfferUpdateForm(
        request.POST or None,
        initial={"slots": offer.slots, "urgency_classes": offer.urgency_classes},
    )
    if request.method == "POST" and form.is_valid():
        try:
            offer = capacity_offer_update(
                actor=actor,
                offer=offer,
                slots=form.cleaned_data["slots"],
                urgency_classes=form.cleaned_data["urgency_classes"],
                today=today,
                request=request,
            )
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Your offer has been saved: %(offer)s.") % {"offer": _offer_label(offer)}
            )
            return redirect("providers:capacity-offer-list")
    return render(
        request,
        "providers/capacity_offer_update.html",
        {"form": form, "offer": offer, "editable": editable},
        status=400 if form.errors else 200,
    )


@require_POST
@view_role_required(Role.PLANNER)
def capacity_offer_withdraw_view(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    offer = access_capacity_offer_for(actor=actor, pk=pk)
    label = _offer_label(offer)
    try:
        capacity_offer_withdraw(actor=actor, offer=offer, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your offer has been withdrawn: %(offer)s.") % {"offer": label})
    return redirect("providers:capacity-offer-list")


@dataclass(frozen=True)
class LocationStatusRow:
    location: Location
    form: LocationStatusForm

    @property
    def scaled_down(self) -> bool:
        return sorted(self.location.accepted_urgency_classes) != list(URGENCY_CLASSES)


@view_role_required(Role.PLANNER)
def location_status(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """Per own location, the urgency classes it accepts now (scale-down status)."""
    bound: dict[str, LocationStatusForm] = {}
    if request.method == "POST":
        location = access_location_for_reporting(actor=actor, code=request.POST.get("location", ""))
        form = LocationStatusForm(request.POST, prefix=location.code)
        if form.is_valid():
            try:
                location_accepted_urgency_classes_set(
                    actor=actor,
                    location=location,
                    urgency_classes=form.cleaned_data["accepted_urgency_classes"],
                    request=request,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("The status of %(location)s has been saved.") % {"location": location.name},
                )
                return redirect("providers:location-status")
        bound[location.code] = form
    rows = [
        LocationStatusRow(
            location=location,
            form=bound.get(location.code)
            or LocationStatusForm(
                prefix=location.code,
                initial={"accepted_urgency_classes": location.accepted_urgency_classes},
            ),
        )
        for location in location_list_for_reporting(actor=actor)
        .filter(is_active=True)
        .order_by("name")
    ]
    return render(
        request,
        "providers/location_status.html",
        {"rows": rows},
        status=400 if bound and any(form.errors for form in bound.values()) else 200,
    )
