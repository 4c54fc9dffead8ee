"""The Redis cache, failing soft: an unreachable Redis is a cache that remembers nothing.

DESIGN §7 (degrade, don't fail): Redis going away must not turn a page or an API call into an
error. Everything this project keeps in the cache can be recomputed (the demo flag, the API's
throttle counters), so while Redis cannot be reached :class:`FailSoftRedisCache` answers every
read as a miss and drops every write, and says so in the log: one warning when the outage is
noticed, at most one a minute while it lasts, and one line when Redis answers again.

A dead Redis must cost milliseconds, not seconds: the settings give the connection short connect
and read timeouts, and after a failure this process leaves Redis alone for
:data:`RETRY_AFTER_SECONDS` (every call is a miss at once), then tries again with the next call.

Only the errors of an unreachable server count (connection refused or lost, a timeout, a server
still loading its data); any other error (a wrong command, a value that cannot be read) is a bug
and is raised as before.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# After a failed call, the calls of the next seconds do not try Redis at all.
RETRY_AFTER_SECONDS = 5.0
# While an outage lasts, the warning is repeated at most this often (per process).
WARN_EVERY_SECONDS = 60.0

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)  # BusyLoadingError is a ConnectionError

T = TypeVar("T")


@dataclass
class _Outage:
    """What one process knows about one Redis location (shared by its threads; the cache object
    itself is made once per thread)."""

    skip_until: float = 0.0
    warned_at: float | None = None  # set while an outage lasts


_outages: dict[str, _Outage] = {}
_outages_lock = threading.Lock()


def _outage_for(location: str) -> _Outage:
    with _outages_lock:
        return _outages.setdefault(location, _Outage())


class FailSoftRedisCache(RedisCache):
    """Django's Redis cache, but an unreachable server is a miss (reads) or a no-op (writes)."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._outage = _outage_for(str(server))

    def _call(self, fallback: T, method: Any, *args: Any, **kwargs: Any) -> T:
        outage = self._outage
        if time.monotonic() < outage.skip_until:
            return fallback
        try:
            result = method(*args, **kwargs)
        except UNREACHABLE as exc:
            now = time.monotonic()
            outage.skip_until = now + RETRY_AFTER_SECONDS
            if outage.warned_at is None or now - outage.warned_at >= WARN_EVERY_SECONDS:
                outage.warned_at = now
                logger.warning(
                    "Redis cache unreachable (%s: %s); serving without cache, throttling off.",
                    type(exc).__name__,
                    exc,
                )
            return fallback
        if outage.warned_at is not None:
            outage.warned_at = None
            logger.info("Redis cache reachable again.")
        return result  # type: ignore[no-any-return]

    # Reads: a miss.
    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._call(default, super().get, key, default, version)

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._call({}, super().get_many, keys, version)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._call(False, super().has_key, key, version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        # Django's answer for a key it does not have (``decr`` goes through here too).
        missing = object()
        result = self._call(missing, super().incr, key, delta, version)
        if result is missing:
            raise ValueError(f"Key '{key}' not found.")
        return result  # type: ignore[return-value]

    # Writes: nothing stored.
    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._call(False, super().add, key, value, timeout, version)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._call(None, super().set, key, value, timeout, version)

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._call(list(data), super().set_many, data, timeout, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._call(False, super().touch, key, timeout, version)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._call(False, super().delete, key, version)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._call(None, super().delete_many, keys, version)

    def clear(self) -> None:
        self._call(None, super().clear)
