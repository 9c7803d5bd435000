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

from mailcheck import __version__, catalogue
from mailcheck.model import Check, Report, Status
from mailcheck.render import catalogue as render_catalogue

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
            if check.id not in rules:
                rules[check.id] = _rule(check.id)
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


def _rule(check_id: str) -> dict[str, Any]:
    """A rule from the check catalogue, so code scanning shows what explain prints."""
    spec = catalogue.find(check_id)
    area = check_id.split(".", 1)[0]
    properties: dict[str, Any] = {"tags": ["email", area]}
    rule: dict[str, Any] = {
        "id": check_id,
        "name": "".join(part.capitalize() for part in check_id.replace("-", ".").split(".")),
    }
    if spec is None:  # the catalogue test keeps this from happening; stay valid if it does
        rule["shortDescription"] = {"text": check_id}
        rule["properties"] = properties
        return rule
    example = spec.example
    help_text = (
        f"{spec.verifies}\n\nWhy it matters: {spec.why}\n\nBad:\n{example.bad}\n\nFixed:\n{example.good}\n\n"
        f"{example.why}" + (f"\n\nReferences: {', '.join(spec.refs)}" if spec.refs else "")
    )
    help_markdown = render_catalogue.explain_markdown(spec)
    rule["shortDescription"] = {"text": spec.title}
    rule["fullDescription"] = {"text": spec.verifies}
    rule["help"] = {"text": help_text, "markdown": help_markdown}
    if urls := spec.ref_urls():
        rule["helpUri"] = urls[0]
    rule["properties"] = properties
    return rule


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
