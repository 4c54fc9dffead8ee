"""Template filters of the plans pages."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``{{ mapping|get_item:key }}``: a dictionary's value by a key held in a variable."""
    if not hasattr(mapping, "get"):
        return ""
    return mapping.get(key, "")
