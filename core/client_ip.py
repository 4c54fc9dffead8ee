"""The one rule for "the address of the client that sent this request".

Behind ``TRUSTED_PROXY_COUNT`` trusted proxies (the TLS-terminating proxy of the README's
production section is one), ``REMOTE_ADDR`` is the nearest proxy, and each proxy appends the
address it was called from to ``X-Forwarded-For``. The client's own address is therefore the entry
that many places from the *right* end: the last one behind one proxy, the one before it behind
two. Whatever stands further left was sent by the client itself and proves nothing, so it is never
taken (a client could otherwise pick any address and lock someone else out, or dodge its own
lockout). With no trusted proxy (the default), ``X-Forwarded-For`` is ignored altogether.

Login lockout (django-axes, ``AXES_CLIENT_IP_CALLABLE``), the API's throttling
(:mod:`core.throttling`) and the audit trail all key on this one function.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings


def _address(value: str) -> str | None:
    """``value`` as an IP address, or ``None`` when it is not one."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: Any) -> str | None:
    """The client's address: ``TRUSTED_PROXY_COUNT`` entries from the right of
    ``X-Forwarded-For`` behind that many proxies, else ``REMOTE_ADDR``.

    When the header holds fewer entries than there are proxies (a request that did not pass them
    all), the farthest entry there is counts. An entry that is not an IP address falls back to
    ``REMOTE_ADDR``, so that what is stored is always an address."""
    meta = getattr(request, "META", None) or {}
    remote = meta.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    entries = forwarded.split(",")
    return _address(entries[-min(proxies, len(entries))]) or remote
