"""The rate limits per client, keyed on the client's real address (:mod:`core.client_ip`).

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


class RateBudget(ScopedRateThrottle):
    """A scope's budget that is looked at and spent separately, for a write whose cost depends on
    its outcome: the public mediation request spends ``public_write`` only when it is accepted,
    and an invalid one spends the looser ``public_invalid`` (issue 13: a family behind one
    address must not be locked out after a few typos, while a client that only probes the form
    is still held back).

    ``wait()`` after :meth:`exhausted` is the seconds until the budget has room again."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def _history(self, request: Any) -> list[float]:
        self.key = self.get_cache_key(request, None)  # type: ignore[arg-type]  # no view is read
        self.now = self.timer()
        history = [
            moment
            for moment in (self.cache.get(self.key) or [])
            if moment > self.now - (self.duration or 0)
        ]
        self.history = history
        return history

    def exhausted(self, request: Any) -> bool:
        """Whether the client has used its budget up (nothing is spent)."""
        if self.rate is None:
            return False
        return len(self._history(request)) >= (self.num_requests or 0)

    def spend(self, request: Any) -> None:
        """Record one use of the budget."""
        if self.rate is None:
            return
        history = self._history(request)
        history.insert(0, self.now)
        self.cache.set(self.key, history, self.duration)
