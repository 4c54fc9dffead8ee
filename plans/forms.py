"""Forms of the plans pages. They only collect input: the rules live in ``plans.services``,
whose errors the views put next to the fields (and rows) they belong to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.selectors import insurer_list
from core.forms import MonthField
from core.months import month_format
from plans.excel.reader import MAX_UPLOAD_BYTES
from plans.inputs import LineInput, ProgressLineInput
from plans.models import MAX_VOLUME, MEASURE_MAX_LENGTH, MEASURES, PlanLine
from plans.services.lifecycle import MAX_COMMENT_LENGTH
from providers.models import MEDIATED_URGENCY_CLASSES
from providers.reference import selectors as reference


def month_label(month: date) -> str:
    return date_format(month, "F Y")


class PlanForm(forms.Form):
    """The plan's insurer, period and measures (the lines have an editor of their own)."""

    insurer = forms.ModelChoiceField(
        label=_("Insurer"),
        queryset=insurer_list(),
        to_field_name="uzovi",
        empty_label=_("Choose the insurer"),
        help_text=_("The plan is addressed to this insurer; it cannot change once submitted."),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    period_start = MonthField(label=_("First month"), help_text=_("For example 2027-01."))
    period_end = MonthField(label=_("Last month"), help_text=_("For example 2027-12."))

    def __init__(self, *args: Any, insurer_locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if insurer_locked:
            self.fields["insurer"].disabled = True
        for key, label in MEASURES:
            self.fields[key] = forms.CharField(
                label=label,
                required=False,
                max_length=MEASURE_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
            )

    def measures(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(key, "") for key, _label in MEASURES}

    def measure_fields(self) -> list[forms.BoundField]:
        return [self[key] for key, _label in MEASURES]


# --- The lines editor --------------------------------------------------------------------------
class VolumeInput(forms.TextInput):
    """A whole number in a narrow cell: a numeric keyboard on phones, six characters wide (a text
    input, so that the width follows ``size`` without a stylesheet; the form checks the number)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            attrs={
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "size": 6,
                "autocomplete": "off",
                "class": "form-control form-control-sm w-auto text-end volume-input",
                **(attrs or {}),
            }
        )


class PlanLineForm(forms.Form):
    """One row of the lines editor: specialism, class, backlog and a volume per month. A row left
    empty is not a line; a row marked "remove" is dropped."""

    specialism = forms.ModelChoiceField(
        label=_("Specialism"),
        queryset=reference.specialism_list(),
        to_field_name="code",
        required=False,
        empty_label="—",
        widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}),
    )
    urgency_class = forms.TypedChoiceField(
        label=_("Urgency class"),
        choices=[("", "—"), *[(c, str(c)) for c in MEDIATED_URGENCY_CLASSES]],
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}),
    )
    backlog = forms.IntegerField(
        label=_("Backlog at the start"),
        required=False,
        min_value=0,
        max_value=MAX_VOLUME,
        widget=VolumeInput(),
    )

    def __init__(self, *args: Any, months: Sequence[date] = (), row: int = 0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.months = list(months)
        for month in self.months:
            self.fields[month_format(month)] = forms.IntegerField(
                label=month_label(month),
                required=False,
                min_value=0,
                max_value=MAX_VOLUME,
                widget=VolumeInput(),
            )
        self.fields["remove"] = forms.BooleanField(
            label=_("Remove"),
            required=False,
            widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        )
        # Every cell of the table gets a label that says which row it is in (screen readers).
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = _("%(field)s, row %(row)d") % {
                "field": field.label,
                "row": row,
            }

    def month_fields(self) -> list[forms.BoundField]:
        return [self[month_format(month)] for month in self.months]

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return (
            data.get("specialism") is None
            and data.get("urgency_class") is None
            and data.get("backlog") is None
            and not any(data.get(month_format(m)) for m in self.months)
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("remove") or self.is_blank():
            return data
        if data.get("specialism") is None:
            self.add_error("specialism", _("Choose the specialism of this line."))
        if data.get("urgency_class") is None:
            self.add_error("urgency_class", _("Choose the urgency class of this line."))
        if data.get("backlog") is None:
            self.add_error("backlog", _("Enter the backlog at the start (0 if there is none)."))
        return data

    def line_input(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            specialism=data["specialism"].code,
            urgency_class=data["urgency_class"],
            backlog=data["backlog"],
            planned=tuple(
                (month, data[month_format(month)])
                for month in self.months
                if data.get(month_format(month))
            ),
        )

    @staticmethod
    def initial_for(line: PlanLine) -> dict[str, Any]:
        return {
            "specialism": line.specialism.code,
            "urgency_class": line.urgency_class,
            "backlog": line.backlog,
            **line.planned,
        }


class BasePlanLineFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, months: Sequence[date] = (), **kwargs: Any) -> None:
        self.months = list(months)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"months": self.months, "row": (index or 0) + 1}

    def kept_forms(self) -> list[tuple[int, PlanLineForm]]:
        """(position in the formset, form) of the rows that are lines (after ``is_valid``)."""
        return [
            (index, form)
            for index, form in enumerate(self.forms)
            if not form.cleaned_data.get("remove") and not form.is_blank()  # type: ignore[attr-defined]
        ]


def plan_line_formset(
    *,
    months: Sequence[date],
    extra: int,
    data: Any = None,
    initial: list[dict[str, Any]] | None = None,
) -> BasePlanLineFormSet:
    formset_class = forms.formset_factory(
        PlanLineForm, formset=BasePlanLineFormSet, extra=extra, max_num=500, absolute_max=500
    )
    formset = formset_class(data=data, initial=initial, months=months, prefix="lines")  # type: ignore[call-arg]
    assert isinstance(formset, BasePlanLineFormSet)
    return formset


# --- Excel, lifecycle, progress ----------------------------------------------------------------
class PlanUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Excel workbook (.xlsx)"),
        help_text=_("The template of this plan, filled in. It replaces all lines of the plan."),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "class": "form-control",
            }
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": MAX_UPLOAD_BYTES // 2**20}
            )
        return upload


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class PlanReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("approve", _("Approve the plan")),
            ("request_changes", _("Request changes")),
        ],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=MAX_COMMENT_LENGTH,
        help_text=_("Required when you request changes: say what has to change."),
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("decision") == "request_changes" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say what has to change: a comment is required."))
        return data


class PlanProgressForm(forms.Form):
    """The realised volume of one month, a field per line (empty fields are not reported)."""

    def __init__(self, *args: Any, lines: Sequence[PlanLine], month: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        self.month = month
        for line in self.lines:
            self.fields[f"realised_{line.pk}"] = forms.IntegerField(
                label=_("%(specialism)s, class %(class)s")
                % {
                    "specialism": line.specialism.name,
                    "class": line.urgency_class,
                },
                required=False,
                min_value=0,
                max_value=MAX_VOLUME,
                widget=VolumeInput(),
            )

    def rows(self) -> list[tuple[PlanLine, int, forms.BoundField]]:
        """(line, volume planned in the month, field) per line."""
        key = month_format(self.month)
        return [
            (line, line.planned.get(key, 0), self[f"realised_{line.pk}"]) for line in self.lines
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not self.errors and all(data.get(f"realised_{line.pk}") is None for line in self.lines):
            raise forms.ValidationError(_("Enter the realised volume of at least one line."))
        return data

    def progress_lines(self) -> list[ProgressLineInput]:
        return [
            ProgressLineInput(
                specialism=line.specialism.code,
                urgency_class=line.urgency_class,
                realised=self.cleaned_data[f"realised_{line.pk}"],
            )
            for line in self.lines
            if self.cleaned_data.get(f"realised_{line.pk}") is not None
        ]
