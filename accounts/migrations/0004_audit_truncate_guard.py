"""On PostgreSQL, the database refuses TRUNCATE of the audit trail too: the row trigger of 0003
does not fire on TRUNCATE, so a statement-level trigger guards it, with the same function
(NEN 7513, DESIGN §7). SQLite has no TRUNCATE; it relies on the model guard.

The owner of a table can still switch its triggers off, which is why production runs the
application as a role that owns nothing (README, "Production": ``print_runtime_role_sql``)."""

from django.db import migrations

CREATE = """
CREATE TRIGGER accounts_auditevent_no_truncate
    BEFORE TRUNCATE ON accounts_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_auditevent_append_only();
"""

DROP = "DROP TRIGGER IF EXISTS accounts_auditevent_no_truncate ON accounts_auditevent;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_audit_append_only_trigger")]

    operations = [migrations.RunPython(forwards, backwards)]
