"""Query parameters of the API's lists (DESIGN §8), read the same way by every app.

A parameter that is sent carries a value: ``?specialism=`` is a 400 naming ``specialism`` (leave a
parameter out to not filter by it). HTML forms send their empty fields, so django-filter and DRF
read an empty value as "no filter"; the API's schema asks for a value (OpenAPI's
``allowEmptyValue`` is false), and an empty one is refused rather than quietly ignored. The web
pages that share a filter set (the audit trail) keep reading empty fields as "all".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from rest_framework.exceptions import ValidationError

EMPTY_PARAMETER_MESSAGE = _("Give a value, or leave this parameter out.")


def refuse_empty_parameters(query_params: QueryDict, names: Iterable[str]) -> None:
    """400 naming every one of ``names`` that is sent without a value (blank counts as none)."""
    empty = {
        name: [EMPTY_PARAMETER_MESSAGE]
        for name in names
        if any(not value.strip() for value in query_params.getlist(name))
    }
    if empty:
        raise ValidationError(empty)


class ApiFilterBackend(DjangoFilterBackend):
    """django-filter for the API (``DEFAULT_FILTER_BACKENDS``): a filter sent empty is a 400."""

    def get_filterset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            refuse_empty_parameters(request.query_params, filterset.filters)
        return filterset


class ApiFilterBackendSchema(DjangoFilterExtension):
    """The schema of the API's filters: as drf-spectacular's, and a filter's regular-expression
    validator (an AGB or UZOVI code) is its parameter's pattern, as it is for a serializer's."""

    target_class = "core.filters.ApiFilterBackend"
    priority = 1

    def resolve_filter_field(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        parameters = super().resolve_filter_field(*args, **kwargs)
        filter_field = kwargs.get("filter_field", args[-1] if args else None)
        patterns = [
            str(getattr(validator.regex, "pattern", validator.regex))
            for validator in getattr(filter_field, "extra", {}).get("validators", [])
            if isinstance(validator, RegexValidator) and not validator.inverse_match
        ]
        if len(patterns) == 1:
            for parameter in parameters:
                parameter["schema"].setdefault("pattern", patterns[0])
        return parameters


class TrueOrFalseField(forms.Field):
    """``true`` or ``false`` (as the schema's booleans are written in a query), or nothing."""

    default_error_messages = {"invalid": _("Give true or false.")}

    def to_python(self, value: Any) -> bool | None:
        if value in self.empty_values:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    """``true`` or ``false`` and nothing else: django-filter's own reads any other value
    (``null``, ``maybe``) as "no filter"."""

    field_class = TrueOrFalseField


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (django-filter's ``NumberFilter`` takes decimals, ``0.5``)."""

    field_class = forms.IntegerField
