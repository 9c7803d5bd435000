"""Checks: one module per area, each an async function (context) -> list[Check]."""
