"""Print reports in the chosen format and turn them into the exit code.

``--format`` picks the document; ``--output FILE`` sends that document to FILE and
keeps the text report on the terminal (``--output -`` is stdout, as without it).
stdout carries the report and nothing else; progress and the bulk summary of a
machine-readable run go to stderr.

JSON Lines can stream: a bulk run hands each report over as it completes
(``ReportSink.add``), and every line is flushed at once, so an interrupted run
leaves whole lines behind on stdout.

``--output FILE`` is written to a temporary file beside FILE and renamed over it
when the report is complete, JSON Lines included: an interrupted or failed run
leaves the old FILE as it was, never a half-written one. (Whoever wants the lines
of an interrupted bulk run redirects stdout instead.) A FILE that is not a regular
file (/dev/stdout, a FIFO, a device) is written in place.

Write errors end the run with one line (exit 2). A closed pipe on stdout (``| head
-1``) is not an error: the reader has what it wanted, the rest is dropped, and the
exit code is the report's own.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import IO, TYPE_CHECKING, Any, Self

from mailcheck import __version__
from mailcheck.cli.interrupt import whole_writes
from mailcheck.cli.options import FailOn, OutputFormat, OutputOptions
from mailcheck.errors import BadInput
from mailcheck.model import ExitCode, Report, Status, exit_code

if TYPE_CHECKING:
    # rich loads when a report is drawn as text, not for a JSON document.
    from rich.console import Console

    from mailcheck.dns.resolver import QueryRecord

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
    version: str = __version__,
) -> str:
    """The machine-readable document for ``output_format`` (not text), naming VERSION as
    the tool's: the installed one, or a fixed one for the golden files."""
    if output_format is OutputFormat.json:
        from mailcheck.render.json import render_json

        return render_json(reports, version=version) + "\n"
    if output_format is OutputFormat.jsonl:
        from mailcheck.render.jsonl import render_jsonl

        return render_jsonl(reports, version=version)
    if output_format is OutputFormat.junit:
        from mailcheck.render.junit import render_junit

        return render_junit(reports, warn_fails=fail_on is FailOn.warn, version=version)
    if output_format is OutputFormat.sarif:
        from mailcheck.render.sarif import render_sarif

        return render_sarif(reports, artifacts=artifacts, version=version)
    if output_format is OutputFormat.markdown:
        from mailcheck.render.markdown import render_markdown

        return render_markdown(reports, version=version)
    raise ValueError(f"no document renderer for {output_format.value}")  # pragma: no cover


class OutputError(BadInput):
    """The report could not be written (disk full, /dev/full, a closed FIFO): exit 2."""


STDOUT = "-"


def output_path(output: OutputOptions) -> str | None:
    """The --output file, or None when the document goes to stdout (no --output, or -)."""
    return None if output.output_file in (None, STDOUT) else output.output_file


def silence_stdout() -> None:
    """Point stdout at /dev/null once it cannot be written, so the interpreter's last
    flush at exit does not print "Exception ignored ... BrokenPipeError"."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout has no descriptor (a test's StringIO)
        pass


def write_error(where: str, exc: OSError) -> OutputError:
    reason = exc.strerror or exc.__class__.__name__
    return OutputError(f"cannot write the report to {where}: {reason}")


def _write_whole(text: str) -> None:
    """``text`` to stdout, all of it, even when a signal interrupts a blocked write.

    Python 3.11's buffered writer can drop the rest of a buffer when a write into a
    full pipe is interrupted by a signal whose handler returns (a Ctrl-C held back by
    ``whole_writes``): the reader then gets half a JSON line. os.write reports how
    much it wrote, so the loop below finishes the line. Streams without a descriptor
    (a test's StringIO) are written as usual.
    """
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    rest = memoryview(text.encode(sys.stdout.encoding or "utf-8", sys.stdout.errors or "strict"))
    while rest:
        rest = rest[os.write(descriptor, rest) :]


class ReportSink:
    """Where a run's reports go: stdout, the --output file, or both.

    Open it before the run so a bad --output path fails before any work; close it
    (``with``) whatever happens: the file takes the target's name only when the run
    finished, else the temporary file is removed.
    """

    def __init__(self, output: OutputOptions, *, artifacts: Mapping[str, Any] | None = None) -> None:
        self.output = output
        self.artifacts = artifacts
        self._path = output_path(output)
        self._file: AtomicFile | None = AtomicFile(self._path) if self._path is not None else None
        self._stdout_closed = False  # the reader of stdout went away (| head)
        self._streamed = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        if self._file is not None:
            self._file.close(commit=exc_type is None)

    @property
    def streams(self) -> bool:
        """JSON Lines is the one format written as reports complete."""
        return self.output.format is OutputFormat.jsonl

    def add(self, report: Report) -> None:
        """One report has completed: stream it now if the format streams."""
        line = self.line_for(report)
        if line is not None:
            self.add_line(line)

    def line_for(self, report: Report) -> str | None:
        """What ``add`` writes for ``report`` (None: the format does not stream). It
        reads nothing of the sink's state, so a worker process may render it."""
        if not self.streams:
            return None
        from mailcheck.render.jsonl import render_line

        return render_line(report) + "\n"

    def add_line(self, line: str) -> None:
        """A line ``line_for`` rendered, in its place in the stream."""
        self.write_document(line)
        self._streamed += 1

    def finish(self, reports: Sequence[Report], query_log: Sequence[QueryRecord] = ()) -> ExitCode:
        """Write what was not streamed; return the exit code."""
        fmt = self.output.format
        if fmt is OutputFormat.text:
            self.terminal(lambda console: self._text(console, reports, query_log))
            if self._file is not None:
                self._file.write_with(lambda stream: self._text(_console(stream, color=False), reports, query_log))
        else:
            if not (self.streams and self._streamed):
                self.write_document(render_document(reports, fmt, fail_on=self.output.fail_on, artifacts=self.artifacts))
            if self._file is not None:
                self.terminal(lambda console: self._text(console, reports, query_log))
        return exit_code_for(reports, self.output.fail_on)

    def terminal(self, draw: Callable[[Console], object]) -> None:
        """``draw(console)`` on stdout; a closed pipe ends what stdout gets, quietly."""
        if self._stdout_closed:
            return
        with self._stdout():
            draw(_console(sys.stdout, color=self.output.color))

    def write_document(self, text: str) -> None:
        """A whole document of the command's own (a page) to --output or stdout."""
        if self._file is not None:
            self._file.write_with(lambda stream: stream.write(text))
        elif not self._stdout_closed:
            with whole_writes(), self._stdout():
                _write_whole(text)

    @contextmanager
    def _stdout(self) -> Iterator[None]:
        try:
            yield
            sys.stdout.flush()
        except BrokenPipeError:
            self._stdout_closed = True
            silence_stdout()
        except OSError as exc:
            silence_stdout()
            raise write_error("stdout", exc) from None

    def _text(self, console: Console, reports: Sequence[Report], query_log: Sequence[QueryRecord]) -> None:
        from mailcheck.render.text import render_text

        render_text(console, reports, quiet=self.output.quiet, verbose=self.output.verbose, query_log=query_log)


def _console(stream: IO[str], *, color: bool) -> Console:
    from mailcheck.cli.console import make_console  # rich: only for a report drawn as text

    return make_console(stream, color=color)


class AtomicFile:
    """--output FILE: written beside FILE, renamed over it by ``close(commit=True)``.

    A target that exists and is not a regular file (/dev/stdout, a FIFO, /dev/full)
    cannot be replaced by a rename and is written in place.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._temporary: str | None = None
        if os.path.isdir(path):
            raise BadInput(f"--output {path}: is a directory")
        if os.path.exists(path) and not os.access(path, os.W_OK):
            raise BadInput(f"--output {path}: Permission denied")
        try:
            if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
                self._stream: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115  (kept open across writes; closed in close())
                return
            directory = os.path.dirname(os.path.abspath(path))
            handle, self._temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
            self._stream = os.fdopen(handle, "w", encoding="utf-8")
        except OSError as exc:
            if isinstance(exc, (FileNotFoundError, NotADirectoryError)) and not os.path.isdir(
                os.path.dirname(os.path.abspath(path))
            ):
                raise BadInput(f"--output {path}: No such file or directory") from None
            raise BadInput(f"--output {path}: {exc.strerror or exc}") from None

    def write_with(self, write: Callable[[IO[str]], object]) -> None:
        """``write(stream)``, flushed at once so a streamed line is whole on disk."""
        try:
            write(self._stream)
            self._stream.flush()
        except OSError as exc:
            raise write_error(self.path, exc) from None

    def close(self, *, commit: bool) -> None:
        try:
            self._stream.close()
            if self._temporary is None:
                return
            if commit:
                os.chmod(self._temporary, _mode_for(self.path))
                os.replace(self._temporary, self.path)
                self._temporary = None
        except OSError as exc:
            if commit:
                raise write_error(self.path, exc) from None
        finally:
            if self._temporary is not None:
                with suppress(OSError):
                    os.unlink(self._temporary)


def _mode_for(path: str) -> int:
    """The old file's permissions, or what open() would have given a new one
    (mkstemp makes its file private to the user)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
