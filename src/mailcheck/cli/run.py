"""Print a run of the run loop (mailcheck.run) as it goes, and give its exit code.

JSON Lines stream a line per report as each completes and keep no report, so a run
over a 100,000-message mbox holds one report at a time; the other formats are one
document, written when the run ends.
"""

from __future__ import annotations

from collections.abc import Callable

from mailcheck.cli.options import OutputFormat, OutputOptions
from mailcheck.cli.output import ReportSink, exit_code_for
from mailcheck.model import ExitCode, Report
from mailcheck.run import RunOutcome

# run(on_report, keep) runs the loop; keep=False means the reports need not be kept.
Run = Callable[[Callable[[Report], None], bool], RunOutcome[object]]


def emit_run(run: Run, output: OutputOptions) -> ExitCode:
    with ReportSink(output) as sink:
        streamed_only = output.format is OutputFormat.jsonl and output.output_file is None
        codes: list[ExitCode] = []

        def on_report(report: Report) -> None:
            sink.add(report)
            codes.append(exit_code_for([report], output.fail_on))

        outcome = run(on_report, not streamed_only)
        finished = sink.finish(outcome.reports, outcome.log)
    if streamed_only:
        return worst_code(codes)
    return finished


def worst_code(codes: list[ExitCode]) -> ExitCode:
    """A failure outweighs a missing verdict, which outweighs success."""
    if ExitCode.FAILED in codes:
        return ExitCode.FAILED
    if ExitCode.NO_VERDICT in codes:
        return ExitCode.NO_VERDICT
    return ExitCode.OK
