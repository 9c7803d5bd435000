"""What every reader shares: the reason a document is not a report, text made safe to
print, and dates as ISO 8601 in UTC."""

from __future__ import annotations

import datetime as dt
import re

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
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_from_text(text: str) -> str | None:
    """An RFC 3339 date-time (``...Z``, an offset, or none) as UTC ``...Z``."""
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_from_email_date(text: str) -> str | None:
    """An RFC 5322 date as UTC ``...Z``."""
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
