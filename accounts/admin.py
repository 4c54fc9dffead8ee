"""Django admin of the accounts app, and the audit of admin pages that show patient data
(:class:`AuditedModelAdmin`, used by every app's admin of such data)."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from accounts.actors import actor_for_admin
from accounts.models import ApiKey, AuditAction, AuditEvent, Membership, Organisation, User
from accounts.services import audit_action_of, audit_record, audit_refusal

# The longest query string kept in a changelist's audit event.
AUDIT_QUERY_LENGTH = 500


class AuditedModelAdmin(admin.ModelAdmin):
    """An admin whose pages show patient data: every look is in the audit trail (NEN 7513,
    DESIGN §7), as on the application's own pages.

    * the change page, the history page and the delete confirmation of a row: one ``view`` of it;
    * each changelist page: one ``list`` event with the rows shown (``objects``, and their cases'
      ``references``) and the query (search, filters, page), also when it showed nothing;
    * a page refused by Django's permissions: a ``denied`` event, without looking the row up.

    The actor is :func:`accounts.actors.actor_for_admin`. ``audit_case_reference`` names the case
    a row belongs to, so that the event is found with the case's.
    """

    def audit_case_reference(self, obj: Any) -> str:
        return ""

    def _audit_refusal(self, request: HttpRequest, page: str, action: str, object_id: str) -> None:
        audit_refusal(
            actor=actor_for_admin(request.user),
            request=request,
            action=action if request.method in ("GET", "HEAD") else audit_action_of(request),
            object_type=self.model._meta.label_lower,
            object_id=object_id,
            detail={"page": page},
        )

    def _audit_view(self, request: HttpRequest, page: str, response: HttpResponse) -> None:
        context = getattr(response, "context_data", None) or {}
        obj = context.get("original") or context.get("object")
        if obj is not None:
            audit_record(
                actor=actor_for_admin(request.user),
                action=AuditAction.VIEW,
                obj=obj,
                case_reference=self.audit_case_reference(obj),
                request=request,
                detail={"page": page},
            )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        page = "admin_changelist"
        try:
            response = super().changelist_view(request, extra_context)
        except PermissionDenied:
            self._audit_refusal(request, page, AuditAction.LIST, "")
            raise
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:  # not a redirect
            shown = list(changelist.result_list)  # the page's rows; the template reuses them
            audit_record(
                actor=actor_for_admin(request.user),
                action=AuditAction.LIST,
                object_type=self.model._meta.label_lower,
                request=request,
                detail={
                    "page": page,
                    "query": request.GET.urlencode()[:AUDIT_QUERY_LENGTH],
                    "objects": [str(obj.pk) for obj in shown],
                    "references": [ref for ref in map(self.audit_case_reference, shown) if ref],
                },
            )
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            response = super().change_view(request, object_id, form_url, extra_context)
        except PermissionDenied:
            self._audit_refusal(request, "admin_change", AuditAction.VIEW, object_id)
            raise
        self._audit_view(request, "admin_change", response)
        return response

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            response = super().history_view(request, object_id, extra_context)
        except PermissionDenied:
            self._audit_refusal(request, "admin_history", AuditAction.VIEW, object_id)
            raise
        self._audit_view(request, "admin_history", response)
        return response

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            response = super().delete_view(request, object_id, extra_context)
        except PermissionDenied:
            self._audit_refusal(request, "admin_delete", AuditAction.DELETE, object_id)
            raise
        self._audit_view(request, "admin_delete", response)
        return response


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False
    extra = 0
    max_num = 1


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_staff"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "uzovi", "provider", "is_demo"]
    list_filter = ["kind", "is_demo"]
    search_fields = ["name", "uzovi", "provider__agb_code"]
    raw_id_fields = ["provider"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role", "organisation__kind"]
    search_fields = ["user__username", "organisation__name"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created with ``manage.py create_api_key`` or in the web UI (the secret is shown
    once there); the admin can only inspect and revoke."""

    list_display = ["name", "prefix", "organisation", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["organisation__kind"]
    readonly_fields = ["organisation", "name", "prefix", "created_at", "created_by", "last_used_at"]
    fields = [*readonly_fields, "revoked_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(AuditedModelAdmin):
    """Read-only: the audit trail is append-only, in the admin too. Looking at it is recorded in
    it, as on the trail's own page."""

    list_display = [
        "occurred_at",
        "actor_label",
        "role",
        "organisation_label",
        "action",
        "object_type",
        "object_id",
        "case_reference",
        "outcome",
        "client_ip",
    ]
    list_filter = ["action", "outcome"]
    search_fields = ["actor_label", "case_reference", "object_id"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
