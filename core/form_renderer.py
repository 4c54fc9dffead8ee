"""A form renderer that writes the plain widgets in Python instead of through templates.

Django renders every widget with its own template, and every ``<option>`` of a select with
another include: a page with a few hundred inputs or a select of 800 locations spends most of its
time there (the planners' grid and the case page did, under load). For the widgets whose
templates are Django's own — the ``<input>`` family, the checkbox, the textarea, the select and its
options — this renderer produces the same markup directly; everything else (and any widget or
option with a template of its own) still goes through the templates.

The markup is the templates' markup, character for character: ``tests/core/test_form_renderer.py``
compares the two for generated widgets, values and attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, SafeString

_WIDGETS = "django/forms/widgets/"
_INPUT_TYPES = (
    "text",
    "number",
    "email",
    "url",
    "password",
    "hidden",
    "date",
    "datetime",
    "time",
    "search",
    "tel",
    "color",
    "checkbox",
)
_OPTION = _WIDGETS + "select_option.html"


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: str() of the value, escaped unless it is safe."""
    text = "%s" % (value,)  # noqa: UP031 - the filter's own formatting
    return text if isinstance(value, SafeData) else escape(text)


def _shown(value: Any) -> str:
    """``{{ value }}``: localised, then escaped unless safe."""
    value = localize(value)
    if not isinstance(value, str):
        value = str(value)
    return str(conditional_escape(value))


def _attrs(attrs: Mapping[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {_shown(name)}")
        else:
            parts.append(f' {_shown(name)}="{_formatted(value)}"')
    return "".join(parts)


def _input(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown_value = "" if value is None else f' value="{_formatted(value)}"'
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"'
        f"{shown_value}{_attrs(widget['attrs'])}>"
    )


def _textarea(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    body = _shown(value) if value else ""
    return f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n{body}</textarea>'


def _option(option: Mapping[str, Any]) -> str:
    return (
        f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_shown(option['label'])}</option>"
    )


def _select(widget: Mapping[str, Any]) -> str | None:
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != _OPTION:
                return None  # an option with a template of its own: render it all by template
            # the option template's file ends with a newline, which its include keeps
            parts.append(f"\n  {_option(option)}\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


_DIRECT: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    **{f"{_WIDGETS}{name}.html": _input for name in _INPUT_TYPES},
    _WIDGETS + "textarea.html": _textarea,
    _WIDGETS + "select.html": _select,
}


class FastWidgetRenderer(DjangoTemplates):
    """Django's default renderer, with the plain widgets written directly (see the module)."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        direct = _DIRECT.get(template_name)
        widget = context.get("widget") if direct is not None else None
        if direct is not None and isinstance(widget, Mapping):
            html = direct(widget)
            if html is not None:
                return SafeString(html)
        return super().render(template_name, context, request)
