"""The triggers that renew ``providers.ReferenceStamp``'s token whenever the reference data that
the public search keeps in memory (``providers.search.snapshot``) changes.

PostgreSQL: one statement-level trigger per table (INSERT, UPDATE, DELETE and TRUNCATE, so bulk
loads with ``COPY`` count too). SQLite has row-level triggers only: one per table and operation.
SQLite rebuilds a table for many schema changes and drops its triggers with it, so a migration
that alters one of these tables ends with ``create_triggers(schema_editor, [table])``;
``tests/providers/test_search_reference.py`` checks that every table has them.
"""

from __future__ import annotations

from collections.abc import Iterable

STAMP_ID = 1
# The tables whose rows the search snapshot holds.
WATCHED_TABLES = (
    "providers_region",
    "providers_provider",
    "providers_location",
    "providers_specialism",
    "providers_treatment",
    "providers_norm",
    "providers_postcodearea",
)
SQLITE_OPERATIONS = ("INSERT", "UPDATE", "DELETE")

# Only our own table names and constants are interpolated into these statements.
_POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION providers_reference_changed() RETURNS trigger AS $$
BEGIN
    UPDATE providers_referencestamp SET token = gen_random_uuid()::text WHERE id = {STAMP_ID};
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""  # noqa: S608


def _sqlite_trigger_name(table: str, operation: str) -> str:
    return f"{table}_reference_changed_{operation.lower()}"


def trigger_names(table: str, vendor: str) -> set[str]:
    if vendor == "postgresql":
        return {f"{table}_reference_changed"}
    return {_sqlite_trigger_name(table, operation) for operation in SQLITE_OPERATIONS}


def create_triggers(schema_editor, tables: Iterable[str] = WATCHED_TABLES) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(_POSTGRESQL_FUNCTION)
        for table in tables:
            (name,) = trigger_names(table, vendor)
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION providers_reference_changed()"
            )
    elif vendor == "sqlite":
        for table in tables:
            for operation in SQLITE_OPERATIONS:
                name = _sqlite_trigger_name(table, operation)
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
                schema_editor.execute(
                    f"CREATE TRIGGER {name} AFTER {operation} ON {table} BEGIN "  # noqa: S608
                    "UPDATE providers_referencestamp SET token = lower(hex(randomblob(16))) "
                    f"WHERE id = {STAMP_ID}; END"
                )


def drop_triggers(schema_editor, tables: Iterable[str] = WATCHED_TABLES) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        for name in trigger_names(table, vendor):
            on_table = f" ON {table}" if vendor == "postgresql" else ""
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}{on_table}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS providers_reference_changed()")
