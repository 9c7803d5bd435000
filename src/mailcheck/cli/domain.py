"""``mailcheck domain DOMAIN...``: the sending domain's report."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mailcheck.cli import app
from mailcheck.cli.options import (
    Format,
    Nameservers,
    NoColor,
    Offline,
    OutputFormat,
    Quiet,
    Timeout,
    Verbose,
    Zones,
    global_options,
)


@app.command()
def domain(
    domains: Annotated[list[str], typer.Argument(metavar="DOMAIN...", help="Sending domains to check.", show_default=False)],
    dkim_selector: Annotated[
        Optional[list[str]],
        typer.Option("--dkim-selector", "-s", metavar="S", help="DKIM selector to check (repeatable); default: common provider selectors.", show_default=False),
    ] = None,
    ip: Annotated[
        Optional[str],
        typer.Option("--ip", metavar="ADDR", help="The sending IP: evaluate SPF for it.", show_default=False),
    ] = None,
    helo: Annotated[
        Optional[str], typer.Option("--helo", metavar="NAME", help="HELO name for SPF evaluation with --ip.", show_default=False)
    ] = None,
    mail_from: Annotated[
        Optional[str],
        typer.Option("--mail-from", metavar="ADDRESS", help="Envelope sender for SPF evaluation with --ip (default postmaster@DOMAIN).", show_default=False),
    ] = None,
    nameserver: Nameservers = None,
    zone: Zones = None,
    offline: Offline = False,
    timeout: Timeout = 5.0,
    output_format: Format = OutputFormat.text,
    no_color: NoColor = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> int:
    """Check a sending domain: DNS, MX, SPF, DKIM and DMARC."""
    from mailcheck.cli.output import emit
    from mailcheck.commands.domain import DomainRequest, run_domain

    network, output = global_options(nameserver, zone, offline, timeout, output_format, no_color, quiet, verbose)
    request = DomainRequest.from_cli(domains, dkim_selector or (), ip, helo, mail_from)
    reports, log = run_domain(request, network)
    return emit(reports, output, log)
