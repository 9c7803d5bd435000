"""SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, GitLab, IDEs).

One run, one rule per check id seen in the reports, one result per check that asks
for attention. Levels:

- ``fail`` -> ``error``: the mail will be rejected, bounced or spoofable;
- ``warn`` -> ``warning``: works today, but a receiver may penalise it;
- ``error`` -> ``note``: mailcheck could not tell (timeout, SERVFAIL); that is not a
  defect of the domain, so it must not look like one on a dashboard.

``pass``, ``info`` and ``skip`` produce no result: SARIF lists findings, not tests.

Every result has a logical location naming the target and the check's subject (the
MX host, the DKIM selector...). Dashboards that need a file (GitHub code scanning does)
get a physical location too when the caller knows which file defines the target: the
zone file or the line of mailcheck.toml, passed in ``artifacts``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mailcheck import __version__
from mailcheck.model import Check, Report, Status

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/mailcheck/mailcheck"

LEVELS = {Status.FAIL: "error", Status.WARN: "warning", Status.ERROR: "note"}


@dataclass(frozen=True)
class Artifact:
    """Where a target is defined, for dashboards that only show results in files."""

    uri: str  # relative to the repository root, forward slashes
    line: int = 1


def render_sarif(reports: Sequence[Report], *, artifacts: Mapping[str, Artifact] | None = None) -> str:
    return json.dumps(sarif_document(reports, artifacts=artifacts), indent=2, ensure_ascii=False, default=str) + "\n"


def sarif_document(reports: Sequence[Report], *, artifacts: Mapping[str, Artifact] | None = None) -> dict[str, Any]:
    artifacts = artifacts or {}
    rules: dict[str, dict[str, Any]] = {}
    for report in reports:
        for check in report.checks:
            rule = rules.setdefault(check.id, _rule(check))
            # The help text comes from the first check of the id that says how to fix it.
            if check.fix and "fix" not in rule["properties"]:
                rules[check.id] = _rule(check)
    index = {rule_id: position for position, rule_id in enumerate(rules)}
    results = [
        _result(report, obstacle_id, check, index[check.id], artifacts.get(report.target))
        for report in reports
        for obstacle_id, check in ((o.id, c) for o in report.obstacles for c in o.checks)
        if check.status in LEVELS
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mailcheck",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def _rule(check: Check) -> dict[str, Any]:
    area = check.id.split(".", 1)[0]
    what = f"mailcheck check {check.id} ({area} area)"
    help_lines = [what + "."]
    if check.fix:
        help_lines.append(f"Fix: {check.fix}")
    if check.refs:
        help_lines.append(f"References: {', '.join(check.refs)}")
    help_text = "\n".join(help_lines)
    properties: dict[str, Any] = {"tags": ["email", area]}
    if check.fix:
        properties["fix"] = check.fix
    return {
        "id": check.id,
        "name": "".join(part.capitalize() for part in check.id.replace("-", ".").split(".")),
        "shortDescription": {"text": check.id},
        "fullDescription": {"text": what},
        "help": {"text": help_text, "markdown": help_text.replace("\n", "  \n")},
        "properties": properties,
    }


def _result(report: Report, obstacle_id: str, check: Check, rule_index: int, artifact: Artifact | None) -> dict[str, Any]:
    subject = check.subject or report.target
    text = check.summary if subject == report.target else f"{subject}: {check.summary}"
    if check.fix:
        text += f" Fix: {check.fix}"
    location: dict[str, Any] = {
        "logicalLocations": [
            {"name": subject, "fullyQualifiedName": f"{report.target}/{obstacle_id}/{subject}", "kind": "resource"}
        ],
        "message": {"text": f"{report.command} {report.target}"},
    }
    if artifact is not None:
        # An expectation names its own line of the config; other checks point at the
        # line that declares their target.
        line = check.details.get("config_line")
        location["physicalLocation"] = {
            "artifactLocation": {"uri": artifact.uri},
            "region": {"startLine": line if isinstance(line, int) and line > 0 else artifact.line},
        }
    return {
        "ruleId": check.id,
        "ruleIndex": rule_index,
        "level": LEVELS[check.status],
        "message": {"text": text},
        "locations": [location],
        # Same check on the same subject of the same target: one alert across runs.
        "partialFingerprints": {"mailcheck/v1": f"{report.command}/{report.target}/{check.id}/{subject}"},
        "properties": {"status": check.status.value, "target": report.target, "obstacle": obstacle_id},
    }
