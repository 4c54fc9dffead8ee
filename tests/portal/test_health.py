"""``/health/`` reports each dependency (DESIGN §7): 503 when a required one is down, so that a
load balancer sees the truth. Redis stopped for real is in tests/test_redis_outage.py."""

from __future__ import annotations

import socket

import pytest
from django.db import OperationalError

from portal import views

pytestmark = pytest.mark.django_db


def test_a_database_that_cannot_be_reached_is_503(client, settings, monkeypatch):
    settings.REDIS_URL = ""

    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(views, "connection", Unreachable())
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {
        "status": "down",
        "checks": {"database": "down", "redis": "not configured"},
    }
    assert response["Cache-Control"] == "no-store"


def test_a_configured_redis_that_does_not_answer_is_503(client, settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "down", "checks": {"database": "ok", "redis": "down"}}
