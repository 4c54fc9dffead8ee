"""The public surface does not move by accident: every API operation (method, path, operationId)
and every named URL of the site stay as recorded in ``public_surface.txt``.

The API contract is public (DESIGN §8) and URL names are what templates and bookmarks rely on, so
a refactor that moves code must leave both as they were. A deliberate change of the surface edits
the recorded file in the same commit, where a reviewer sees it.
"""

from __future__ import annotations

from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

RECORDED = Path(__file__).with_name("public_surface.txt")
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def api_operations() -> list[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        f"api {method.upper()} {path} {operation['operationId']}"
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    )


def named_urls(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "") -> list:
    """``url <pattern> <namespace:name>`` for every named route outside the Django admin."""
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = ":".join(part for part in (namespace, entry.namespace or "") if part)
            found += named_urls(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            found.append(f"url {prefix}{entry.pattern} {name}")
    return sorted(found)


def test_api_operations_and_url_names_are_as_recorded() -> None:
    recorded = RECORDED.read_text(encoding="utf-8").splitlines()
    assert [*api_operations(), *named_urls()] == recorded


def test_the_record_is_not_trivially_empty() -> None:
    recorded = RECORDED.read_text(encoding="utf-8").splitlines()
    assert sum(line.startswith("api ") for line in recorded) > 40
    assert "url rapportages/regio/<str:code>/ providers:regional-report" in recorded
    assert "url accounts/ accounts:dashboard" in recorded
