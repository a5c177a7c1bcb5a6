"""``{{ amount|money }}``: an amount of money as every page shows it.

Two decimals with the language's digit grouping (``floatformat:"2g"``), and a dash when there is no
amount; ``{{ amount|money:currency }}`` puts the currency after it (``currency`` comes from
``pages.context_processors.currency``).
"""

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()

NONE = "—"


@register.filter
def money(amount, currency: str = "") -> str:
    if amount is None or amount == "":
        return NONE
    text = floatformat(amount, "2g")
    return f"{text} {currency}" if currency else text
