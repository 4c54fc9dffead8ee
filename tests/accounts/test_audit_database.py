"""The audit trail in the database itself (NEN 7513, DESIGN §7): it cannot be truncated, and the
runtime role of the README (``manage.py print_runtime_role_sql``) can add to it and read it but
not change it, empty it or switch its guards off."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from accounts.actors import actor_for_user
from accounts.models import AuditAction, AuditEvent, Organisation, Role
from accounts.services import audit_record

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL roles and triggers"
)


def _refused(cursor, sql: str, match: str) -> None:
    """``sql`` fails with ``match``; the connection's transaction goes on (a savepoint)."""
    with pytest.raises(DatabaseError, match=match), transaction.atomic(using=cursor.db.alias):
        cursor.execute(sql)


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db
def test_truncating_the_audit_trail_is_refused(mediator) -> None:
    assert AuditEvent._meta.db_table == "accounts_auditevent"  # spelled out in the SQL here
    event = audit_record(actor=actor_for_user(mediator), action=AuditAction.VIEW)
    with connection.cursor() as cursor:
        for sql in (
            "TRUNCATE accounts_auditevent",
            "TRUNCATE accounts_auditevent RESTART IDENTITY CASCADE",
            "TRUNCATE accounts_apikey, accounts_auditevent CASCADE",
        ):
            _refused(cursor, sql, "append-only")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.fixture
def runtime_role(transactional_db) -> Iterator[tuple[str, str]]:
    """A login role made with the README's SQL (``print_runtime_role_sql``), dropped after.

    The grants must be committed for another connection to see them, hence a transactional
    test."""
    role = f"zb_runtime_test_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    output = StringIO()
    call_command("print_runtime_role_sql", role, stdout=output)
    with connection.cursor() as cursor:
        cursor.execute(output.getvalue())
        cursor.execute(f"ALTER ROLE {role} PASSWORD %s", [password])
    try:
        yield role, password
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


@pytest.fixture
def runtime_connection(runtime_role) -> Iterator:
    """A Django connection to the test database as the runtime role, under the alias
    ``runtime``; everything it does stays in one transaction that is rolled back."""
    from django.db import connections

    role, password = runtime_role
    settings_dict = {**connection.settings_dict, "USER": role, "PASSWORD": password}
    runtime = type(connections["default"])(settings_dict, alias="runtime")
    connections["runtime"] = runtime
    try:
        with transaction.atomic(using="runtime"):
            yield runtime
            transaction.set_rollback(True, using="runtime")
    finally:
        runtime.close()
        del connections["runtime"]


class RuntimeRouter:
    """Every query of the application on the ``runtime`` connection."""

    def db_for_read(self, model, **hints) -> str:
        return "runtime"

    def db_for_write(self, model, **hints) -> str:
        return "runtime"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the same database, seen by two roles


@pytest.mark.postgres
@postgres_only
def test_runtime_role_appends_to_and_reads_the_trail_but_cannot_empty_or_disarm_it(
    runtime_connection, insurer, mediator
) -> None:
    with runtime_connection.cursor() as cursor:
        cursor.execute("SELECT current_user, pg_has_role(current_user, %s, 'MEMBER')", ["postgres"])
        user, is_postgres = cursor.fetchone()
        assert user.startswith("zb_runtime_test_") and not is_postgres

    # The application itself, all of its queries on the runtime role's connection.
    with override_settings(DATABASE_ROUTERS=[RuntimeRouter()]):
        event = audit_record(actor=actor_for_user(mediator), action=AuditAction.VIEW)
        assert AuditEvent.objects.filter(pk=event.pk, role=Role.MEDIATOR).exists()
        # The rest of the schema is the application's as usual.
        assert Organisation.objects.filter(pk=insurer.pk).update(name="Renamed") == 1
    assert event._state.db == "runtime"

    with runtime_connection.cursor() as cursor:
        _refused(cursor, "UPDATE accounts_auditevent SET action = 'delete'", "permission denied")
        _refused(cursor, "DELETE FROM accounts_auditevent", "permission denied")
        _refused(cursor, "TRUNCATE accounts_auditevent", "permission denied")
        for switch_off in (
            "ALTER TABLE accounts_auditevent DISABLE TRIGGER ALL",
            "ALTER TABLE accounts_auditevent DISABLE TRIGGER accounts_auditevent_append_only",
            "ALTER TABLE accounts_auditevent DISABLE TRIGGER accounts_auditevent_no_truncate",
            "DROP TRIGGER accounts_auditevent_append_only ON accounts_auditevent",
            "DROP TABLE accounts_auditevent",
        ):
            _refused(cursor, switch_off, "must be owner")
        _refused(cursor, "SET session_replication_role = replica", "permission denied")
    assert AuditEvent.objects.using("runtime").filter(pk=event.pk).exists()


def test_runtime_role_sql_names_the_role_and_never_grants_changes_to_the_trail() -> None:
    output = StringIO()
    call_command("print_runtime_role_sql", "zb_app", stdout=output)
    sql = output.getvalue()

    assert "zb_app" in sql
    assert "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON accounts_auditevent" in sql
    assert "ALTER DEFAULT PRIVILEGES" in sql


def test_runtime_role_sql_refuses_a_name_that_is_not_a_plain_identifier() -> None:
    with pytest.raises(CommandError, match="plain PostgreSQL identifier"):
        call_command("print_runtime_role_sql", 'zb"; DROP TABLE x; --', stdout=StringIO())


@pytest.fixture
def later_table(runtime_role) -> Iterator[str]:
    """A table the owner creates after the runtime role's SQL ran, as a later migration would.
    (Requested before ``runtime_connection``, so that it is dropped after that connection's
    transaction has ended.)"""
    table = f"zb_future_test_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {table} (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
            "note text)"
        )
    yield table
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")


@pytest.mark.postgres
@postgres_only
def test_runtime_role_has_the_usual_rights_on_tables_that_later_migrations_create(
    later_table, runtime_connection
) -> None:
    with runtime_connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {later_table} (note) VALUES ('a') RETURNING id")  # noqa: S608
        (row_id,) = cursor.fetchone()
        cursor.execute(f"UPDATE {later_table} SET note = 'b' WHERE id = %s", [row_id])  # noqa: S608
        cursor.execute(f"DELETE FROM {later_table} WHERE id = %s", [row_id])  # noqa: S608
        assert cursor.rowcount == 1
