"""Markdown for pull-request comments and GitHub step summaries ($GITHUB_STEP_SUMMARY).

A heading and one table per target; a summary table first when there are several.
Passing checks fold into a ``<details>`` block so the problems are what a reviewer sees.
"""

from __future__ import annotations

from collections.abc import Sequence

from mailcheck import __version__
from mailcheck.model import Check, Report, Status
from mailcheck.render.safe import printable

ICONS = {
    Status.PASS: "✅",
    Status.INFO: "ℹ️",
    Status.SKIP: "⏭️",
    Status.WARN: "⚠️",
    Status.ERROR: "❔",
    Status.FAIL: "❌",
}


def render_markdown(reports: Sequence[Report], *, version: str = __version__) -> str:
    parts = [f"# mailcheck {version}\n"]
    if len(reports) > 1:
        parts.append(_overview(reports))
    parts.extend(_report(report) for report in reports)
    return "\n".join(parts)


def _overview(reports: Sequence[Report]) -> str:
    rows = ["| Target | Status | Failed | Errors | Warnings |", "|---|---|---:|---:|---:|"]
    for report in reports:
        counts = {status: sum(1 for c in report.checks if c.status is status) for status in Status}
        rows.append(
            f"| {_cell(report.target)} | {_badge(report.status)} | {counts[Status.FAIL]} "
            f"| {counts[Status.ERROR]} | {counts[Status.WARN]} |"
        )
    return "\n".join(rows) + "\n"


def _report(report: Report) -> str:
    target = report.target
    if report.display_target and report.display_target != report.target:
        target = f"{report.display_target} ({report.target})"
    lines = [f"## {ICONS[report.status]} `{report.command}` {_text(target)}: {report.status.value}", ""]
    lines.append(" · ".join(f"{o.title} {_badge(o.status)}" for o in report.obstacles) or "no checks")
    lines.append("")
    attention = [c for c in report.checks if c.status.severity > 0]
    calm = [c for c in report.checks if c.status.severity == 0]
    if attention:
        lines.extend(_table(attention, report.target, with_fix=True))
        lines.append("")
    if calm:
        lines.append(f"<details><summary>{len(calm)} checks passed, informational or skipped</summary>")
        lines.append("")
        lines.extend(_table(calm, report.target, with_fix=False))
        lines.append("")
        lines.append("</details>")
        lines.append("")
    return "\n".join(lines)


def _table(rows: list[Check], target: str, *, with_fix: bool) -> list[str]:
    header = "| | Check | Subject | Summary |" + (" Fix |" if with_fix else "")
    rule = "|---|---|---|---|" + ("---|" if with_fix else "")
    out = [header, rule]
    for check in rows:
        subject = check.subject if check.subject and check.subject != target else ""
        row = f"| {ICONS[check.status]} | `{check.id}` | {_cell(subject)} | {_cell(check.summary)} |"
        if with_fix:
            row += f" {_cell(check.fix or '')} |"
        out.append(row)
    return out


def _badge(status: Status) -> str:
    return f"{ICONS[status]} {status.value}"


def _text(text: str) -> str:
    """Escape what Markdown would read as markup in free text, and show control
    characters as escapes (a PR comment is read in terminals and editors too)."""
    text = printable(text)
    for char in "\\`*_[]<>|":
        text = text.replace(char, "\\" + char)
    return text


def _cell(text: str) -> str:
    # A table cell ends at a newline or an unescaped pipe.
    return _text(" ".join(text.split()))
