"""Settings for the test suite: ``base`` with fast password hashing and in-memory mail.

The database, cache and Celery mode still come from the environment, so the same suite runs on the
embedded default (SQLite, eager Celery) and on PostgreSQL + Redis.
"""

import os
from urllib.parse import urlsplit, urlunsplit

from .base import *  # noqa: F403
from .base import CACHES, REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Tests move the clock themselves: the periodic jobs run only where a test starts them
# (tests/test_embedded_beat.py turns EMBEDDED_BEAT on).
EMBEDDED_BEAT = False
# Tests exercise throttling explicitly with their own rates.
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405

# Parallel test workers (pytest-xdist) each get a Redis database of their own, so one worker's
# cache.clear() never wipes another's throttle counters or task messages.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _xdist_worker.startswith("gw"):
    _url = urlsplit(REDIS_URL)
    _db = (int(_url.path.strip("/") or 0) - int(_xdist_worker[2:])) % 16
    REDIS_URL = urlunsplit(_url._replace(path=f"/{_db}"))
    CACHES["default"]["LOCATION"] = REDIS_URL
    CELERY_BROKER_URL = REDIS_URL
