"""dmarc.* checks (being written)."""

from __future__ import annotations

from mailcheck.checks.context import DomainContext
from mailcheck.model import Check


async def check_dmarc(context: DomainContext) -> list[Check]:
    return []
