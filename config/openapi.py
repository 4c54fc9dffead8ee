"""OpenAPI post-processing: document the error answers every operation can give (DESIGN §8),
and what every query parameter takes.

400 validation errors in DRF's field-error shape on writes and on bad query parameters (filters,
``page``, ``page_size``); 401 for missing, invalid or revoked credentials (also on public endpoints
when a bad key is sent); 403 when the role may not act; 404 for unknown or foreign objects and
pages out of range; 429 when throttled.

Free text, in a query parameter or a request body, never holds a NUL character (DRF and Django
refuse it, PostgreSQL could not store it): its pattern says so. A query parameter that is sent
carries a value (``core.filters``: an empty or blank one is a 400 naming it), and so does a
required text in a request body (DRF trims it, and a text of spaces only is refused as blank):
their pattern asks for one character that is not blank. Parameters and fields with a pattern,
choices or a format of their own already leave these out.
"""

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Field name (or non_field_errors) → list of messages, as DRF answers them.",
    "additionalProperties": {},
}
NO_NUL = r"^[^\u0000]*$"
NOT_BLANK = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
_DESCRIPTIONS = {
    "400": "Validation error",
    "401": "Missing, invalid or revoked credentials",
    "403": "Your role may not perform this action",
    "404": "Not found (or not yours), or a page out of range",
    "429": "Too many requests",
}


def _response(code: str, ref: str) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _free_text(schema: dict[str, Any], *, required: bool) -> None:
    """No NUL in free text; with ``required`` also not empty or blank."""
    if schema.get("type") != "string" or {"pattern", "enum", "format"} & set(schema):
        return
    if required:
        schema.setdefault("minLength", 1)
    schema["pattern"] = NOT_BLANK if required or schema.get("minLength", 0) >= 1 else NO_NUL


def _request_texts(schema: dict[str, Any]) -> None:
    for value in schema.get("properties", {}).values():
        _free_text(value, required=False)


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, component in schemas.items():
        if name.endswith("Request"):
            _request_texts(component)
    schemas.setdefault("Error", ERROR_SCHEMA)
    schemas.setdefault("ValidationError", VALIDATION_ERROR_SCHEMA)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            codes = ["401", "404", "429"]
            anonymous_allowed = {} in operation.get("security", [])
            if not anonymous_allowed:
                codes.append("403")
            query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
            for parameter in query:
                _free_text(parameter.get("schema", {}), required=True)
            if method in ("post", "put", "patch") or query:
                responses.setdefault("400", _response("400", "ValidationError"))
            for code in codes:
                responses.setdefault(code, _response(code, "Error"))
    return result
