"""The reference data stamp (``providers.models.ReferenceStamp``) and the triggers that renew its
token whenever the reference data that the public search keeps in memory changes.

PostgreSQL: one statement-level trigger per table (INSERT, UPDATE, DELETE and TRUNCATE, so bulk
loads with ``COPY`` count too). SQLite has row-level triggers only: one per table and operation.
SQLite rebuilds a table for many schema changes and drops its triggers with it, so a later
migration that alters one of these tables must create them again (``create_triggers`` below);
``tests/providers/test_search_reference.py`` checks that every table has them.
"""

from django.db import migrations, models

# The tables whose rows the search snapshot holds (providers.selectors.search_reference).
WATCHED_TABLES = (
    "providers_region",
    "providers_provider",
    "providers_location",
    "providers_specialism",
    "providers_treatment",
    "providers_norm",
    "providers_postcodearea",
)
STAMP_ID = 1

POSTGRESQL_FUNCTION = """
CREATE OR REPLACE FUNCTION providers_reference_changed() RETURNS trigger AS $$
BEGIN
    UPDATE providers_referencestamp SET token = gen_random_uuid()::text WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
SQLITE_NEW_TOKEN = "lower(hex(randomblob(16)))"


def trigger_name(table: str, operation: str = "") -> str:
    return f"{table}_reference_changed" + (f"_{operation.lower()}" if operation else "")


def create_triggers(schema_editor, tables=WATCHED_TABLES) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FUNCTION)
        for table in tables:
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS {trigger_name(table)} ON {table}; "
                f"CREATE TRIGGER {trigger_name(table)} "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION providers_reference_changed();"
            )
    elif vendor == "sqlite":
        for table in tables:
            for operation in ("INSERT", "UPDATE", "DELETE"):
                name = trigger_name(table, operation)
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
                schema_editor.execute(
                    f"CREATE TRIGGER {name} AFTER {operation} ON {table} BEGIN "
                    f"UPDATE providers_referencestamp SET token = {SQLITE_NEW_TOKEN} "
                    f"WHERE id = {STAMP_ID}; END"
                )


def drop_triggers(schema_editor, tables=WATCHED_TABLES) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in tables:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger_name(table)} ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS providers_reference_changed()")
    elif vendor == "sqlite":
        for table in tables:
            for operation in ("INSERT", "UPDATE", "DELETE"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger_name(table, operation)}")


def forwards(apps, schema_editor):
    import uuid

    apps.get_model("providers", "ReferenceStamp").objects.create(
        id=STAMP_ID, token=str(uuid.uuid4())
    )
    create_triggers(schema_editor)


def backwards(apps, schema_editor):
    drop_triggers(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0010_region_trend_counts"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReferenceStamp",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.CharField(max_length=36, verbose_name="token")),
            ],
            options={
                "verbose_name": "reference data stamp",
                "verbose_name_plural": "reference data stamps",
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
