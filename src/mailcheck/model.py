"""The report model every command produces: checks grouped by obstacle.

Statuses are ordered so that the worst one wins: an obstacle's status is the worst
of its checks, and a report's the worst of its obstacles.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class Status(str, enum.Enum):
    PASS = "pass"
    INFO = "info"
    SKIP = "skip"
    WARN = "warn"
    ERROR = "error"
    FAIL = "fail"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @classmethod
    def worst(cls, statuses: Iterable[Status]) -> Status:
        """The most severe status; among the harmless ones, pass over info over skip,
        so that one skipped check does not make a passing obstacle read "skip"."""
        return max(statuses, key=lambda status: (status.severity, _TIE_RANK[status]), default=cls.PASS)


# pass, info and skip weigh the same: none of them asks the user to act.
_SEVERITY = {
    Status.PASS: 0,
    Status.INFO: 0,
    Status.SKIP: 0,
    Status.WARN: 1,
    Status.ERROR: 2,
    Status.FAIL: 3,
}


_TIE_RANK = {Status.SKIP: 0, Status.INFO: 1, Status.PASS: 2, Status.WARN: 0, Status.ERROR: 0, Status.FAIL: 0}


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    NO_VERDICT = 3
    INTERRUPTED = 130


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, on what, what was seen, and how to fix it."""

    id: str
    status: Status
    subject: str
    summary: str
    details: Mapping[str, Any] = field(default_factory=dict)
    fix: str | None = None
    refs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "status": self.status.value,
            "subject": self.subject,
            "summary": self.summary,
            "details": dict(self.details),
        }
        if self.fix:
            data["fix"] = self.fix
        if self.refs:
            data["refs"] = list(self.refs)
        return data


@dataclass(frozen=True)
class Obstacle:
    id: str
    title: str
    checks: tuple[Check, ...]

    @property
    def status(self) -> Status:
        return Status.worst(check.status for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "checks": [check.to_dict() for check in self.checks],
        }


@dataclass(frozen=True)
class DnsStats:
    queries: int
    elapsed_ms: int
    max_in_flight: int = 0


@dataclass(frozen=True)
class Report:
    command: str
    target: str
    obstacles: tuple[Obstacle, ...]
    dns: DnsStats | None = None
    # The target as the user typed it, when it differs (an IDN in Unicode).
    display_target: str | None = None
    # Extra, command-specific facts shown above the obstacles (verdicts, transcripts).
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> Status:
        return Status.worst(obstacle.status for obstacle in self.obstacles)

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(check for obstacle in self.obstacles for check in obstacle.checks)

    def to_dict(self, version: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema": REPORT_SCHEMA,
            "tool": {"name": "mailcheck", "version": version},
            "command": self.command,
            "target": self.target,
        }
        if self.display_target and self.display_target != self.target:
            data["target_unicode"] = self.display_target
        data["status"] = self.status.value
        data.update(self.extra)
        data["obstacles"] = [obstacle.to_dict() for obstacle in self.obstacles]
        if self.dns is not None:
            data["dns"] = {
                "queries": self.dns.queries,
                "elapsed_ms": self.dns.elapsed_ms,
                "max_in_flight": self.dns.max_in_flight,
            }
        return data


REPORT_SCHEMA = "mailcheck.report/1"
REPORTS_SCHEMA = "mailcheck.reports/1"


def exit_code(reports: Iterable[Report]) -> ExitCode:
    """0 when nothing failed, 1 when a check failed, 3 when only a verdict is missing."""
    worst = Status.worst(report.status for report in reports)
    if worst is Status.FAIL:
        return ExitCode.FAILED
    if worst is Status.ERROR:
        return ExitCode.NO_VERDICT
    return ExitCode.OK


def group(checks: Iterable[Check], obstacles: Iterable[tuple[str, str, tuple[str, ...]]]) -> tuple[Obstacle, ...]:
    """Sort checks into obstacles by the first part of their id.

    ``obstacles`` lists (obstacle id, title, id prefixes); an obstacle with no checks
    is left out.
    """
    checks = list(checks)
    grouped = []
    for obstacle_id, title, prefixes in obstacles:
        mine = tuple(c for c in checks if c.id.split(".", 1)[0] in prefixes)
        if mine:
            grouped.append(Obstacle(obstacle_id, title, mine))
    return tuple(grouped)
