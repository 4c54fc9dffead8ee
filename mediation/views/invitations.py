"""The patient's invitation page (public, no account; issue 15): reached with the secret link
of an invitation, it shows up to three alternatives in plain language and takes the answer —
opt in (one click; a proactive case opens) or decline (an optional reason). Works without
JavaScript; throttled like the other public token endpoints; never cached or indexed."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.forms import add_service_errors
from core.throttling import RateBudget
from mediation.waiting_lists.emails import invitation_context, weeks
from mediation.waiting_lists.invitations import (
    NO_CONTACT,
    access_invitation_for,
    invitation_accept,
    invitation_decline,
    invitation_is_open,
    invitation_opened,
)
from mediation.waiting_lists.models import Invitation

DECLINE_REASONS = [
    ("", gettext_lazy("(no reason)")),
    ("too_far", gettext_lazy("The hospital or clinic is too far away for me")),
    ("stay", gettext_lazy("I prefer to stay with my own hospital or clinic")),
    ("no_longer", gettext_lazy("I no longer need this care")),
    (NO_CONTACT, gettext_lazy("I do not want to be approached about this again")),
]


class InvitationDeclineForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("Why not? (optional)"),
        choices=DECLINE_REASONS,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Anything else you want to tell us (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


def _throttled(request: HttpRequest) -> HttpResponse | None:
    budget = RateBudget("public")
    if budget.exhausted(request):
        return HttpResponse(
            _("Too many requests; please try again later."), status=429, content_type="text/plain"
        )
    budget.spend(request)
    return None


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _page(
    request: HttpRequest,
    invitation: Invitation,
    token: str,
    *,
    decline_form: InvitationDeclineForm | None = None,
    status: int = 200,
) -> HttpResponse:
    alternatives = [
        {**alt, "expected_weeks": weeks(alt.get("expected_days"))}
        for alt in invitation.alternatives or []
    ]
    context = {
        **invitation_context(invitation),
        "token": token,
        "alternatives": alternatives,
        "is_open": invitation_is_open(invitation, now=timezone.now()),
        "decline_form": decline_form or InvitationDeclineForm(),
    }
    return _private(render(request, "mediation/invitation.html", context, status=status))


@never_cache
def invitation_page(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    if (refused := _throttled(request)) is not None:
        return refused
    invitation = access_invitation_for(reference=reference, token=token)
    invitation_opened(invitation=invitation)
    return _page(request, invitation, token)


@never_cache
@require_POST
def invitation_accept_view(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    if (refused := _throttled(request)) is not None:
        return refused
    invitation = access_invitation_for(reference=reference, token=token)
    try:
        case = invitation_accept(
            invitation=invitation, token=token, location=request.POST.get("location") or None
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("mediation:invitation", reference=invitation.reference, token=token)
    messages.success(
        request,
        _(
            "Thank you. We have opened your request %(reference)s: a mediator will contact you "
            "to arrange the switch."
        )
        % {"reference": case.reference},
    )
    return redirect("mediation:request-status", reference=case.reference, token=token)


@never_cache
@require_POST
def invitation_decline_view(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    if (refused := _throttled(request)) is not None:
        return refused
    invitation = access_invitation_for(reference=reference, token=token)
    form = InvitationDeclineForm(request.POST)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        label = dict(DECLINE_REASONS).get(reason, "") if reason else ""
        text = " — ".join(part for part in (str(label), form.cleaned_data["note"].strip()) if part)
        try:
            invitation_decline(invitation=invitation, reason=text, no_contact=reason == NO_CONTACT)
        except (ApplicationError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Thank you for your answer. You stay on your current waiting list.")
            )
            return redirect("mediation:invitation", reference=invitation.reference, token=token)
    invitation.refresh_from_db()
    return _page(request, invitation, token, decline_form=form, status=400)
