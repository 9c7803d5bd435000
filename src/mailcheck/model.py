"""The report model every command produces: checks grouped by obstacle.

Statuses are ordered so that the worst one wins: an obstacle's status is the worst
of its checks, and a report's the worst of its obstacles.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload, runtime_checkable

if TYPE_CHECKING:
    from mailcheck.dns.resolver import QueryRecord

T = TypeVar("T")


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
        # A plain loop, not max(key=...): it runs for every obstacle and report of a
        # run, over two or three statuses, where max's key calls cost more than the rest.
        worst, worst_rank = cls.PASS, -1
        for status in statuses:
            rank = _RANK[status]
            if rank > worst_rank:
                worst, worst_rank = status, rank
        return worst


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
# (severity, tie rank) folded into one number, so worst() compares ints: it runs for
# every obstacle and report of a run.
_RANK = {status: _SEVERITY[status] * 3 + _TIE_RANK[status] for status in Status}


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    NO_VERDICT = 3
    INTERRUPTED = 130


class _cached(Generic[T]):  # noqa: N801  (used as a decorator, like the property it replaces)
    """functools.cached_property without its lock: Python 3.11's takes an RLock on the
    first read of every instance (3.12 dropped it), and a run makes an obstacle and a
    report for every document it reads. Like it, the value goes into the instance's
    __dict__, which shadows this descriptor from then on (frozen dataclasses allow it:
    only setattr is refused)."""

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> _cached[T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> T | _cached[T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


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
    # A fact beside the report's question (the PTR of one MX address, one blocklist
    # among several that answered): when it could not be made, the report lists it
    # first and still reaches its verdict. Only its "error" is discounted, never a "fail".
    side_fact: bool = False

    @property
    def unmade_side_fact(self) -> bool:
        return self.side_fact and self.status is Status.ERROR

    @property
    def weight(self) -> Status:
        """The status this check gives its obstacle and report: a side fact that could
        not be made asks for attention (warn), but does not take the verdict away."""
        return Status.WARN if self.unmade_side_fact else self.status

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
        if self.side_fact:
            data["side_fact"] = True
        return data


@dataclass(frozen=True)
class Obstacle:
    """One obstacle between send and inbox (authentication, transport...) and its checks."""

    id: str
    title: str
    checks: tuple[Check, ...]

    # Cached: the fields are frozen, and the run loop, the exit code and every renderer
    # ask for the status of each obstacle and report again.
    @_cached
    def status(self) -> Status:
        return Status.worst(check.weight for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "checks": [check.to_dict() for check in self.checks],
        }


@dataclass(frozen=True)
class DnsStats:
    """How much DNS a report took: queries asked, time spent, most at once."""

    queries: int
    elapsed_ms: int
    max_in_flight: int = 0


@dataclass(frozen=True)
class Report:
    """Everything one command found about one target, checks grouped by obstacle."""

    command: str
    target: str
    obstacles: tuple[Obstacle, ...]
    dns: DnsStats | None = None
    # The target as the user typed it, when it differs (an IDN in Unicode).
    display_target: str | None = None
    # Extra, command-specific facts shown above the obstacles (verdicts, transcripts).
    extra: Mapping[str, Any] = field(default_factory=dict)
    # The id of the check that answers the command's question, when one does
    # (probe: acceptance.verdict): the exit code then follows that check alone.
    verdict_check: str | None = None

    @_cached
    def status(self) -> Status:
        return Status.worst(obstacle.status for obstacle in self.obstacles)

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(check for obstacle in self.obstacles for check in obstacle.checks)

    @property
    def unmade(self) -> tuple[Check, ...]:
        """The side facts that could not be checked, for the report to say first."""
        return tuple(check for check in self.checks if check.unmade_side_fact)

    @property
    def outcome(self) -> Status:
        """What the exit code reads: the verdict check's status where the command has
        one, else the report's status (in which unmade side facts weigh as warnings)."""
        if self.verdict_check is not None:
            deciding = [check.status for check in self.checks if check.id == self.verdict_check]
            if deciding:
                return Status.worst(deciding)
        return self.status

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


def exit_code(reports: Iterable[Report], fail_on: Status | None = None) -> ExitCode:
    """The run's exit code from its reports' outcomes: 1 when one failed, else 3 when one
    reached no verdict, else 0. A side fact that could not be made is no missing verdict.

    ``fail_on`` (a strict CI gate) is different: 1 when any check at all, side facts
    included, is at least that bad, else 0.
    """
    reports = list(reports)
    worst_check = Status.PASS
    if fail_on is not None:  # only the gate reads every check; a stream asks this of each report
        worst_check = Status.worst(check.status for report in reports for check in report.checks)
    return exit_code_of(Status.worst(report.outcome for report in reports), worst_check, fail_on)


def exit_code_of(worst: Status, worst_check: Status, fail_on: Status | None = None) -> ExitCode:
    """exit_code's rule from the worst outcome and the worst check alone (what a
    bulk run keeps instead of its reports)."""
    if fail_on is not None:
        return ExitCode.FAILED if worst_check.severity >= fail_on.severity else ExitCode.OK
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
    obstacles = list(obstacles)
    # One pass over the checks: each prefix names the obstacles that list it.
    owners: dict[str, list[int]] = {}
    for index, (_, _, prefixes) in enumerate(obstacles):
        for prefix in dict.fromkeys(prefixes):
            owners.setdefault(prefix, []).append(index)
    mine: list[list[Check]] = [[] for _ in obstacles]
    for check in checks:
        for index in owners.get(check.id.split(".", 1)[0], ()):
            mine[index].append(check)
    return tuple(
        Obstacle(obstacle_id, title, tuple(found))
        for (obstacle_id, title, _), found in zip(obstacles, mine, strict=True)
        if found
    )


@runtime_checkable
class SplitReportHandler(Protocol):
    """An ``on_report`` in two halves, for a run over worker processes that keeps no
    report: ``digest(report)`` runs where the report was made and returns what crosses
    the pipe (a rendered line, much less to pickle than the report's objects);
    ``take(digest)`` runs in the run's own process, in completion order. Called as
    ``on_report(report)``, it does both."""

    def __call__(self, report: Report) -> None: ...

    def digest(self, report: Report) -> Any: ...

    def take(self, digest: Any) -> None: ...


@dataclass
class RunOutcome(Generic[T]):
    """What a run leaves: the reports it kept (in input order), the worst status over
    every report (kept or not) and how many there were, and the DNS figures."""

    reports: list[Report] = field(default_factory=list)
    worst: Status = Status.PASS
    count: int = 0
    dns: DnsStats | None = None
    log: list[QueryRecord] = field(default_factory=list)
