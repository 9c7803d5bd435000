"""The rich consoles the CLI draws on: colour only where it is wanted."""

from __future__ import annotations

import os
from typing import IO

from rich.console import Console


class ReportConsole(Console):
    def on_broken_pipe(self) -> None:
        # rich would exit 1 here; the report sink ends stdout and keeps the report's code.
        self.quiet = True
        raise BrokenPipeError


def make_console(stream: IO[str], *, color: bool) -> Console:
    """A console on ``stream``; no colour (nor any other style) with --no-color or when
    NO_COLOR is set and not empty (https://no-color.org)."""
    plain = not color or bool(os.environ.get("NO_COLOR"))
    return ReportConsole(file=stream, color_system=None if plain else "auto", highlight=False, soft_wrap=True)
