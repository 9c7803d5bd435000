"""The bulk run's progress bar: on stderr, and only when stderr is a terminal, so
piped and CI output stay clean."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mailcheck.model import Report


@contextmanager
def progress_bar(total: int, *, enabled: bool = True) -> Iterator[Callable[[Report], None]]:
    """Yield a function to call once per completed report."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda report: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("checking"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("domains", total=total, failed=0)
        failed = 0

        def advance(report: Report) -> None:
            nonlocal failed
            failed += report.status.value == "fail"
            progress.update(task, advance=1, failed=failed)

        yield advance
