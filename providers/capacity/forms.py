"""Forms of the planners' capacity pages. They only collect input: the rules live in
``providers.capacity.services``, whose errors the views put next to the fields."""

from __future__ import annotations

from datetime import date
from itertools import groupby
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from providers.capacity.selectors import upcoming_week_starts
from providers.capacity.services import MAX_SLOTS_PER_OFFER
from providers.models import Location, Treatment, WaitingTimeKind
from providers.permissions import location_list_for_reporting
from providers.reference import selectors as reference

# FMS urgency classes (DESIGN §3.2), short enough for a row of checkboxes.
URGENCY_CLASS_CHOICES = [
    (1, _("1 · urgent, within a day")),
    (2, _("2 · semi-urgent, within a week")),
    (3, _("3 · within 6 weeks")),
    (4, _("4 · limited risk")),
    (5, _("5 · limited risk")),
]
# Mediation handles classes 3, 4 and 5 (DESIGN §3.2): the sensible default for free capacity.
DEFAULT_OFFER_CLASSES = [3, 4, 5]


class UrgencyClassesField(forms.TypedMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=URGENCY_CLASS_CHOICES, coerce=int, **kwargs)
        self.error_messages["required"] = _("Choose at least one urgency class.")


def week_label(monday: date) -> str:
    return gettext("Week %(week)s · from %(date)s") % {
        "week": monday.isocalendar().week,
        "date": date_format(monday, "l j F Y"),
    }


def treatment_choices() -> list[tuple[str, Any]]:
    """Treatments grouped by specialism, after an empty choice for first visits and diagnostics."""
    choices: list[tuple[str, Any]] = [("", _("None (first visit or diagnostics)"))]
    treatments = reference.treatment_list()
    for specialism, group in groupby(treatments, key=lambda t: t.specialism):
        choices.append((str(specialism), [(t.code, t.name) for t in group]))
    return choices


class CapacityOfferCreateForm(forms.Form):
    location: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.none(), to_field_name="code"
    )
    specialism = forms.ModelChoiceField(
        label=_("Specialism"),
        queryset=reference.specialism_list(),
        to_field_name="code",
        help_text=_("For a treatment, the specialism the treatment belongs to."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=WaitingTimeKind.choices)
    treatment = forms.ChoiceField(
        label=_("Treatment"),
        required=False,
        help_text=_("Only for the kind “treatment”."),
    )
    week_start = forms.TypedChoiceField(label=_("Week"), coerce=date.fromisoformat)
    slots = forms.IntegerField(
        label=_("Free slots"),
        min_value=1,
        max_value=MAX_SLOTS_PER_OFFER,
        help_text=_("Appointments or operations you can give to mediated patients that week."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    urgency_classes = UrgencyClassesField(
        label=_("Urgency classes"),
        initial=DEFAULT_OFFER_CLASSES,
        help_text=_("Mediation handles classes 3, 4 and 5."),
    )

    def __init__(self, *args: Any, actor: Actor, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locations = location_list_for_reporting(actor=actor).filter(is_active=True)
        location_field = self.fields["location"]
        assert isinstance(location_field, forms.ModelChoiceField)
        location_field.queryset = locations
        self.location_count = locations.count()
        if self.location_count == 1:
            location_field.empty_label = None
        self.fields["treatment"].choices = treatment_choices()  # type: ignore[attr-defined]
        weeks = upcoming_week_starts(today=today)
        self.fields["week_start"].choices = [  # type: ignore[attr-defined]
            (monday.isoformat(), week_label(monday)) for monday in weeks
        ]

    def clean_treatment(self) -> Treatment | None:
        code = self.cleaned_data.get("treatment")
        if not code:
            return None
        treatment = reference.treatment_list().filter(code=code).first()
        if treatment is None:
            raise ValidationError(_("Unknown treatment."))
        return treatment


class CapacityOfferUpdateForm(forms.Form):
    slots = forms.IntegerField(
        label=_("Free slots"),
        min_value=1,
        max_value=MAX_SLOTS_PER_OFFER,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    urgency_classes = UrgencyClassesField(label=_("Urgency classes"))


class LocationStatusForm(forms.Form):
    accepted_urgency_classes = UrgencyClassesField(label=_("Accepted urgency classes"))
