"""spf.* checks (being written)."""

from __future__ import annotations

from mailcheck.checks.context import DomainContext
from mailcheck.model import Check


async def check_spf(context: DomainContext) -> list[Check]:
    return []
