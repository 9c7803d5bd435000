"""The closing table of a bulk run: how many targets ended in each status, and the
checks that fail most often across them (what to fix first)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailcheck.model import Report, Status
from mailcheck.render.safe import printable

if TYPE_CHECKING:
    from rich.console import Console

TOP = 10


@dataclass(frozen=True)
class RunSummary:
    targets: int
    by_status: dict[Status, int]  # targets by their report's status
    # (check id, fail count, error count, warn count), worst first
    problems: list[tuple[str, int, int, int]]


@dataclass(frozen=True)
class Counted:
    """What a Tally counts of one report: small enough to cross from a worker process
    in place of the report."""

    status: Status
    outcome: Status
    worst_check: Status
    problems: tuple[tuple[str, Status], ...]  # (check id, status) of each check worse than pass

    @classmethod
    def of(cls, report: Report) -> Counted:
        checks = report.checks
        return cls(
            status=report.status,
            outcome=report.outcome,
            worst_check=Status.worst(check.status for check in checks),
            problems=tuple((check.id, check.status) for check in checks if check.status.severity > 0),
        )


class Tally:
    """The counts a summary needs, added to report by report: a bulk run keeps this,
    not its reports, so its memory does not grow with the list."""

    def __init__(self) -> None:
        self.targets = 0
        self.by_status: Counter[Status] = Counter()
        self.by_check: dict[str, Counter[Status]] = {}
        self.worst_outcome = Status.PASS  # what exit_code's rule reads
        self.worst_check = Status.PASS  # what --fail-on reads

    def add(self, report: Report) -> None:
        self.add_counted(Counted.of(report))

    def add_counted(self, counted: Counted) -> None:
        self.targets += 1
        self.by_status[counted.status] += 1
        self.worst_outcome = Status.worst((self.worst_outcome, counted.outcome))
        self.worst_check = Status.worst((self.worst_check, counted.worst_check))
        for check_id, status in counted.problems:
            self.by_check.setdefault(check_id, Counter())[status] += 1

    def summary(self, top: int = TOP) -> RunSummary:
        problems = sorted(
            ((cid, t[Status.FAIL], t[Status.ERROR], t[Status.WARN]) for cid, t in self.by_check.items()),
            key=lambda row: (-row[1], -row[2], -row[3], row[0]),
        )
        return RunSummary(self.targets, {s: self.by_status.get(s, 0) for s in Status}, problems[:top])


def summarise(reports: Iterable[Report], top: int = TOP) -> RunSummary:
    tally = Tally()
    for report in reports:
        tally.add(report)
    return tally.summary(top)


def render_summary(console: Console, reports: Iterable[Report] | Tally) -> None:
    from rich.markup import escape
    from rich.table import Table

    summary = reports.summary() if isinstance(reports, Tally) else summarise(reports)
    statuses = Table(title=f"{summary.targets} targets checked", title_justify="left", box=None, pad_edge=False)
    statuses.add_column("status")
    statuses.add_column("targets", justify="right")
    for status in (Status.FAIL, Status.ERROR, Status.WARN, Status.PASS, Status.INFO, Status.SKIP):
        if summary.by_status[status] or status in (Status.FAIL, Status.PASS):
            statuses.add_row(status.value, str(summary.by_status[status]))
    console.print()
    console.print(statuses)
    if summary.problems:
        problems = Table(title="Checks that fail most often", title_justify="left", box=None, pad_edge=False)
        for name in ("check", "fail", "error", "warn"):
            problems.add_column(name, justify="left" if name == "check" else "right")
        for check_id, fails, errors, warns in summary.problems:
            problems.add_row(escape(printable(check_id)), str(fails), str(errors), str(warns))
        console.print()
        console.print(problems)
