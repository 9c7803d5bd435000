"""What one check id means: the text ``mailcheck explain`` prints and SARIF rules carry."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RFC_REF = re.compile(r"^RFC (\d+)(?: §([\d.]+))?")


@dataclass(frozen=True)
class Example:
    """A record that makes the check complain, and the record that fixes it."""

    bad: str
    good: str
    # One sentence on what changed between the two.
    why: str


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    verifies: str
    why: str
    example: Example
    refs: tuple[str, ...] = ()

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]

    def ref_urls(self) -> tuple[str, ...]:
        """Links for the references that are RFC sections or already URLs."""
        return tuple(url for url in (ref_url(ref) for ref in self.refs) if url)


def ref_url(ref: str) -> str | None:
    if ref.startswith(("https://", "http://")):
        return ref
    match = _RFC_REF.match(ref)
    if not match:
        return None
    number, section = match.groups()
    url = f"https://www.rfc-editor.org/rfc/rfc{number}"
    return f"{url}#section-{section.rstrip('.')}" if section else url
