"""The platform operator's page for the national NZa import: upload a file, follow its progress
(the same task and progress bar as a provider's upload), see what it created and skipped.

Only the platform operator (a superuser acting for no organisation) reaches it: anonymous users
go to the login page, every other user gets 403 (insurers and regulators read the figures, they
do not load them)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor, actor_from_request
from accounts.services import audit_refusal
from core.errors import ApplicationError
from providers.models import WaitingTimeImport, WaitingTimeImportScope
from providers.nza.imports import (
    MAX_NATIONAL_UPLOAD_BYTES,
    actor_may_import_national,
    nza_import_start,
)

RECENT_IMPORTS = 10


class NzaUploadForm(forms.Form):
    file = forms.FileField(
        label=_("National file"),
        help_text=_(
            "The NZa open-data CSV file (semicolons, ISO-8859-1 or UTF-8) or a JSON file of "
            "Zorgbeeld API records."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.json,text/csv,application/json"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_NATIONAL_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB; use the management command.")
                % {"size": MAX_NATIONAL_UPLOAD_BYTES // 2**20}
            )
        return upload


def operator_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        actor = actor_from_request(request)
        if not actor.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not actor_may_import_national(actor):
            audit_refusal(actor=actor, request=request)
            raise PermissionDenied
        return view(request, *args, actor=actor, **kwargs)

    return wrapped


def _national_imports() -> Any:
    return WaitingTimeImport.objects.filter(scope=WaitingTimeImportScope.NATIONAL).select_related(
        "created_by"
    )


@operator_required
def nza_upload(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    form = (
        NzaUploadForm(request.POST, request.FILES) if request.method == "POST" else NzaUploadForm()
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            with transaction.atomic():
                job = nza_import_start(
                    actor=actor, file_name=upload.name, file=upload, language=get_language() or ""
                )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("providers:nza-import", pk=job.pk)
    return render(
        request,
        "providers/nza_upload.html",
        {"form": form, "imports": _national_imports()[:RECENT_IMPORTS]},
        status=400 if form.errors else 200,
    )


@operator_required
def nza_import_detail(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    job = _national_imports().filter(pk=pk).first()
    if job is None:
        raise Http404
    template = (
        "providers/nza_import_status.html"
        if getattr(request, "htmx", False)
        else "providers/nza_import.html"
    )
    return render(request, template, {"job": job})
