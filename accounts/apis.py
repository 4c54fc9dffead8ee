from rest_framework import generics
from rest_framework.permissions import AllowAny

from accounts.selectors import insurer_list
from accounts.serializers import InsurerOutputSerializer
from core.throttling import ScopedRateThrottle


class InsurerListApi(generics.ListAPIView):
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"
    serializer_class = InsurerOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return insurer_list()
