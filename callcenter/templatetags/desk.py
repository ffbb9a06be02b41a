from __future__ import annotations

import re
import unicodedata

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from customers.models import fold

register = template.Library()


def _fold_by_character(text: str) -> tuple[str, list[int]]:
    """The text lower-cased without accents, and for each folded character
    the position of the original character it came from. Folding one
    character at a time keeps positions right when folding changes the
    length (a decomposed accent, a ligature, a run of spaces)."""
    folded: list[str] = []
    origin: list[int] = []
    for position, character in enumerate(text):
        decomposed = unicodedata.normalize("NFKD", character)
        plain = "".join(part for part in decomposed if not unicodedata.combining(part)).lower()
        folded.append(plain)
        origin.extend([position] * len(plain))
    return "".join(folded), origin


@register.filter
def highlight(text, query: str) -> SafeString:
    """Mark the words of the query in the text (accents and case ignored)."""
    text = str(text or "")
    words = {word for word in fold(query or "").split() if len(word) >= 2}
    if not words or not text:
        return escape(text)
    folded, origin = _fold_by_character(text)
    spans = sorted(
        (origin[match.start()], origin[match.end() - 1] + 1)
        for word in words
        for match in re.finditer(re.escape(word), folded)
    )
    # Overlapping or touching matches ("mar maria", "an na") make one mark.
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts, position = [], 0
    for start, end in merged:
        # An accent typed as a separate character stays with its letter.
        while end < len(text) and unicodedata.combining(text[end]):
            end += 1
        parts.append(escape(text[position:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above
