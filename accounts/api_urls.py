from django.urls import path

from accounts import apis

urlpatterns = [
    path("insurers/", apis.InsurerListApi.as_view(), name="api-insurers"),
    path("audit-events/", apis.AuditEventListApi.as_view(), name="api-audit-events"),
]
