"""The mediator's pages for patients reached by phone or letter, and for corrections (issue 13):
the answer a patient gave by phone or letter, the printable letter with the offer and a fresh
status link, and the correction of a case's details. The case page shows their forms
(:func:`case_page_parts`).

Cases are looked up through ``mediation.permissions`` (404 for another insurer's case, audited as
refused); every change is audited by its service, the letter also as a read of the case's data.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.permissions import view_role_required
from accounts.services import audit_record
from core.errors import ApplicationError
from core.forms import add_service_errors, service_error_messages
from mediation.emails import case_status_url
from mediation.forms import CaseContactForm, CaseEditForm, OfferAnswerForm
from mediation.models import (
    Case,
    CaseNotification,
    NotificationKind,
    NotificationRecipient,
    Offer,
    OfferStatus,
)
from mediation.permissions import access_case_for, access_case_offer_for
from mediation.selectors.cases import CASE_ROLES, case_offer_list
from mediation.services.case_edit import EDITABLE_FIELDS, case_update
from mediation.services.letters import case_letter_issue
from mediation.services.offers import offer_answer_record


def _back_to_case(case: Case, anchor: str = "") -> HttpResponse:
    return redirect(reverse("mediation:case-detail", args=[case.reference]) + anchor)


def offers_not_mailed(*, case: Case, offers: list[Offer]) -> set[int]:
    """The offers the patient was not told about by email (no address, or the mail was
    skipped): the mediator must call or send the letter."""
    if not case.email:
        return {offer.pk for offer in offers}
    return set(
        CaseNotification.objects.filter(
            case=case,
            offer_id__in=[offer.pk for offer in offers],
            kind=NotificationKind.OFFER_MADE,
            recipient=NotificationRecipient.PATIENT,
            skipped=True,
        ).values_list("offer_id", flat=True)
    )


def case_page_parts(*, case: Case, offers: list[Offer]) -> dict[str, Any]:
    """What the case page needs for the parts of this module: a form to record the answer of
    each open offer, which offers the patient was not mailed about, and the first-contact form."""
    open_offers = [offer for offer in offers if offer.status == OfferStatus.OPEN]
    return {
        "answer_rows": [
            (offer, OfferAnswerForm(prefix=f"answer-{offer.pk}")) for offer in open_offers
        ],
        "offers_not_mailed": offers_not_mailed(case=case, offers=offers),
        "contact_form": CaseContactForm(),
    }


# --- The patient's answer, taken by phone or letter ----------------------------------------------
@require_POST
@view_role_required(*CASE_ROLES)
def case_offer_answer_view(
    request: HttpRequest, reference: str, pk: int, *, actor: Actor
) -> HttpResponse:
    case = access_case_for(actor=actor, reference=reference, request=request)
    offer = access_case_offer_for(actor=actor, case=case, pk=pk, request=request)
    form = OfferAnswerForm(request.POST, prefix=f"answer-{offer.pk}")
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return _back_to_case(case, "#offers")
    data = form.cleaned_data
    try:
        offer_answer_record(
            case=case,
            offer=offer,
            actor=actor,
            decision=data["decision"],
            channel=data["channel"],
            reason=data["reason"],
            request=request,
        )
    except (ValidationError, ApplicationError) as exc:
        for message in service_error_messages(exc):
            messages.error(request, message)
        return _back_to_case(case, "#offers")
    if data["decision"] == "accept":
        messages.success(
            request,
            _(
                "The patient's acceptance of %(location)s is recorded. The receiving provider "
                "now sees the patient."
            )
            % {"location": offer.location.name},
        )
    else:
        messages.success(
            request,
            _("The patient's refusal of %(location)s is recorded.")
            % {"location": offer.location.name},
        )
    return _back_to_case(case, "#offers")


# --- The printable letter ------------------------------------------------------------------------
@never_cache
@require_POST
@view_role_required(*CASE_ROLES)
def case_letter_view(request: HttpRequest, reference: str, *, actor: Actor) -> HttpResponse:
    """Print a letter for the patient: the open offers and a new status link (the token exists
    only hashed, so printing issues a new one and earlier links stop working). A POST, since it
    changes the link; the page is the answer itself and is never stored."""
    case = access_case_for(actor=actor, reference=reference, request=request)
    try:
        token = case_letter_issue(case=case, actor=actor, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back_to_case(case)
    offers = [offer for offer in case_offer_list(case=case) if offer.status == OfferStatus.OPEN]
    response = render(
        request,
        "mediation/case_letter.html",
        {
            "case": case,
            "offers": offers,
            # The address patients' mails use (``SITE_URL``), not the one staff reach us by.
            "status_url": case_status_url(reference=case.reference, token=token),
            "today": timezone.localdate(),
        },
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- Corrections ---------------------------------------------------------------------------------
@view_role_required(*CASE_ROLES)
def case_edit_view(request: HttpRequest, reference: str, *, actor: Actor) -> HttpResponse:
    """Correct the case's contact details, postcode, distance, appointment, setting, class."""
    case = access_case_for(actor=actor, reference=reference, request=request)
    audit_record(
        actor=actor,
        action=AuditAction.VIEW,
        obj=case,
        case_reference=case.reference,
        request=request,
        detail={"page": "case_edit"},
    )
    initial = {field: getattr(case, field) for field in EDITABLE_FIELDS}
    form = CaseEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {field: form.cleaned_data[field] for field in EDITABLE_FIELDS}
        try:
            case_update(
                case=case,
                actor=actor,
                changes=changes,
                note=form.cleaned_data["note"],
                request=request,
            )
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The case's details have been corrected."))
            return _back_to_case(case)
    elif request.method != "POST" and (case.anonymised_at is not None or not case.is_open):
        messages.error(request, _("This case is finished; its details can no longer be corrected."))
        return _back_to_case(case)
    return render(
        request,
        "mediation/case_edit.html",
        {"case": case, "form": form},
        status=400 if form.errors else 200,
    )
