"""The bulk run's progress bar: on stderr, and only when stderr is a terminal, so
piped and CI output stay clean.

rich's Progress would by default capture stdout and stderr while it is shown, and
repaint what the program prints above the bar; a report redirected to a file would
then land on the screen. The bar only draws on stderr and leaves both streams alone.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mailcheck.model import Status


@contextmanager
def progress_bar(total: int, *, enabled: bool = True, color: bool = True) -> Iterator[Callable[[Status], None]]:
    """Yield a function to call once per completed report, with its status."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda status: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from mailcheck.cli.console import make_console

    columns = (
        TextColumn("checking"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeRemainingColumn(),
    )
    console = make_console(sys.stderr, color=color)
    with Progress(*columns, console=console, transient=True, redirect_stdout=False, redirect_stderr=False) as progress:
        task = progress.add_task("domains", total=total, failed=0)
        failed = 0

        def advance(status: Status) -> None:
            nonlocal failed
            failed += status is Status.FAIL
            progress.update(task, advance=1, failed=failed)

        yield advance
