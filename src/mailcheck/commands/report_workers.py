"""``mailcheck report`` on every core: batches of paths judged in worker processes.

A document costs a fraction of a millisecond, all of it Python, so one process reads
an inbox only as fast as one core goes. With many documents and no DNS to wait for,
this process lists the paths and hands them out in batches to forked workers; a
worker reads its batch's files, judges every document and renders what this process
writes of it (the JSON lines, or under --summary the few reports shown), and sends
that back with the batch's tally. Here the batches are taken in input order (a batch
that comes back early waits for the ones before it), so the output is the same byte
for byte as from one process.

Only paths go to a worker, never the files' bytes, and at most a few batches a
worker are out at once: memory stays flat however long the input is.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from mailcheck.errors import BadInput

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

R = TypeVar("R")

# A worker that has sent nothing for this long is checked for being alive.
_POLL_SECONDS = 0.5
# Batches out (queued, in a worker, or back and waiting for an earlier one) per worker.
_AHEAD_PER_WORKER = 4


@dataclass(frozen=True)
class Parallel:
    """When a run goes over worker processes: from ``min_paths`` paths on (below, the
    workers' start costs more than they save: 600 to 1,000 documents of the corpus on
    a loaded 2-core machine), ``workers`` of them (1: never; None: one a core where
    processes can be forked), ``batch`` paths a message."""

    workers: int | None = None
    min_paths: int = 500
    batch: int = 48

    def worker_count(self) -> int:
        if self.workers is not None:
            return self.workers
        # multiprocessing is imported only for a run that may use it.
        from mailcheck.workers import fork_available

        return _cores() if fork_available() else 1


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def spread(paths: Iterator[str], plan: Parallel) -> tuple[Iterator[str], int] | None:
    """All of ``paths`` and how many workers to hand them to, when they are
    ``plan.min_paths`` or more (worth the workers), else None. Each worker is to have
    two batches at least: only that many paths are looked at to tell, and a short input
    on a machine of many cores forks fewer workers than it has cores."""
    if plan.workers is not None and plan.workers < 2:
        return None
    head = list(islice(paths, plan.min_paths))
    if len(head) < plan.min_paths:
        return None
    cores = plan.worker_count()
    if cores < 2:
        return None
    head += islice(paths, max(0, 2 * plan.batch * cores - len(head)))
    workers = min(cores, max(2, len(head) // (2 * plan.batch)))
    return chain(head, paths), workers


def batches(paths: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(paths)
    while batch := list(islice(iterator, size)):
        yield batch


def map_in_order(
    work: Callable[[list[str]], R],
    items: Iterable[list[str]],
    workers: int,
    take: Callable[[R], None],
) -> None:
    """``take(work(item))`` for every item, in the items' order, ``work`` running in
    ``workers`` forked processes. A worker's exception ends the run here: BadInput as
    itself (the user's to fix), anything else as a RuntimeError naming it."""
    # Imported here, not with the module: a run that stays in one process needs neither.
    import multiprocessing

    from mailcheck.workers import serve_forked

    context = multiprocessing.get_context("fork")
    inbox: Queue[tuple[int, list[str]] | None] = context.Queue(maxsize=2 * workers)
    outbox: Queue[tuple[Any, ...]] = context.Queue()
    processes = [
        context.Process(target=_worker, args=(work, inbox, outbox), daemon=True, name=f"mailcheck-report-{n}")
        for n in range(workers)
    ]
    room = threading.Semaphore(_AHEAD_PER_WORKER * workers)
    merge: _InOrder[R] = _InOrder(take, room)
    serve_forked(
        processes,
        lambda stop, errors: _feed(items, inbox, workers, room, stop, errors),
        outbox,
        merge.receive,
        lambda: merge.finished >= workers,
        [inbox, outbox],
    )


class _InOrder(Generic[R]):
    """The workers' results, handed to ``take`` in input order."""

    def __init__(self, take: Callable[[R], None], room: threading.Semaphore) -> None:
        self.take = take
        self.room = room
        self.waiting: dict[int, R] = {}
        self.next = 0
        self.finished = 0

    def receive(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "result":
            self.waiting[message[1]] = message[2]
            while self.next in self.waiting:
                self.take(self.waiting.pop(self.next))
                self.next += 1
                self.room.release()
        elif kind == "done":
            self.finished += 1
        elif kind == "bad-input":
            raise BadInput(message[1])
        else:  # "failed": the work itself broke in a worker
            raise RuntimeError(f"a worker process failed: {message[1]}")


def _feed(
    items: Iterable[list[str]],
    inbox: Queue[tuple[int, list[str]] | None],
    workers: int,
    room: threading.Semaphore,
    stop: threading.Event,
    errors: list[BaseException],
) -> None:
    """Each item with its place, once there is room for it; then one end mark a worker."""
    from mailcheck.workers import put_unless_stopped  # loaded already: the workers run

    try:
        for position, item in enumerate(items):
            while not room.acquire(timeout=_POLL_SECONDS):
                if stop.is_set():
                    return
            if not put_unless_stopped(inbox, (position, item), stop):
                return
    except Exception as exc:  # noqa: BLE001  (a listing that broke mid-way: the parent raises it)
        errors.append(exc)
        return
    for _ in range(workers):
        if not put_unless_stopped(inbox, None, stop):
            return


def _worker(
    work: Callable[[list[str]], Any],
    inbox: Queue[tuple[int, list[str]] | None],
    outbox: Queue[tuple[Any, ...]],
) -> None:
    # Ctrl-C is the parent's to handle: it ends the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from mailcheck.workers import items_while_parent_lives

    try:
        for position, item in items_while_parent_lives(inbox):
            outbox.put(("result", position, work(item)))
        outbox.put(("done",))
    except BadInput as exc:
        outbox.put(("bad-input", str(exc)))
    except BaseException as exc:  # noqa: BLE001  (told to the parent, which ends the run)
        outbox.put(("failed", f"{type(exc).__name__}: {exc}"))
    outbox.close()
    outbox.join_thread()
