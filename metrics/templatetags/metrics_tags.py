"""Formatting for the performance dashboard: rates as percentages, seconds as readable durations."""

from __future__ import annotations

from django import template

register = template.Library()

DASH = "\u2014"


@register.filter
def percent(value) -> str:
    """0.8333 -> "83.3%"; None (nothing to divide by) -> an em dash."""
    if value is None:
        return DASH
    return f"{float(value) * 100:.1f}%".replace(".0%", "%")


@register.filter
def duration(seconds) -> str:
    """Seconds as the two largest units: "45 s", "12 min", "3 h 20 min", "2 d 4 h"; None -> an em dash."""
    if seconds is None:
        return DASH
    total = round(float(seconds))
    if total < 60:
        return f"{total} s"
    minutes, _ = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
