"""Dutch postcode validation and normalisation (PostNL: four digits not starting with 0, two
letters, never SA/SD/SS)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from providers.geography.postcodes import (
    format_postcode,
    normalise_pc4,
    normalise_postcode,
    validate_postcode,
)


@pytest.mark.parametrize("value", ["1234 AB", "1234ab", " 1234AB ", "1234 aB", "1234AB"])
def test_accepted_forms_normalise_to_digits_and_upper_case_letters(value):
    assert normalise_postcode(value) == "1234AB"


@pytest.mark.parametrize(
    "value",
    ["0123 AB", "123 AB", "1234 A", "12345", "", "1234 A1", "AB 1234", "1234 ABC", "12 34 AB"],
)
def test_malformed_postcodes_are_refused_with_the_expected_form(value):
    with pytest.raises(ValidationError) as excinfo:
        normalise_postcode(value)
    assert excinfo.value.code == "invalid_postcode"
    assert "1234 AB" in excinfo.value.messages[0]


def test_none_is_refused_like_an_empty_postcode():
    with pytest.raises(ValidationError) as excinfo:
        normalise_postcode(None)  # type: ignore[arg-type]
    assert excinfo.value.code == "invalid_postcode"


@pytest.mark.parametrize("letters", ["SS", "SA", "SD", "ss", "sa", "sd"])
def test_letter_pairs_postnl_does_not_issue_are_refused_naming_the_letters(letters):
    with pytest.raises(ValidationError) as excinfo:
        normalise_postcode(f"1234 {letters}")
    assert excinfo.value.code == "unused_letters"
    with translation.override("en"):
        assert excinfo.value.messages == [
            f"{letters.upper()} is not used in Dutch postcodes; check the letters."
        ]


@pytest.mark.parametrize("value", ["1234", " 1234 "])
def test_a_pc4_alone_gets_its_own_message(value):
    with pytest.raises(ValidationError) as excinfo:
        normalise_postcode(value)
    assert excinfo.value.code == "pc4_only"
    with translation.override("en"):
        assert excinfo.value.messages == [
            "Enter the full postcode with its two letters, e.g. 1234 AB."
        ]


def test_messages_are_dutch_by_default():
    with translation.override("nl"):
        with pytest.raises(ValidationError) as excinfo:
            normalise_postcode("1234 SS")
        assert excinfo.value.messages == [
            "SS komt niet voor in Nederlandse postcodes; controleer de letters."
        ]


@pytest.mark.parametrize(
    ("value", "pc4"), [("1234 AB", "1234"), ("1234", "1234"), (" 9711ab", "9711")]
)
def test_normalise_pc4_accepts_pc4_and_pc6(value, pc4):
    assert normalise_pc4(value) == pc4


@pytest.mark.parametrize("value", ["0123", "123", "1234 SS", "", "abcd"])
def test_normalise_pc4_refuses_what_is_no_postcode(value):
    with pytest.raises(ValidationError):
        normalise_pc4(value)


def test_format_postcode_writes_the_space():
    assert format_postcode("1234AB") == "1234 AB"
    assert format_postcode("1234") == "1234"


def test_validate_postcode_is_a_field_validator():
    assert validate_postcode("1234 AB") is None
    with pytest.raises(ValidationError):
        validate_postcode("1234 SS")
