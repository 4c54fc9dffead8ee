from django.urls import path

from accounts import audit_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("members/", views.member_list, name="members"),
    path("api-keys/", views.api_key_list, name="api-keys"),
    path("api-keys/<str:prefix>/revoke/", views.api_key_revoke_view, name="api-key-revoke"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notification_read_view, name="notifications-read"),
    path("audit/", audit_views.audit_event_list, name="audit-events"),
    path("audit/export.csv", audit_views.audit_event_export, name="audit-events-export"),
]
