"""The patient's pages (public, no account): the request form (channel ``web``), its
confirmation, and the status page reached with the case's secret link, where the patient accepts
or declines an offer or withdraws the request.

The secret link is the only key: a wrong token and an unknown reference are both 404
(``mediation.permissions.access_patient_case_for``); the pages that show it are never cached
or indexed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from core.forms import add_service_errors, error_summary
from core.throttling import RateBudget
from mediation.forms import (
    PREFILL_FIELDS,
    MediationRequestForm,
    OfferDeclineForm,
    WithdrawForm,
)
from mediation.models import Case, CaseStatus, Channel, Offer, OfferStatus
from mediation.permissions import access_patient_case_for, access_patient_offer_for
from mediation.selectors.cases import case_offer_list
from mediation.selectors.requests import (
    WaitWithinNorm,
    request_location_choices,
    request_wait_within_norm,
)
from mediation.services.cases import (
    CASE_REQUEST_CHECKED_FIELDS,
    CASE_REQUEST_FIELDS,
    case_create,
    case_request_check,
    case_withdraw,
)
from mediation.services.offers import offer_accept, offer_decline, offers_lapse
from providers.models import Location, ProviderKind, Specialism, Treatment

# The patient's reference and token after a request, for the confirmation page (never in a URL
# that is not the status page's own).
CONFIRMATION_SESSION_KEY = "mediation_request_confirmation"


def _private(response: HttpResponse) -> HttpResponse:
    """A page reached with the patient's secret link: never indexed. (The site's referrer policy,
    ``same-origin``, already keeps the link from other sites; ``no-referrer`` would make browsers
    send ``Origin: null`` with the page's forms, which CSRF protection rightly refuses.)"""
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- The request ----------------------------------------------------------------------------------
TOO_MANY_REQUESTS = gettext_lazy(
    "We received too many requests from your connection. Please try again in an hour, or call "
    "your health insurer."
)


def _request_checked(form: MediationRequestForm) -> bool:
    """The form's own checks and the service's rules at once, so that the patient sees every
    error in one pass (issue 13): a field the form could not read goes to the rules as missing,
    and keeps the form's own message rather than a second one."""
    valid = form.is_valid()
    fields = {name: form.cleaned_data.get(name) for name in CASE_REQUEST_CHECKED_FIELDS}
    try:
        case_request_check(channel=Channel.WEB, today=timezone.localdate(), **fields)
    except ValidationError as exc:
        own = form.errors.as_data()
        for field, messages_ in exc.message_dict.items():
            if field in own:
                if any(error.code != "required" for error in own[field]):
                    continue
                # "This field is required" says less than the rule ("Choose your insurer").
                del form.errors[field]
            for message in messages_:
                form.add_error(field if field in form.fields else None, message)
        return False
    return valid


def _within_norm(form: MediationRequestForm) -> WaitWithinNorm | None:
    """The patient's wait when it is within the Treeknorm and they have not yet said to send the
    request all the same."""
    data = form.cleaned_data
    if data.get("within_norm_confirmed"):
        return None
    specialism = Specialism.objects.get(code=data["specialism"])
    return request_wait_within_norm(
        specialism=specialism,
        treatment=Treatment.objects.filter(code=data["treatment"]).first()
        if data.get("treatment")
        else None,
        kind=data["kind"],
        current_location=Location.objects.get(code=data["current_location"]),
        waiting_since=data["waiting_since"],
        expected_date=data.get("expected_date"),
        today=timezone.localdate(),
    )


def request_create(request: HttpRequest) -> HttpResponse:
    """The public request form (channel ``web``). A link from the waiting-time search fills in
    what the patient searched for.

    Every error is shown at once, in a summary that links to the fields. A wait within the
    Treeknorm is pointed out before the request is sent; the patient may send it all the same.
    Only a request that is sent spends the client's ``public_write`` budget (shared with the
    API); an invalid one spends the looser ``public_invalid`` budget, so a few typos never lock
    a family out (issue 13)."""
    initial = {
        name: request.GET[name] for name in PREFILL_FIELDS if request.GET.get(name, "").strip()
    }
    form = MediationRequestForm(request.POST or None, initial=initial)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST":
        invalid_budget = RateBudget("public_invalid")
        if not _request_checked(form):
            if invalid_budget.exhausted(request):
                # Only this: the errors themselves would answer a client that probes the form.
                form.errors.clear()
                form.add_error(None, str(TOO_MANY_REQUESTS))
                status = 429
            else:
                invalid_budget.spend(request)
                status = 400
        elif within_norm := _within_norm(form):
            context["within_norm"] = within_norm
        else:
            write_budget = RateBudget("public_write")
            if write_budget.exhausted(request):
                form.add_error(None, str(TOO_MANY_REQUESTS))
                status = 429
            else:
                try:
                    case, token = case_create(
                        channel=Channel.WEB,
                        **{name: form.cleaned_data[name] for name in CASE_REQUEST_FIELDS},
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                    status = 400
                else:
                    write_budget.spend(request)
                    request.session[CONFIRMATION_SESSION_KEY] = {
                        "reference": case.reference,
                        "token": token,
                    }
                    return redirect("mediation:request-confirmation")
    if form.is_bound:
        context["error_summary"] = error_summary(form)
    return render(request, "mediation/request_form.html", context, status=status)


LOCATION_LIMIT = 400  # more than there are active locations today; a guard, not a page size


@require_GET
def request_locations(request: HttpRequest) -> JsonResponse:
    """The locations for "where do you wait now?" as the request form's combobox reads them:
    those with figures for ``?specialism=`` first, nearest to ``?postcode=`` first (the form's
    own values so far; either may be empty or half-typed). Public data only, like the search."""
    choices = request_location_choices(
        specialism_code=request.GET.get("specialism", "")[:8],
        postcode=request.GET.get("postcode", "")[:16],
    )
    return JsonResponse(
        {
            "results": [
                {
                    "code": choice.code,
                    "name": choice.name,
                    "city": choice.city,
                    "provider": choice.provider,
                    "offers_specialism": choice.offers_specialism,
                    "distance_km": choice.distance_km,
                }
                for choice in choices[:LOCATION_LIMIT]
            ]
        }
    )


@never_cache
def request_confirmation(request: HttpRequest) -> HttpResponse:
    """After a request: its reference and the link to the status page (kept in the session, so
    that the secret never appears in this page's address)."""
    stored = request.session.get(CONFIRMATION_SESSION_KEY) or {}
    try:
        case = access_patient_case_for(
            reference=stored.get("reference", ""), token=stored.get("token", "")
        )
    except Http404:  # no (or no longer a valid) request in this session
        return redirect("mediation:request-create")
    status_url = reverse(
        "mediation:request-status", kwargs={"reference": case.reference, "token": stored["token"]}
    )
    return _private(
        render(
            request,
            "mediation/request_confirmation.html",
            {
                "reference": case.reference,
                "first_contact_due": case.first_contact_due,
                "status_url": status_url,
                "status_absolute_url": request.build_absolute_uri(status_url),
            },
        )
    )


# --- The status page (the secret link) ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Stage:
    label: str
    state: str  # "done", "current" or "todo"


# How many of the stages are behind the patient, and which one is under way, per case status.
_STAGES_DONE = {
    CaseStatus.SUBMITTED: (1, 1),
    CaseStatus.IN_PROGRESS: (2, 2),
    CaseStatus.OFFERED: (2, 2),
    CaseStatus.ACCEPTED: (4, 4),
    CaseStatus.COMPLETED: (5, None),
}


def request_stages(case: Case) -> list[Stage]:
    """The steps of a request (received → contact → offer → accepted → appointment confirmed) as
    the status page shows them: those behind, the one under way, those ahead. A closed request
    shows how far it came, none under way."""
    labels = [
        _("Request received"),
        _("Contact with your mediator"),
        _("An offer for you"),
        _("Offer accepted"),
        _("Appointment confirmed"),
    ]
    if case.status in _STAGES_DONE:
        done, current = _STAGES_DONE[CaseStatus(case.status)]
    else:  # closed: as far as it came
        done = 2 if case.first_contact_at else 1
        current = None

    def state(index: int) -> str:
        if index == current:
            return "current"
        return "done" if index < done else "todo"

    return [Stage(str(label), state(index)) for index, label in enumerate(labels)]


@dataclass(frozen=True, slots=True)
class OfferView:
    """An offer as the patient reads it: how much sooner than the appointment they have, the
    kind of place, and the form to decline it."""

    offer: Offer
    decline_form: OfferDeclineForm
    sooner_days: int | None  # than the patient's own appointment; None without one
    is_zbc: bool

    @property
    def sooner_weeks(self) -> int | None:
        """Whole weeks sooner, rounded down: never more than the patient gains."""
        return None if self.sooner_days is None else self.sooner_days // 7


def _offer_views(
    case: Case, offers: list[Offer], forms: dict[int, OfferDeclineForm]
) -> list[OfferView]:
    views = []
    for offer in offers:
        sooner = None
        if case.expected_date is not None and offer.expected_date is not None:
            sooner = (case.expected_date - offer.expected_date).days
        views.append(
            OfferView(
                offer=offer,
                decline_form=forms.get(offer.pk) or OfferDeclineForm(prefix=f"offer-{offer.pk}"),
                sooner_days=sooner,
                is_zbc=offer.location.provider.kind == ProviderKind.ZBC,
            )
        )
    return views


def _status_page(
    request: HttpRequest,
    case: Case,
    token: str,
    *,
    decline_forms: dict[int, OfferDeclineForm] | None = None,
    withdraw_form: WithdrawForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The status page. ``?confirm=accept&offer=<id>`` and ``?confirm=withdraw`` show the
    confirmation step of accepting and withdrawing (plain links and forms: no JavaScript
    needed); the buttons of that step post to the actions."""
    offers = list(case_offer_list(case=case))
    accepted = next((o for o in offers if o.status == OfferStatus.ACCEPTED), None)
    open_offers = [o for o in offers if o.status == OfferStatus.OPEN]
    confirm = request.GET.get("confirm", "")
    confirm_accept = None
    if confirm == "accept":
        confirm_accept = next(
            (o for o in open_offers if str(o.pk) == request.GET.get("offer", "")), None
        )
    response = render(
        request,
        "mediation/request_status.html",
        {
            "case": case,
            "token": token,
            "stages": request_stages(case),
            "offer_views": _offer_views(case, offers, decline_forms or {}),
            "open_offers": open_offers,
            "accepted_offer": accepted,
            "confirm_accept": confirm_accept,
            "confirm_withdraw": confirm == "withdraw" or withdraw_form is not None,
            "withdraw_form": withdraw_form or WithdrawForm(),
            "now": timezone.now(),
        },
        status=status,
    )
    return _private(response)


@never_cache
def request_status(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    """The patient's status page (the link with the secret token; wrong or unknown: 404)."""
    case = access_patient_case_for(reference=reference, token=token)
    offers_lapse(case=case, now=timezone.now())
    return _status_page(request, case, token)


def _back_to_status(case: Case, token: str) -> HttpResponse:
    return redirect("mediation:request-status", reference=case.reference, token=token)


@never_cache
@require_POST
def offer_accept_view(request: HttpRequest, reference: str, token: str, pk: int) -> HttpResponse:
    case = access_patient_case_for(reference=reference, token=token)
    offer = access_patient_offer_for(case=case, pk=pk)
    try:
        offer_accept(case=case, offer=offer)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "You accepted the offer of %(location)s. The hospital or clinic will contact you "
                "to plan your appointment."
            )
            % {"location": offer.location.name},
        )
    return _back_to_status(case, token)


@never_cache
@require_POST
def offer_decline_view(request: HttpRequest, reference: str, token: str, pk: int) -> HttpResponse:
    case = access_patient_case_for(reference=reference, token=token)
    offer = access_patient_offer_for(case=case, pk=pk)
    form = OfferDeclineForm(request.POST, prefix=f"offer-{offer.pk}")
    if form.is_valid():
        try:
            offer_decline(case=case, offer=offer, reason=form.decline_reason())
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("You declined the offer of %(location)s. Your mediator will look further.")
                % {"location": offer.location.name},
            )
            return _back_to_status(case, token)
    case.refresh_from_db()
    return _status_page(request, case, token, decline_forms={offer.pk: form}, status=400)


@never_cache
@require_POST
def request_withdraw_view(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    case = access_patient_case_for(reference=reference, token=token)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            case_withdraw(case=case, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("You withdrew your request. We will not look further."))
        return _back_to_status(case, token)
    return _status_page(request, case, token, withdraw_form=form, status=400)
