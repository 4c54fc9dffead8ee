"""Mediation's services send mails through Celery tasks on commit; its tests check the mails, so
tasks run eagerly here whatever the broker (see ``celery_eager`` in tests/conftest.py)."""

import pytest

from tests.mediation.waiting_list_fixtures import waiting  # noqa: F401


@pytest.fixture(autouse=True)
def _tasks_in_process(celery_eager):
    yield
