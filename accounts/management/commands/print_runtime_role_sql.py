"""``python manage.py print_runtime_role_sql <role>``: the SQL that makes a PostgreSQL role for the
web and worker processes that owns nothing and may only add to the audit trail and read it.

The owner of a table can switch its triggers off, so the role that runs the application must not
own the audit trail (NEN 7513, DESIGN §7). Run the printed SQL with ``psql`` as the role that runs
``migrate`` (the owner of the tables); it is idempotent, so running it again after every
``migrate`` is safe. The default privileges in it cover tables that later migrations create.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import AuditEvent

# A plain, unquoted PostgreSQL identifier: nothing in it needs quoting or escaping.
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

SQL = """\
-- The runtime role {role}: the application's rights on every table, the audit trail
-- ({audit}) append-only. Run as the owner of the tables (the role that runs migrate).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
        CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO {role}', current_database());
END
$$;
GRANT USAGE ON SCHEMA {schema} TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role};
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {audit} FROM {role};
-- Tables and sequences that later migrations create (by the role running this).
ALTER DEFAULT PRIVILEGES IN SCHEMA {schema}
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
ALTER DEFAULT PRIVILEGES IN SCHEMA {schema}
    GRANT USAGE, SELECT ON SEQUENCES TO {role};
-- Then give the role a password (psql: \\password {role}) and use it in the web and worker
-- processes' DATABASE_URL; keep the owner's DATABASE_URL for migrate only.
"""


class Command(BaseCommand):
    help = (
        "Print the SQL that creates a PostgreSQL runtime role which owns no table and may only "
        "insert into and read the audit trail. Run it as the owner of the tables."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="Name of the runtime role, e.g. zorgbemiddeling_app")
        parser.add_argument("--schema", default="public", help="Schema of the tables")

    def handle(self, *args: Any, role: str, schema: str, **options: Any) -> None:
        for label, name in (("role", role), ("schema", schema)):
            if not ROLE_NAME.match(name):
                raise CommandError(
                    f"The {label} name {name!r} must be a plain PostgreSQL identifier: lower-case "
                    "letters, digits and underscores, not starting with a digit."
                )
        self.stdout.write(SQL.format(role=role, schema=schema, audit=AuditEvent._meta.db_table))
