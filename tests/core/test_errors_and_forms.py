"""core.errors and core.forms: service errors reach the API and the forms the same way."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms
from django.core.exceptions import ValidationError
from rest_framework import serializers

from core.errors import ApplicationError, api_exception_handler, raise_if
from core.forms import MonthField as MonthFormField
from core.forms import add_service_errors, service_error_messages
from core.serializers import MonthField


class _Form(forms.Form):
    name = forms.CharField(required=False)
    month = MonthFormField(required=False)


def test_raise_if_raises_only_fields_with_messages() -> None:
    raise_if({"name": [], "month": []})
    with pytest.raises(ValidationError) as caught:
        raise_if({"name": ["Too long."], "month": [], "amount": ["Negative.", "Odd."]})
    assert caught.value.message_dict == {"name": ["Too long."], "amount": ["Negative.", "Odd."]}


@pytest.mark.parametrize(
    ("exc", "field_errors", "form_errors"),
    [
        (ApplicationError("Taken.", field="name"), {"name": ["Taken."]}, []),
        (ApplicationError("Not allowed."), {}, ["Not allowed."]),
        (ApplicationError("Gone.", field="location"), {}, ["Gone."]),  # no such field
        (ValidationError({"name": ["A."], "other": ["B."]}), {"name": ["A."]}, ["B."]),
        (ValidationError("Plain."), {}, ["Plain."]),
        (ValidationError(["One.", "Two."]), {}, ["One.", "Two."]),
    ],
)
def test_add_service_errors_loses_nothing(exc, field_errors, form_errors) -> None:
    form = _Form(data={"name": "x", "month": "2026-03"})
    assert form.is_valid()
    add_service_errors(form, exc)
    assert {k: v for k, v in form.errors.items() if k != "__all__"} == field_errors
    assert form.non_field_errors() == form_errors
    assert form.data["name"] == "x"  # the input is kept


def test_service_error_messages() -> None:
    assert service_error_messages(ApplicationError("No.")) == ["No."]
    assert service_error_messages(ValidationError({"a": ["X."], "b": ["Y."]})) == ["X.", "Y."]


@pytest.mark.parametrize("text", ["0000-01", "2026-13", "2026-3", "maart", "2026-03-01"])
def test_month_form_field_refuses_at_the_field(text: str) -> None:
    form = _Form(data={"month": text})
    assert not form.is_valid()
    assert list(form.errors) == ["month"]


def test_month_form_field_cleans_to_the_first_day_and_shows_a_month() -> None:
    form = _Form(data={"month": "2026-03"})
    assert form.is_valid()
    assert form.cleaned_data["month"] == date(2026, 3, 1)
    assert 'value="2026-03"' in str(_Form(initial={"month": date(2026, 3, 1)})["month"])


class _Serializer(serializers.Serializer):
    month = MonthField()


@pytest.mark.parametrize("value", ["0000-01", "2026-13", "2026-3", 202603, None, "x" * 100])
def test_month_serializer_field_is_a_400_naming_the_field(value: object) -> None:
    serializer = _Serializer(data={"month": value})
    assert not serializer.is_valid()
    assert list(serializer.errors) == ["month"]


def test_month_serializer_field_round_trip() -> None:
    serializer = _Serializer(data={"month": "9999-12"})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["month"] == date(9999, 12, 1)
    assert _Serializer({"month": date(2026, 3, 1)}).data == {"month": "2026-03"}


@pytest.mark.parametrize(
    ("exc", "body"),
    [
        (ApplicationError("Illegal.", field="status"), {"status": ["Illegal."]}),
        (ApplicationError("Illegal."), {"non_field_errors": ["Illegal."]}),
        (ValidationError({"month": ["Bad."]}), {"month": ["Bad."]}),
        (ValidationError("Whole."), {"non_field_errors": ["Whole."]}),
    ],
)
def test_api_exception_handler_answers_400(exc, body) -> None:
    response = api_exception_handler(exc, {})
    assert response is not None
    assert response.status_code == 400
    assert response.data == body
