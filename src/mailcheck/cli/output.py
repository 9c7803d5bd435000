"""Print reports in the chosen format and turn them into the exit code."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from mailcheck.cli.options import OutputFormat, OutputOptions
from mailcheck.dns.resolver import QueryRecord
from mailcheck.model import ExitCode, Report, exit_code


def emit(reports: Sequence[Report], output: OutputOptions, query_log: Sequence[QueryRecord] = ()) -> ExitCode:
    if output.format is OutputFormat.json:
        from mailcheck.render.json import render_json

        sys.stdout.write(render_json(reports) + "\n")
    else:
        from rich.console import Console

        from mailcheck.render.text import render_text

        console = Console(no_color=not output.color, highlight=False, soft_wrap=True)
        render_text(console, reports, quiet=output.quiet, verbose=output.verbose, query_log=query_log)
    return exit_code(reports)
