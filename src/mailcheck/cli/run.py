"""Print a run of the run loop (mailcheck.run) as it goes, and give its exit code.

JSON Lines stream a line per report as each completes and keep no report, so a run
over a 100,000-message mbox holds one report at a time; the other formats are one
document, written when the run ends.
"""

from __future__ import annotations

from collections.abc import Callable

from mailcheck.cli.options import FailOn, OutputFormat, OutputOptions
from mailcheck.cli.output import ReportSink, exit_code_for
from mailcheck.model import ExitCode, Report
from mailcheck.run import RunOutcome

# run(on_report, keep) runs the loop; keep=False means the reports need not be kept.
Run = Callable[[Callable[[Report], None], bool], RunOutcome[object]]

# What a streamed run keeps of a report: its line (None: the format does not stream)
# and its exit code.
Streamed = tuple[str | None, ExitCode]


def emit_run(run: Run, output: OutputOptions) -> ExitCode:
    with ReportSink(output) as sink:
        streamed_only = output.format is OutputFormat.jsonl and output.output_file is None
        stream = _Stream(sink, output.fail_on)
        outcome = run(stream, not streamed_only)
        finished = sink.finish(outcome.reports, outcome.log)
    if streamed_only:
        return worst_code(stream.codes)
    return finished


class _Stream:
    """emit_run's ``on_report``, in the two halves of mailcheck.model.SplitReportHandler:
    ``digest`` renders a report's line and reads its exit code where the report was
    made (a worker process sends back that, not the report), ``take`` writes it here
    in completion order."""

    def __init__(self, sink: ReportSink, fail_on: FailOn | None) -> None:
        self.sink = sink
        self.fail_on = fail_on
        self.codes: list[ExitCode] = []

    def __call__(self, report: Report) -> None:
        self.take(self.digest(report))

    def digest(self, report: Report) -> Streamed:
        return self.sink.line_for(report), exit_code_for([report], self.fail_on)

    def take(self, digest: Streamed) -> None:
        line, code = digest
        if line is not None:
            self.sink.add_line(line)
        self.codes.append(code)


def worst_code(codes: list[ExitCode]) -> ExitCode:
    """A failure outweighs a missing verdict, which outweighs success."""
    if ExitCode.FAILED in codes:
        return ExitCode.FAILED
    if ExitCode.NO_VERDICT in codes:
        return ExitCode.NO_VERDICT
    return ExitCode.OK
