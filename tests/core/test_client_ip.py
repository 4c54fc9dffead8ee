"""core.client_ip: the client's real address, counted from the right of X-Forwarded-For behind
``TRUSTED_PROXY_COUNT`` trusted proxies, never an address the client wrote itself."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from core.client_ip import client_ip
from tests.base_settings import base_settings

PROXY = "10.0.0.1"


def request(forwarded: str | None = None, remote: str = PROXY):
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        # No trusted proxy (the default): the header is ignored, whatever it says.
        (0, None, PROXY),
        (0, "203.0.113.5", PROXY),
        (0, "198.51.100.1, 203.0.113.5", PROXY),
        # One proxy: the entry it appended, the right-most; what stands left of it is the client's.
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "198.51.100.1, 203.0.113.5", "203.0.113.5"),
        (1, "198.51.100.1,203.0.113.5 ", "203.0.113.5"),
        (1, "2001:db8::1", "2001:db8::1"),
        (1, None, PROXY),  # not through the proxy (e.g. a health check from inside)
        # Two proxies: the outer one appended the client, the inner one the outer proxy.
        (2, "198.51.100.1, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (2, "203.0.113.5", "203.0.113.5"),  # fewer entries than proxies: the farthest there is
        # What the proxy appended is not an address: the proxy's own address, never garbage.
        (1, "198.51.100.1, unknown", PROXY),
        (1, "198.51.100.1, ", PROXY),
    ],
)
def test_the_client_address_is_counted_from_the_right(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(request(forwarded)) == expected


def test_no_remote_address_at_all(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request(remote="")) is None


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, 0),
        ({"TRUSTED_PROXY_COUNT": "2"}, 2),
        ({"AUDIT_TRUST_X_FORWARDED_FOR": "true"}, 1),  # the deprecated setting means one proxy
        ({"AUDIT_TRUST_X_FORWARDED_FOR": "true", "TRUSTED_PROXY_COUNT": "0"}, 0),
    ],
)
def test_trusted_proxy_count_from_the_environment(monkeypatch, environment, expected):
    unset = dict.fromkeys(("TRUSTED_PROXY_COUNT", "AUDIT_TRUST_X_FORWARDED_FOR"))
    configured = base_settings(monkeypatch, **{**unset, **environment})
    assert configured["TRUSTED_PROXY_COUNT"] == expected
    assert configured["AXES_CLIENT_IP_CALLABLE"] == "core.client_ip.client_ip"
