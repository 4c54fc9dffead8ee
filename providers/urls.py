"""Web UI of the providers app: the public waiting-time search and the planners' pages."""

from django.urls import path  # noqa: F401

app_name = "providers"

urlpatterns: list = []
