"""``mailcheck links FILE.eml|FILE.html|URL...``: the links of a message on blocklists."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from mailcheck.cli import app
from mailcheck.cli.blocklist import (
    CustomLists,
    DqsKey,
    OnlyLists,
    SkipLists,
    list_choice,
)
from mailcheck.cli.options import GlobalArguments, with_global_options
from mailcheck.errors import BadInput

STDIN = "-"


@app.command(epilog="Example: mailcheck links message.eml --follow")
@with_global_options()
def links(
    sources: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE.eml|FILE.html|URL|-...",
            help="Messages, HTML files or http(s) URLs; '-' reads a message or HTML page from stdin.",
            show_default=False,
        ),
    ],
    follow: Annotated[
        bool, typer.Option("--follow", help="Follow each link's redirects (at most 10 hops) and check every host met.")
    ] = False,
    ca_file: Annotated[
        str | None,
        typer.Option("--ca-file", metavar="PEM", help="Also trust this CA for HTTPS while following links.", show_default=False),
    ] = None,
    custom: CustomLists = None,
    only: OnlyLists = None,
    skip: SkipLists = None,
    dqs_key: DqsKey = None,
    *,
    options: GlobalArguments,
) -> int:
    """Check every link of a message or page (and where it redirects) on DNS blocklists."""
    from mailcheck.cli.output import emit
    from mailcheck.commands.links import LinksRequest, run_links

    network, output = options.settings()
    _check_sources(sources)
    if ca_file is not None and not Path(ca_file).is_file():
        raise BadInput(f"--ca-file {ca_file}: no such file")
    if ca_file is not None and not follow:
        raise BadInput("--ca-file is used with --follow (it trusts a CA for the HTTPS requests)")
    stdin = _read_stdin() if STDIN in sources else None
    choice = list_choice(only, skip, custom, dqs_key)
    request = LinksRequest(tuple(sources), choice.lists(), follow, ca_file, stdin)
    outcome = run_links(request, network)
    return emit(outcome.reports, output, outcome.log)


def _check_sources(sources: Sequence[str]) -> None:
    from mailcheck.commands.links import is_file
    from mailcheck.links.extract import MAX_URL_CHARS, shown_url
    from mailcheck.links.report import is_web_url

    if not sources:
        raise BadInput("give at least one message file, HTML file or http(s) URL")
    if sources.count(STDIN) > 1:
        raise BadInput("'-' (stdin) can be given once")
    for source in sources:
        if source == STDIN or is_file(source):
            continue
        if not is_web_url(source):
            raise BadInput(f"{shown_url(source)!r} is neither a file nor an http(s) URL")
        if len(source) > MAX_URL_CHARS:
            raise BadInput(f"{shown_url(source)}: a URL of over {MAX_URL_CHARS:,} characters is not one a reader can follow")


def _read_stdin() -> bytes:
    """The message or page piped in, as bytes: a message's parts carry their own charsets."""
    import sys

    if sys.stdin is None or sys.stdin.isatty():
        raise BadInput("'-' reads a message or HTML page from stdin, but stdin is a terminal: pipe one in")
    try:
        return sys.stdin.buffer.read()
    except (OSError, AttributeError) as exc:
        raise BadInput(f"cannot read stdin: {getattr(exc, 'strerror', None) or exc}") from None
