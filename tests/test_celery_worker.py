"""Celery round trips: eager in the embedded default, a real worker behind Redis otherwise.

With ``REDIS_URL`` set, a worker is started inside the test process (a thread, solo pool) that
consumes from the Redis broker and stores results through django-celery-results, exactly as
``celery -A config worker`` does. The worker listens on a queue of its own, so that messages left
by other tests (which no worker consumes) are never run by it against this test's database.
"""

from __future__ import annotations

import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django_celery_results.models import TaskResult

from config.celery import app, ping

pytestmark = pytest.mark.celery_worker

needs_broker = pytest.mark.skipif(
    settings.CELERY_TASK_ALWAYS_EAGER,
    reason="no REDIS_URL: tasks run eagerly (embedded default); CI runs this against Redis",
)


def test_tasks_run_eagerly_in_the_embedded_default():
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("REDIS_URL is set: tasks go to real workers (see the worker test)")
    assert app.conf.task_always_eager is True
    result = ping.delay()
    assert result.successful()
    assert result.get(timeout=1) == "pong"


@needs_broker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_answers_through_redis():
    assert app.conf.broker_url.startswith("redis://")
    queue = f"test-worker-{uuid.uuid4().hex}"
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30
        ):
            result = ping.apply_async(queue=queue)
            assert result.get(timeout=20) == "pong"
    finally:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)
    stored = TaskResult.objects.get(task_id=result.id)
    assert stored.status == "SUCCESS"
    assert stored.task_name == "config.ping"
