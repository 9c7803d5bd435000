"""Run a command's targets with streaming output, a progress bar and a closing summary.

Shared by ``mailcheck domain`` (many domains, --from-file) and ``mailcheck check``:
the run hands each report over as it completes; JSON Lines are written at once; the
other formats are written when the run ends, in the targets' order.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mailcheck.cli.options import OutputFormat, OutputOptions
from mailcheck.cli.output import ReportSink, output_path
from mailcheck.model import ExitCode, Report, Status
from mailcheck.run import RunOutcome

if TYPE_CHECKING:
    from mailcheck.render.summary import Counted, Tally

# run(on_report, keep) runs the loop, handing each report over as it completes;
# keep=False when the run need not keep its reports (they were streamed, and the
# summary and the exit code come from the counts): memory stays flat.
Run = Callable[[Callable[[Report], None], bool], RunOutcome[Any]]


def run_streaming(
    run: Run,
    total: int,
    output: OutputOptions,
    *,
    summary: bool,
    artifacts: Mapping[str, Any] | None = None,
) -> ExitCode:
    """``run(on_report, keep)`` does the work; ``summary`` adds the closing table.

    The summary goes where the text report goes: after it on stdout for a text run,
    on stderr when stdout carries a machine-readable document.
    """
    from mailcheck.cli.output import FAIL_ON_STATUS
    from mailcheck.cli.progress import progress_bar
    from mailcheck.model import exit_code_of
    from mailcheck.render.summary import Tally

    tally = Tally()
    with ReportSink(output, artifacts=artifacts) as sink:
        # Only JSON Lines to stdout alone needs no report after it is written.
        keep = not sink.streams or output_path(output) is not None
        with progress_bar(total, enabled=summary and not output.quiet, color=output.color) as advance:
            outcome = run(_Counting(sink, tally, advance), keep)
        code = sink.finish(outcome.reports, outcome.log)
        if not keep:
            fail_on = None if output.fail_on is None else FAIL_ON_STATUS[output.fail_on]
            code = exit_code_of(tally.worst_outcome, tally.worst_check, fail_on)
        if summary and not output.quiet:
            _summary(sink, tally, output)
    return code


class _Counting:
    """run_streaming's ``on_report``, in the two halves of mailcheck.model.SplitReportHandler:
    ``digest`` renders a report's line and reads what the summary counts of it where
    the report was made (a worker process sends back those, not the report), ``take``
    writes the line, counts and advances the bar here, in completion order."""

    def __init__(self, sink: ReportSink, tally: Tally, advance: Callable[[Status], None]) -> None:
        self.sink = sink
        self.tally = tally
        self.advance = advance

    def __call__(self, report: Report) -> None:
        self.take(self.digest(report))

    def digest(self, report: Report) -> tuple[str | None, Counted]:
        from mailcheck.render.summary import Counted

        return self.sink.line_for(report), Counted.of(report)

    def take(self, digest: tuple[str | None, Counted]) -> None:
        line, counted = digest
        if line is not None:
            self.sink.add_line(line)
        self.advance(counted.status)
        self.tally.add_counted(counted)


def _summary(sink: ReportSink, tally: Tally, output: OutputOptions) -> None:
    from mailcheck.cli.console import make_console
    from mailcheck.render.summary import render_summary

    if output.format is OutputFormat.text or output_path(output) is not None:
        sink.terminal(lambda console: render_summary(console, tally))
        return
    try:
        render_summary(make_console(sys.stderr, color=output.color), tally)
        sys.stderr.flush()
    except OSError:  # stderr is gone (2>&1 | head): the summary was only for a person
        pass
