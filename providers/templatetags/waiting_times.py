"""Template filters for waiting times: stored in calendar days, shown in weeks rounded up
(DESIGN §3.1)."""

import math

from django import template

register = template.Library()


@register.filter
def weeks(days: int | None) -> int | None:
    """Calendar days → weeks, rounded up: 28 → 4, 29 → 5, 0 → 0."""
    if days is None or days == "":
        return None
    return math.ceil(int(days) / 7)
