"""The API's rate limit per client, keyed on the client's real address (:mod:`core.client_ip`).

DRF's own ``ScopedRateThrottle`` keys on the whole ``X-Forwarded-For`` header when one is sent, so a
client that sends a different made-up header with every request gets a fresh budget every time;
this one takes the address :func:`core.client_ip.client_ip` takes (the header only behind
``TRUSTED_PROXY_COUNT`` proxies, and then only the entry the nearest proxies wrote).

The counters live in the cache. When the cache (Redis) is unreachable, ``core.cache`` answers its
reads as misses and drops its writes, with a warning in the log: the limit is then not enforced
(it fails open) rather than turning every public request into an error (DESIGN §7).
"""

from __future__ import annotations

from typing import Any

from rest_framework import throttling

from core.client_ip import client_ip


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """DRF's scoped throttle (``throttle_scope`` on the view, rates in
    ``DEFAULT_THROTTLE_RATES``), per real client address."""

    def get_ident(self, request: Any) -> str:
        return client_ip(request) or ""
