"""The JSON report (design.md, "Report contract"): one document on stdout."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mailcheck import __version__
from mailcheck.model import REPORTS_SCHEMA, Report


def report_document(reports: Sequence[Report], *, version: str = __version__) -> dict[str, Any]:
    """The document for REPORTS, naming VERSION as the tool's (a test passes a fixed one)."""
    if len(reports) == 1:
        return reports[0].to_dict(version)
    return {
        "schema": REPORTS_SCHEMA,
        "tool": {"name": "mailcheck", "version": version},
        "reports": [report.to_dict(version) for report in reports],
    }


def render_json(reports: Sequence[Report], *, version: str = __version__) -> str:
    return json.dumps(report_document(reports, version=version), indent=2, ensure_ascii=False, default=str)
