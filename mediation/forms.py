"""Forms of the mediation pages. They collect and type-check input; the rules (urgency classes,
consent, postcodes, dates, distances, transitions) are the services', whose errors the views show
next to the fields they name."""

from __future__ import annotations

from itertools import groupby
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.selectors import insurer_list
from mediation.models import (
    CLOSE_OUTCOMES,
    STAFF_ANSWER_CHANNELS,
    CaseStatus,
    ContactChannel,
    ContactResult,
    DeclineReason,
    MediationSettings,
)
from mediation.selectors.cases import QUEUE_SORTS, SEARCH_MAX_LENGTH
from mediation.services.cases import CASE_REQUEST_FIELDS
from providers.models import WaitingTimeKind
from providers.reference import selectors as reference
from providers.search.forms import ReferenceSelect
from providers.search.snapshot import LocationSummary, search_reference

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


def specialism_choices(empty_label: Any, *, patients_only: bool = False) -> list[tuple[str, Any]]:
    """The active specialisms by name; ``patients_only`` leaves out those no patient waits for
    (laboratory specialisms, "niet nader gespecificeerd": ``Specialism.patients_wait``)."""
    specialisms = sorted(
        (s for s in reference.specialism_list() if s.patients_wait or not patients_only),
        key=lambda s: s.name,
    )
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


_location_groups: tuple[str, list[tuple[str, list[tuple[str, str]]]]] | None = None


def location_choices() -> list[tuple[str, Any]]:
    """Active locations grouped under their provider, both alphabetical. Built from the reference
    snapshot that the search keeps in memory (``providers.search.snapshot``), once per version
    of it: the case page and the request form show this select of ~800 locations."""
    global _location_groups
    snapshot = search_reference()
    held = _location_groups
    if held is None or held[0] != snapshot.token:
        locations = sorted(
            (one.summary for one in snapshot.locations),
            key=lambda loc: (loc.provider.name, loc.name, loc.code),
        )
        groups = [
            (provider_name, [(loc.code, f"{loc.name} ({loc.city})") for loc in group])
            for provider_name, group in groupby(locations, key=lambda loc: loc.provider.name)
        ]
        held = _location_groups = (snapshot.token, groups)
    return [("", _("Choose the hospital or clinic")), *held[1]]


class LocationSelect(ReferenceSelect):
    """The select of every active location (``location_choices``): kept when empty, as on every
    case page's "offer another location"."""

    cache_values = False


def location_choices_by_city() -> list[tuple[str, Any]]:
    """Active locations grouped under their city, both alphabetical: without JavaScript the
    patient finds "where do you wait now?" by the place (with it, ``mediation.js`` turns the
    list into a combobox that filters as they type). From the reference snapshot in memory,
    like ``location_choices``."""
    locations = sorted(
        (one.summary for one in search_reference().locations),
        key=lambda loc: (loc.city.casefold(), loc.name.casefold(), loc.code),
    )

    def label(loc: LocationSummary) -> str:
        if loc.provider.name.casefold() in loc.name.casefold():
            return loc.name
        return f"{loc.name} ({loc.provider.name})"

    return [
        ("", _("Choose the hospital or clinic")),
        *(
            (city, [(loc.code, label(loc)) for loc in group])
            for city, group in groupby(locations, key=lambda loc: loc.city)
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
            _("Choose a specialism"), patients_only=True
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
    # Sent by the "send it anyway" button of the notice that the wait is within the Treeknorm;
    # never rendered as a field, so that changed answers are checked again.
    within_norm_confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            forms.ChoiceField, self.fields["current_location"]
        ).choices = location_choices_by_city()

    field_order = list(CASE_REQUEST_FIELDS)


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

    # The mediator fills this in for the patient: the labels speak about the patient.
    MEDIATOR_LABELS = {
        "full_name": (_("Patient's name"), None),
        "birth_date": (_("Patient's date of birth"), None),
        "email": (
            _("Patient's email address"),
            _(
                "If the patient has one: the status link goes there. Without one, call the "
                "patient or print a letter for each offer."
            ),
        ),
        "phone": (_("Patient's phone number"), None),
        "postcode": (
            _("Patient's postcode"),
            _("For example 3511 AB. Places the patient for the travel distance."),
        ),
        "treatment": (_("Treatment"), _("Only if the patient waits for a specific treatment.")),
        "kind": (_("What is the patient waiting for?"), None),
        "urgency_class": (
            _("Urgency class"),
            _("The urgency the patient's specialist or GP gave. Classes 1 and 2 are refused."),
        ),
        "current_location": (
            _("Where does the patient wait now?"),
            _("The hospital or clinic where the patient is on the waiting list."),
        ),
        "waiting_since": (
            _("Waiting since"),
            _("The date the patient was put on the waiting list."),
        ),
        "expected_date": (
            _("Does the patient have an appointment there?"),
            _("Enter its date; leave empty when the patient has no appointment yet."),
        ),
        "max_distance_km": (_("How far can the patient travel?"), None),
        "hospital_setting_required": (
            _("The patient needs to be treated in a hospital, not in an independent clinic (ZBC)"),
            _("For example because of other conditions."),
        ),
    }
    MEDIATOR_URGENCY_CHOICES = [
        ("1", _("Class 1: urgent, within a day")),
        ("2", _("Class 2: semi-urgent, within a week")),
        ("3", _("Class 3: within 6 weeks (risk of damage to the patient's health)")),
        ("4", _("Class 4: limited risk of damage to the patient's health")),
        ("5", _("Class 5: limited risk of damage, no hurry")),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (label, help_text) in self.MEDIATOR_LABELS.items():
            self.fields[name].label = label
            self.fields[name].help_text = help_text or ""
        cast(
            forms.ChoiceField, self.fields["urgency_class"]
        ).choices = self.MEDIATOR_URGENCY_CHOICES


class OfferDeclineForm(forms.Form):
    """Declining an offer: a short reason to choose, and/or the patient's own words; both are
    optional (DESIGN §3.3)."""

    choice = forms.ChoiceField(
        label=_("Why do you decline this offer?"),
        choices=DeclineReason.choices,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    reason = forms.CharField(
        label=_("Anything you want to tell your mediator"),
        required=False,
        max_length=1800,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def decline_reason(self) -> str:
        """The reason as stored: the chosen one in the staff's language, then the own words."""
        data = self.cleaned_data
        parts = []
        if data.get("choice"):
            with translation.override(settings.LANGUAGE_CODE):
                parts.append(str(DeclineReason(data["choice"]).label))
        if data.get("reason", "").strip():
            parts.append(data["reason"].strip())
        return " — ".join(parts)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you withdraw your request?"),
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
    search = forms.CharField(
        label=_("Search"),
        help_text=_("Reference, name, policy number or email address"),
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    # A column heading's link sets it; the form keeps it while filtering. Unknown keys are ignored.
    sort = forms.CharField(required=False, widget=forms.HiddenInput)
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

    def clean_sort(self) -> str:
        value = self.cleaned_data.get("sort") or ""
        return value if value in QUEUE_SORTS else ""

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
            "search": data.get("search") or "",
            "sort": data.get("sort") or "",
        }


class _AssigneeField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class CaseAssignForm(forms.Form):
    """Assign one case, or the cases ticked in the work queue (``references``, resolved by the
    view through the access helper), to one mediator of the insurer."""

    assigned_to: forms.ModelChoiceField = _AssigneeField(
        label=_("Assign to"),
        queryset=None,
        empty_label=None,
        error_messages={"invalid_choice": _("Choose a mediator of your insurer.")},
    )

    def __init__(self, *args: Any, assignees: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assigned_to"]).queryset = assignees


class _OfferForm(forms.Form):
    expected_days = forms.IntegerField(
        label=_("Expected wait (days)"), min_value=0, max_value=3 * 365, required=False
    )
    note = forms.CharField(
        label=_("Note for the patient"),
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

    # The choices are read when the select is written or a posted value is checked, not when the
    # form is made (the case page makes one on every view; see LocationSelect).
    location = forms.ChoiceField(
        label=_("Location"), choices=location_choices, widget=LocationSelect
    )
    field_order = ["location", "expected_days", "note", "override_reason"]


class CaseContactForm(forms.Form):
    """First contact: reached or not, and how."""

    result = forms.ChoiceField(
        label=_("Result"),
        choices=ContactResult.choices,
        initial=ContactResult.REACHED,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    channel = forms.ChoiceField(
        label=_("How"),
        choices=[(c.value, c.label) for c in ContactChannel],
        initial=ContactChannel.PHONE,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class OfferAnswerForm(forms.Form):
    """The answer a patient gave by phone or letter, recorded by the mediator."""

    decision = forms.ChoiceField(
        label=_("The patient's answer"),
        choices=[("accept", _("Accepts the offer")), ("decline", _("Declines the offer"))],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    channel = forms.ChoiceField(
        label=_("Given"),
        choices=[(c.value, c.label) for c in STAFF_ANSWER_CHANNELS],
    )
    reason = forms.CharField(
        label=_("Reason for declining"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CaseEditForm(forms.Form):
    """Corrections of a case (``mediation.services.case_edit``), filled with its values."""

    email = forms.EmailField(label=_("Patient's email address"), required=False)
    phone = forms.CharField(label=_("Patient's phone number"), max_length=32, required=False)
    postcode = forms.CharField(label=_("Patient's postcode"), max_length=16)
    max_distance_km = forms.IntegerField(
        label=_("How far can the patient travel? (km)"), min_value=1, max_value=1000
    )
    expected_date = forms.DateField(
        label=_("Date of the patient's appointment at the current provider"),
        required=False,
        help_text=_("Leave empty when the patient has no appointment."),
        widget=_date_widget(),
    )
    hospital_setting_required = forms.BooleanField(
        label=_("The patient needs a hospital setting (no ZBC)"), required=False
    )
    urgency_class = forms.TypedChoiceField(
        label=_("Urgency class"),
        choices=[("3", "3"), ("4", "4"), ("5", "5")],
        coerce=int,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        help_text=_("Why, for the timeline; required when the urgency class changes."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


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
            "scan_look_ahead_days",
            "scan_distance_km",
            "invitation_quiet_days",
            "invitation_reminder_days",
            "invitation_lapse_days",
        ]

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        reminder = cleaned.get("invitation_reminder_days")
        lapse = cleaned.get("invitation_lapse_days")
        if reminder is not None and lapse is not None and reminder >= lapse:
            self.add_error(
                "invitation_reminder_days",
                _("The reminder must go before the invitation lapses."),
            )
        return cleaned
