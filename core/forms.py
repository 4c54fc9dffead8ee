"""Form helpers every app's web views share: service errors on a form, and the month field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from core.months import MONTH_PATTERN, month_format, month_parse


def add_service_errors(form: forms.BaseForm, exc: ValidationError | ApplicationError) -> None:
    """Put what a service refused next to the fields it names, keeping the user's input.

    Handles every shape a service raises: an :class:`ApplicationError` (with or without a field),
    a ``ValidationError`` with a dict of field errors, and one with a plain message or list. An
    error for a field that the form does not have becomes a form-wide error, so nothing is lost.
    """
    if isinstance(exc, ApplicationError):
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@dataclass(frozen=True, slots=True)
class ErrorLink:
    """One line of a form's error summary: the message, and the id of the input it is about
    (``""`` for an error of the form as a whole)."""

    target: str
    label: str
    message: str


def error_summary(form: forms.BaseForm) -> list[ErrorLink]:
    """Every error of a bound form, in the order of its fields, each linking to its input
    (GOV.UK / NL Design System error summary). A group of radio buttons links to its first
    button, which is the element that takes focus."""
    links = [ErrorLink("", "", str(message)) for message in form.non_field_errors()]
    for bound in form:
        if not bound.errors:
            continue
        target = bound.id_for_label or bound.auto_id or ""
        if isinstance(bound.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            target = f"{bound.auto_id}_0"
        links.extend(ErrorLink(target, str(bound.label), str(message)) for message in bound.errors)
    return links


def service_error_messages(exc: ValidationError | ApplicationError) -> list[str]:
    """A service's refusal as plain messages, for a page that shows it without a form."""
    if isinstance(exc, ApplicationError):
        return [exc.message]
    return list(exc.messages)


class MonthField(forms.CharField):
    """A month as ``YYYY-MM`` (a month picker where the browser has one, text elsewhere); cleaned
    to the date of its first day. Year 0000 and month 13 are refused like any other bad shape."""

    default_error_messages = {"invalid": _("Give a month as YYYY-MM, e.g. 2026-03.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "type": "month",
                    "placeholder": "YYYY-MM",
                    "pattern": MONTH_PATTERN.strip("^$"),
                    "class": "form-control",
                }
            ),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return month_format(value) if isinstance(value, date) else value

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        month = month_parse(text)
        if month is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return month
