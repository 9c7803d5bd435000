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
from mailcheck.cli.options import (
    FailOnOption,
    Format,
    Nameservers,
    NoColor,
    Offline,
    OutputFile,
    OutputFormat,
    Quiet,
    Timeout,
    Verbose,
    Zones,
    global_options,
)


@app.command()
def links(
    sources: Annotated[
        list[str],
        typer.Argument(metavar="FILE.eml|FILE.html|URL...", help="Messages, HTML files or http(s) URLs.", show_default=False),
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
    nameserver: Nameservers = None,
    zone: Zones = None,
    offline: Offline = False,
    timeout: Timeout = 5.0,
    output_format: Format = OutputFormat.text,
    no_color: NoColor = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    output_file: OutputFile = None,
    fail_on: FailOnOption = None,
) -> int:
    """Check every link of a message or page (and where it redirects) on DNS blocklists."""
    from mailcheck.cli.output import emit
    from mailcheck.commands.links import LinksRequest, run_links

    network, output = global_options(
        nameserver, zone, offline, timeout, output_format, no_color, quiet, verbose, output_file, fail_on
    )
    request = LinksRequest.from_cli(sources, list_choice(only, skip, custom, dqs_key), follow, ca_file)
    reports, log = run_links(request, network)
    return emit(reports, output, log)
