"""``mailcheck bounce FILE...|-``: what came back after a send, per recipient."""

from __future__ import annotations

import dataclasses
import enum
from typing import Annotated

import typer

from mailcheck.cli import app
from mailcheck.cli.options import GLOBAL, GlobalArguments, with_global_options
from mailcheck.cli.sources import DEFAULT_MAX_SIZE_TEXT, INPUT, Maildir, MaxSize, Mbox


class BounceFailOn(str, enum.Enum):
    """The global --fail-on values, and bounce's own: hard, soft, complaint."""

    warn = "warn"
    error = "error"
    fail = "fail"
    hard = "hard"
    soft = "soft"
    complaint = "complaint"


FailOnBounce = Annotated[
    BounceFailOn | None,
    typer.Option(
        "--fail-on",
        help=(
            "Exit 1 when a recipient hard-bounced (hard), bounced or was delayed at all (soft), or complained "
            "(complaint); or, as for every command, when a check is warn/error/fail or worse."
        ),
        rich_help_panel=GLOBAL,
        case_sensitive=False,
        show_default=False,
    ),
]


@app.command(epilog="Example: mailcheck bounce --mbox bounces.mbox --summary")
@with_global_options(timeout=5.0, fail_on=FailOnBounce)
def bounce(
    files: Annotated[
        list[str] | None,
        typer.Argument(metavar="FILE...", help="Returned messages (.eml); '-' reads one from stdin.", show_default=False),
    ] = None,
    mbox: Mbox = None,
    maildir: Maildir = None,
    max_size: MaxSize = DEFAULT_MAX_SIZE_TEXT,
    line: Annotated[
        list[str] | None,
        typer.Option(
            "--line",
            metavar="TEXT",
            help='One reply from an MTA log or an API, e.g. "550 5.1.1 <a@b>: User unknown" (repeatable).',
            rich_help_panel=INPUT,
            show_default=False,
        ),
    ] = None,
    summary: Annotated[
        bool, typer.Option("--summary", help="Add counts per kind, reason and receiving domain, and the suppress list.")
    ] = False,
    suppress_list: Annotated[
        str | None,
        typer.Option(
            "--suppress-list",
            metavar="FILE",
            help="Write the addresses to suppress (hard bounces, complaints) to FILE, one a line.",
            show_default=False,
        ),
    ] = None,
    *,
    options: GlobalArguments,
) -> int:
    """Read bounces, delays, complaints and auto-replies: per recipient what happened, why, and what to do."""
    from pathlib import Path

    from mailcheck.cli.options import FailOn, OutputFormat
    from mailcheck.cli.run import emit_run
    from mailcheck.cli.sources import source_spec
    from mailcheck.commands.bounce import BounceRequest, run_bounce, validate
    from mailcheck.errors import BadInput
    from mailcheck.model import ExitCode

    chosen = options.fail_on
    own = chosen.value if chosen in (BounceFailOn.hard, BounceFailOn.soft, BounceFailOn.complaint) else None
    options = dataclasses.replace(options, fail_on=None if own or chosen is None else FailOn(chosen.value))
    network, output = options.settings()
    if line and (files or mbox or maildir):
        raise BadInput("--line reads one reply given on the command line: give it without FILE, --mbox or --maildir")
    if line is not None and not all(text.strip() for text in line):
        raise BadInput("--line needs the text of a reply, e.g. --line '550 5.1.1 <a@b>: User unknown'")
    if suppress_list is not None and not suppress_list.strip():
        raise BadInput("--suppress-list needs a file name")
    request = BounceRequest(
        sources=None if line else source_spec(files, mbox, maildir, max_size),
        lines=tuple(line or ()),
        summary=summary,
        suppress_list=Path(suppress_list) if suppress_list else None,
        fail_on=own,  # type: ignore[arg-type]
    )
    validate(request)
    tallies = []

    def run(on_report, keep):  # type: ignore[no-untyped-def]
        outcome, tally = run_bounce(request, network, on_report, keep)
        tallies.append(tally)
        return outcome

    code = emit_run(run, output)
    if summary and output.format is OutputFormat.text and output.output_file is None and not output.quiet:
        from rich.console import Console

        from mailcheck.bounce.summary import print_tables

        print_tables(Console(no_color=not output.color, highlight=False, soft_wrap=True), tallies[0].as_dict())
    if own is not None and tallies:
        return ExitCode.FAILED if tallies[0].matches(own) else ExitCode.OK
    return code
