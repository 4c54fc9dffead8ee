from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.throttling import ScopedRateThrottle

from accounts.actors import actor_from_request
from accounts.filters import AuditEventFilter
from accounts.models import Role
from accounts.permissions import audit_event_list_for, role_required
from accounts.selectors import insurer_list
from accounts.serializers import (
    AuditEventOutputSerializer,
    InsurerOutputSerializer,
    RegulatorAuditEventOutputSerializer,
)


class InsurerListApi(generics.ListAPIView):
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"
    serializer_class = InsurerOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return insurer_list()


class AuditEventListApi(generics.ListAPIView):
    """The audit trail: an insurer_admin reads the own organisation's; the regulator reads all,
    without patient content."""

    permission_classes = [role_required(Role.INSURER_ADMIN, Role.REGULATOR)]
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditEventFilter
    serializer_class = AuditEventOutputSerializer

    def get_queryset(self):
        return audit_event_list_for(actor=actor_from_request(self.request))

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditEventOutputSerializer
        if actor_from_request(self.request).has_role(Role.REGULATOR):
            return RegulatorAuditEventOutputSerializer
        return AuditEventOutputSerializer
