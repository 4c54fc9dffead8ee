"""One application error type, one way to raise collected field errors, and their mapping to HTTP.

Services raise :class:`ApplicationError` (a request that is well-formed but not allowed by the
domain rules, e.g. an illegal state transition) or Django's ``ValidationError`` (field errors,
usually collected with :func:`raise_if`); the API answers both with 400 in DRF's field-error shape
(:func:`api_exception_handler`, wired in ``REST_FRAMEWORK["EXCEPTION_HANDLER"]``), and the web
views put them on their forms with :func:`core.forms.add_service_errors`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A request that is well-formed but not allowed by the domain rules (answered 400)."""

    def __init__(self, message: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}

    def as_dict(self) -> dict[str, Any]:
        key = self.field or "non_field_errors"
        return {key: [self.message], **self.extra}


def raise_if(errors: dict[str, list[str]]) -> None:
    """Raise one ``ValidationError`` with every field that has messages; nothing when none has.

    Services collect all their field errors first, so that a user sees every mistake at once."""
    errors = {field: messages for field, messages in errors.items() if messages}
    if errors:
        raise DjangoValidationError(errors)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=400)
    if isinstance(exc, DjangoValidationError):
        detail = as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:  # Django's "__all__" is DRF's "non_field_errors"
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        exc = exceptions.ValidationError(detail)
    return exception_handler(exc, context)
