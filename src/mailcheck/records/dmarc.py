"""DMARC records read the forgiving way receivers read them (RFC 7489 §6.3).

checkdmarc judges a record strictly; the checks also need the tags as written (pct=,
which checkdmarc no longer keeps, and the policy BIMI looks at), even in a record
checkdmarc rejects.
"""

from __future__ import annotations


def record_tags(text: str) -> dict[str, str]:
    """Tag names (lower-cased) and values as written; the first of a repeated tag wins,
    and parts without ``=`` are skipped, as a receiver skips what it cannot read."""
    tags: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if sep and name.strip():
            tags.setdefault(name.strip().lower(), value.strip())
    return tags
