"""Staff web UI of the accounts app: login/logout, members, API keys and one's notifications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.actors import Actor
from accounts.forms import ApiKeyCreateForm, LoginForm
from accounts.models import AuditAction
from accounts.permissions import (
    ADMIN_ROLES,
    api_key_list_for,
    get_object_or_404_for,
    member_list_for,
    view_role_required,
)
from accounts.selectors import notification_list_for
from accounts.services import (
    api_key_create,
    api_key_revoke,
    audit_record,
    notification_mark_read,
)

NOTIFICATIONS_PER_PAGE = 25


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@view_role_required(*ADMIN_ROLES)
def member_list(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    return render(request, "accounts/members.html", {"members": member_list_for(actor=actor)})


@never_cache  # the response may carry a new key's secret
@view_role_required(*ADMIN_ROLES)
def api_key_list(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """List the organisation's keys; create one (its secret is shown once, on this response)."""
    new_key = None
    form = ApiKeyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assert actor.organisation is not None
        try:
            api_key, new_key = api_key_create(
                organisation=actor.organisation,
                name=form.cleaned_data["name"],
                created_by=actor.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            audit_record(actor=actor, action=AuditAction.CREATE, obj=api_key, request=request)
            form = ApiKeyCreateForm()
    return render(
        request,
        "accounts/api_keys.html",
        {"form": form, "api_keys": api_key_list_for(actor=actor), "new_key": new_key},
        status=400 if form.errors else 200,
    )


@require_POST
@view_role_required(*ADMIN_ROLES)
def api_key_revoke_view(request: HttpRequest, prefix: str, *, actor: Actor) -> HttpResponse:
    api_key = get_object_or_404_for(api_key_list_for(actor=actor), prefix=prefix)
    api_key_revoke(api_key=api_key)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=api_key,
        request=request,
        detail={"revoked": True},
    )
    messages.success(request, _("The key %(name)s has been revoked.") % {"name": api_key.name})
    return redirect("accounts:api-keys")


@view_role_required()
def notification_list(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The signed-in user's own notifications, newest first, unread ones marked."""
    if actor.user is None:
        raise PermissionDenied
    page = Paginator(notification_list_for(user=actor.user), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/notifications.html", {"page": page})


@require_POST
@view_role_required()
def notification_read_view(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """Mark one notification (``notification``) or all (``all``) of one's own as read; with
    ``open`` set, go on to the notification's link."""
    if actor.user is None:
        raise PermissionDenied
    if "all" in request.POST:
        notification_mark_read(user=actor.user)
        messages.success(request, _("All notifications are marked as read."))
        return redirect("accounts:notifications")
    try:
        notification_id = int(request.POST.get("notification", ""))
    except ValueError:
        return redirect("accounts:notifications")
    notification = get_object_or_404_for(notification_list_for(user=actor.user), pk=notification_id)
    notification_mark_read(user=actor.user, notification_ids=[notification.pk])
    if "open" in request.POST and notification.link.startswith("/"):
        return redirect(notification.link)
    return redirect("accounts:notifications")
