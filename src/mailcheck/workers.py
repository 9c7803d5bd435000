"""A bulk run over every core: worker processes, each with its own event loop.

One process's event loop spends its time on CPU (parsing answers, judging records),
so a long list goes as fast as one core. Here ``workers`` processes each run the same
run loop over a share of the input. They share nothing but the input and the output:
this process reads the targets (a lazy iterable: a list of millions is never held)
into a bounded queue, the workers pull from it as they have room, and send each report
back with its place in the input. Reports reach ``on_report`` in completion order and
the kept ones come back in input order, as from one process. A run that keeps no
report (JSON Lines on stdout) sends back only what the parent writes of each: an
``on_report`` that is a mailcheck.model.SplitReportHandler has its ``digest`` (the
rendered line) made in the worker, and the parent's half only writes it.

With a ``route`` (a key per target), each worker has its own queue, a new key goes to
the worker that has had the fewest targets, and the key's targets follow it: the
messages of one domain meet one worker's caches, so the domain's key and records are
fetched once, not once per worker. Only a key with many targets (one domain that
dominates the input) is also handed to another worker, when its own is behind and
the other has run out of work: fetching that domain twice is then cheap beside
leaving a core idle.

The workers are forked, so the checker, the options and the imported modules are
theirs without pickling; only the targets and the reports cross the pipes. Where fork
is not available (Windows, and macOS where it is unsafe) the run stays in one process.
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from mailcheck.model import DnsStats, Report, RunOutcome, SplitReportHandler, Status

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

    from mailcheck.dns.resolver import QueryRecord

T = TypeVar("T")
Item = TypeVar("Item")

# How the parent hands a worker its share, and what a worker sends back.
HandOver = Callable[[int, Report], None]
# run_share(targets, hand_over, in_flight): one worker's loop over its share.
RunShare = Callable[[Iterable[T], HandOver, int], "RunOutcome[T]"]

# A worker that has not sent anything for this long is checked for being alive.
_POLL_SECONDS = 0.5
# Routed targets: how often a full preferred queue is looked at again, and how many
# targets a key has before another worker may take some of them.
_SPILL_POLL_SECONDS = 0.005
_SPILL_AFTER = 100


def start_forked(processes: Sequence[Any]) -> None:
    """Start forked worker ``processes``.

    What this process has buffered on stdout and stderr is written first (a child
    flushes its copy as it exits). What exists now (the modules, the checker, the
    options: they live as long as a worker) is frozen for the fork, so the workers'
    garbage collections leave it out: each full collection walked all of it again
    (over 300 domains with 50 in flight, 0.95 s of a one-process run's CPU, 0.7 s
    with this), and touching it copies every page a worker shares with this process.
    (A bulk domain run's workers also collect their young objects less often: see
    mailcheck.run.BULK_YOUNG_COLLECTION.)
    """
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()
    try:
        for process in processes:
            process.start()
    finally:
        gc.unfreeze()


def serve_forked(
    processes: Sequence[Any],
    feed: Callable[[threading.Event, list[BaseException]], None],
    outbox: Queue[tuple[Any, ...]],
    receive: Callable[[tuple[Any, ...]], None],
    finished: Callable[[], bool],
    queues: Iterable[Queue[Any]],
) -> None:
    """The parent's side of a forked run: start ``processes``, ``feed(stop, errors)``
    their inboxes from a thread (it appends what broke the input to ``errors`` and
    gives up once ``stop`` is set), ``receive`` what they send on ``outbox`` until
    ``finished()``, and end them and let ``queues`` go, however the run ended."""
    start_forked(processes)
    stop = threading.Event()
    feed_error: list[BaseException] = []
    threading.Thread(target=feed, args=(stop, feed_error), daemon=True).start()
    try:
        receive_until(finished, outbox, receive, feed_error, processes)
    finally:
        stop.set()
        stop_forked(processes, queues)


def receive_until(
    finished: Callable[[], bool],
    outbox: Queue[tuple[Any, ...]],
    receive: Callable[[tuple[Any, ...]], None],
    feed_error: list[BaseException],
    processes: Sequence[Any],
) -> None:
    """``receive`` each message of ``outbox`` until ``finished()``; between messages,
    raise what broke the run: bad input met by the feeder, or a worker that died."""
    while not finished():
        try:
            message = outbox.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            raise_if_broken(feed_error, processes)
            continue
        receive(message)
    raise_if_broken(feed_error, processes)


def stop_forked(processes: Sequence[Any], queues: Iterable[Queue[Any]]) -> None:
    """End the workers still running (a run that stopped early) and let the queues go
    without waiting for what nobody will read."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
    for each in queues:
        each.cancel_join_thread()


def fork_available() -> bool:
    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()


def default_workers(targets: int, concurrency: int) -> int:
    """Every core for a bulk input (more targets than one loop has in flight), else
    one; never more processes than targets in flight (``concurrency`` is the run's)."""
    if targets <= concurrency or not fork_available():
        return 1
    return max(1, min(os.cpu_count() or 1, concurrency))


def shares(total: int, workers: int) -> list[int]:
    """``total`` places in flight split over ``workers`` as evenly as they go."""
    base, extra = divmod(total, workers)
    return [base + (1 if n < extra else 0) for n in range(workers)]


def run_in_workers(
    run_share: RunShare[T],
    targets: Iterable[T],
    workers: int,
    *,
    on_report: Callable[[Report], None] | None,
    keep: bool,
    concurrency: int,
    route: Callable[[T], str] | None = None,
) -> RunOutcome[T]:
    """``run_share(share, hand_over, in_flight)`` runs in each worker over its share
    of ``targets`` with its part of ``concurrency``; ``hand_over(position, report)``
    is how it returns a report. ``route(target)`` names the worker a target prefers
    (see the module's docstring)."""
    if not fork_available():
        outcome: RunOutcome[T] = run_share(
            targets, lambda _position, report: on_report(report) if on_report else None, concurrency
        )
        return outcome
    context = multiprocessing.get_context("fork")
    # Enough queued targets that no worker waits for input, few enough to stay flat.
    workers = min(workers, concurrency)
    in_flights = shares(concurrency, workers)
    if route is None:
        shared: Queue[tuple[int, T] | None] = context.Queue(maxsize=2 * concurrency + workers)
        inboxes = [shared] * workers
    else:
        inboxes = [context.Queue(maxsize=2 * in_flight + 1) for in_flight in in_flights]
    outbox: Queue[tuple[Any, ...]] = context.Queue()
    # A report nobody keeps crosses the pipe as its digest (its rendered line), not
    # as the report: the parent then neither unpickles nor renders it (about half a
    # second of its CPU per 1,000 messages).
    digest = on_report.digest if isinstance(on_report, SplitReportHandler) and not keep else None
    processes = [
        context.Process(
            target=_worker,
            args=(run_share, inboxes[n], outbox, in_flight, digest),
            daemon=True,
            name=f"mailcheck-worker-{n}",
        )
        for n, in_flight in enumerate(in_flights)
    ]
    started = time.perf_counter()
    merge: _Merge[T] = _Merge(on_report, keep)
    serve_forked(
        processes,
        lambda stop, errors: _feed(targets, inboxes, route, stop, errors),
        outbox,
        merge.take,
        lambda: merge.finished >= workers,
        [*set(inboxes), outbox],
    )
    return merge.outcome(round((time.perf_counter() - started) * 1000))


class _Merge(Generic[T]):
    """The workers' messages folded into one run's outcome."""

    def __init__(self, on_report: Callable[[Report], None] | None, keep: bool) -> None:
        self.on_report = on_report
        self.keep = keep

        self.result: RunOutcome[T] = RunOutcome()
        self.kept: dict[int, Report] = {}
        self.queries = self.max_in_flight = self.finished = 0
        self.log: list[QueryRecord] = []

    def take(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "report":
            _, position, report = message
            self.result.count += 1
            self.result.worst = Status.worst((self.result.worst, report.status))
            if self.on_report is not None:
                self.on_report(report)
            if self.keep:
                self.kept[position] = report
        elif kind == "digest":
            _, _position, status, digest = message
            self.result.count += 1
            self.result.worst = Status.worst((self.result.worst, status))
            if isinstance(self.on_report, SplitReportHandler):
                self.on_report.take(digest)
        elif kind == "done":
            _, stats, records = message
            self.finished += 1
            if stats is not None:
                self.queries += stats.queries
                self.max_in_flight = max(self.max_in_flight, stats.max_in_flight)
            self.log.extend(records)
        else:  # "failed": the loop itself broke in a worker (not one target)
            raise RuntimeError(f"a worker process failed: {message[1]}")

    def outcome(self, elapsed_ms: int) -> RunOutcome[T]:
        result = self.result
        result.dns = DnsStats(queries=self.queries, elapsed_ms=elapsed_ms, max_in_flight=self.max_in_flight)
        result.log = self.log
        # Each report carries the run's figures, as the text report prints them once.
        result.reports = [dataclasses.replace(self.kept[i], dns=result.dns) for i in sorted(self.kept)]
        return result


def raise_if_broken(feed_error: list[BaseException], processes: Sequence[Any]) -> None:
    """Bad input met while reading the targets, or a worker that died (killed, out of memory)."""
    if feed_error:
        raise feed_error[0]
    dead = [p for p in processes if p.exitcode not in (None, 0)]
    if dead:
        raise RuntimeError(f"a worker process ended with exit code {dead[0].exitcode}")


def _feed(
    targets: Iterable[T],
    inboxes: list[Queue[tuple[int, T] | None]],
    route: Callable[[T], str] | None,
    stop: threading.Event,
    errors: list[BaseException],
) -> None:
    """Put the targets (with their places) in the bounded queues, then one end mark per worker."""
    chooser = _Chooser(len(inboxes))
    try:
        for position, target in enumerate(targets):
            key = None if route is None else route(target)
            preferred, spill = (0, False) if key is None else chooser.worker_for(key)
            placed = _place(inboxes, preferred, (position, target), stop, spill=spill)
            if placed is None:
                return
            chooser.placed(placed)
    except Exception as exc:  # noqa: BLE001  (bad input found mid-list: the parent raises it)
        errors.append(exc)
        return
    for inbox in inboxes:
        if not put_unless_stopped(inbox, None, stop):
            return


class _Chooser:
    """Which worker a key's targets go to: the one that had the fewest targets when the
    key was first seen, so the keys of a mixed input split evenly; and whether the key
    has had targets enough to be worth a second worker's lookups."""

    # A key map this large is dropped and begun anew: the input's memory stays flat.
    MAX_KEYS = 100_000

    def __init__(self, workers: int) -> None:
        self.counts = [0] * workers
        self.keys: dict[str, list[int]] = {}  # key -> [its worker, its targets so far]

    def worker_for(self, key: str) -> tuple[int, bool]:
        found = self.keys.get(key)
        if found is None:
            if len(self.keys) >= self.MAX_KEYS:
                self.keys.clear()
            found = self.keys[key] = [self.counts.index(min(self.counts)), 0]
        found[1] += 1
        return found[0], found[1] > _SPILL_AFTER

    def placed(self, worker: int) -> None:
        self.counts[worker] += 1


def _place(
    inboxes: list[Queue[tuple[int, T] | None]],
    preferred: int,
    item: tuple[int, T],
    stop: threading.Event,
    *,
    spill: bool = False,
) -> int | None:
    """``item`` into the preferred queue; with ``spill``, while that one is full, into
    an empty one (its worker is running out of work). The worker it went to, or None
    when the run was stopped first."""
    first = inboxes[preferred]
    while not stop.is_set():
        with suppress(queue.Full):
            first.put_nowait(item)
            return preferred
        for worker, inbox in enumerate(inboxes):
            # qsize() counts what was put, empty() only what reached the pipe.
            if spill and inbox is not first and inbox.qsize() == 0:
                with suppress(queue.Full):
                    inbox.put_nowait(item)
                    return worker
        with suppress(queue.Full):
            first.put(item, timeout=_SPILL_POLL_SECONDS)
            return preferred
    return None


def put_unless_stopped(inbox: Queue[Any], item: object, stop: threading.Event) -> bool:
    """``item`` into the queue, waiting for room; False when the run was stopped first."""
    while not stop.is_set():
        with suppress(queue.Full):
            inbox.put(item, timeout=_POLL_SECONDS)
            return True
    return False


def items_while_parent_lives(inbox: Queue[Item | None]) -> Iterator[Item]:
    """A worker's ``inbox`` up to the parent's closing None. If the parent is killed
    (SIGKILL, the OOM killer) the None never comes: nobody reads what the worker finds,
    and its lookups must not go on without an owner, so the worker ends."""
    parent = os.getppid()
    while True:
        try:
            item = inbox.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            if os.getppid() != parent:
                os._exit(1)
            continue
        if item is None:
            return
        yield item


def _worker(
    run_share: RunShare[T],
    inbox: Queue[tuple[int, T] | None],
    outbox: Queue[tuple[Any, ...]],
    in_flight: int,
    digest: Callable[[Report], object] | None,
) -> None:
    # Ctrl-C is the parent's to handle: it ends the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    places: dict[int, int] = {}  # the loop's own numbering -> place in the whole input

    def share() -> Iterator[T]:
        for number, (position, target) in enumerate(items_while_parent_lives(inbox)):
            places[number] = position
            yield target

    def hand_over(number: int, report: Report) -> None:
        if digest is None:
            outbox.put(("report", places.pop(number), report))
        else:
            outbox.put(("digest", places.pop(number), report.status, digest(report)))

    try:
        outcome = run_share(share(), hand_over, in_flight)
        outbox.put(("done", outcome.dns, outcome.log))
    except BaseException as exc:  # noqa: BLE001  (told to the parent, which ends the run)
        outbox.put(("failed", f"{type(exc).__name__}: {exc}"))
    outbox.close()
    outbox.join_thread()
