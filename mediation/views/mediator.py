"""The pages of the insurer's staff: the mediators' work queue, the case page with its matches and
the changes made from it (assign, first contact, offer, note, close), the phone intake, and the
insurer admin's mediation settings.

Only the mediators of the case's insurer reach a case (``mediation.permissions.access_case_for``:
404 otherwise); every case shown is audited here, every change by the services.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.actors import Actor
from accounts.models import AuditAction, Role
from accounts.permissions import view_role_required
from accounts.services import audit_record
from core.errors import ApplicationError
from core.forms import add_service_errors, service_error_messages
from mediation.forms import (
    CaseAssignForm,
    CaseCloseForm,
    CaseContactForm,
    CaseNoteForm,
    CaseQueueFilterForm,
    MediationSettingsForm,
    OfferMakeForm,
    OtherLocationOfferForm,
    PhoneIntakeForm,
)
from mediation.matching import Candidate, class3_window_end
from mediation.models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    Channel,
    ContactResult,
    MediationSettings,
    OfferStatus,
    mediation_settings_for,
)
from mediation.permissions import access_case_for
from mediation.selectors.cases import (
    CASE_ROLES,
    case_assignees_for,
    case_offer_list,
    case_queue_for,
    case_timeline,
)
from mediation.selectors.matching import case_matches, case_remaining_wait_days
from mediation.services.cases import (
    BULK_ASSIGN_MAX,
    case_assign,
    case_assign_bulk,
    case_close,
    case_create,
    case_note_add,
    case_start,
)
from mediation.services.offers import offer_make, offers_lapse
from mediation.views.audit import audit_list
from mediation.views.lifecycle import case_page_parts
from mediation.views.reasons import MatchRow, reason_text

CASES_PER_PAGE = 25
# Matches shown on the case page before "show more" (the rest stay one click away).
TOP_MATCHES = 5
# Statuses in which matching is shown and offers can be made.
OFFERABLE_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS, CaseStatus.OFFERED)
CASE_OBJECT_TYPE = "mediation.case"


# --- Work queue -----------------------------------------------------------------------------------
def _page_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# The queue's sortable columns and the direction each starts in when first clicked.
SORTABLE_COLUMNS = {
    "reference": "reference",
    "urgency": "urgency",
    "waited": "-waited",
    "due": "due",
    "expires": "expires",
    "activity": "-activity",
}


def _sort_columns(request: HttpRequest, current: str) -> dict[str, dict[str, str]]:
    """Per sortable column: the link that sorts by it (the other filters kept, back to page 1;
    clicking the sorted column again turns the direction) and its ``aria-sort`` state."""
    columns = {}
    for column, first in SORTABLE_COLUMNS.items():
        query = request.GET.copy()
        query.pop("page", None)
        if current.lstrip("-") == column:
            query["sort"] = current[1:] if current.startswith("-") else f"-{current}"
            state = "descending" if current.startswith("-") else "ascending"
        else:
            query["sort"] = first
            state = "none"
        columns[column] = {"url": "?" + query.urlencode(), "state": state}
    return columns


@vary_on_headers("HX-Request")
@view_role_required(*CASE_ROLES)
def case_list(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The work queue: own insurer's cases, filtered, overdue first."""
    today = timezone.localdate()
    form = CaseQueueFilterForm(request.GET or None)
    arguments: dict[str, Any] = {"statuses": list(OPEN_STATUSES)}
    if form.is_bound and form.is_valid():
        arguments = form.selector_arguments(user_id=actor.user.pk if actor.user else None)
    offers_lapse(now=timezone.now())  # statuses as the clock has them
    cases = case_queue_for(actor=actor, today=today, with_activity=True, **arguments)
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for case in page.object_list:
        case.days_waited = (today - case.waiting_since).days  # type: ignore[attr-defined]
    audit_list(
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
        "sort_columns": _sort_columns(request, arguments.get("sort", "")),
        "current_sort": arguments.get("sort", ""),
        "assign_form": CaseAssignForm(assignees=case_assignees_for(actor=actor)),
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
    """Assign the case to myself, or (``assigned_to``) to a mediator colleague."""
    case = access_case_for(actor=actor, reference=reference, request=request)
    if actor.user is None:
        raise PermissionDenied
    back = _next_or(request, reverse("mediation:case-detail", args=[case.reference]))
    assignee = actor.user
    if "assigned_to" in request.POST:
        form = CaseAssignForm(request.POST, assignees=case_assignees_for(actor=actor))
        if not form.is_valid():
            for message in form.errors.get("assigned_to", []):
                messages.error(request, str(message))
            return redirect(back)
        assignee = form.cleaned_data["assigned_to"]
    try:
        case_assign(case=case, user=assignee, actor=actor, request=request)
    except (ValidationError, ApplicationError) as exc:
        for message in service_error_messages(exc):
            messages.error(request, message)
    else:
        if assignee == actor.user:
            text = _("Case %(reference)s is assigned to you.") % {"reference": case.reference}
        else:
            text = _("Case %(reference)s is assigned to %(name)s.") % {
                "reference": case.reference,
                "name": assignee.get_full_name() or assignee.get_username(),
            }
        messages.success(request, text)
    return redirect(back)


@require_POST
@view_role_required(*CASE_ROLES)
def case_bulk_assign_view(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """Assign the cases ticked in the work queue to one mediator (all or none)."""
    back = _next_or(request, reverse("mediation:case-list"))
    references = list(dict.fromkeys(request.POST.getlist("references")))[: BULK_ASSIGN_MAX + 1]
    form = CaseAssignForm(request.POST, assignees=case_assignees_for(actor=actor))
    if not references:
        messages.error(request, _("Tick the cases to assign."))
        return redirect(back)
    if not form.is_valid():
        for message in form.errors.get("assigned_to", []):
            messages.error(request, str(message))
        return redirect(back)
    # Each through the access helper: a reference that is not the actor's is 404 (and audited).
    cases = [
        access_case_for(actor=actor, reference=reference, request=request)
        for reference in references
    ]
    assignee = form.cleaned_data["assigned_to"]
    try:
        changed = case_assign_bulk(cases=cases, user=assignee, actor=actor, request=request)
    except (ValidationError, ApplicationError) as exc:
        for message in service_error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d case assigned to %(name)s.",
                "%(count)d cases assigned to %(name)s.",
                changed,
            )
            % {"count": changed, "name": assignee.get_full_name() or assignee.get_username()},
        )
    return redirect(back)


# --- The case page --------------------------------------------------------------------------------
def _match_rows(
    candidates: Sequence[Candidate], *, refused: OfferMakeForm | None = None
) -> list[MatchRow]:
    """The matches with their offer forms; ``refused``, a match's form that was sent back with
    errors, takes the place of its fresh one (what the mediator typed stays)."""
    rows = []
    for candidate in candidates:
        prefix = f"match-{candidate.location_code}"
        form = (
            refused
            if refused is not None and refused.prefix == prefix
            else OfferMakeForm(
                prefix=prefix,
                initial={
                    "location": candidate.location_code,
                    "expected_days": candidate.expected_days,
                    "capacity_offer": candidate.capacity_offer_id,
                    "reserve_slot": candidate.capacity_offer_id is not None,
                },
            )
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
    case = access_case_for(actor=actor, reference=reference, request=request)
    return _case_page(request, case=case, actor=actor)


def _case_page(
    request: HttpRequest,
    *,
    case: Case,
    actor: Actor,
    refused: OfferMakeForm | OtherLocationOfferForm | None = None,
) -> HttpResponse:
    """The case page; with ``refused``, an offer form sent back with its errors (status 400)."""
    today = timezone.localdate()
    audit_record(
        actor=actor,
        action=AuditAction.VIEW,
        obj=case,
        case_reference=case.reference,
        request=request,
        detail={"page": "case_detail"},
    )
    # Offers whose time has passed are recorded as expired before anything is shown or offered.
    offers_lapse(case=case, now=timezone.now())
    offerable = case.status in OFFERABLE_STATUSES and case.anonymised_at is None
    offers = list(case_offer_list(case=case))
    matches = case_matches(case=case, today=today) if offerable else []
    refused_match = refused if isinstance(refused, OfferMakeForm) else None
    # The top matches, each with its offer form; the rest on request ("show all"): building and
    # rendering 40 offer forms made this the most expensive page of the mediators' day. A match
    # whose offer was refused is shown wherever it ranks.
    refused_rank = next(
        (
            rank
            for rank, candidate in enumerate(matches)
            if refused_match is not None
            and refused_match.prefix == f"match-{candidate.location_code}"
        ),
        -1,
    )
    show_all = request.GET.get("matches") == "all" or refused_rank >= TOP_MATCHES
    rows = _match_rows(matches if show_all else matches[:TOP_MATCHES], refused=refused_match)
    remaining_days = case_remaining_wait_days(case=case, today=today) if case.is_open else None
    context = {
        "case": case,
        "today": today,
        "is_overdue": case.is_overdue_on(today),
        "remaining_days": remaining_days,
        # Overdue without a date (DESIGN §3.3): shown as unknown, never as 0.
        "remaining_unknown": case.is_open and remaining_days is None,
        "class3_window_end": class3_window_end(case.waiting_since),
        "offers": offers,
        **case_page_parts(case=case, offers=offers),
        "timeline": list(case_timeline(case=case)),
        "matches": matches,
        "top_matches": rows[:TOP_MATCHES],
        "more_matches": rows[TOP_MATCHES:],
        "hidden_match_count": len(matches) - len(rows),
        "top_count": TOP_MATCHES,
        # After an offer is made, the matches fold away (unless an offer was just refused).
        "has_open_offer": refused is None
        and any(offer.status == OfferStatus.OPEN for offer in offers),
        "assign_form": CaseAssignForm(assignees=case_assignees_for(actor=actor)),
        "offerable": offerable,
        "other_offer_form": refused
        if isinstance(refused, OtherLocationOfferForm)
        else OtherLocationOfferForm(prefix="other"),
        "note_form": CaseNoteForm(),
        "close_form": CaseCloseForm(),
        "settings": mediation_settings_for(case.insurer),
    }
    return render(
        request, "mediation/case_detail.html", context, status=200 if refused is None else 400
    )


def _back_to_case(case: Case, anchor: str = "") -> HttpResponse:
    return redirect(reverse("mediation:case-detail", args=[case.reference]) + anchor)


@require_POST
@view_role_required(*CASE_ROLES)
def case_start_view(request: HttpRequest, reference: str, *, actor: Actor) -> HttpResponse:
    """Record the first contact with the patient: reached (submitted → in progress) or not
    reached (on the timeline; the first contact stays due), and how."""
    case = access_case_for(actor=actor, reference=reference, request=request)
    form = CaseContactForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return _back_to_case(case)
    data = form.cleaned_data
    try:
        case_start(
            case=case,
            actor=actor,
            note=data["note"],
            result=data["result"],
            channel=data["channel"],
            request=request,
        )
    except (ValidationError, ApplicationError) as exc:
        for message in service_error_messages(exc):
            messages.error(request, message)
    else:
        if data["result"] == ContactResult.REACHED:
            messages.success(request, _("First contact recorded; the case is in progress."))
        else:
            messages.warning(
                request,
                _(
                    "Recorded that the patient was not reached. The first contact is still due "
                    "on %(date)s."
                )
                % {"date": date_format(case.first_contact_due, "j F Y")},
            )
    return _back_to_case(case)


@require_POST
@view_role_required(*CASE_ROLES)
def case_offer_view(request: HttpRequest, reference: str, *, actor: Actor) -> HttpResponse:
    """Make an offer: at a matched location (its expected wait or a slot of its capacity offer)
    or at another location (``prefix`` ``other``)."""
    case = access_case_for(actor=actor, reference=reference, request=request)
    prefix = request.POST.get("form_prefix", "")
    form: OfferMakeForm | OtherLocationOfferForm
    if prefix == "other":
        form = OtherLocationOfferForm(request.POST, prefix="other")
    else:
        form = OfferMakeForm(request.POST, prefix=prefix or None)
    if not form.is_valid():
        # Back to the case page with the form as it was sent, its errors at its fields.
        return _case_page(request, case=case, actor=actor, refused=form)
    data = form.cleaned_data
    try:
        offer = offer_make(
            case=case,
            actor=actor,
            location=data["location"],
            expected_days=data.get("expected_days"),
            capacity_offer=data.get("capacity_offer"),
            note=data.get("note", ""),
            override_reason=data.get("override_reason", ""),
            request=request,
        )
    except (ValidationError, ApplicationError) as exc:
        # A refused offer, or one that needs an override reason: the rules' messages at their
        # fields, and nothing the mediator typed is lost.
        add_service_errors(form, exc)
        return _case_page(request, case=case, actor=actor, refused=form)
    made = {"location": offer.location.name, "date": date_format(offer.expected_date, "j F Y")}
    if case.email:
        messages.success(
            request,
            _("Offer made: %(location)s, expected %(date)s. The patient is told by email.") % made,
        )
    else:
        # Say plainly that nobody has told the patient yet (issue 13).
        messages.warning(
            request,
            _(
                "Offer made: %(location)s, expected %(date)s. The patient has no email address "
                "and has NOT been told: call the patient or print the letter."
            )
            % made,
        )
    return _back_to_case(case, "#offers")


@require_POST
@view_role_required(*CASE_ROLES)
def case_note_view(request: HttpRequest, reference: str, *, actor: Actor) -> HttpResponse:
    case = access_case_for(actor=actor, reference=reference, request=request)
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
    case = access_case_for(actor=actor, reference=reference, request=request)
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


# --- Phone intake ---------------------------------------------------------------------------------
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

    WORKAROUND (web+api): mediation has no ``mediation_settings_update`` service yet; this view
    saves the validated model form itself and audits the change. Replace with the service when it
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
