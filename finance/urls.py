"""Web pages of the finance app, under /financien/."""

from django.urls import path  # noqa: F401

app_name = "finance"

urlpatterns: list = []
