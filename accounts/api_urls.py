from django.urls import path

from accounts import apis, audit_apis

urlpatterns = [
    path("insurers/", apis.InsurerListApi.as_view(), name="api-insurers"),
    path("audit-events/", audit_apis.AuditEventListApi.as_view(), name="api-audit-events"),
]
