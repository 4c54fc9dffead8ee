"""Serializer fields every app's API reads the same way."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.dates import PLAUSIBLE_FIRST_YEAR, plausible_last_year
from core.months import MONTH_PATTERN, month_format, month_parse


@extend_schema_field(
    {"type": "string", "pattern": MONTH_PATTERN, "example": "2026-03", "format": "YYYY-MM"}
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
