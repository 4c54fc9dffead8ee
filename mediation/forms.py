"""Forms of the mediation pages. They collect and type-check input; the rules (urgency classes,
consent, postcodes, dates, distances, transitions) are the services', whose errors the views show
next to the fields they name."""

from __future__ import annotations

from itertools import groupby
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import insurer_list
from mediation.models import CLOSE_OUTCOMES, CaseStatus, MediationSettings
from providers.models import Location, WaitingTimeKind
from providers.reference import selectors as reference

DISTANCE_CHOICES = [
    ("10", _("10 km")),
    ("25", _("25 km")),
    ("50", _("50 km")),
    ("75", _("75 km")),
    ("100", _("100 km")),
    ("150", _("150 km")),
    ("200", _("200 km")),
]
DEFAULT_DISTANCE_KM = "50"
URGENCY_CHOICES = [
    ("1", _("Class 1: urgent, within a day")),
    ("2", _("Class 2: semi-urgent, within a week")),
    ("3", _("Class 3: within 6 weeks (risk of damage to my health)")),
    ("4", _("Class 4: limited risk of damage to my health")),
    ("5", _("Class 5: limited risk of damage to my health, no hurry")),
]
# Fields a link from the waiting-time search may fill in (its query parameters).
PREFILL_FIELDS = ("postcode", "specialism", "treatment", "kind", "max_distance_km")
# Selects and checkboxes with this class refresh the work queue at once (htmx, see the template).
LIVE = {"class": "js-live"}


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def specialism_choices(empty_label: Any) -> list[tuple[str, Any]]:
    specialisms = sorted(reference.specialism_list(), key=lambda s: s.name)
    return [("", empty_label), *((s.code, s.name) for s in specialisms)]


def treatment_choices(empty_label: Any) -> list[tuple[str, Any]]:
    treatments = sorted(
        reference.treatment_list(), key=lambda t: (t.specialism.name, t.specialism.code, t.name)
    )
    return [
        ("", empty_label),
        *(
            (name, [(t.code, t.name) for t in group])
            for name, group in groupby(treatments, key=lambda t: t.specialism.name)
        ),
    ]


def location_choices() -> list[tuple[str, Any]]:
    """Active locations grouped under their provider, both alphabetical."""
    locations = (
        Location.objects.filter(is_active=True)
        .select_related("provider")
        .order_by("provider__name", "name")
    )
    return [
        ("", _("Choose the hospital or clinic")),
        *(
            (provider_name, [(loc.code, f"{loc.name} ({loc.city})") for loc in group])
            for provider_name, group in groupby(locations, key=lambda loc: loc.provider.name)
        ),
    ]


class _CaseRequestFields(forms.Form):
    """The request's fields (DESIGN §3.3), named as in ``POST /api/v1/mediation-requests/``."""

    full_name = forms.CharField(
        label=_("Name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )
    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        help_text=_("We send the link to follow your request to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=16,
        help_text=_("For example 3511 AB. Used to find hospitals and clinics near you."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "size": 10}),
    )
    specialism = forms.ChoiceField(label=_("Specialism"))
    treatment = forms.ChoiceField(
        label=_("Treatment"),
        required=False,
        help_text=_("Only if you wait for a specific treatment."),
    )
    kind = forms.ChoiceField(
        label=_("What are you waiting for?"),
        choices=WaitingTimeKind.choices,
        initial=WaitingTimeKind.FIRST_VISIT,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    urgency_class = forms.TypedChoiceField(
        label=_("Urgency class"),
        choices=URGENCY_CHOICES,
        coerce=int,
        help_text=_("The urgency your specialist or GP gave you. Ask them if you do not know it."),
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    current_location = forms.ChoiceField(
        label=_("Where do you wait now?"),
        help_text=_("The hospital or clinic where you are on the waiting list."),
    )
    waiting_since = forms.DateField(
        label=_("Waiting since"),
        help_text=_("The date you were put on the waiting list."),
        widget=_date_widget(),
    )
    expected_date = forms.DateField(
        label=_("Date of your appointment"),
        required=False,
        help_text=_("If you already have an appointment there."),
        widget=_date_widget(),
    )
    max_distance_km = forms.TypedChoiceField(
        label=_("How far can you travel?"),
        choices=DISTANCE_CHOICES,
        coerce=int,
        initial=DEFAULT_DISTANCE_KM,
    )
    hospital_setting_required = forms.BooleanField(
        label=_("I need to be treated in a hospital, not in an independent clinic (ZBC)"),
        required=False,
        help_text=_("For example because of other conditions. Your specialist can tell you."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["specialism"]).choices = specialism_choices(
            _("Choose a specialism")
        )
        cast(forms.ChoiceField, self.fields["treatment"]).choices = treatment_choices(
            _("No specific treatment")
        )
        cast(forms.ChoiceField, self.fields["current_location"]).choices = location_choices()


class MediationRequestForm(_CaseRequestFields):
    """The patient's own request (public page, channel ``web``)."""

    insurer = forms.ModelChoiceField(
        label=_("Your health insurer"),
        queryset=insurer_list(),
        to_field_name="uzovi",
        empty_label=_("Choose your health insurer"),
    )
    policy_number = forms.CharField(
        label=_("Policy number"),
        max_length=32,
        help_text=_("On your health insurance card or policy."),
    )
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("We send the link to follow your request to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Enter your email address: we send the link to your request there.")
        },
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that my health insurer shares my details with the hospital or clinic that "
            "can help me sooner."
        ),
        required=False,  # the service refuses a request without consent, with its own message
    )

    field_order = [
        "insurer",
        "policy_number",
        "full_name",
        "birth_date",
        "email",
        "phone",
        "postcode",
        "specialism",
        "treatment",
        "kind",
        "urgency_class",
        "current_location",
        "waiting_since",
        "expected_date",
        "max_distance_km",
        "hospital_setting_required",
        "consent",
    ]


class PhoneIntakeForm(_CaseRequestFields):
    """A request taken by phone by a mediator, for a patient of the mediator's own insurer."""

    policy_number = forms.CharField(label=_("Policy number"), max_length=32)
    consent = forms.BooleanField(
        label=_(
            "The patient agreed on the phone that we share their details with the new hospital "
            "or clinic."
        ),
        required=False,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the patient told you, for the timeline."),
    )

    field_order = ["policy_number", *MediationRequestForm.field_order[2:], "note"]


class OfferDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you decline this offer? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you withdraw your request? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- Mediators ---------------------------------------------------------------------------------
QUEUE_STATUS_CHOICES = [
    ("open", _("All open cases")),
    *CaseStatus.choices,
    ("all", _("All cases")),
]


class CaseQueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=QUEUE_STATUS_CHOICES, required=False, widget=forms.Select(LIVE)
    )
    specialism = forms.ChoiceField(label=_("Specialism"), required=False)
    urgency_class = forms.TypedChoiceField(
        label=_("Urgency class"),
        choices=[("", _("All classes")), ("3", "3"), ("4", "4"), ("5", "5")],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.Select(LIVE),
    )
    overdue = forms.TypedChoiceField(
        label=_("First contact"),
        choices=[("", _("Overdue or not")), ("1", _("Overdue only")), ("0", _("Not overdue"))],
        coerce=lambda value: value == "1",
        empty_value=None,
        required=False,
        widget=forms.Select(LIVE),
    )
    mine = forms.BooleanField(
        label=_("Assigned to me"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input js-live"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["specialism"])
        field.choices = specialism_choices(_("All specialisms"))
        field.widget.attrs.update(LIVE)

    def selector_arguments(self, *, user_id: int | None) -> dict[str, Any]:
        data = self.cleaned_data
        status = data.get("status") or "open"
        statuses: list[str] | None
        if status == "open":
            statuses = [
                CaseStatus.SUBMITTED,
                CaseStatus.IN_PROGRESS,
                CaseStatus.OFFERED,
                CaseStatus.ACCEPTED,
            ]
        elif status == "all":
            statuses = None
        else:
            statuses = [status]
        return {
            "statuses": statuses,
            "specialism_code": data.get("specialism") or None,
            "urgency_class": data.get("urgency_class"),
            "overdue": data.get("overdue"),
            "assigned_to_id": user_id if data.get("mine") else None,
        }


class _OfferForm(forms.Form):
    expected_days = forms.IntegerField(
        label=_("Expected wait (days)"), min_value=0, max_value=3 * 365, required=False
    )
    note = forms.CharField(
        label=_("Note for the patient (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    override_reason = forms.CharField(
        label=_("Reason to override the matching rules"),
        help_text=_(
            "Only needed when the offer breaks a matching rule (gain below the margin, beyond "
            "the patient's distance, no current waiting time, outside the class-3 window). Kept "
            "with the offer and in the audit trail; not shown to the patient."
        ),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("capacity_offer") is None and cleaned.get("expected_days") is None:
            self.add_error("expected_days", _("Give the expected wait in days."))
        return cleaned


class OfferMakeForm(_OfferForm):
    """An offer at a matched location: its expected wait, or one slot of its capacity offer."""

    location = forms.CharField(widget=forms.HiddenInput)
    capacity_offer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reserve_slot = forms.BooleanField(
        label=_("Reserve a slot of the capacity offer"), required=False
    )
    field_order = [
        "location",
        "expected_days",
        "capacity_offer",
        "reserve_slot",
        "note",
        "override_reason",
    ]

    def clean(self) -> dict[str, Any]:
        if not self.cleaned_data.get("reserve_slot"):
            self.cleaned_data["capacity_offer"] = None
        return super().clean()


class OtherLocationOfferForm(_OfferForm):
    """An offer at a location that is not among the matches (e.g. one the patient asked for)."""

    location = forms.ChoiceField(label=_("Location"))
    field_order = ["location", "expected_days", "note", "override_reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["location"]).choices = location_choices()


class CaseNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CaseCloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("Choose the outcome")), *((o.value, o.label) for o in CLOSE_OUTCOMES)],
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AppointmentConfirmForm(forms.Form):
    appointment_date = forms.DateField(label=_("Appointment date"), widget=_date_widget())


class MediationSettingsForm(forms.ModelForm):
    class Meta:
        model = MediationSettings
        fields = [
            "first_contact_working_days",
            "match_margin_days",
            "offer_expiry_working_days",
            "retention_months",
        ]
