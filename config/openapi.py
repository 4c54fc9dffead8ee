"""OpenAPI post-processing: document the error answers every operation can give (DESIGN §8).

400 validation errors in DRF's field-error shape on writes and on bad filter values; 401 for
missing, invalid or revoked credentials (also on public endpoints when a bad key is sent); 403 when
the role may not act; 404 for unknown or foreign objects and pages out of range; 429 when
throttled.
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


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    schemas.setdefault("ValidationError", VALIDATION_ERROR_SCHEMA)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            codes = ["401", "404", "429"]
            anonymous_allowed = {} in operation.get("security", [])
            if not anonymous_allowed:
                codes.append("403")
            filters = [
                p
                for p in operation.get("parameters", [])
                if p.get("in") == "query" and p.get("name") not in ("page", "page_size")
            ]
            if method in ("post", "put", "patch") or filters:
                responses.setdefault("400", _response("400", "ValidationError"))
            for code in codes:
                responses.setdefault(code, _response(code, "Error"))
    return result
