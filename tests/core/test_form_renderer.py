"""The fast form renderer writes the same markup as Django's widget templates."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import override
from hypothesis import given, settings
from hypothesis import strategies as st

from core.form_renderer import FastWidgetRenderer

TEMPLATES = DjangoTemplates()
FAST = FastWidgetRenderer()

text = st.text(alphabet=st.sampled_from([*"ab <>&\"'=éß0 9-_", "\u00a0", "\n"]), max_size=12)
attr_value = st.one_of(
    st.booleans(),
    text,
    st.integers(min_value=-5000, max_value=5000),
    st.builds(mark_safe, text),
)
attrs = st.dictionaries(
    st.sampled_from(["class", "min", "max", "aria-describedby", "required", "data-x", "id"]),
    attr_value,
    max_size=4,
)
value = st.one_of(st.none(), text, st.integers(-(10**6), 10**6), st.builds(mark_safe, text))

INPUT_WIDGETS = [
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.PasswordInput,
    forms.HiddenInput,
    forms.DateInput,
    forms.TimeInput,
    forms.CheckboxInput,
    forms.Textarea,
]


def both(widget: forms.Widget, name: str, value: Any) -> tuple[str, str]:
    return (
        str(widget.render(name, value, renderer=TEMPLATES)),
        str(widget.render(name, value, renderer=FAST)),
    )


@settings(max_examples=300, deadline=None)
@given(
    widget_class=st.sampled_from(INPUT_WIDGETS),
    name=text,
    value=value,
    attrs=attrs,
    l10n=st.sampled_from(["nl", "en"]),
)
def test_inputs_and_textarea_are_the_templates_markup(widget_class, name, value, attrs, l10n):
    with override(l10n):
        expected, fast = both(widget_class(attrs=attrs), name, value)
    assert fast == expected


choice_label = st.one_of(text, st.integers(-3000, 3000), st.builds(mark_safe, text))
choice = st.tuples(st.one_of(text, st.integers(0, 2000)), choice_label)
choices = st.lists(st.one_of(choice, st.tuples(text, st.lists(choice, max_size=3))), max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    choices=choices,
    name=text,
    selected=st.one_of(st.none(), text, st.integers(0, 2000), st.lists(text, max_size=2)),
    attrs=attrs,
    multiple=st.booleans(),
    l10n=st.sampled_from(["nl", "en"]),
)
def test_selects_are_the_templates_markup(choices, name, selected, attrs, multiple, l10n):
    widget_class = forms.SelectMultiple if multiple else forms.Select
    widget = widget_class(attrs=attrs, choices=choices)
    with override(l10n):
        expected, fast = both(widget, name, selected)
    assert fast == expected


def test_a_real_form_renders_identically():
    class Example(forms.Form):
        when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        days = forms.IntegerField(min_value=0, max_value=800)
        place = forms.ChoiceField(choices=[("", "—"), ("a", "Almere & <Lelystad>")])
        agree = forms.BooleanField(required=False)
        note = forms.CharField(widget=forms.Textarea, required=False)

    form = Example(data={"when": "2026-12-07", "days": "x<", "place": "a", "note": "<b>"})
    form.is_valid()
    expected = Example(data=form.data, renderer=TEMPLATES)
    fast = Example(data=form.data, renderer=FAST)
    expected.is_valid()
    fast.is_valid()
    assert str(fast) == str(expected)
    assert '<option value="a" selected>Almere &amp; &lt;Lelystad&gt;</option>' in str(fast)


def test_an_option_with_a_template_of_its_own_goes_through_the_templates():
    class Special(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    widget = Special(choices=[("1", "one")])
    expected, fast = both(widget, "pick", "1")
    assert fast == expected
    assert "<input" in fast


@pytest.mark.parametrize(
    "widget", [forms.RadioSelect(choices=[("1", "one")]), forms.ClearableFileInput()]
)
def test_other_widgets_still_use_their_templates(widget):
    expected, fast = both(widget, "field", None)
    assert fast == expected


def test_the_project_uses_it(settings):
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FastWidgetRenderer)


def test_dates_as_values_are_formatted_like_the_template():
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    expected, fast = both(widget, "d", date(2026, 12, 7))
    assert fast == expected == '<input type="date" name="d" value="2026-12-07">'
