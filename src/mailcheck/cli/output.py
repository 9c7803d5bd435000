"""Print reports in the chosen format and turn them into the exit code.

``--format`` picks the document; ``--output FILE`` sends that document to FILE and
keeps the text report on the terminal. JSON Lines can stream: a bulk run hands each
report over as it completes (``ReportSink.add``), and every line is flushed at once,
so an interrupted run leaves whole lines behind.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import IO, Any, Self

from mailcheck.cli.options import FailOn, OutputFormat, OutputOptions
from mailcheck.dns.resolver import QueryRecord
from mailcheck.errors import BadInput
from mailcheck.model import ExitCode, Report, Status, exit_code

# The least status that makes the exit code 1 under --fail-on.
FAIL_ON_STATUS = {FailOn.warn: Status.WARN, FailOn.error: Status.ERROR, FailOn.fail: Status.FAIL}


def emit(reports: Sequence[Report], output: OutputOptions, query_log: Sequence[QueryRecord] = ()) -> ExitCode:
    """Print a finished run; the exit code follows --fail-on."""
    with ReportSink(output) as sink:
        return sink.finish(reports, query_log)


def exit_code_for(reports: Sequence[Report], fail_on: FailOn | None) -> ExitCode:
    """The rule is model.exit_code's; --fail-on only names its threshold."""
    return exit_code(reports, None if fail_on is None else FAIL_ON_STATUS[fail_on])


def render_document(
    reports: Sequence[Report],
    output_format: OutputFormat,
    *,
    fail_on: FailOn | None = None,
    artifacts: Mapping[str, Any] | None = None,
) -> str:
    """The machine-readable document for ``output_format`` (not text)."""
    if output_format is OutputFormat.json:
        from mailcheck.render.json import render_json

        return render_json(reports) + "\n"
    if output_format is OutputFormat.jsonl:
        from mailcheck.render.jsonl import render_jsonl

        return render_jsonl(reports)
    if output_format is OutputFormat.junit:
        from mailcheck.render.junit import render_junit

        return render_junit(reports, warn_fails=fail_on is FailOn.warn)
    if output_format is OutputFormat.sarif:
        from mailcheck.render.sarif import render_sarif

        return render_sarif(reports, artifacts=artifacts)
    if output_format is OutputFormat.markdown:
        from mailcheck.render.markdown import render_markdown

        return render_markdown(reports)
    raise ValueError(f"no document renderer for {output_format.value}")  # pragma: no cover


class ReportSink:
    """Where a run's reports go: the terminal, the --output file, or both.

    Open it before the run so a bad --output path fails before any work; close it
    (``with``) whatever happens, so the file keeps what was written.
    """

    def __init__(self, output: OutputOptions, *, artifacts: Mapping[str, Any] | None = None) -> None:
        self.output = output
        self.artifacts = artifacts
        self._file: IO[str] | None = None
        self._streamed = 0
        if output.output_file is not None:
            self._file = _open(output.output_file)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._file is not None:
            self._file.close()

    @property
    def streams(self) -> bool:
        """JSON Lines is the one format written as reports complete."""
        return self.output.format is OutputFormat.jsonl

    def add(self, report: Report) -> None:
        """One report has completed: stream it now if the format streams."""
        if not self.streams:
            return
        from mailcheck.render.jsonl import render_line

        stream = self._file if self._file is not None else sys.stdout
        stream.write(render_line(report) + "\n")
        stream.flush()
        self._streamed += 1

    def finish(self, reports: Sequence[Report], query_log: Sequence[QueryRecord] = ()) -> ExitCode:
        """Write what was not streamed; return the exit code."""
        fmt = self.output.format
        if fmt is OutputFormat.text:
            self._text(reports, query_log, sys.stdout)
            if self._file is not None:
                self._text(reports, query_log, self._file, color=False)
        else:
            if not (self.streams and self._streamed):
                document = render_document(reports, fmt, fail_on=self.output.fail_on, artifacts=self.artifacts)
                stream = self._file if self._file is not None else sys.stdout
                stream.write(document)
                stream.flush()
            if self._file is not None:
                self._text(reports, query_log, sys.stdout)
        return exit_code_for(reports, self.output.fail_on)

    def _text(self, reports: Sequence[Report], query_log: Sequence[QueryRecord], stream: IO[str], color: bool | None = None) -> None:
        from rich.console import Console

        from mailcheck.render.text import render_text

        use_color = self.output.color if color is None else color
        console = Console(file=stream, no_color=not use_color, highlight=False, soft_wrap=True)
        render_text(console, reports, quiet=self.output.quiet, verbose=self.output.verbose, query_log=query_log)


def _open(path: str) -> IO[str]:
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"--output {path}: {exc.strerror or exc}") from None
