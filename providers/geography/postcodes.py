"""Dutch postcodes: validation, normalisation, PC6 → PC4.

A Dutch postcode is four digits (the first not 0) and two letters, written ``1234 AB``; the letter
pairs SA, SD and SS are not issued (PostNL). Stored normalised without the space, upper case.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_PC6 = re.compile(r"^\s*([1-9][0-9]{3})\s*([A-Za-z]{2})\s*$")
_PC4 = re.compile(r"^\s*([1-9][0-9]{3})\s*$")
_UNUSED_LETTERS = {"SA", "SD", "SS"}


def normalise_postcode(value: str) -> str:
    """``"1234 ab"`` → ``"1234AB"``; raises ``ValidationError`` with a clear message otherwise."""
    match = _PC6.match(value or "")
    if not match:
        if _PC4.match(value or ""):
            raise ValidationError(
                _("Enter the full postcode with its two letters, e.g. 1234 AB."), code="pc4_only"
            )
        raise ValidationError(
            _(
                "Enter a Dutch postcode: four digits (not starting with 0) and two letters, "
                "e.g. 1234 AB."
            ),
            code="invalid_postcode",
        )
    digits, letters = match.group(1), match.group(2).upper()
    if letters in _UNUSED_LETTERS:
        raise ValidationError(
            _("%(letters)s is not used in Dutch postcodes; check the letters."),
            code="unused_letters",
            params={"letters": letters},
        )
    return digits + letters


def normalise_pc4(value: str) -> str:
    """Accept a PC4 or a PC6 and return the four digits; ``ValidationError`` otherwise."""
    match = _PC4.match(value or "")
    if match:
        return match.group(1)
    return normalise_postcode(value)[:4]


def format_postcode(normalised: str) -> str:
    """``"1234AB"`` → ``"1234 AB"`` (the written form)."""
    return f"{normalised[:4]} {normalised[4:]}" if len(normalised) == 6 else normalised


def validate_postcode(value: str) -> None:
    """Field validator: accepts what :func:`normalise_postcode` accepts."""
    normalise_postcode(value)
