"""Celery application.

With ``REDIS_URL`` set, tasks go through Redis to real workers (``celery -A config worker``) and
periodic tasks come from django-celery-beat's database scheduler (``celery -A config beat``).
Without it (the embedded default) settings make every task run eagerly in the calling process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.ping")
def ping() -> str:
    """Round trip used by the health check and the worker test."""
    return "pong"
