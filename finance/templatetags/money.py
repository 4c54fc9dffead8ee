"""``{{ amount|euro }}``: euros with cents in the language of the page (€ 1.250.000,00 in
Dutch, € 1,250,000.00 in English); empty for None."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def euro(value: Decimal | None) -> str:
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    text = number_format(abs(amount), decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"−€ {text}" if amount < 0 else f"€ {text}"


@register.filter
def percentage(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{number_format(Decimal(value).normalize(), use_l10n=True)} %"
