"""``mailcheck report FILE...``: DMARC aggregate and failure reports and SMTP TLS reports."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from mailcheck.cli import app
from mailcheck.cli.options import GlobalArguments, OutputFormat, OutputOptions, with_global_options
from mailcheck.cli.sources import DEFAULT_MAX_SIZE_TEXT, Maildir, MaxSize, Mbox

if TYPE_CHECKING:  # heavy imports stay inside the command, so --help starts fast
    from mailcheck.cli.run import Streamed
    from mailcheck.commands.report import ReportRequest
    from mailcheck.model import Report, SplitReportHandler
    from mailcheck.run import RunOutcome
    from mailcheck.runtime import NetworkOptions


@app.command(epilog="Example: mailcheck report --mbox dmarc-reports.mbox --summary")
@with_global_options()
def report(
    files: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FILE...",
            help="Reports: .xml, .xml.gz, .zip, .json, .json.gz, or messages (.eml) carrying them; '-' for stdin.",
            show_default=False,
        ),
    ] = None,
    mbox: Mbox = None,
    maildir: Maildir = None,
    max_size: MaxSize = DEFAULT_MAX_SIZE_TEXT,
    summary: Annotated[
        bool, typer.Option("--summary", help="One report over all documents: per organization, per source, per day.")
    ] = False,
    no_dns: Annotated[
        bool, typer.Option("--no-dns", help="Only read the reports; do not compare them with today's DNS.")
    ] = False,
    *,
    options: GlobalArguments,
) -> int:
    """Read DMARC aggregate/failure and SMTP TLS reports: who sends as the domain, and is p=reject safe?"""
    from mailcheck.cli.run import emit_run
    from mailcheck.cli.sources import source_spec
    from mailcheck.commands.report import ReportRequest, run_report
    from mailcheck.model import ExitCode, SplitReportHandler

    network, output = options.settings(html=True)
    spec = source_spec(files, mbox, maildir, max_size)
    as_html = output.format is OutputFormat.html
    # --offline keeps the cross-check to the --zone files (it needs --zone); --no-dns drops it.
    request = ReportRequest(spec, dns=not no_dns, summary=summary or as_html)
    readable: list[int] = []

    if as_html:
        return _emit_html(request, network, output)

    def run(on_report: Callable[[Report], None], keep: bool) -> RunOutcome[object]:
        if isinstance(on_report, SplitReportHandler):
            on_report = _FoldedLines(on_report)
        outcome, tally = run_report(request, network, on_report, keep)
        readable.append(tally.readable)
        # A run over Documents; emit_run reads only its reports and figures.
        return outcome  # type: ignore[return-value]

    code = emit_run(run, output)
    if readable and readable[0] == 0:
        print("mailcheck: error: no document could be read as a report", file=sys.stderr)
        return ExitCode.USAGE
    return code


class _FoldedLines:
    """emit_run's streamed handler, whose digests (a line and its exit code) of
    consecutive reports also fold into one: a worker process sends its batch's lines
    as one text, written here in one go (mailcheck.commands.report.FoldingHandler)."""

    def __init__(self, stream: SplitReportHandler) -> None:
        self.stream = stream

    def __call__(self, report: Report) -> None:
        self.stream(report)

    def digest(self, report: Report) -> Streamed:
        digest: Streamed = self.stream.digest(report)
        return digest

    def take(self, digest: Streamed) -> None:
        self.stream.take(digest)

    def fold(self, digests: list[Streamed]) -> Streamed:
        from mailcheck.cli.run import worst_code

        lines = [line for line, _ in digests if line is not None]
        return ("".join(lines) if lines else None), worst_code([code for _, code in digests])


def _emit_html(request: ReportRequest, network: NetworkOptions, output: OutputOptions) -> int:
    from mailcheck.cli.output import ReportSink
    from mailcheck.commands.report import run_report
    from mailcheck.model import ExitCode, Status, exit_code
    from mailcheck.render.html import render_html

    problems: list[Report] = []
    statuses: list[Status] = []

    def keep_problem(report: Report) -> None:
        statuses.append(report.status)
        if report.target != "summary":
            problems.append(report)

    with ReportSink(output) as sink:
        outcome, tally = run_report(request, network, keep_problem, keep=True)
        sink.write_document(render_html(outcome.reports[-1], problems))
    if tally.readable == 0:
        print("mailcheck: error: no document could be read as a report", file=sys.stderr)
        return ExitCode.USAGE
    return exit_code(outcome.reports)
