"""Serializer fields every app's API reads the same way."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.dates import PLAUSIBLE_FIRST_YEAR, plausible_last_year
from core.months import MONTH_PATTERN, month_format, month_parse


# The schema's pattern also leaves out year 0000, which no date can hold (month_parse refuses it).
@extend_schema_field(
    {
        "type": "string",
        "pattern": MONTH_PATTERN.replace("^", "^(?!0000)", 1),
        "example": "2026-03",
        "format": "YYYY-MM",
    }
)
class MonthField(serializers.Field):
    """A calendar month as ``"YYYY-MM"`` (internally the date of its first day). Anything else —
    another shape, month 13, year 0000 — is a 400 naming the field."""

    default_error_messages = {"invalid": _("Give a month as YYYY-MM, e.g. 2026-03.")}

    def to_internal_value(self, data: Any) -> date:
        month = month_parse(data) if isinstance(data, str) else None
        if month is None:
            self.fail("invalid")
        assert month is not None
        return month

    def to_representation(self, value: date) -> str:
        return month_format(value)


class PlausibleYearField(serializers.IntegerField):
    """A year from ``min_value`` (1900 unless the domain starts later) up to ten years after the
    current one (DESIGN §7, ``core.dates``). The upper bound moves with the calendar: DRF makes the
    field anew for every serializer it builds, so the check and the schema's ``maximum`` are
    those of today."""

    def __init__(self, *, min_value: int = PLAUSIBLE_FIRST_YEAR, **kwargs: Any) -> None:
        kwargs["max_value"] = plausible_last_year(today=timezone.localdate())
        super().__init__(min_value=max(min_value, PLAUSIBLE_FIRST_YEAR), **kwargs)


class DecimalStringField(serializers.DecimalField):
    """A decimal as DESIGN §8 writes money: a JSON string of digits with an optional point and
    at most ``decimal_places`` decimals, e.g. ``"1250.00"`` or ``"-12.5"`` — exactly what the
    schema's pattern says. DRF's own field also takes ``"1e3"``, ``"+5"``, ``" 5 "`` and digits
    of other scripts, while drf-spectacular's pattern lets ``""`` and ``"."`` through.

    The pattern leaves out the minus when ``min_value`` is 0 or more, and zero itself with
    ``allow_zero=False``; a range the pattern cannot say (0–100) is given as ``pattern``."""

    def __init__(self, *, allow_zero: bool = True, pattern: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        places = self.decimal_places or 0
        whole = self.max_digits - places if self.max_digits is not None else None
        sign = "" if self.min_value is not None and self.min_value >= 0 else "-?"
        nonzero = "" if allow_zero else "(?=[0-9.]*[1-9])"
        digits = f"[0-9]{{1,{whole}}}" if whole else "[0-9]+"
        decimals = f"(?:\\.[0-9]{{1,{places}}})?" if places else ""
        self.pattern = pattern or f"^{sign}{nonzero}{digits}{decimals}$"

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and not re.fullmatch(self.pattern, data):
            self.fail("invalid")
        return super().to_internal_value(data)


class DecimalStringFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "core.serializers.DecimalStringField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "pattern": self.target.pattern}


class ClosedSchema:
    """Mixin for an output serializer whose answer has exactly its fields and no others: a
    role's reduced view of an object (the regulator's plan, the regulator's audit event).

    Its schema says so (``additionalProperties: false``). That is what lets an answer that takes
    one of several shapes by role be declared ``oneOf`` the full and the reduced view: the full
    view has fields the reduced one refuses, the reduced one lacks fields the full one requires,
    so every answer matches exactly one."""


class ClosedSchemaExtension(OpenApiSerializerExtension):
    target_class = "core.serializers.ClosedSchema"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "additionalProperties": False}


# --- Request bodies keep to the JSON types the schema states -------------------------------------
TYPE_MESSAGES = {
    "string": _("Give a string (text between quotes)."),
    "integer": _("Give a whole number."),
    "number": _("Give a number."),
    "boolean": _("Give true or false."),
    "array": _("Give a list."),
    "decimal": _('Give the amount as a string with a decimal point, e.g. "1250.00".'),
}


def _json_type(field: serializers.Field) -> str | None:
    """The JSON type the schema states for a writable field; ``None`` where DRF already refuses
    every other type (nested objects) or the field takes several (free JSON)."""
    if isinstance(field, serializers.BooleanField):
        return "boolean"
    if isinstance(field, serializers.DecimalField):
        coerce = getattr(field, "coerce_to_string", None)
        return "decimal" if coerce is None or coerce else "number"
    if isinstance(field, serializers.IntegerField):
        return "integer"
    if isinstance(field, serializers.FloatField):
        return "number"
    if isinstance(field, serializers.ChoiceField | serializers.ListField | serializers.JSONField):
        return None  # choices and lists are judged by _matches; free JSON takes anything
    if isinstance(field, serializers.CharField | serializers.DateField | serializers.DateTimeField):
        return "string"
    if isinstance(field, serializers.SlugRelatedField | MonthField):
        return "string"
    return None


def _type_error(field: serializers.Field, value: Any) -> str | None:
    """The message when ``value`` is not of the JSON type ``field``'s schema states."""
    if value is None:
        return None  # null is judged by the field (allow_null)
    if isinstance(field, serializers.ChoiceField) and not isinstance(
        field, serializers.MultipleChoiceField
    ):
        for key in field.choices:
            if value == key and type(value) is type(key):
                return None
        if any(isinstance(key, int) for key in field.choices):
            return str(TYPE_MESSAGES["integer"]) if not _is_int(value) else None
        return str(TYPE_MESSAGES["string"]) if not isinstance(value, str) else None
    if isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return str(TYPE_MESSAGES["array"])
        for item in value:
            message = _type_error(field.child, item)
            if message:
                return message
        return None
    expected = _json_type(field)
    ok = {
        None: True,
        "string": isinstance(value, str),
        "decimal": isinstance(value, str),
        "integer": _is_int(value),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
    }[expected]
    return None if ok else str(TYPE_MESSAGES[expected or "string"])


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class InputSerializer(serializers.Serializer):
    """A request body's serializer: each value must have the JSON type the schema states.

    DRF's fields coerce: a string field takes ``12``, a decimal field ``12.5``, an integer field
    ``"12"``, a choice of ``3, 4, 5`` the string ``"3"``. The schema says string, string (money is
    a string, DESIGN §8), integer and integer, and the API holds to it: a value of another type is
    a 400 naming the field, before the field's own checks. (Query parameters are strings by
    nature and are not read with this class.)"""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors: dict[str, Any] = {
                str(field.field_name): [message]
                for field in self._writable_fields
                if field.field_name in data
                for message in [_type_error(field, data[field.field_name])]
                if message
            }
            if errors:
                # Every field's error at once (issue 13): the other fields' own checks too.
                try:
                    super().to_internal_value(data)
                except serializers.ValidationError as exc:
                    if isinstance(exc.detail, dict):
                        errors = {**exc.detail, **errors}
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
