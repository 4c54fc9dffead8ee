"""The floors of DESIGN §4: ``core ← accounts ← providers ← plans, finance ← mediation ← portal``
(← ``config``). A module imports only from its own package and from lower floors — never up, never
sideways (plans and finance share a floor and stay independent of each other).

Every import statement counts: at module level, inside functions (lazy imports), under
``TYPE_CHECKING``, relative or absolute. Read from the source with ``ast``, nothing is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
FLOORS = {
    "core": 0,
    "accounts": 1,
    "providers": 2,
    "plans": 3,
    "finance": 3,
    "mediation": 4,
    "portal": 5,
    "config": 6,
}


def imported_packages(source: str, *, module: str) -> list[tuple[int, str]]:
    """``(line, imported module)`` for every import in ``source``, relative ones resolved against
    ``module`` (the dotted name of the file that holds the source)."""
    found = []
    package = module.split(".")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def floor_violations(root: Path) -> list[str]:
    """Every import in the apps under ``root`` that does not run down a floor."""
    violations = []
    for app, floor in FLOORS.items():
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root)
            module = ".".join(relative.with_suffix("").parts)
            for line, name in imported_packages(path.read_text(encoding="utf-8"), module=module):
                target = name.split(".")[0]
                if target in FLOORS and target != app and FLOORS[target] >= floor:
                    violations.append(f"{relative}:{line}: {app} imports {name}")
    return violations


def test_no_import_runs_up_a_floor() -> None:
    assert floor_violations(PROJECT) == []


def test_every_app_has_a_floor() -> None:
    """A new app must be given its place in the floors (and in DESIGN §4)."""
    apps = {
        path.parent.name
        for path in PROJECT.glob("*/__init__.py")
        if path.parent.name not in {"tests", "benchmarks"}
    }
    assert apps == set(FLOORS)


@pytest.mark.parametrize(
    ("app", "source", "violation"),
    [
        (
            "accounts",
            "from providers.models import Provider\n",
            "accounts imports providers.models",
        ),
        ("providers", "def f():\n    from plans import selectors\n", "providers imports plans"),
        (
            "accounts",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import mediation.models\n",
            "accounts imports mediation.models",
        ),
        ("plans", "import finance.services\n", "plans imports finance.services"),
        ("core", "from config.settings import base\n", "core imports config.settings"),
        ("mediation", "from portal.views import home\n", "mediation imports portal.views"),
        ("providers", "from ..plans import models\n", "providers imports plans"),
    ],
)
def test_the_check_catches_an_upward_import(
    tmp_path: Path, app: str, source: str, violation: str
) -> None:
    (tmp_path / app).mkdir()
    (tmp_path / app / "module.py").write_text(source)
    assert [v.split(": ", 1)[1] for v in floor_violations(tmp_path)] == [violation]


@pytest.mark.parametrize(
    ("app", "source"),
    [
        ("mediation", "from finance.services import volume_transfer_record\n"),
        ("plans", "from core.months import month_add\nfrom accounts.actors import Actor\n"),
        ("portal", "import mediation.models\nimport plans.models\n"),
        ("config", "from portal import views\n"),
        ("providers", "from . import rules\nfrom .models import Location\n"),
        ("core", "from django.db import models\nimport datetime\n"),
    ],
)
def test_the_check_allows_downward_and_own_imports(tmp_path: Path, app: str, source: str) -> None:
    (tmp_path / app).mkdir()
    (tmp_path / app / "module.py").write_text(source)
    assert floor_violations(tmp_path) == []
