"""Web pages of the plans app, under /plannen/."""

from django.urls import path  # noqa: F401

app_name = "plans"

urlpatterns: list = []
