"""Run a command's targets with streaming output, a progress bar and a closing summary.

Shared by ``mailcheck domain`` (many domains, --from-file) and ``mailcheck check``:
the run hands each report over as it completes; JSON Lines are written at once; the
other formats are written when the run ends, in the targets' order.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mailcheck.cli.options import OutputFormat, OutputOptions
from mailcheck.cli.output import ReportSink
from mailcheck.dns.resolver import QueryRecord
from mailcheck.model import ExitCode, Report

Run = Callable[[Callable[[Report], None]], tuple[Sequence[Report], Sequence[QueryRecord]]]


def run_streaming(
    run: Run,
    total: int,
    output: OutputOptions,
    *,
    summary: bool,
    artifacts: Mapping[str, Any] | None = None,
) -> ExitCode:
    """``run(on_report)`` does the work; ``summary`` adds the closing table.

    The summary goes where the text report goes: after it on stdout for a text run,
    on stderr when stdout carries a machine-readable document.
    """
    from mailcheck.cli.progress import progress_bar

    with ReportSink(output, artifacts=artifacts) as sink:
        with progress_bar(total, enabled=summary and not output.quiet) as advance:

            def on_report(report: Report) -> None:
                sink.add(report)
                advance(report)

            reports, log = run(on_report)
        code = sink.finish(reports, log)
    if summary and not output.quiet:
        _summary(reports, output)
    return code


def _summary(reports: Sequence[Report], output: OutputOptions) -> None:
    from rich.console import Console

    from mailcheck.render.summary import render_summary

    text_on_stdout = output.format is OutputFormat.text or output.output_file is not None
    stream = sys.stdout if text_on_stdout else sys.stderr
    render_summary(Console(file=stream, no_color=not output.color, highlight=False, soft_wrap=True), reports)
