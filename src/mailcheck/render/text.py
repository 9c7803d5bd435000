"""The text report: a verdict line per target and per obstacle, a line per check."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape as escape_markup

from mailcheck.dns.resolver import QueryRecord
from mailcheck.model import Check, Report, Status
from mailcheck.render.safe import printable

SYMBOLS = {
    Status.PASS: ("✓", "green"),
    Status.INFO: ("i", "blue"),
    Status.SKIP: ("-", "dim"),
    Status.WARN: ("!", "yellow"),
    Status.ERROR: ("?", "magenta"),
    Status.FAIL: ("✗", "bold red"),
}


def escape(text: str, *, keep_lines: bool = False) -> str:
    """Text for the console: control characters shown as escapes, then rich markup escaped."""
    return escape_markup(printable(text, keep_lines=keep_lines))


def _badge(status: Status) -> str:
    symbol, style = SYMBOLS[status]
    return f"[{style}]{symbol} {status.value.upper()}[/{style}]"


def render_text(
    console: Console,
    reports: Sequence[Report],
    *,
    quiet: bool = False,
    verbose: bool = False,
    query_log: Sequence[QueryRecord] = (),
) -> None:
    for index, report in enumerate(reports):
        if index:
            console.print()
        _render_report(console, report, quiet=quiet, verbose=verbose)
    stats = reports[0].dns if reports else None
    if stats is not None and not quiet:
        # One resolver serves the whole run, so its figures are the run's, not a report's.
        console.print(
            f"[dim]DNS: {stats.queries} queries, {stats.elapsed_ms} ms, at most {stats.max_in_flight} in flight[/dim]",
            highlight=False,
        )
    worst = _most_severe_check(reports)
    if worst is not None and not quiet:
        console.print(f"[dim]What a check means and how to fix it: mailcheck explain {escape(worst.id)}[/dim]", highlight=False)
    if verbose and query_log:
        console.print()
        console.print(f"[bold]DNS queries ({len(query_log)})[/bold]")
        for record in sorted(query_log, key=lambda r: r.started_ms):
            console.print(
                f"  {record.started_ms:8.1f} ms  +{record.elapsed_ms:6.1f} ms  "
                f"{escape(record.name)} {record.rdtype} -> {record.outcome} @ {escape(record.server)}",
                soft_wrap=True,
                highlight=False,
            )


def _most_severe_check(reports: Sequence[Report]) -> Check | None:
    """The first of the worst checks that ask the user to act, to name in the hint."""
    asking = [check for report in reports for check in report.checks if check.status.severity > 0]
    return max(asking, key=lambda check: check.status.severity, default=None)


def _render_report(console: Console, report: Report, *, quiet: bool, verbose: bool) -> None:
    target = report.target
    if report.display_target and report.display_target != report.target:
        target = f"{report.display_target} ({report.target})"
    console.print(f"[bold]{escape(target)}[/bold]  {_badge(report.status)}", highlight=False)
    render_unmade(console, report)
    for obstacle in report.obstacles:
        if quiet and obstacle.status.severity == 0:
            continue
        console.print(f"  [bold]{escape(obstacle.title)}[/bold]  {_badge(obstacle.status)}", highlight=False)
        for check in obstacle.checks:
            if quiet and check.status.severity == 0:
                continue
            _render_check(console, check, report.target, verbose=verbose)


def render_unmade(console: Console, report: Report) -> None:
    """Side facts that could not be checked, said before anything else: the verdict
    below stands without them, and the reader should know what it stands on."""
    unmade = report.unmade
    if not unmade:
        return
    symbol, style = SYMBOLS[Status.ERROR]
    noun = "check" if len(unmade) == 1 else "checks"
    console.print(f"  [{style}]{len(unmade)} {noun} could not be made:[/{style}]", highlight=False)
    for check in unmade:
        subject = f" [{check.subject}]" if check.subject and check.subject != report.target else ""
        console.print(
            f"    [{style}]{symbol}[/{style}] {escape(check.id + subject)}: {escape(check.summary)}",
            soft_wrap=True,
            highlight=False,
        )


def _render_check(console: Console, check: Check, target: str, *, verbose: bool) -> None:
    symbol, style = SYMBOLS[check.status]
    # Per-item checks (an MX host, a selector, an address) name their item; a check
    # about the report's own target does not repeat it.
    subject = f" [dim]\\[{escape(check.subject)}][/dim]" if check.subject and check.subject != target else ""
    console.print(
        f"    [{style}]{symbol}[/{style}] {escape(check.id)}{subject}  {escape(check.summary)}",
        soft_wrap=True,
        highlight=False,
    )
    for line in check.details.get("lines", ()) if isinstance(check.details.get("lines"), (list, tuple)) else ():
        console.print(f"        {escape(str(line))}", soft_wrap=True, highlight=False)
    if check.fix and check.status.severity > 0:
        console.print(f"        [cyan]fix:[/cyan] {escape(check.fix, keep_lines=True)}", soft_wrap=True, highlight=False)
    if verbose:
        # "lines" are printed above; a transcript is among them when there is one.
        details = {k: v for k, v in check.details.items() if k not in ("lines", "transcript")}
        if details:
            text = json.dumps(details, ensure_ascii=False, default=str)
            console.print(f"        [dim]{escape(text)}[/dim]", soft_wrap=True, highlight=False)
        if check.refs:
            console.print(f"        [dim]refs: {escape(', '.join(check.refs))}[/dim]", soft_wrap=True, highlight=False)
