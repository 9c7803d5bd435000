"""Counts in summaries: "1 report", "2 reports", "1,000 sessions"."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, in the plural unless the count is one (thousands separated)."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
