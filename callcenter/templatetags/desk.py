from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from customers.models import fold

register = template.Library()


@register.filter
def highlight(text, query: str):
    """Mark the words of the query in the text (accents and case ignored)."""
    text = str(text or "")
    words = [word for word in fold(query or "").split() if len(word) >= 2]
    if not words:
        return escape(text)
    folded = fold(text) if len(fold(text)) == len(text) else None
    if folded is None:
        return escape(text)
    spans = []
    for word in words:
        spans += [(match.start(), match.end()) for match in re.finditer(re.escape(word), folded)]
    spans.sort()
    parts, position = [], 0
    for start, end in spans:
        if start < position:
            continue
        parts.append(escape(text[position:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above
