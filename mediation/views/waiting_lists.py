"""Staff pages of the consented waiting lists (issue 15).

* Planners: their provider's waiting list (open entries, or all) and its upload history, the CSV
  upload with a progress bar and row errors (the import runs in a task; the page follows it with
  htmx, or a refresh link without JavaScript).
* Mediators: the scans of their insurer with a button to start one (a progress bar while it
  runs), and per scan its report and the cohort (who was invited, opened, opted in, declined,
  lapsed) with filters by specialism and ROAZ region; the printable letter for an invitation
  without email. Opted-in patients are ordinary cases in the work queue.

Every page that shows patient data writes an audit event.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.actors import Actor
from accounts.models import AuditAction, Role
from accounts.permissions import view_role_required
from accounts.services import audit_record, audit_refusal
from core.errors import ApplicationError
from mediation.waiting_lists.emails import invitation_context, invitation_url, weeks
from mediation.waiting_lists.invitations import invitation_letter_issue
from mediation.waiting_lists.models import (
    NOT_INVITED_REASONS,
    Invitation,
    InvitationChannel,
    ScanTrigger,
    WaitingListUploadStatus,
)
from mediation.waiting_lists.scan import proactive_scan_start, scan_not_invited
from mediation.waiting_lists.selectors import (
    proactive_scans_for,
    scan_cohort,
    waiting_list_entries_for,
    waiting_list_uploads_for,
)
from mediation.waiting_lists.uploads import (
    MAX_UPLOAD_BYTES,
    WaitingListErrors,
    waiting_list_upload_start,
)
from providers.models import Region, Specialism

PAGE_SIZE = 50
REASON_LABELS = {
    "within_norm": gettext_lazy("Within the norm (also within the look-ahead)"),
    "no_alternative": gettext_lazy("No alternative"),
    "duplicate": gettext_lazy("Duplicate"),
    "open_case": gettext_lazy("Open case"),
    "quiet_period": gettext_lazy("Quiet period"),
    "no_consent": gettext_lazy("No consent"),
}


class WaitingListUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Waiting list (CSV)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv", "class": "form-control"}),
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        file = self.cleaned_data["file"]
        if file.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        return file


@view_role_required(Role.PLANNER)
def waiting_list_view(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    include_closed = request.GET.get("status") == "all"
    entries = waiting_list_entries_for(actor=actor, include_closed=include_closed)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    if page.object_list:
        audit_record(
            actor=actor,
            action=AuditAction.LIST,
            object_type="mediation.waitinglistentry",
            request=request,
            detail={
                "page": "waiting_list",
                "external_ids": [entry.external_id for entry in page.object_list],
            },
        )
    return render(
        request,
        "mediation/waiting_lists/list.html",
        {
            "page": page,
            "include_closed": include_closed,
            "uploads": waiting_list_uploads_for(actor=actor)[:20],
            "form": WaitingListUploadForm(),
        },
    )


@view_role_required(Role.PLANNER)
@require_POST
def waiting_list_upload_view(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    form = WaitingListUploadForm(request.POST, request.FILES)
    if form.is_valid():
        file = form.cleaned_data["file"]
        try:
            with transaction.atomic():
                upload = waiting_list_upload_start(
                    actor=actor, file_name=file.name or "", data=file.read()
                )
        except WaitingListErrors as exc:
            form.add_error("file", exc.reported()[0]["message"])
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("mediation:waiting-list-upload-status", pk=upload.pk)
    entries = waiting_list_entries_for(actor=actor)
    return render(
        request,
        "mediation/waiting_lists/list.html",
        {
            "page": Paginator(entries.none(), PAGE_SIZE).get_page(1),
            "uploads": waiting_list_uploads_for(actor=actor)[:20],
            "form": form,
        },
        status=400,
    )


@view_role_required(Role.PLANNER)
def waiting_list_upload_status(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    upload = waiting_list_uploads_for(actor=actor).filter(pk=pk).first()
    if upload is None:
        audit_refusal(
            actor=actor,
            request=request,
            object_type="mediation.waitinglistupload",
            object_id=str(pk),
        )
        raise Http404
    finished = upload.status in (WaitingListUploadStatus.SUCCEEDED, WaitingListUploadStatus.FAILED)
    template = (
        "mediation/waiting_lists/upload_status.html"
        if request.headers.get("HX-Request")
        else "mediation/waiting_lists/upload.html"
    )
    return render(request, template, {"upload": upload, "finished": finished})


# --- Mediators ------------------------------------------------------------------------------------
@view_role_required(Role.MEDIATOR)
def scan_list(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    if request.method == "POST":
        assert actor.organisation is not None
        codes = [code for code in request.POST.getlist("specialisms") if code]
        try:
            scan = proactive_scan_start(
                insurer=actor.organisation,
                trigger=ScanTrigger.MANUAL,
                actor=actor,
                specialisms=codes,
                request=request,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("mediation:scan-list")
        return redirect("mediation:scan-detail", pk=scan.pk)
    scans = proactive_scans_for(actor=actor)[:30]
    return render(
        request,
        "mediation/waiting_lists/scans.html",
        {
            "scans": scans,
            "specialisms": Specialism.objects.filter(is_active=True).order_by("name"),
        },
    )


@view_role_required(Role.MEDIATOR)
def scan_detail(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    scan = proactive_scans_for(actor=actor).filter(pk=pk).first()
    if scan is None:
        audit_refusal(
            actor=actor, request=request, object_type="mediation.proactivescan", object_id=str(pk)
        )
        raise Http404
    specialism = request.GET.get("specialism", "")
    region = request.GET.get("region", "")
    invitations, counts = scan_cohort(scan=scan, specialism=specialism, region=region)
    page = Paginator(invitations, PAGE_SIZE).get_page(request.GET.get("page"))
    if page.object_list:
        audit_record(
            actor=actor,
            action=AuditAction.LIST,
            object_type="mediation.invitation",
            request=request,
            detail={
                "page": "scan_cohort",
                "scan": scan.pk,
                "invitations": [inv.reference for inv in page.object_list],
            },
        )
    not_invited = scan_not_invited(scan)
    context = {
        "scan": scan,
        "running": scan.status not in ("succeeded", "failed"),
        "reasons": [(REASON_LABELS[r], not_invited[r]) for r in NOT_INVITED_REASONS],
        "counts": counts,
        "page": page,
        "specialism": specialism,
        "region": region,
        "specialisms": Specialism.objects.filter(is_active=True).order_by("name"),
        "regions": Region.objects.order_by("name"),
        "now": timezone.now(),
    }
    if request.headers.get("HX-Request"):
        return render(request, "mediation/waiting_lists/scan_progress.html", context)
    return render(request, "mediation/waiting_lists/scan.html", context)


@view_role_required(Role.MEDIATOR)
def invitation_letter(request: HttpRequest, reference: str, *, actor: Actor) -> HttpResponse:
    """The printable letter of an invitation without email (POST issues its link)."""
    invitation = (
        Invitation.objects.select_related(
            "entry__specialism", "entry__treatment", "entry__location", "insurer"
        )
        .filter(reference=reference.upper(), insurer=actor.organisation)
        .first()
    )
    if invitation is None or invitation.entry.anonymised_at is not None:
        audit_refusal(
            actor=actor, request=request, object_type="mediation.invitation", object_id=reference
        )
        raise Http404
    url = ""
    if request.method == "POST":
        try:
            token = invitation_letter_issue(invitation=invitation, actor=actor, request=request)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("mediation:scan-detail", pk=invitation.scan_id)
        url = invitation_url(reference=invitation.reference, token=token)
    else:
        audit_record(
            actor=actor,
            action=AuditAction.VIEW,
            obj=invitation,
            request=request,
            detail={"page": "invitation_letter_preview"},
        )
    context = {
        **invitation_context(invitation, url=url),
        "alternatives": [
            {**alt, "expected_weeks": weeks(alt.get("expected_days"))}
            for alt in invitation.alternatives or []
        ],
        "is_letter": invitation.channel == InvitationChannel.LETTER,
    }
    return render(request, "mediation/waiting_lists/letter.html", context)
