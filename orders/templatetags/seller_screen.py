"""Template filters of the seller's screen: times in the Venture's zone, with the zone named."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from orders.selectors import venture_zone

register = template.Library()


@register.filter
def venture_time(value: datetime | None, precision: str = "minutes") -> str:
    """``2026-11-20 18:00 Asia/Manila``: the time in the Venture's zone, the zone named."""
    if value is None:
        return ""
    zone = venture_zone()
    shape = "%Y-%m-%d %H:%M:%S" if precision == "seconds" else "%Y-%m-%d %H:%M"
    return f"{value.astimezone(zone).strftime(shape)} {zone.key}"


@register.filter
def time_tag(value: datetime | None, precision: str = "minutes") -> SafeString | str:
    """A ``<time>`` element: machine-readable instant, Venture-zone text."""
    if value is None:
        return ""
    return format_html(
        '<time datetime="{}">{}</time>',
        value.astimezone(venture_zone()).isoformat(),
        venture_time(value, precision),
    )


@register.simple_tag
def zone_name() -> str:
    return venture_zone().key
