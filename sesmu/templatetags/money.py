from django import template

from sesmu.money import format_money

register = template.Library()


@register.filter
def money(amount, currency: str = "EUR") -> str:
    """An amount with its currency in the active language's format."""
    return format_money(amount, currency)
