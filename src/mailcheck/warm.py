"""Load what a run will need while its first answers are on the wire.

A run of one domain or one message spends most of its wall time in two ways: its
process loading code (CPU) and waiting for DNS answers (idle). Left to themselves the
two happen one after the other, because a module a check needs is imported when the
check first reaches for it, after an answer came back. ``warm_up`` imports those
modules while the event loop has nothing else to do: it starts once the first
questions are out, and imports one module a turn of the loop, so an answer that
arrives meanwhile waits at most one module's import.

A lookup whose own code is still to be imported (``questions_first``) gives the
lookups started beside it one turn of the loop first, so that their questions are
on the wire while it imports.

A module warmed that the run would have imported anyway costs nothing extra; the lists
(``mailcheck.domain_report``, ``mailcheck.message.report``) name only what every run of
their command imports, and a test runs each command and checks that it did.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Callable, Sequence

# What a step can be: a module's name, or a function that loads something (a parser
# behind a lazy import, the Public Suffix List).
Step = str | Callable[[], object]


def cold(steps: Sequence[Step]) -> bool:
    """Whether any module of ``steps`` is still to be imported (functions are not asked)."""
    return any(isinstance(step, str) and step not in sys.modules for step in steps)


def start_warm_up(steps: Sequence[Step]) -> asyncio.Task[None] | None:
    """Warm ``steps`` in the background of the running loop; None when all are loaded.

    Call it after the first lookups are started: a task runs after those already
    scheduled, so their questions leave first.
    """
    if not cold(steps):
        return None
    return asyncio.ensure_future(warm_up(steps))


async def warm_up(steps: Sequence[Step]) -> None:
    for step in steps:
        await asyncio.sleep(0)  # let whatever came back be read first
        _load(step)


def load_now(steps: Sequence[Step]) -> None:
    """Load ``steps`` at once (a process about to fork workers that all need them)."""
    for step in steps:
        _load(step)


def _load(step: Step) -> None:
    try:
        if isinstance(step, str):
            if step not in sys.modules:
                importlib.import_module(step)
        else:
            step()
    except Exception:  # the check that needs it imports it again and reports the error
        return


async def questions_first(module: str) -> None:
    """Before a lookup imports ``module``: wait until the loop has run everything else
    that is ready, when the import is still to come.

    The lookups started beside this one send their questions through tasks of tasks
    (and pyspf from a thread); a timer fires only once those have run and the loop
    would otherwise wait for answers, so their questions are on the wire while this
    one spends tens of milliseconds importing. Once the module is loaded the call
    returns at once, with no turn of the loop.
    """
    if module not in sys.modules:
        await asyncio.sleep(QUESTIONS_OUT)


# Far shorter than an answer's round trip; long enough for a burst of first questions.
QUESTIONS_OUT = 0.005
