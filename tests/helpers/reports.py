"""Reading a JSON report: validated against the published schema, one check picked out."""

from __future__ import annotations

import json
from typing import Any

from tests.helpers.paths import ROOT


def validate_report(document: Any) -> None:
    import jsonschema

    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text())
    jsonschema.validate(document, schema)


def checks_by_id(report: dict, check_id: str) -> list[dict]:
    return [c for o in report["obstacles"] for c in o["checks"] if c["id"] == check_id]


def one_check(report: dict, check_id: str, subject: str | None = None) -> dict:
    found = [c for c in checks_by_id(report, check_id) if subject is None or c["subject"] == subject]
    assert len(found) == 1, f"expected one {check_id} check for {subject}, got {found}"
    return found[0]


def mentions(text: str, *values: object) -> bool:
    """Whether TEXT names each of VALUES, in this order: the numbers, names and replies
    a user reads in a summary, whatever the sentence around them says."""
    position = 0
    for value in values:
        found = text.find(str(value), position)
        if found < 0:
            return False
        position = found + len(str(value))
    return True
