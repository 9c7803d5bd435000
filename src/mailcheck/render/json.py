"""The JSON report (design.md, "Report contract"): one document on stdout."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mailcheck import __version__
from mailcheck.model import REPORTS_SCHEMA, Report


def report_document(reports: Sequence[Report]) -> dict[str, Any]:
    if len(reports) == 1:
        return reports[0].to_dict(__version__)
    return {
        "schema": REPORTS_SCHEMA,
        "tool": {"name": "mailcheck", "version": __version__},
        "reports": [report.to_dict(__version__) for report in reports],
    }


def render_json(reports: Sequence[Report]) -> str:
    return json.dumps(report_document(reports), indent=2, ensure_ascii=False, default=str)
