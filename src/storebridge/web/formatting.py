"""Jinja2 filters of the dashboard: ages, timestamps, money and counts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from jinja2 import Environment

from storebridge.persistence.types import utcnow

__all__ = ["age", "counts_text", "install_filters", "money", "stamp"]


def age(moment: datetime | None, now: datetime | None = None) -> str:
    """ "42 s ago", "5 min ago", "3 h ago", "2 d ago", or "never"."""
    if moment is None:
        return "never"
    seconds = int(((now or utcnow()) - moment).total_seconds())
    if seconds < 0:
        return "just now"
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    if seconds < 172800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def stamp(moment: datetime | None) -> str:
    """UTC timestamp to the second, or an em dash."""
    return "\u2014" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def money(value: Decimal | None) -> str:
    """Two decimals, or an em dash."""
    return "\u2014" if value is None else f"{value:.2f}"


def counts_text(counts: Mapping[str, int] | None) -> str:
    """ "created 3, updated 12" (zeros left out)."""
    if not counts:
        return ""
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items()) if value)


def install_filters(env: Environment) -> None:
    """Register the filters on a Jinja2 environment."""
    env.filters.update(age=age, stamp=stamp, money=money, counts_text=counts_text)
