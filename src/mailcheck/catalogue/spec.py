"""What one check id means, and the one way to emit it.

A check is declared once, where it is emitted: a module-level ``CheckSpec`` carries the
text ``mailcheck explain`` prints and SARIF rules carry, and the emitting code builds
its results from it (``MATCH.fail(subject, summary, details=..., fix=...)``), so the id
is spelled in one place and the catalogue collects every spec it finds.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mailcheck.model import Check, Status

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
    """What one check verifies and why, declared once: the explain text and the docs come from
    it, and the check's findings are made by its methods (ok, warn, fail...)."""

    id: str
    title: str
    verifies: str
    why: str
    example: Example
    refs: tuple[str, ...] = ()

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]

    def member(self, part: str) -> CheckSpec:
        """The spec of one id of a wildcard family: ``*.lookup`` with ``spf`` is
        ``spf.lookup``, ``expect.*`` with ``dmarc.policy`` is ``expect.dmarc.policy``.
        The family's text stands for every member (explain finds it by pattern)."""
        if self.id.count("*") != 1:
            raise ValueError(f"{self.id} is not a wildcard family")
        return dataclasses.replace(self, id=self.id.replace("*", part))

    def ref_urls(self) -> tuple[str, ...]:
        """Links for the references that are RFC sections or already URLs."""
        return tuple(url for url in (ref_url(ref) for ref in self.refs) if url)

    # -- emitting ------------------------------------------------------------------

    def result(
        self,
        status: Status,
        subject: str,
        summary: str,
        *,
        details: Mapping[str, Any] | None = None,
        fix: str | None = None,
        refs: tuple[str, ...] | None = None,
        side_fact: bool = False,
    ) -> Check:
        """A finding of this check. ``refs`` defaults to the spec's own where the user
        has something to act on (warn, error, fail), and to none otherwise;
        ``side_fact`` marks a check about a side fact (model.Check.side_fact)."""
        if refs is None:
            refs = self.refs if status.severity > 0 else ()
        return Check(self.id, status, subject, summary, dict(details or {}), fix, refs, side_fact=side_fact)

    def recast(self, check: Check, **changes: Any) -> Check:
        """Another check's finding, told as this one (the FCrDNS of the sending IP is
        the MX hosts' FCrDNS check, asked of another address)."""
        return dataclasses.replace(check, id=self.id, **changes)

    def ok(self, subject: str, summary: str, **kwargs: Any) -> Check:
        return self.result(Status.PASS, subject, summary, **kwargs)

    def info(self, subject: str, summary: str, **kwargs: Any) -> Check:
        return self.result(Status.INFO, subject, summary, **kwargs)

    def skip(self, subject: str, summary: str, **kwargs: Any) -> Check:
        return self.result(Status.SKIP, subject, summary, **kwargs)

    def warn(self, subject: str, summary: str, **kwargs: Any) -> Check:
        return self.result(Status.WARN, subject, summary, **kwargs)

    def error(self, subject: str, summary: str, **kwargs: Any) -> Check:
        return self.result(Status.ERROR, subject, summary, **kwargs)

    def fail(self, subject: str, summary: str, **kwargs: Any) -> Check:
        return self.result(Status.FAIL, subject, summary, **kwargs)


def ref_url(ref: str) -> str | None:
    if ref.startswith(("https://", "http://")):
        return ref
    match = _RFC_REF.match(ref)
    if not match:
        return None
    number, section = match.groups()
    url = f"https://www.rfc-editor.org/rfc/rfc{number}"
    return f"{url}#section-{section.rstrip('.')}" if section else url
