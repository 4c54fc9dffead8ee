"""Settings read from the environment: the embedded default and what production insists on.

Each case imports the settings in a fresh interpreter with an environment we control, because
settings modules are read once per process and the test process has its own configuration.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

# Everything the settings read, so that the developer's or CI's own values cannot leak in.
PROJECT_VARIABLES = ("DATABASE_URL", "REDIS_URL", "DJANGO_")

READ_BASE = """
import json
from config.settings import base as s
print(json.dumps({
    "engine": s.DATABASES["default"]["ENGINE"],
    "eager": s.CELERY_TASK_ALWAYS_EAGER,
    "broker": s.CELERY_BROKER_URL,
    "cache": s.CACHES["default"]["BACKEND"],
    "debug": s.DEBUG,
}))
"""

IMPORT_PRODUCTION = "import config.settings.production"

GOOD_KEY = secrets.token_urlsafe(48)  # 64 random characters
EMBEDDED_DEFAULT_KEY = "insecure-embedded-default-key-change-me-0123456789abcdef"
HOST = "zorgbemiddeling.example"


def clean_env(**values: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(PROJECT_VARIABLES) and name != "PYTHONPATH"
    }
    env.update(values)
    return env


def run_python(code: str, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=clean_env(**values),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(autouse=True)
def _no_dotenv():
    if (BASE_DIR / ".env").exists():
        pytest.skip("a local .env file sets the environment these tests control")


def test_embedded_default_needs_nothing_but_python():
    result = run_python(READ_BASE)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values == {
        "engine": "django.db.backends.sqlite3",
        "eager": True,
        "broker": "memory://",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "debug": False,
    }


def test_database_and_redis_urls_switch_to_postgresql_and_real_workers():
    result = run_python(
        READ_BASE,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/zorgbemiddeling",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["eager"] is False
    assert values["broker"] == "redis://127.0.0.1:6379/3"
    assert values["cache"] == "core.cache.FailSoftRedisCache"


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        pytest.param({"DJANGO_ALLOWED_HOSTS": HOST}, "DJANGO_SECRET_KEY", id="no-secret-key"),
        pytest.param(
            {"DJANGO_SECRET_KEY": "too-short", "DJANGO_ALLOWED_HOSTS": HOST},
            "DJANGO_SECRET_KEY",
            id="short-secret-key",
        ),
        pytest.param(
            {"DJANGO_SECRET_KEY": EMBEDDED_DEFAULT_KEY, "DJANGO_ALLOWED_HOSTS": HOST},
            "DJANGO_SECRET_KEY",
            id="embedded-default-key",
        ),
        pytest.param({"DJANGO_SECRET_KEY": GOOD_KEY}, "DJANGO_ALLOWED_HOSTS", id="no-hosts"),
        pytest.param(
            {"DJANGO_SECRET_KEY": GOOD_KEY, "DJANGO_ALLOWED_HOSTS": ""},
            "DJANGO_ALLOWED_HOSTS",
            id="empty-hosts",
        ),
        pytest.param(
            {"DJANGO_SECRET_KEY": GOOD_KEY, "DJANGO_ALLOWED_HOSTS": HOST},
            "SITE_URL",
            id="no-site-url",
        ),
        pytest.param(
            {
                "DJANGO_SECRET_KEY": GOOD_KEY,
                "DJANGO_ALLOWED_HOSTS": HOST,
                "SITE_URL": "http://127.0.0.1:8000",
            },
            "SITE_URL",
            id="plain-http-site-url",
        ),
    ],
)
def test_production_refuses_to_start_without_required_values(values, complaint):
    result = run_python(IMPORT_PRODUCTION, **values)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert complaint in result.stderr


def test_production_with_proper_values_passes_the_deploy_check():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=clean_env(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            DJANGO_SECRET_KEY=GOOD_KEY,
            DJANGO_ALLOWED_HOSTS=HOST,
            SITE_URL=f"https://{HOST}",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_readme_documents_every_variable_the_settings_read():
    settings_source = "\n".join(
        path.read_text() for path in sorted((BASE_DIR / "config" / "settings").glob("*.py"))
    )
    read = set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", settings_source))
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY"} <= read
    readme = (BASE_DIR / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, flags=re.MULTILINE))
    assert read - documented == set(), "add these to the configuration table in README.md"
