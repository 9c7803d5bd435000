"""The one run loop every command plugs into.

A command supplies only how to check one target (``TargetCheck``); the loop does the
rest the same way for all of them: serve ``--zone`` files, build the run's resolver
(or none, for a command that needs no DNS), run the targets with a cap on how many are
in flight, turn a crash into that target's error report, hand each report over as it
completes (so JSON Lines stream), and attach the run's DNS figures.

Targets may come from a lazy iterable (an mbox of 100,000 messages): the loop pulls the
next one only when a place is free, so memory is bounded by the cap, not the input.
"""

from __future__ import annotations

import dataclasses
import enum
import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.errors import BadInput
from mailcheck.model import DnsStats, Obstacle, Report, RunOutcome, Status
from mailcheck.runtime import NetworkOptions, ZoneEndpoint, run_dns, serving_zones

# asyncio, the resolver and dnspython load only for a run with something to wait for:
# targets checked at once without DNS (``mailcheck report --no-dns``, ImmediateCheck)
# need none of them, and importing them is a good part of such a run's start-up.
if TYPE_CHECKING:
    import asyncio

    from mailcheck.dns.library import LibraryResolver
    from mailcheck.dns.resolver import QueryRecord, Resolver

CRASH = CheckSpec(
    id="run.crash",
    title="A domain's whole run crashed",
    verifies=(
        "In a bulk run (--from-file), one domain whose run failed outright gets this error "
        "check, carrying the exception's message, and the run goes on with the next domain."
    ),
    why="One broken domain must not cost a CI job the verdicts on the other thousand.",
    example=Example(
        bad="broken.example  run.crash  error  RuntimeError: ...",
        good="broken.example  dns.exists  pass  ...",
        why="Run `mailcheck domain` on that one domain to see the failure on its own.",
    ),
    refs=("https://github.com/mailcheck/mailcheck/issues",),
)

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)

DEFAULT_CONCURRENCY = 20
# A bulk list's default (``mailcheck domain --from-file``). A domain waits on a chain
# of dependent lookups, about seven round trips: 0.35 s at 50 ms, more when the
# resolver has to recurse, and more again on a busy machine. By Little's law 100
# domains a second need 35 to 100 of them in flight, whatever the CPU allows; 20
# capped a run at 12 to 30 domains a second.
BULK_CONCURRENCY = 100
# What a bulk run's domains may have in flight at once, all of them together (per
# worker process): a hundred domains starting their DKIM probes (51 queries each)
# would otherwise put thousands of queries on the resolver within milliseconds. 100
# domains a second at 70 queries each and 50 ms keep about 350 in flight across the
# run, so the cap holds back only the bursts.
BULK_MAX_IN_FLIGHT = 512
# How many objects a bulk run's worker process allocates (net) between two collections
# of its young objects; Python's default is 700. A domain leaves no cyclic garbage (the
# resolver keeps no tracebacks, see Resolver._settled), so such a collection frees
# nothing: it only walks the objects of the domains in flight, and at 700 that took
# about a seventh of a worker's CPU. (While every domain's resolver was a cycle, a
# higher threshold let the RSS grow by 40 to 50 % over 10,000 reports.)
BULK_YOUNG_COLLECTION = 10_000


class DnsScope(enum.Enum):
    """How targets share DNS: not at all, one resolver for the run (its cache serves
    every target), or one resolver a target with a bounded shared cache (bulk runs,
    so memory stays flat however long the input is)."""

    NONE = "none"
    RUN = "run"
    TARGET = "target"


@dataclass(frozen=True)
class Env:
    """What checking one target may use. ``resolver`` is None under ``DnsScope.NONE``."""

    resolver: Resolver | None
    library: LibraryResolver | None
    timeout: float


class TargetCheck(Protocol[T_contra]):
    """How a command checks one target; everything around it is the run loop's."""

    command: str

    def label(self, target: T_contra) -> str:
        """The target as reports name it (also the subject of a crash report)."""
        ...

    async def check(self, target: T_contra, env: Env) -> Report: ...


@runtime_checkable
class ImmediateCheck(TargetCheck[T_contra], Protocol[T_contra]):
    """A TargetCheck that can also check a target at once, with nothing to wait for
    (no DNS: a document read and judged). Under ``DnsScope.NONE`` the loop then checks
    the targets one after another in this thread, without an event loop and a task a
    target, which cost more than reading most documents."""

    def check_now(self, target: T_contra) -> Report: ...


def run_targets(
    checker: TargetCheck[T],
    targets: Iterable[T],
    network: NetworkOptions,
    *,
    scope: DnsScope = DnsScope.RUN,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_report: Callable[[Report], None] | None = None,
    keep: bool = True,
    workers: int = 1,
    keep_log: bool = True,
    route: Callable[[T], str] | None = None,
) -> RunOutcome[T]:
    """Check every target, at most ``concurrency`` at once.

    ``on_report`` sees each report as it completes (completion order); ``keep=False``
    keeps none of them (a streamed run whose output needs no whole document).
    ``workers > 1`` spreads the targets over that many processes, each running this
    loop with its part of ``concurrency`` (see mailcheck.workers); under
    ``DnsScope.RUN`` each process has its own resolver, and ``route(target)`` (a key,
    such as a message's domain) sends a key's targets to the same process while it
    keeps up, so they share its cache. ``keep_log=False`` drops the per-query log,
    which a long bulk run would otherwise hold until its end. An ``on_report`` that
    is a mailcheck.model.SplitReportHandler has its ``digest`` run in the workers when ``keep`` is
    False.
    """
    if scope is DnsScope.NONE and isinstance(checker, ImmediateCheck):
        return _run_in_order(checker, targets, on_report, keep)
    import asyncio

    if workers > 1 and scope is not DnsScope.NONE:
        from mailcheck.workers import run_in_workers

        with serving_zones(network.zones) as zones:

            def run_share(share: Iterable[T], hand_over: Callable[[int, Report], None], in_flight: int) -> RunOutcome[T]:
                if scope is DnsScope.TARGET:  # a worker process of ours: its collector is its own
                    gc.set_threshold(BULK_YOUNG_COLLECTION, *gc.get_threshold()[1:])
                return asyncio.run(_run(checker, share, zones, network, scope, in_flight, hand_over, False, keep_log))

            return run_in_workers(
                run_share,
                targets,
                workers,
                on_report=on_report,
                keep=keep,
                concurrency=max(1, concurrency),
                route=route,
            )
    if scope is DnsScope.NONE:
        return asyncio.run(_run(checker, targets, None, network, scope, concurrency, _unnumbered(on_report), keep, keep_log))
    with serving_zones(network.zones) as zones:
        return asyncio.run(_run(checker, targets, zones, network, scope, concurrency, _unnumbered(on_report), keep, keep_log))


async def _run(
    checker: TargetCheck[T],
    targets: Iterable[T],
    zones: ZoneEndpoint | None,
    network: NetworkOptions,
    scope: DnsScope,
    concurrency: int,
    on_report: Callable[[int, Report], None] | None,
    keep: bool,
    keep_log: bool = True,
) -> RunOutcome[T]:
    """``on_report(n, report)``: the report of the n-th target pulled from ``targets``."""
    import asyncio

    from mailcheck.dns.shared_answers import SharedAnswers

    outcome: RunOutcome[T] = RunOutcome()
    started = time.perf_counter()
    # Running totals, not a list a target: a bulk run's memory must not grow with it.
    spent = _Spent(keep_log=keep_log)
    shared = SharedAnswers(max_in_flight=BULK_MAX_IN_FLIGHT) if scope is DnsScope.TARGET else None

    @asynccontextmanager
    async def env_for_target(run_env: Env | None) -> AsyncIterator[Env]:
        if run_env is not None:
            yield run_env
            return
        if scope is DnsScope.NONE:
            yield Env(None, None, network.timeout)
            return
        async with run_dns(network, zones, shared) as (resolver, library):
            try:
                yield Env(resolver, library, network.timeout)
            finally:
                spent.add(resolver.stats(), resolver.log)

    async def drive(run_env: Env | None) -> None:
        kept: dict[int, Report] = {}

        async def one(index: int, target: T) -> None:
            try:
                async with env_for_target(run_env) as env:
                    report = await checker.check(target, env)
            except (asyncio.CancelledError, BadInput):
                raise  # bad input is the user's to fix (exit 2), not one target's crash
            except Exception as exc:  # noqa: BLE001  (one target's crash is that target's error)
                report = crash_report(checker.command, checker.label(target), exc)
            outcome.count += 1
            outcome.worst = Status.worst((outcome.worst, report.status))
            if on_report is not None:
                on_report(index, report)
            if keep:
                kept[index] = report

        await _bounded(one, targets, max(1, concurrency))
        outcome.reports = [kept[i] for i in sorted(kept)]

    if scope is DnsScope.RUN:
        async with run_dns(network, zones) as (resolver, library):
            await drive(Env(resolver, library, network.timeout))
        outcome.dns, outcome.log = resolver.stats(), list(resolver.log)
    else:
        await drive(None)
        if scope is DnsScope.TARGET:
            outcome.dns = DnsStats(
                queries=spent.queries,
                elapsed_ms=round((time.perf_counter() - started) * 1000),
                max_in_flight=spent.max_in_flight,
            )
            outcome.log = spent.log
    if outcome.dns is not None:
        # Each report carries the run's figures, as the text report prints them once.
        outcome.reports = [dataclasses.replace(r, dns=outcome.dns) for r in outcome.reports]
    return outcome


@dataclass
class _Spent:
    """The DNS figures of the targets done so far."""

    keep_log: bool = True
    queries: int = 0
    max_in_flight: int = 0
    log: list[QueryRecord] = field(default_factory=list)

    def add(self, stats: DnsStats, log: Iterable[QueryRecord]) -> None:
        self.queries += stats.queries
        self.max_in_flight = max(self.max_in_flight, stats.max_in_flight)
        if self.keep_log:
            self.log.extend(log)


def _run_in_order(
    checker: ImmediateCheck[T], targets: Iterable[T], on_report: Callable[[Report], None] | None, keep: bool
) -> RunOutcome[T]:
    """The loop's work for targets with nothing to wait for, in input order; a crash
    is still that target's error report."""
    outcome: RunOutcome[T] = RunOutcome()
    for target in targets:
        try:
            report = checker.check_now(target)
        except BadInput:
            raise  # the user's to fix (exit 2), not one target's crash
        except Exception as exc:  # noqa: BLE001  (one target's crash is that target's error)
            report = crash_report(checker.command, checker.label(target), exc)
        outcome.count += 1
        outcome.worst = Status.worst((outcome.worst, report.status))
        if on_report is not None:
            on_report(report)
        if keep:
            outcome.reports.append(report)
    return outcome


def _unnumbered(on_report: Callable[[Report], None] | None) -> Callable[[int, Report], None] | None:
    if on_report is None:
        return None
    return lambda _number, report: on_report(report)


async def _bounded(work: Callable[[int, T], Awaitable[None]], targets: Iterable[T], limit: int) -> None:
    """Run ``work(index, target)`` for each target, pulling the next target only when
    fewer than ``limit`` are in flight."""
    import asyncio

    pending: set[asyncio.Task[None]] = set()
    try:
        for index, target in enumerate(targets):
            if len(pending) >= limit:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()  # a failure of the loop itself (not a target's) ends the run
            pending.add(asyncio.ensure_future(work(index, target)))
        if pending:
            await asyncio.gather(*pending)
    finally:
        for task in pending:
            task.cancel()


def crash_report(command: str, target: str, exc: BaseException, *, display_target: str | None = None) -> Report:
    """A target whose check crashed: one error, so the rest of the run goes on."""
    check = CRASH.error(
        target,
        f"checking {target} crashed: {type(exc).__name__}: {exc}",
        details={"exception": type(exc).__name__, "message": str(exc)},
    )
    return Report(command, target, (Obstacle("run", "Run", (check,)),), display_target=display_target)
