"""Ctrl-C: the first cancels the run cleanly, the second leaves at once.

Python's default handler raises KeyboardInterrupt wherever the program happens to
be; inside asyncio that unwinds every task with its own traceback, and the threads
that libraries (pyspf, checkdmarc) block in can keep the process alive long after.
Here the first SIGINT cancels the running event loop's tasks (asyncio.run then
raises CancelledError, and the CLI exits 130) or, outside a loop, raises
KeyboardInterrupt as usual. The second one ends the process with 130 on the spot:
the user has said twice that they do not want to wait.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import FrameType

INTERRUPTED = 130
# What the progress bar may have left hidden: show the cursor, end the line.
_RESTORE_TERMINAL = b"\x1b[?25h\n"


class _Deferral:
    """Whether a Ctrl-C outside an event loop must wait for a write to finish."""

    active = False
    pending = False


_DEFERRAL = _Deferral()


@contextmanager
def whole_writes() -> Iterator[None]:
    """Hold back the first Ctrl-C's KeyboardInterrupt until the block is done.

    Outside an event loop (the parent of worker processes, writing their lines) the
    interrupt is raised wherever the program is; raised in the middle of a write it
    would leave half a line in the stream. The second Ctrl-C still leaves at once.
    """
    _DEFERRAL.active = True
    try:
        yield
    finally:
        _DEFERRAL.active = False
        if _DEFERRAL.pending:
            _DEFERRAL.pending = False
            raise KeyboardInterrupt


class Interrupts:
    """How many times SIGINT arrived during the run."""

    def __init__(self) -> None:
        self.count = 0

    @property
    def interrupted(self) -> bool:
        return self.count > 0

    def on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.count > 1:
            _leave_now()
        # Checks create some coroutines before awaiting them; cancelled in between,
        # Python warns about each as it is collected. After Ctrl-C that is expected.
        warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)
        # So are objects that a KeyboardInterrupt caught half made (an event loop whose
        # __del__ then finds no self-pipe): what they say as they are collected
        # ("Exception ignored in ...") is not for a user who asked to stop.
        sys.unraisablehook = _unraisable_after_interrupt
        # No import here (a handler may run in the middle of one): a loop can only be
        # running if asyncio has been imported already.
        asyncio = sys.modules.get("asyncio")
        try:
            loop = asyncio.get_running_loop() if asyncio is not None else None
        except RuntimeError:
            loop = None
        if loop is None or asyncio is None:
            if _DEFERRAL.active:
                _DEFERRAL.pending = True
                return
            raise KeyboardInterrupt
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.call_soon_threadsafe(lambda: None)  # wake the loop if it waits in select()


def _unraisable_after_interrupt(unraisable: sys.UnraisableHookArgs) -> None:
    return None


def _leave_now() -> None:
    try:
        if sys.stderr.isatty():
            os.write(sys.stderr.fileno(), _RESTORE_TERMINAL)
    except (OSError, ValueError):
        pass
    os._exit(INTERRUPTED)


@contextmanager
def handling_interrupts() -> Iterator[Interrupts]:
    """Install the handler for the block (only the main thread may set handlers)."""
    interrupts = Interrupts()
    if threading.current_thread() is not threading.main_thread():
        yield interrupts
        return
    previous = signal.signal(signal.SIGINT, interrupts.on_sigint)
    try:
        yield interrupts
    finally:
        signal.signal(signal.SIGINT, previous)


def exit_interrupted() -> None:
    """Leave with 130 once the run has unwound after a Ctrl-C.

    Not through sys.exit: Python's shutdown joins the threads a library may still
    block in, and restores the default SIGINT action while it finalizes, so a second
    Ctrl-C there would kill the process by signal instead of exiting 130.
    """
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    os._exit(INTERRUPTED)
