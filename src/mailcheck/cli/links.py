"""``mailcheck links FILE.eml|FILE.html|URL...``: the links of a message on blocklists."""

from __future__ import annotations

from typing import Annotated, Optional

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


@app.command()
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
        Optional[str],
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
    stdin = _read_stdin() if "-" in sources else None
    request = LinksRequest.from_cli(sources, list_choice(only, skip, custom, dqs_key), follow, ca_file, stdin)
    outcome = run_links(request, network)
    return emit(outcome.reports, output, outcome.log)


def _read_stdin() -> bytes:
    """The message or page piped in, as bytes: a message's parts carry their own charsets."""
    import sys

    from mailcheck.errors import BadInput

    if sys.stdin is None or sys.stdin.isatty():
        raise BadInput("'-' reads a message or HTML page from stdin, but stdin is a terminal: pipe one in")
    try:
        return sys.stdin.buffer.read()
    except (OSError, AttributeError) as exc:
        raise BadInput(f"cannot read stdin: {getattr(exc, 'strerror', None) or exc}") from None
