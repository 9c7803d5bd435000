"""Run a command's targets with streaming output, a progress bar and a closing summary.

Shared by ``mailcheck domain`` (many domains, --from-file) and ``mailcheck check``:
the run hands each report over as it completes; JSON Lines are written at once; the
other formats are written when the run ends, in the targets' order.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mailcheck.cli.console import make_console
from mailcheck.cli.options import OutputFormat, OutputOptions
from mailcheck.cli.output import ReportSink, output_path
from mailcheck.model import ExitCode, Report
from mailcheck.run import RunOutcome

# run(on_report) runs the loop, handing each report over as it completes.
Run = Callable[[Callable[[Report], None]], RunOutcome[Any]]


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
        with progress_bar(total, enabled=summary and not output.quiet, color=output.color) as advance:

            def on_report(report: Report) -> None:
                sink.add(report)
                advance(report)

            outcome = run(on_report)
        reports = outcome.reports
        code = sink.finish(reports, outcome.log)
        if summary and not output.quiet:
            _summary(sink, reports, output)
    return code


def _summary(sink: ReportSink, reports: Sequence[Report], output: OutputOptions) -> None:
    from mailcheck.render.summary import render_summary

    if output.format is OutputFormat.text or output_path(output) is not None:
        sink.terminal(lambda console: render_summary(console, reports))
        return
    try:
        render_summary(make_console(sys.stderr, color=output.color), reports)
        sys.stderr.flush()
    except OSError:  # stderr is gone (2>&1 | head): the summary was only for a person
        pass
