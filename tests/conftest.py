"""Fixtures shared by every test package.

Two insurers and two providers exist in most access tests, so that "own" and "foreign" objects can
be compared; ``member(role, organisation)`` makes a user acting in a role.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import api_key_create
from tests.accounts.factories import (
    InsurerFactory,
    ProviderOrganisationFactory,
    RegulatorFactory,
    member,
)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and cached flags must not leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: a page requested in English leaves English active
    in the thread, and a later test in the same worker would read its texts in English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def celery_eager():
    """Run Celery tasks in the test's own process, also when REDIS_URL points Celery at a real
    broker (the PostgreSQL + Redis run): for tests that check what a task did (mails sent)."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def insurer(db):
    return InsurerFactory(name="Verzekeraar Een", uzovi="8101")


@pytest.fixture
def other_insurer(db):
    return InsurerFactory(name="Verzekeraar Twee", uzovi="8102")


@pytest.fixture
def provider_org(db):
    return ProviderOrganisationFactory()


@pytest.fixture
def other_provider_org(db):
    return ProviderOrganisationFactory()


@pytest.fixture
def regulator_org(db):
    return RegulatorFactory(name="Toezichthouder")


@pytest.fixture
def mediator(insurer):
    return member(Role.MEDIATOR, insurer)


@pytest.fixture
def contract_manager(insurer):
    return member(Role.CONTRACT_MANAGER, insurer)


@pytest.fixture
def insurer_admin(insurer):
    return member(Role.INSURER_ADMIN, insurer)


@pytest.fixture
def planner(provider_org):
    return member(Role.PLANNER, provider_org)


@pytest.fixture
def provider_admin(provider_org):
    return member(Role.PROVIDER_ADMIN, provider_org)


@pytest.fixture
def regulator(regulator_org):
    return member(Role.REGULATOR, regulator_org)


@pytest.fixture
def api_key_for():
    """``api_key_for(organisation)`` → the raw key of a new API key of that organisation."""

    def make(organisation) -> str:
        _key, raw = api_key_create(organisation=organisation, name=f"test-{organisation.pk}")
        return raw

    return make


# The data migrations that fill reference tables, with their (idempotent) loader functions.
REFERENCE_DATA_LOADERS = [
    ("providers.migrations.0002_specialisms", "load_specialisms"),
    ("providers.migrations.0003_treatments", "load_treatments"),
    ("providers.migrations.0004_treeknormen", "load_norms"),
    ("providers.migrations.0005_roaz_regions", "load_regions"),
    ("providers.migrations.0006_postcode_areas", "load_postcode_areas"),
    ("providers.migrations.0013_treatment_nza_name", "load_nza_names"),
    ("providers.migrations.0016_specialism_patients_wait", "mark_not_for_patients"),
]


@pytest.fixture
def reference_data(transactional_db) -> None:
    """Reference data for transactional tests (live server, real worker).

    Ordinary tests see what the data migrations loaded, inside a rolled-back transaction; a
    transactional test instead ends by flushing every table, so the next one would find no
    specialisms, norms, regions or postcodes. The migration loaders are idempotent, so run them
    again. (``serialized_rollback`` would be the textbook answer, but it collides with the content
    types that the flush re-creates.)"""
    import importlib

    from django.apps import apps

    from providers.models import Norm, PostcodeArea, Region, Specialism, Treatment

    if all(m.objects.exists() for m in (Norm, PostcodeArea, Region, Specialism, Treatment)):
        return
    for module_name, function_name in REFERENCE_DATA_LOADERS:
        getattr(importlib.import_module(module_name), function_name)(apps, None)


@pytest.fixture
def keep_test_connection_open():
    """schemathesis calls the WSGI app directly, whose request signals would close the test's
    database connection (inside its transaction); Django's test client disconnects them too."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="session")
def schema(django_db_setup, django_db_blocker):
    """The app's own OpenAPI schema, loaded through the WSGI app, for schemathesis tests."""
    import schemathesis

    from config.wsgi import application

    # Generating the schema runs the app's middleware, which may read the database.
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_audit_trail_guard():
    """Transactional tests end with Django's flush: one TRUNCATE of every table, which the audit
    trail's guard refuses on PostgreSQL (accounts migration 0004), as it must in production. The
    test database's owner lifts that one trigger for the flush, inside the flush's transaction."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    from accounts.models import AuditEvent

    table = AuditEvent._meta.db_table
    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        if table not in tables:
            return statements
        guard = "TRIGGER accounts_auditevent_no_truncate"
        return [
            f"ALTER TABLE {table} DISABLE {guard};",
            *statements,
            f"ALTER TABLE {table} ENABLE {guard};",
        ]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original
