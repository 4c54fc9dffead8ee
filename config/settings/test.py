"""Settings for the test suite: ``base`` with fast password hashing and in-memory mail.

The database, cache and Celery mode still come from the environment, so the same suite runs on the
embedded default (SQLite, eager Celery) and on PostgreSQL + Redis.
"""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Tests exercise throttling explicitly with their own rates.
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
