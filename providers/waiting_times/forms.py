"""Forms of the planners' waiting-time pages. They only collect input: every rule lives in the
services (``providers.waiting_times.validation``), whose row errors the views put next to the
cells."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from providers.models import (
    MAX_PLAUSIBLE_WAIT_DAYS,
    Location,
    Specialism,
    Treatment,
    WaitingTimeKind,
    WaitingTimeSeries,
)
from providers.permissions import location_list_for_reporting
from providers.reference import selectors as reference
from providers.waiting_times.csv_reader import RowError, WaitingTimeRow
from providers.waiting_times.imports import MAX_IMPORT_BYTES


@dataclass
class GridRow:
    series: WaitingTimeSeries
    days: forms.BoundField
    insufficient: forms.BoundField


class WaitingTimeGridForm(forms.Form):
    """New figures for one peildatum: a days cell and an "insufficient observations" box per
    series. Rows left empty are not reported. Each row's number (for the service's errors) is
    its series id."""

    reference_date = forms.DateField(
        label=_("Reference date (peildatum)"),
        help_text=_("NZa peildatums are the Tuesdays of even weeks."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(
        self, *args: Any, series: Sequence[WaitingTimeSeries], reference_date: date, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.series = list(series)
        self.fields["reference_date"].initial = reference_date
        for one in self.series:
            label = series_label(one)
            self.fields[f"days_{one.pk}"] = forms.CharField(
                label=_("Days: %(series)s") % {"series": label},
                required=False,
                widget=forms.NumberInput(
                    attrs={
                        "min": 0,
                        "max": MAX_PLAUSIBLE_WAIT_DAYS,
                        "inputmode": "numeric",
                        "class": "form-control form-control-sm days-input",
                    }
                ),
            )
            self.fields[f"insufficient_{one.pk}"] = forms.BooleanField(
                label=_("Insufficient observations: %(series)s") % {"series": label},
                required=False,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )

    def grid(self) -> Iterator[GridRow]:
        for one in self.series:
            yield GridRow(one, self[f"days_{one.pk}"], self[f"insufficient_{one.pk}"])

    def rows(self) -> list[WaitingTimeRow]:
        """The filled-in rows, for the service (call after ``is_valid``)."""
        data = self.cleaned_data
        rows = []
        for one in self.series:
            days = data.get(f"days_{one.pk}") or ""
            insufficient = bool(data.get(f"insufficient_{one.pk}"))
            if not days.strip() and not insufficient:
                continue
            rows.append(
                WaitingTimeRow(
                    row=one.pk,
                    location=one.location.code,
                    kind=one.kind,
                    specialism=one.specialism.code,
                    treatment=one.treatment.code if one.treatment else None,
                    days=days,
                    insufficient_observations=insufficient,
                    reference_date=data["reference_date"],
                )
            )
        return rows

    def add_row_errors(self, errors: list[RowError]) -> None:
        """Put the service's errors next to the cells they belong to."""
        seen: set[tuple[str | None, str]] = set()
        for error in errors:
            if error["field"] == "reference_date":
                name: str | None = "reference_date"
            elif error["row"] is None:
                name = None
            elif error["field"] == "insufficient_observations":
                name = f"insufficient_{error['row']}"
            else:
                name = f"days_{error['row']}"
            if (name, error["message"]) not in seen:
                seen.add((name, error["message"]))
                self.add_error(name, error["message"])


def series_label(series: WaitingTimeSeries) -> str:
    subject = series.treatment.name if series.treatment else series.specialism.name
    return f"{series.location.name}, {subject}, {series.get_kind_display()}"


class WaitingTimeSeriesCreateForm(forms.Form):
    location: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.none(), to_field_name="code"
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=WaitingTimeKind.choices)
    specialism = forms.ModelChoiceField(
        label=_("Specialism"),
        queryset=reference.specialism_list(),
        to_field_name="code",
        required=False,
        help_text=_("For first visits and diagnostics."),
    )
    treatment = forms.ModelChoiceField(
        label=_("Treatment"),
        queryset=reference.treatment_list(),
        to_field_name="code",
        required=False,
        help_text=_("Only for the kind “treatment”."),
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "series")
        super().__init__(*args, **kwargs)
        location_field = self.fields["location"]
        assert isinstance(location_field, forms.ModelChoiceField)
        location_field.queryset = location_list_for_reporting(actor=actor).filter(is_active=True)

    def subject(self) -> tuple[Specialism | None, Treatment | None]:
        return self.cleaned_data.get("specialism"), self.cleaned_data.get("treatment")


class WaitingTimeUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Our columns (location, specialism, treatment, kind, days, insufficient_observations, "
            "reference_date) or the NZa open-data layout."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": MAX_IMPORT_BYTES // 2**20}
            )
        return upload
