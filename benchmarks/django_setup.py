"""Start Django for a benchmark script run as ``.venv/bin/python benchmarks/<script>.py``.

The scripts are not part of the test run and use the ordinary settings (``config.settings.base``,
no debug, so no query log), with the database from ``DATABASE_URL``; the budgets are measured on
PostgreSQL, so that is required."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def setup_django(*, require_postgresql: bool = True) -> None:
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    if require_postgresql and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database, e.g. "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_bench (create it with createdb)."
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
