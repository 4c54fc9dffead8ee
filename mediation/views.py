"""Web pages of mediation (DESIGN §6): the patient's request form and status page, the mediators'
work queue, case page and phone intake, the receiving provider's incoming patients, the outcomes
dashboard and the insurer's mediation settings.

The views collect input and show results; the rules are the services' (``mediation.services``),
whose errors are shown next to the fields they name. Every staff page that shows a patient's data
writes an audit event (NEN 7513); changes are audited by the services themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.formats import date_format, number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from rest_framework.throttling import ScopedRateThrottle

from accounts.actors import Actor
from accounts.models import AuditAction, Role
from accounts.permissions import view_role_required
from accounts.services import audit_record
from core.errors import ApplicationError
from core.forms import add_service_errors, service_error_messages
from mediation.forms import (
    PREFILL_FIELDS,
    AppointmentConfirmForm,
    CaseCloseForm,
    CaseNoteForm,
    CaseQueueFilterForm,
    MediationRequestForm,
    MediationSettingsForm,
    OfferDeclineForm,
    OfferMakeForm,
    OtherLocationOfferForm,
    PhoneIntakeForm,
    WithdrawForm,
)
from mediation.matching import Candidate, Reason
from mediation.models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    Channel,
    MediationSettings,
    Offer,
    OfferStatus,
    mediation_settings_for,
)
from mediation.permissions import (
    access_case_for,
    access_incoming_offer_for,
    access_patient_case_for,
    access_patient_offer_for,
)
from mediation.selectors.cases import (
    CASE_ROLES,
    INCOMING_ROLES,
    case_offer_list,
    case_queue_for,
    case_timeline,
    incoming_offer_list_for,
)
from mediation.selectors.matching import case_matches, case_remaining_wait_days
from mediation.selectors.outcomes import (
    BENCHMARK_DAYS_GAINED_HIGH,
    BENCHMARK_DAYS_GAINED_LOW,
    BENCHMARK_HELPED_PERCENTAGE,
    OUTCOME_ROLES,
    outcomes_chart,
    outcomes_dashboard,
)
from mediation.services.cases import (
    case_assign,
    case_close,
    case_create,
    case_note_add,
    case_start,
    case_withdraw,
)
from mediation.services.offers import (
    appointment_confirm,
    offer_accept,
    offer_decline,
    offer_make,
)

CASES_PER_PAGE = 25
# The patient's reference and token after a request, for the confirmation page (never in a URL
# that is not the status page's own).
CONFIRMATION_SESSION_KEY = "mediation_request_confirmation"
# Statuses in which matching is shown and offers can be made.
OFFERABLE_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS, CaseStatus.OFFERED)
CASE_OBJECT_TYPE = "mediation.case"


def _public_write_throttled(request: HttpRequest) -> bool:
    """The public form shares the API's ``public_write`` budget (DESIGN §7: throttled public
    endpoints), so a web form cannot be used to get around the API's limit."""
    scope: Any = SimpleNamespace(throttle_scope="public_write")  # what the throttle reads
    return not ScopedRateThrottle().allow_request(request, scope)  # type: ignore[arg-type]


def _private(response: HttpResponse) -> HttpResponse:
    """A page reached with the patient's secret link: never indexed. (The site's referrer policy,
    ``same-origin``, already keeps the link from other sites; ``no-referrer`` would make browsers
    send ``Origin: null`` with the page's forms, which CSRF protection rightly refuses.)"""
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- Reasons, in the reader's language ------------------------------------------------------------
def _km(value: Any) -> str:
    try:
        return number_format(Decimal(str(value)), decimal_pos=1)
    except ArithmeticError:
        return str(value)


def _iso_date(value: Any) -> str:
    day = parse_date(str(value)) if value else None
    return date_format(day, "j F Y") if day else str(value)


def reason_text(reason: Reason) -> str:
    """One matching reason (``mediation.matching.Reason``) as a translated sentence."""
    p = dict(reason.params)
    code = reason.code
    if code == "days_gained":
        return _(
            "%(days)s days sooner: expected wait %(expected)s days instead of %(remaining)s days "
            "remaining."
        ) % {"days": p["days"], "expected": p["expected_days"], "remaining": p["remaining_days"]}
    if code == "capacity_offer":
        return _(
            "Free capacity in the week of %(week)s (%(slots)s slots left); the published wait is "
            "%(published)s days."
        ) % {
            "week": _iso_date(p["week_start"]),
            "slots": p["remaining"],
            "published": p["published_days"],
        }
    if code == "published_wait":
        return _("Published wait: %(days)s days.") % {"days": p["days"]}
    if code == "within_norm":
        return _("Within the Treeknorm maximum of %(max)s days.") % {"max": p["norm_max_days"]}
    if code == "above_norm":
        return _("Above the Treeknorm maximum of %(max)s days.") % {"max": p["norm_max_days"]}
    if code == "norm_unknown":
        return _("No Treeknorm is known for this wait.")
    if code == "distance":
        return _("%(km)s km away (the patient travels up to %(max)s km).") % {
            "km": _km(p["km"]),
            "max": p["max_km"],
        }
    if code == "data_age":
        return _("Waiting time of %(date)s, %(days)s days old.") % {
            "date": _iso_date(p["reference_date"]),
            "days": p["days"],
        }
    if code == "contracted":
        return _("Contracted by the insurer this year.")
    if code == "not_contracted":
        return _("Not contracted by the insurer this year.")
    return reason.text  # a reason this page does not know yet: its English text


@dataclass(frozen=True)
class MatchRow:
    candidate: Candidate
    reasons: list[str]
    form: OfferMakeForm


# --- Patients: the request ------------------------------------------------------------------------
def request_create(request: HttpRequest) -> HttpResponse:
    """The public request form (channel ``web``). A link from the waiting-time search fills in
    what the patient searched for."""
    initial = {
        name: request.GET[name] for name in PREFILL_FIELDS if request.GET.get(name, "").strip()
    }
    form = MediationRequestForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            if _public_write_throttled(request):
                form.add_error(
                    None,
                    _(
                        "We received too many requests from your connection. Please try again "
                        "in an hour, or call your health insurer."
                    ),
                )
                status = 429
            else:
                try:
                    case, token = case_create(channel=Channel.WEB, **form.cleaned_data)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    request.session[CONFIRMATION_SESSION_KEY] = {
                        "reference": case.reference,
                        "token": token,
                    }
                    return redirect("mediation:request-confirmation")
        if status == 200:
            status = 400
    return render(request, "mediation/request_form.html", {"form": form}, status=status)


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


def _status_page(
    request: HttpRequest,
    case: Case,
    token: str,
    *,
    decline_forms: dict[int, OfferDeclineForm] | None = None,
    withdraw_form: WithdrawForm | None = None,
    status: int = 200,
) -> HttpResponse:
    offers = list(case_offer_list(case=case))
    decline_forms = decline_forms or {}
    rows = [
        (offer, decline_forms.get(offer.pk) or OfferDeclineForm(prefix=f"offer-{offer.pk}"))
        for offer in offers
    ]
    accepted = next((o for o in offers if o.status == OfferStatus.ACCEPTED), None)
    response = render(
        request,
        "mediation/request_status.html",
        {
            "case": case,
            "token": token,
            "rows": rows,
            "open_offers": [o for o in offers if o.status == OfferStatus.OPEN],
            "accepted_offer": accepted,
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
            offer_decline(case=case, offer=offer, reason=form.cleaned_data["reason"])
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


# --- Mediators: work queue ------------------------------------------------------------------------
def _page_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _audit_list(
    request: HttpRequest, actor: Actor, *, object_type: str, references: list[str], page: str
) -> None:
    """A list that shows patients' data is a read of each of them (NEN 7513)."""
    if references:
        audit_record(
            actor=actor,
            action=AuditAction.LIST,
            object_type=object_type,
            request=request,
            detail={"page": page, "references": references},
        )


@vary_on_headers("HX-Request")
@view_role_required(*CASE_ROLES)
def case_list(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The work queue: own insurer's cases, filtered, overdue first."""
    today = timezone.localdate()
    form = CaseQueueFilterForm(request.GET or None)
    arguments: dict[str, Any] = {"statuses": list(OPEN_STATUSES)}
    if form.is_bound and form.is_valid():
        arguments = form.selector_arguments(user_id=actor.user.pk if actor.user else None)
    cases = case_queue_for(actor=actor, today=today, **arguments)
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    _audit_list(
        request,
        actor,
        object_type=CASE_OBJECT_TYPE,
        references=[case.reference for case in page.object_list],
        page="work_queue",
    )
    htmx = getattr(request, "htmx", None)
    is_partial = bool(htmx and not htmx.history_restore_request)
    context = {
        "form": form,
        "page": page,
        "page_query": _page_query(request),
        "today": today,
        "overdue_count": case_queue_for(actor=actor, today=today, overdue=True).count(),
    }
    template = "mediation/case_list_results.html" if is_partial else "mediation/case_list.html"
    return render(request, template, context, status=400 if form.errors else 200)


def _next_or(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
@view_role_required(*CASE_ROLES)
def case_assign_view(request: HttpRequest, reference: str, *, actor: Actor) -> HttpResponse:
    """Assign the case to myself."""
    case = access_case_for(actor=actor, reference=reference)
    if actor.user is None:
        raise PermissionDenied
    try:
        case_assign(case=case, user=actor.user, actor=actor, request=request)
    except (ValidationError, ApplicationError) as exc:
        for message in service_error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(
            request, _("Case %(reference)s is assigned to you.") % {"reference": case.reference}
        )
    return redirect(_next_or(request, reverse("mediation:case-detail", args=[case.reference])))


# --- Mediators: the case page ---------------------------------------------------------------------
def _match_rows(case: Case, today: date) -> list[MatchRow]:
    rows = []
    for candidate in case_matches(case=case, today=today):
        form = OfferMakeForm(
            prefix=f"match-{candidate.location_code}",
            initial={
                "location": candidate.location_code,
                "expected_days": candidate.expected_days,
                "capacity_offer": candidate.capacity_offer_id,
                "reserve_slot": candidate.capacity_offer_id is not None,
            },
        )
        rows.append(
            MatchRow(
                candidate=candidate,
                reasons=[reason_text(reason) for reason in candidate.reasons],
                form=form,
            )
        )
    return rows


@view_role_required(*CASE_ROLES)
def case_detail(request: HttpRequest, reference: str, *, actor: Actor) -> HttpResponse:
    today = timezone.localdate()
    case = access_case_for(actor=actor, reference=reference)
    audit_record(
        actor=actor,
        action=AuditAction.VIEW,
        obj=case,
        case_reference=case.reference,
        request=request,
        detail={"page": "case_detail"},
    )
    offerable = case.status in OFFERABLE_STATUSES and case.anonymised_at is None
    matches = _match_rows(case, today) if offerable else []
    context = {
        "case": case,
        "today": today,
        "is_overdue": case.is_overdue_on(today),
        "remaining_days": case_remaining_wait_days(case=case, today=today)
        if case.is_open
        else None,
        "offers": list(case_offer_list(case=case)),
        "timeline": list(case_timeline(case=case)),
        "matches": matches,
        "offerable": offerable,
        "other_offer_form": OtherLocationOfferForm(prefix="other"),
        "note_form": CaseNoteForm(),
        "close_form": CaseCloseForm(),
        "settings": mediation_settings_for(case.insurer),
    }
    return render(request, "mediation/case_detail.html", context)


def _back_to_case(case: Case, anchor: str = "") -> HttpResponse:
    return redirect(reverse("mediation:case-detail", args=[case.reference]) + anchor)


@require_POST
@view_role_required(*CASE_ROLES)
def case_start_view(request: HttpRequest, reference: str, *, actor: Actor) -> HttpResponse:
    """Record the first contact with the patient (submitted → in progress)."""
    case = access_case_for(actor=actor, reference=reference)
    try:
        case_start(case=case, actor=actor, note=request.POST.get("note", ""), request=request)
    except (ValidationError, ApplicationError) as exc:
        for message in service_error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("First contact recorded; the case is in progress."))
    return _back_to_case(case)


@require_POST
@view_role_required(*CASE_ROLES)
def case_offer_view(request: HttpRequest, reference: str, *, actor: Actor) -> HttpResponse:
    """Make an offer: at a matched location (its expected wait or a slot of its capacity offer)
    or at another location (``prefix`` ``other``)."""
    case = access_case_for(actor=actor, reference=reference)
    prefix = request.POST.get("form_prefix", "")
    form: OfferMakeForm | OtherLocationOfferForm
    if prefix == "other":
        form = OtherLocationOfferForm(request.POST, prefix="other")
    else:
        form = OfferMakeForm(request.POST, prefix=prefix or None)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return _back_to_case(case, "#matches")
    data = form.cleaned_data
    try:
        offer = offer_make(
            case=case,
            actor=actor,
            location=data["location"],
            expected_days=data.get("expected_days"),
            capacity_offer=data.get("capacity_offer"),
            note=data.get("note", ""),
            request=request,
        )
    except (ValidationError, ApplicationError) as exc:
        for message in service_error_messages(exc):
            messages.error(request, message)
        return _back_to_case(case, "#matches")
    messages.success(
        request,
        _("Offer made: %(location)s, expected %(date)s. The patient has been told.")
        % {"location": offer.location.name, "date": date_format(offer.expected_date, "j F Y")},
    )
    return _back_to_case(case, "#offers")


@require_POST
@view_role_required(*CASE_ROLES)
def case_note_view(request: HttpRequest, reference: str, *, actor: Actor) -> HttpResponse:
    case = access_case_for(actor=actor, reference=reference)
    form = CaseNoteForm(request.POST)
    if form.is_valid():
        try:
            case_note_add(case=case, actor=actor, note=form.cleaned_data["note"], request=request)
        except (ValidationError, ApplicationError) as exc:
            for message in service_error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, _("Note added."))
    else:
        messages.error(request, _("Write a note."))
    return _back_to_case(case, "#timeline")


@require_POST
@view_role_required(*CASE_ROLES)
def case_close_view(request: HttpRequest, reference: str, *, actor: Actor) -> HttpResponse:
    case = access_case_for(actor=actor, reference=reference)
    form = CaseCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the outcome to close the case with."))
        return _back_to_case(case, "#close")
    try:
        case_close(
            case=case,
            actor=actor,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            request=request,
        )
    except (ValidationError, ApplicationError) as exc:
        for message in service_error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("The case has been closed."))
    return _back_to_case(case)


# --- Mediators: phone intake ----------------------------------------------------------------------
@view_role_required(*CASE_ROLES)
def case_create_phone(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """A request taken by phone (channel ``phone``) for a patient of the mediator's insurer."""
    form = PhoneIntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        note = data.pop("note", "")
        try:
            case, _token = case_create(
                channel=Channel.PHONE,
                insurer=actor.organisation,
                actor=actor,
                request=request,
                **data,
            )
            if note:
                case_note_add(case=case, actor=actor, note=note, request=request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Request %(reference)s has been entered.") % {"reference": case.reference},
            )
            return _back_to_case(case)
    return render(
        request,
        "mediation/case_create_phone.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


# --- Insurer settings -----------------------------------------------------------------------------
@view_role_required(Role.INSURER_ADMIN)
def settings_view(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The insurer's mediation settings (SLA, match margin, offer expiry, retention).

    WORKAROUND (web+api): core has no ``mediation_settings_update`` service yet; this view saves
    the validated model form itself and audits the change. Replace with the service when it
    exists."""
    assert actor.organisation is not None
    instance: MediationSettings = mediation_settings_for(actor.organisation)
    form = MediationSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        before = {name: getattr(instance, name) for name in form.fields} if instance.pk else {}
        saved = form.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE if before else AuditAction.CREATE,
            obj=saved,
            request=request,
            detail={
                "before": before,
                "after": {name: form.cleaned_data[name] for name in form.fields},
            },
        )
        messages.success(request, _("The mediation settings have been saved."))
        return redirect("mediation:settings")
    return render(
        request, "mediation/settings.html", {"form": form}, status=400 if form.errors else 200
    )


# --- Receiving provider ---------------------------------------------------------------------------
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
    _audit_list(
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
    offer: Offer = access_incoming_offer_for(actor=actor, pk=pk)
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
                _(
                    "Appointment of %(name)s confirmed for %(date)s: %(days)s days sooner than "
                    "at the previous provider."
                )
                % {
                    "name": confirmed.case.full_name,
                    "date": date_format(confirmed.appointment_date, "j F Y"),
                    "days": confirmed.case.days_gained,
                },
            )
            return redirect("mediation:incoming-list")
    return _incoming_page(request, actor, bound={offer.pk: form}, status=400)


# --- Outcomes dashboard ---------------------------------------------------------------------------
@view_role_required(*OUTCOME_ROLES)
def outcomes(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """Mediation outcomes of the own insurer (aggregates only, no patient data)."""
    dashboard = outcomes_dashboard(actor=actor, today=timezone.localdate())
    return render(
        request,
        "mediation/outcomes.html",
        {
            "dashboard": dashboard,
            "chart": outcomes_chart(dashboard=dashboard),
            "benchmark_helped": BENCHMARK_HELPED_PERCENTAGE,
            "benchmark_low": BENCHMARK_DAYS_GAINED_LOW,
            "benchmark_high": BENCHMARK_DAYS_GAINED_HIGH,
        },
    )
