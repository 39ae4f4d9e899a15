"""Jinja2 filters of the dashboard: ages, due times, timestamps, money and counts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from jinja2 import Environment

from storebridge.persistence.types import utcnow

__all__ = ["age", "counts_text", "due_in", "install_filters", "money", "stamp"]


def _span(seconds: int) -> str:
    """ "42 s", "5 min", "3 h" or "2 d"."""
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def age(moment: datetime | None, now: datetime | None = None) -> str:
    """ "42 s ago", "5 min ago", "3 h ago", "2 d ago", or "never"."""
    if moment is None:
        return "never"
    seconds = int(((now or utcnow()) - moment).total_seconds())
    if seconds < 0:
        return "just now"
    return f"{_span(seconds)} ago"


def due_in(moment: datetime | None, now: datetime | None = None) -> str:
    """ "in 42 s", "in 5 min"..., or "now" once `moment` has come (or is unknown)."""
    if moment is None:
        return "now"
    seconds = int((moment - (now or utcnow())).total_seconds())
    return "now" if seconds <= 0 else f"in {_span(seconds)}"


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
    env.filters.update(age=age, due_in=due_in, stamp=stamp, money=money, counts_text=counts_text)
