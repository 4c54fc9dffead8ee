"""The form of the public waiting-time search page. Its field names are the query parameters of
``GET /api/v1/waiting-times/current/``, so a search URL reads the same in both."""

from __future__ import annotations

from itertools import groupby
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from providers.geography.postcodes import normalise_pc4
from providers.models import ProviderKind, WaitingTimeKind
from providers.search.selectors import Ordering
from providers.search.snapshot import SearchReference, search_reference

DISTANCE_CHOICES = [
    ("10", _("10 km")),
    ("25", _("25 km")),
    ("50", _("50 km")),
    ("100", _("100 km")),
    ("", _("Any distance")),
]
ORDERING_CHOICES = [("days", _("Shortest waiting time")), ("distance", _("Shortest distance"))]
# Selects and radio buttons with this class refresh the results at once (htmx, see the template).
LIVE = {"class": "js-live"}


class ReferenceSelect(forms.Select):
    """A select whose options come from the reference data (specialisms, treatments, locations:
    up to ~800 options). Its markup depends only on the reference data's version, the language,
    the field, its attributes and the chosen value, so it is written once per combination and
    kept in this process (a new version of the reference data starts afresh).

    ``cache_values``: also keep selects with a value chosen (small lists); otherwise only the
    empty select is kept (the long location list, offered empty on every case page)."""

    cache_values = True
    # The version of the reference data the choices were read from; set by a form that read them
    # (otherwise the current version is read when the select is written).
    version: str | None = None
    _written: dict[tuple[Any, ...], SafeString] = {}
    _MAX_KEPT = 512

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        if value not in (None, "") and not self.cache_values:
            return super().render(name, value, attrs, renderer)
        key = (
            type(self).__qualname__,
            self.version or search_reference().token,
            get_language(),
            name,
            str(value),
            tuple(sorted({**self.attrs, **(attrs or {})}.items())),
        )
        written = ReferenceSelect._written.get(key)
        if written is None:
            written = super().render(name, value, attrs, renderer)
            if len(ReferenceSelect._written) >= self._MAX_KEPT:
                ReferenceSelect._written.clear()  # old versions, languages and values
            ReferenceSelect._written[key] = written
        return written


class WaitingTimeSearchForm(forms.Form):
    postcode = forms.CharField(
        label=_("Your postcode"),
        max_length=16,
        required=False,
        help_text=_("For example 3511 AB. Only used to calculate distances."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "size": 10}),
    )
    specialism = forms.ChoiceField(
        label=_("Specialism"), required=False, widget=ReferenceSelect(attrs=LIVE)
    )
    treatment = forms.ChoiceField(
        label=_("Or a treatment"), required=False, widget=ReferenceSelect(attrs=LIVE)
    )
    kind = forms.ChoiceField(
        label=_("Waiting time for"),
        choices=WaitingTimeKind.choices,
        required=False,
        initial=WaitingTimeKind.FIRST_VISIT,
        widget=forms.RadioSelect(attrs={"class": "form-check-input js-live"}),
    )
    max_distance_km = forms.TypedChoiceField(
        label=_("Maximum distance"),
        choices=DISTANCE_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        initial="25",
        widget=forms.Select(attrs=LIVE),
    )
    provider_kind = forms.ChoiceField(
        label=_("Kind of hospital or clinic"),
        choices=[("", _("All kinds")), *ProviderKind.choices],
        required=False,
        widget=forms.Select(attrs=LIVE),
    )
    ordering = forms.ChoiceField(
        label=_("Sort by"),
        choices=ORDERING_CHOICES,
        required=False,
        initial="days",
        widget=forms.Select(attrs=LIVE),
    )

    def __init__(
        self, data: Any = None, *, reference: SearchReference | None = None, **kwargs: Any
    ) -> None:
        if data is not None:
            # Show what is searched: a treatment's waits are of kind treatment, and a search
            # link without a kind or order means first visits, shortest wait first.
            data = data.copy()
            if data.get("treatment"):
                data["kind"] = WaitingTimeKind.TREATMENT
            elif not data.get("kind"):
                data["kind"] = WaitingTimeKind.FIRST_VISIT
            if not data.get("ordering"):
                data["ordering"] = "days"
        super().__init__(data, **kwargs)
        # The choices and the postcode check read the search's reference data in memory.
        self.reference = reference or search_reference()
        for name in ("specialism", "treatment"):
            cast(ReferenceSelect, self.fields[name].widget).version = self.reference.token
        # Only what patients wait for: not the laboratory specialisms, "niet nader
        # gespecificeerd" or a duplicate code (``Specialism.patients_wait``).
        specialisms = sorted(
            (s for s in self.reference.specialisms.values() if s.patients_wait),
            key=lambda s: s.name,
        )
        cast(forms.ChoiceField, self.fields["specialism"]).choices = [
            ("", _("Choose a specialism")),
            *((s.code, s.name) for s in specialisms),
        ]
        # Treatments grouped under their (active) specialism, both in alphabetical order.
        names = {s.code: s.name for s in specialisms}
        treatments = sorted(
            (t for t in self.reference.treatments.values() if t.specialism_code in names),
            key=lambda t: (names[t.specialism_code], t.specialism_code, t.name),
        )
        cast(forms.ChoiceField, self.fields["treatment"]).choices = [
            ("", _("No specific treatment")),
            *(
                (name, [(t.code, t.name) for t in group])
                for name, group in groupby(treatments, key=lambda t: names[t.specialism_code])
            ),
        ]

    # Set by clean(): a distance was chosen but no postcode given yet. Not an error (the patient
    # may not have typed it yet): the page asks for it instead of showing results.
    postcode_needed = False

    def clean_postcode(self) -> str:
        if not self.cleaned_data["postcode"].strip():
            return ""
        # A malformed postcode raises ValidationError with the Dutch-postcode message.
        pc4 = normalise_pc4(self.cleaned_data["postcode"])
        if self.reference.postcode_point(pc4) is None:
            raise ValidationError(
                _("We do not know this postcode. Check the four digits."), code="unknown_postcode"
            )
        return pc4

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("treatment"):
            # A treatment names its own specialism; one chosen as well is set aside.
            cleaned["specialism"] = ""
        elif not cleaned.get("specialism") and "specialism" not in self.errors:
            self.add_error("specialism", _("Choose a specialism or a treatment."))
        # Without a postcode there are no distances: "any distance" is a national list by wait.
        self.postcode_needed = (
            "postcode" not in self.errors
            and not cleaned.get("postcode")
            and cleaned.get("max_distance_km") is not None
        )
        return cleaned

    def selector_arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``waiting_time_current_list`` (call after ``is_valid()``)."""
        data = self.cleaned_data
        ordering: Ordering = data["ordering"] if data["postcode"] else "days"
        return {
            "specialism_code": data["specialism"] or None,
            "treatment_code": data["treatment"] or None,
            "kind": data["kind"],
            "postcode": data["postcode"] or None,
            "max_distance_km": data["max_distance_km"] if data["postcode"] else None,
            "provider_kind": data["provider_kind"] or None,
            "ordering": ordering,
            "reference": self.reference,
        }
