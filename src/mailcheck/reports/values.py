"""What every reader shares: the reason a document is not a report, text made safe to
print, and dates as ISO 8601 in UTC."""

from __future__ import annotations

import datetime as dt
import re
import time

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class NotAReport(Exception):
    """The document cannot be read as a report: exactly why, and where."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


def safe(text: str) -> str:
    """Text from a stranger, with control characters shown as escapes, never raw."""
    text = text.strip()
    if text.isprintable():  # the common case, decided in C
        return text
    if _CONTROL.search(text):
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text


def iso_from_unix(seconds: int) -> str:
    if seconds < 0:
        return _iso_z(dt.datetime.fromtimestamp(seconds, dt.UTC))
    # From 1970 on the year has four digits; gmtime's fields cost less than a datetime
    # (every aggregate report has two of these dates).
    year, month, day, hour, minute, second = time.gmtime(seconds)[:6]
    return f"{year}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"


def _iso_z(moment: dt.datetime) -> str:
    """``moment`` (UTC) as 2026-03-01T12:00:00Z. Formatted by hand: strftime costs as
    much as the rest of a small report's dates; it stays for years under 1000, which
    the C library writes unpadded."""
    if moment.year < 1000:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{moment.year}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"


def iso_from_text(text: str) -> str | None:
    """An RFC 3339 date-time (``...Z``, an offset, or none) as UTC ``...Z``."""
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return _iso_z(moment.astimezone(dt.UTC))


def iso_from_email_date(text: str) -> str | None:
    """An RFC 5322 date as UTC ``...Z``."""
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return _iso_z(moment.astimezone(dt.UTC))
