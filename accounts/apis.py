from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.throttling import ScopedRateThrottle

from accounts.selectors import insurer_list
from accounts.serializers import InsurerOutputSerializer


class InsurerListApi(generics.ListAPIView):
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"
    serializer_class = InsurerOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return insurer_list()
