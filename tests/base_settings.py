"""``config.settings.base`` as it would read a given environment, for tests of what the settings
make of a variable without starting another interpreter (cf. tests/test_settings.py, which does)."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import environ
import pytest

BASE_SETTINGS = Path(__file__).resolve().parent.parent / "config" / "settings" / "base.py"


def base_settings(monkeypatch: pytest.MonkeyPatch, **environment: str | None) -> dict[str, Any]:
    """The module's names after reading ``environment`` (``None`` removes a variable) on top of
    this process's environment; a local ``.env`` file is not read."""
    for name, value in environment.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    monkeypatch.setattr(environ.Env, "read_env", lambda *args, **kwargs: None)
    return runpy.run_path(str(BASE_SETTINGS))
