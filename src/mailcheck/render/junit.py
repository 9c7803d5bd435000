"""JUnit XML for CI test tabs (Jenkins, GitLab, GitHub test reporters).

The common Ant/Jenkins shape: ``<testsuites>`` holds one ``<testsuite>`` per target
and one ``<testcase>`` per check, named by check id and subject. ``fail`` becomes
``<failure>``, ``error`` (mailcheck could not tell) becomes ``<error>``, ``skip``
becomes ``<skipped>``. JUnit has no "warning": a ``warn`` check is a passed test case
whose ``<system-out>`` says WARN, unless the run fails on warnings (``--fail-on
warn``), when it becomes a ``<failure>`` so the test tab agrees with the exit code.

Every name and text passes through ``printable``: XML 1.0 has no way to write most
control characters (not even as ``&#27;``), so a record holding ESC would otherwise
make a document no CI tool can parse.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from mailcheck import __version__
from mailcheck.model import Check, Report, Status
from mailcheck.render.detail_lines import detail_lines
from mailcheck.render.safe import printable


def render_junit(reports: Sequence[Report], *, warn_fails: bool = False, version: str = __version__) -> str:
    root = ET.Element("testsuites", name="mailcheck")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for report in reports:
        suite = _suite(report, warn_fails, version)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        # Jenkins' junit-10.xsd has no "skipped" on <testsuites>: each suite carries its own.
        if key != "skipped":
            root.set(key, str(value))
    stats = reports[0].dns if reports else None
    if stats is not None:
        # One resolver serves the run: its time is the run's, not any one suite's
        # (a per-suite time would be summed by CI tools).
        root.set("time", f"{stats.elapsed_ms / 1000:.3f}")
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(report: Report, warn_fails: bool, version: str) -> ET.Element:
    suite = ET.Element("testsuite", name=printable(f"{report.command} {report.target}"))
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="mailcheck.version", value=version)
    ET.SubElement(properties, "property", name="status", value=report.status.value)
    if report.display_target and report.display_target != report.target:
        ET.SubElement(properties, "property", name="target_unicode", value=printable(report.display_target))
    for obstacle in report.obstacles:
        for check in obstacle.checks:
            counts["tests"] += 1
            case = ET.SubElement(
                suite,
                "testcase",
                name=_case_name(check, report.target),
                classname=printable(f"{report.target}.{obstacle.id}"),
                # A target's checks run at once and share their lookups, so no check has a
                # time of its own; reporters that require the attribute get 0 (the run's
                # time is on <testsuites>).
                time="0.000",
            )
            outcome = _outcome(check.status, warn_fails)
            if outcome == "failure":
                counts["failures"] += 1
                _problem(case, "failure", check)
            elif outcome == "error":
                counts["errors"] += 1
                _problem(case, "error", check)
            elif outcome == "skipped":
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=printable(check.summary))
            ET.SubElement(case, "system-out").text = _body(check)
    for key, value in counts.items():
        suite.set(key, str(value))
    return suite


def _case_name(check: Check, target: str) -> str:
    return printable(f"{check.id} [{check.subject or target}]")


def _outcome(status: Status, warn_fails: bool) -> str | None:
    if status is Status.FAIL or (status is Status.WARN and warn_fails):
        return "failure"
    if status is Status.ERROR:
        return "error"
    if status is Status.SKIP:
        return "skipped"
    return None


def _problem(case: ET.Element, tag: str, check: Check) -> None:
    element = ET.SubElement(case, tag, message=printable(check.summary), type=check.status.value)
    element.text = f"{_body(check)}\nmore: mailcheck explain {check.id}"


def _body(check: Check) -> str:
    """What a person reads in the CI test tab: the status, the summary, how to fix it."""
    lines = [f"{check.status.value.upper()}: {check.summary}"]
    lines.extend(f"  {line}" for line in detail_lines(check, verbose=False))
    if check.fix:
        lines.append(f"fix: {check.fix}")
    if check.refs:
        lines.append(f"refs: {', '.join(check.refs)}")
    return printable("\n".join(lines), keep_lines=True)
