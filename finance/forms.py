"""Forms of the finance pages. They only collect input: the rules live in ``finance.services``,
whose errors the views put next to the fields they name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import plausible_last_year
from core.forms import MonthField
from finance.models import FIRST_CONTRACT_YEAR, ArrangementKind, ClaimCategory, PaymentKind
from providers.models import Provider


def _money(label: Any, *, required: bool = True, help_text: Any = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        required=required,
        help_text=help_text,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class ContractCreateForm(forms.Form):
    provider: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Provider"),
        queryset=Provider.objects.order_by("name"),
        empty_label=_("Choose a provider"),
    )
    # The last year moves with the calendar: the service refuses it, the browser is told here.
    year = forms.IntegerField(label=_("Year"), min_value=FIRST_CONTRACT_YEAR)
    contract_value = _money(
        _("Contract value (€)"), help_text=_("The agreed revenue ceiling for the year.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["year"].widget.attrs["max"] = plausible_last_year(today=today)


class ContractValueForm(forms.Form):
    contract_value = _money(_("Contract value (€)"))


def _coverage_field() -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Coverage percentage"),
        max_digits=5,
        decimal_places=2,
        required=False,
        localize=True,
        help_text=_("Continuity contributions only: the share of the shortfall paid, 0–100."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


def _budget_field() -> forms.DecimalField:
    return _money(
        _("Budget (€)"),
        required=False,
        help_text=_("Catch-up care and supplementary agreements only: the most that is paid."),
    )


class ArrangementCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ArrangementKind.choices)
    coverage_percentage = _coverage_field()
    budget = _budget_field()
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ArrangementUpdateForm(forms.Form):
    coverage_percentage = _coverage_field()
    budget = _budget_field()
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProductionForm(forms.Form):
    month = MonthField(label=_("Month"), help_text=_("A month of the contract year, e.g. 2026-03."))
    amount = _money(_("Realised production (€)"))
    catch_up_amount = _money(
        _("Of which catch-up care (€)"),
        required=False,
        help_text=_("The part of the production that was catch-up care (inhaalzorg)."),
    )


class ClaimForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=ClaimCategory.choices)
    amount = _money(_("Amount (€)"))
    note = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=4000,
        help_text=_("What the claim is based on, e.g. invoice numbers or the ROAZ request."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ClaimRejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejection"), max_length=2000)


class PaymentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PaymentKind.choices)
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    amount = _money(_("Amount (€)"), help_text=_("More than zero; a correction may be negative."))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()
