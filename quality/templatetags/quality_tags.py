"""Formatting for the data quality pages."""

from __future__ import annotations

from django import template

register = template.Library()

DASH = "\u2014"


@register.filter
def percent(value) -> str:
    """0.25 -> "25%", 0.3333 -> "33.3%"; None (no attempts) -> an em dash."""
    if value is None:
        return DASH
    return f"{float(value) * 100:.1f}%".replace(".0%", "%")
