"""Behind the TLS proxy every request comes from the proxy's address: login lockout (django-axes),
the API's throttle and the audit trail must key on the real client (``core.client_ip``), or one
person failing five logins locks a mediator out for everyone (issue 12, item 5)."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from accounts.actors import actor_for_user
from accounts.services import audit_record
from tests.accounts.factories import PASSWORD

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"
CLIENT_A = "203.0.113.5"
CLIENT_B = "198.51.100.7"


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def through_proxy(client_address: str, spoofed: str = "") -> dict[str, str]:
    """What the app receives when ``client_address`` calls through the proxy; ``spoofed`` is an
    X-Forwarded-For the client sent itself, to which the proxy appends the address it saw."""
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


def log_in(client, username: str, password: str, **meta: str):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, **meta
    )


def test_failures_from_one_client_do_not_lock_the_mediator_out_elsewhere(
    client, mediator, behind_one_proxy
):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, mediator.username, "wrong", **through_proxy(CLIENT_A))

    assert log_in(client, mediator.username, PASSWORD, **through_proxy(CLIENT_A)).status_code == 429
    response = log_in(client, mediator.username, PASSWORD, **through_proxy(CLIENT_B))
    assert response.status_code == 302
    assert response.url == reverse("accounts:dashboard")


def test_a_spoofed_forwarded_entry_does_not_change_the_keyed_address(
    client, mediator, behind_one_proxy
):
    # The attacker writes a different address into X-Forwarded-For with every attempt.
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        spoofed = f"192.0.2.{attempt + 1}"
        log_in(client, mediator.username, "wrong", **through_proxy(CLIENT_A, spoofed=spoofed))

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT_A}
    locked = log_in(client, mediator.username, PASSWORD, **through_proxy(CLIENT_A, "192.0.2.99"))
    assert locked.status_code == 429


def test_without_a_trusted_proxy_forwarded_for_is_ignored(client, mediator):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, mediator.username, "wrong", **through_proxy(f"192.0.2.{attempt + 1}"))

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}
    assert log_in(client, mediator.username, PASSWORD, **through_proxy(CLIENT_B)).status_code == 429


# --- The API's throttle -------------------------------------------------------------------------
@pytest.fixture
def three_a_minute(monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"public": "3/minute"})


def statuses(api_client, count: int, **meta: str) -> list[int]:
    return [api_client.get("/api/v1/norms/", **meta).status_code for _ in range(count)]


def test_a_made_up_forwarded_for_does_not_buy_a_fresh_budget(api_client, three_a_minute):
    made_up = [
        api_client.get("/api/v1/norms/", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}") for n in (1, 2, 3, 4)
    ]
    assert [response.status_code for response in made_up] == [200, 200, 200, 429]


def test_behind_the_proxy_each_client_has_its_own_budget(
    api_client, three_a_minute, behind_one_proxy
):
    assert statuses(api_client, 4, **through_proxy(CLIENT_A)) == [200, 200, 200, 429]
    assert statuses(api_client, 1, **through_proxy(CLIENT_A, spoofed="192.0.2.1")) == [429]
    assert statuses(api_client, 1, **through_proxy(CLIENT_B)) == [200]


# --- The audit trail ----------------------------------------------------------------------------
def test_the_audit_trail_records_the_same_client_address(rf, mediator, settings):
    request = rf.get("/x", **through_proxy(CLIENT_A, spoofed="192.0.2.1"))
    actor = actor_for_user(mediator)
    assert audit_record(actor=actor, action="view", request=request).client_ip == PROXY
    settings.TRUSTED_PROXY_COUNT = 1
    assert audit_record(actor=actor, action="view", request=request).client_ip == CLIENT_A
