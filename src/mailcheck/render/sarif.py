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
line of mailcheck.toml, or with --zone the zone file and the line of the record the check
judged (``ZoneArtifacts``), passed in ``artifacts``. Paths are relative to the repository
root (the nearest folder above the working directory holding ``.git``), named by the
``SRCROOT`` base id, so code scanning finds the file whatever folder the run started in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailcheck import __version__, catalogue
from mailcheck.model import Check, Report, Status
from mailcheck.render import catalogue as render_catalogue

if TYPE_CHECKING:
    from mailcheck.dns.zone_lines import RecordLine

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/mailcheck/mailcheck"

LEVELS = {Status.FAIL: "error", Status.WARN: "warning", Status.ERROR: "note"}
ROOT_ID = "SRCROOT"


@dataclass(frozen=True)
class Artifact:
    """Where a target is defined, for dashboards that only show results in files."""

    uri: str  # a path, relative to the working directory or absolute
    line: int = 1


@dataclass(frozen=True)
class ZoneArtifacts:
    """A target's records in the --zone files: each check points at the record it judged
    (the DMARC TXT, the MX set), or else at the zone's SOA."""

    target: str
    records: Mapping[tuple[str, str], RecordLine]

    def artifact(self, check: Check) -> Artifact | None:
        name, rdtype = judged_record(self.target, check)
        found = self.records.get((name, rdtype)) or self.records.get((self.target, "SOA"))
        return Artifact(str(found.path), found.line) if found else None


def zone_artifacts(targets: Sequence[str], zones: Sequence[str]) -> dict[str, Artifact | ZoneArtifacts]:
    """Per target, its records in the --zone files (none without --zone)."""
    if not zones:
        return {}
    from mailcheck.dns.zone_lines import record_lines

    records = record_lines(zones)
    return {target: ZoneArtifacts(target, records) for target in targets}


def judged_record(target: str, check: Check) -> tuple[str, str]:
    """The (owner, type) of the record a check is about, from its id and details."""
    area = check.id.split(".", 1)[0]
    named = check.details.get("name")
    name = named.rstrip(".").lower() if isinstance(named, str) else None
    by_area = {
        "spf": (target, "TXT"),
        "mx": (target, "MX"),
        "dmarc": (name or f"_dmarc.{target}", "TXT"),
        "dkim": (name, "TXT") if name else (target, "SOA"),
        "mta-sts": (f"_mta-sts.{target}", "TXT"),
        "tlsrpt": (f"_smtp._tls.{target}", "TXT"),
        "bimi": (name or f"default._bimi.{target}", "TXT"),
        "dane": (name or target, "TLSA"),
    }
    return by_area.get(area, (target, "SOA"))


def repository_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (the working directory) holding .git."""
    here = (start or Path.cwd()).resolve()
    return next((folder for folder in (here, *here.parents) if (folder / ".git").exists()), here)


def render_sarif(
    reports: Sequence[Report],
    *,
    artifacts: Mapping[str, Artifact | ZoneArtifacts] | None = None,
    version: str = __version__,
) -> str:
    return (
        json.dumps(sarif_document(reports, artifacts=artifacts, version=version), indent=2, ensure_ascii=False, default=str)
        + "\n"
    )


def sarif_document(
    reports: Sequence[Report],
    *,
    artifacts: Mapping[str, Artifact | ZoneArtifacts] | None = None,
    version: str = __version__,
) -> dict[str, Any]:
    artifacts = artifacts or {}
    root = repository_root()
    rules: dict[str, dict[str, Any]] = {}
    for report in reports:
        for check in report.checks:
            if check.id not in rules:
                rules[check.id] = _rule(check.id)
    index = {rule_id: position for position, rule_id in enumerate(rules)}
    results = [
        _result(report, obstacle_id, check, index[check.id], _artifact(artifacts.get(report.target), check), root)
        for report in reports
        for obstacle_id, check in ((o.id, c) for o in report.obstacles for c in o.checks)
        if check.status in LEVELS
    ]
    run: dict[str, Any] = {}
    if any("physicalLocation" in location for result in results for location in result["locations"]):
        run["originalUriBaseIds"] = {ROOT_ID: {"uri": root.as_uri() + "/"}}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                **run,
                "tool": {
                    "driver": {
                        "name": "mailcheck",
                        "version": version,
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


def _artifact(found: Artifact | ZoneArtifacts | None, check: Check) -> Artifact | None:
    return found.artifact(check) if isinstance(found, ZoneArtifacts) else found


def _relative_uri(path: str, root: Path) -> str:
    """The path from the repository root, forward slashes; as given when outside it."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:
        return resolved.as_uri()


def _result(
    report: Report, obstacle_id: str, check: Check, rule_index: int, artifact: Artifact | None, root: Path
) -> dict[str, Any]:
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
        uri = _relative_uri(artifact.uri, root)
        where = {"uri": uri} if uri.startswith("file:") else {"uri": uri, "uriBaseId": ROOT_ID}
        location["physicalLocation"] = {
            "artifactLocation": where,
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
