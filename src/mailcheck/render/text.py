"""The text report, answer first: the verdict, then the problems with their fixes,
then the obstacles with their checks (passes folded to one line unless -v).

On a terminal (or with a width given: COLUMNS, ``Console(width=...)``) lines are wrapped
at word boundaries with a hanging indent; written to a pipe or a file they stay whole,
so that grep finds a check on one line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape as escape_markup
from rich.text import Text

from mailcheck.dns.resolver import QueryRecord
from mailcheck.model import Check, Report, Status
from mailcheck.render.detail_lines import detail_lines
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


# The closing hint names this many checks to explain, then "…and N more".
HINTED_CHECKS = 5


def render_text(
    console: Console,
    reports: Sequence[Report],
    *,
    quiet: bool = False,
    verbose: bool = False,
    query_log: Sequence[QueryRecord] = (),
) -> None:
    out = _Printer(console)
    for index, report in enumerate(reports):
        if index:
            console.print()
        _render_report(out, report, quiet=quiet, verbose=verbose)
    stats = reports[0].dns if reports else None
    if stats is not None and not quiet:
        # One resolver serves the whole run, so its figures are the run's, not a report's.
        out.line("", f"[dim]DNS: {stats.queries} queries, {stats.elapsed_ms} ms, at most {stats.max_in_flight} in flight[/dim]")
    hint = _explain_hint(reports)
    if hint and not quiet:
        out.line("", f"[dim]{hint}[/dim]")
    if verbose and query_log:
        console.print()
        console.print(f"[bold]DNS queries ({len(query_log)})[/bold]")
        for record in sorted(query_log, key=lambda r: r.started_ms):
            out.line(
                "  ",
                f"{record.started_ms:8.1f} ms  +{record.elapsed_ms:6.1f} ms  "
                f"{escape(record.name)} {record.rdtype} -> {record.outcome} @ {escape(record.server)}",
            )


class _Printer:
    """Prints a lead (indent, symbol) and a body; where the report is wrapped, the body's
    continuation lines hang under its first character."""

    def __init__(self, console: Console) -> None:
        self.console = console
        # rich keeps an explicit width (the width argument or COLUMNS) apart from the
        # terminal's measured one; either means the reader has a width to fit.
        explicit = getattr(console, "_width", None) is not None
        self.width: int | None = console.width if console.is_terminal or explicit else None

    def line(self, lead: str, body: str) -> None:
        lead_text = Text.from_markup(lead)
        text = Text.from_markup(body)
        # A body's own indentation (an include tree) belongs to its hang.
        plain = text.plain
        spaces = len(plain) - len(plain.lstrip(" "))
        if spaces:
            lead_text.append(" " * spaces)
            text = text[spaces:]
        if self.width is None:
            self.console.print(lead_text + text, soft_wrap=True, highlight=False)
            return
        hang = lead_text.cell_len
        room = max(self.width - hang, 20)
        for number, piece in enumerate(text.wrap(self.console, room, overflow="fold")):
            piece.rstrip()
            start = lead_text if number == 0 else Text(" " * hang)
            self.console.print(start + piece, soft_wrap=True, highlight=False)


def _explain_hint(reports: Sequence[Report]) -> str | None:
    """Every check of the worst status that asks the user to act, to look up."""
    asking = [check for report in reports for check in report.checks if check.status.severity > 0]
    if not asking:
        return None
    worst = max(check.status.severity for check in asking)
    ids = list(dict.fromkeys(check.id for check in asking if check.status.severity == worst))
    shown = ", ".join(escape(i) for i in ids[:HINTED_CHECKS])
    more = f" …and {len(ids) - HINTED_CHECKS} more" if len(ids) > HINTED_CHECKS else ""
    if len(ids) == 1:
        return f"What a check means and how to fix it: mailcheck explain {shown}"
    return f"What a check means and how to fix it: mailcheck explain ID, for {shown}{more}"


def _problems(report: Report) -> list[Check]:
    """Fails, then errors, then warnings, each group in report order; the side facts that
    could not be made are told above, by render_unmade."""
    unmade = set(map(id, report.unmade))
    found = [c for c in report.checks if c.status.severity > 0 and id(c) not in unmade]
    return sorted(found, key=lambda check: -check.status.severity)


def _render_report(out: _Printer, report: Report, *, quiet: bool, verbose: bool) -> None:
    target = report.target
    if report.display_target and report.display_target != report.target:
        target = f"{report.display_target} ({report.target})"
    out.line("", f"[bold]{escape(target)}[/bold]  {_badge(report.status)}")
    render_unmade(out.console, report, out)
    # The report's one question (probe: is the address deliverable) is answered first.
    answers = [c for c in report.checks if c.id == report.verdict_check and c.status.severity == 0]
    for check in answers:
        _render_check(out, check, report.target, verbose=verbose, quiet=quiet, with_fix=False)
    problems = _problems(report)
    if problems:
        out.line("  ", f"[bold]Problems ({len(problems)})[/bold]")
        for check in problems:
            _render_check(out, check, report.target, verbose=verbose, quiet=quiet, with_fix=True)
    if quiet:
        return
    told = set(map(id, [*answers, *problems, *report.unmade]))
    for obstacle in report.obstacles:
        # Problems and answers are told above, in full: the obstacle counts them.
        above = sum(1 for c in obstacle.checks if id(c) in told)
        where = f"  [dim]({above} above)[/dim]" if above else ""
        out.line("  ", f"[bold]{escape(obstacle.title)}[/bold]  {_badge(obstacle.status)}{where}")
        rest = [c for c in obstacle.checks if id(c) not in told]
        passed = [c for c in rest if c.status is Status.PASS]
        for check in rest:
            if check.status is Status.PASS and not verbose:
                continue
            _render_check(out, check, report.target, verbose=verbose, quiet=quiet, with_fix=False)
        if passed and not verbose:
            symbol, style = SYMBOLS[Status.PASS]
            names = ", ".join(_folded(passed, report.target))
            out.line(f"    [{style}]{symbol}[/{style}] ", f"{len(passed)} passed: {names}")


def _folded(passed: Sequence[Check], target: str) -> list[str]:
    """One name per check id: per-item passes (six blocklists) counted, not listed."""
    by_id: dict[str, list[Check]] = {}
    for check in passed:
        by_id.setdefault(check.id, []).append(check)
    return [_label(group[0], target) if len(group) == 1 else f"{escape(key)} ×{len(group)}" for key, group in by_id.items()]


def _label(check: Check, target: str) -> str:
    # Per-item checks (an MX host, a selector, an address) name their item; a check
    # about the report's own target does not repeat it.
    subject = f" [dim]\\[{escape(check.subject)}][/dim]" if check.subject and check.subject != target else ""
    return f"{escape(check.id)}{subject}"


def render_unmade(console: Console, report: Report, out: _Printer | None = None) -> None:
    """Side facts that could not be checked, said before anything else: the verdict
    below stands without them, and the reader should know what it stands on."""
    unmade = report.unmade
    if not unmade:
        return
    out = out or _Printer(console)
    symbol, style = SYMBOLS[Status.ERROR]
    noun = "check" if len(unmade) == 1 else "checks"
    out.line("  ", f"[{style}]{len(unmade)} {noun} could not be made:[/{style}]")
    for check in unmade:
        subject = f" [{check.subject}]" if check.subject and check.subject != report.target else ""
        out.line(f"    [{style}]{symbol}[/{style}] ", f"{escape(check.id + subject)}: {escape(check.summary)}")


def _render_check(
    out: _Printer,
    check: Check,
    target: str,
    *,
    verbose: bool,
    quiet: bool,
    with_fix: bool,
) -> None:
    symbol, style = SYMBOLS[check.status]
    out.line(f"    [{style}]{symbol}[/{style}] ", f"{_label(check, target)}  {escape(check.summary)}")
    # Lists (the probed selectors, a whole policy) are for -v; -q keeps to the summary and fix.
    if not quiet:
        for line in detail_lines(check, verbose=verbose):
            out.line("        ", escape(line))
    if with_fix and check.fix and check.status.severity > 0:
        out.line("        [cyan]fix:[/cyan] ", escape(check.fix, keep_lines=True))
    if verbose:
        details = {k: v for k, v in check.details.items() if k != "transcript"}
        if details:
            out.line("        ", f"[dim]{escape(json.dumps(details, ensure_ascii=False, default=str))}[/dim]")
        if check.refs:
            out.line("        ", f"[dim]refs: {escape(', '.join(check.refs))}[/dim]")
