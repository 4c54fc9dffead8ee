"""core.cache: a Redis that cannot be reached is a cache that remembers nothing — reads miss,
writes are dropped, one warning per outage — and a Redis that answers is used as before."""

from __future__ import annotations

import logging
import socket
import time

import pytest
import redis

from core import cache as fail_soft
from core.cache import FailSoftRedisCache

OPTIONS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dead_cache() -> FailSoftRedisCache:
    """A cache whose Redis is not there (a port nobody listens on), fresh outage bookkeeping."""
    return FailSoftRedisCache(
        f"redis://127.0.0.1:{free_port()}/0", {"KEY_PREFIX": "t", "OPTIONS": OPTIONS}
    )


def test_reads_are_misses_and_writes_are_dropped(dead_cache, caplog):
    caplog.set_level(logging.WARNING, logger="core.cache")
    cache = dead_cache
    assert cache.get("flag") is None
    assert cache.get("flag", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("a") is False
    with pytest.raises(ValueError):
        cache.incr("counter")
    with pytest.raises(ValueError):
        cache.decr("counter")
    assert cache.add("a", 1) is False
    cache.set("a", 1)
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]  # the keys that were not stored
    assert cache.touch("a") is False
    assert cache.delete("a") is False
    cache.delete_many(["a", "b"])
    assert cache.get_or_set("computed", lambda: 42) == 42
    cache.clear()
    warnings = [r for r in caplog.records if "Redis cache unreachable" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


def test_after_a_failure_redis_is_left_alone_for_a_while(dead_cache, monkeypatch):
    attempts = []
    real_get = dead_cache._cache.get

    def counted_get(*args, **kwargs):
        attempts.append(1)
        return real_get(*args, **kwargs)

    monkeypatch.setattr(dead_cache._cache, "get", counted_get)
    for _ in range(20):
        assert dead_cache.get("flag") is None
    assert len(attempts) == 1
    # Once the pause is over the next call tries again.
    monkeypatch.setattr(fail_soft, "RETRY_AFTER_SECONDS", 0.0)
    dead_cache._outage.skip_until = 0.0
    dead_cache.get("flag")
    assert len(attempts) == 2


def test_the_warning_repeats_at_most_once_a_minute_and_recovery_is_logged(
    dead_cache, monkeypatch, caplog
):
    caplog.set_level(logging.INFO, logger="core.cache")
    monkeypatch.setattr(fail_soft, "RETRY_AFTER_SECONDS", 0.0)
    down = True

    def flaky_get(key, default):
        if down:
            raise redis.ConnectionError("Connection refused")
        return "value"

    monkeypatch.setattr(dead_cache._cache, "get", flaky_get)
    for _ in range(5):
        assert dead_cache.get("k") is None
    assert sum("unreachable" in r.getMessage() for r in caplog.records) == 1
    dead_cache._outage.warned_at = time.monotonic() - fail_soft.WARN_EVERY_SECONDS
    dead_cache.get("k")
    assert sum("unreachable" in r.getMessage() for r in caplog.records) == 2
    down = False
    assert dead_cache.get("k") == "value"
    assert dead_cache.get("k") == "value"
    assert [r.getMessage() for r in caplog.records].count("Redis cache reachable again.") == 1


def test_other_redis_errors_are_not_hidden(dead_cache, monkeypatch):
    def wrong_type(key, default):
        raise redis.ResponseError("WRONGTYPE Operation against a key holding the wrong value")

    monkeypatch.setattr(dead_cache._cache, "get", wrong_type)
    with pytest.raises(redis.ResponseError):
        dead_cache.get("k")


def test_a_timeout_counts_as_unreachable(dead_cache, monkeypatch):
    def slow(key, value, timeout):
        raise redis.TimeoutError("Timeout reading from socket")

    monkeypatch.setattr(dead_cache._cache, "set", slow)
    dead_cache.set("k", 1)  # no exception
    assert dead_cache._outage.skip_until > time.monotonic()
