"""Human times for pages ("3 hours ago") with the exact time kept in a <time> element."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(moment: datetime, now: datetime | None = None) -> str:
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            if unit == "day" and count >= 30:
                return moment.astimezone(UTC).strftime("%-d %b %Y")
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"
