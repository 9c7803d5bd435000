"""``mailcheck domain DOMAIN...``: the sending domain's report."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mailcheck.cli import app
from mailcheck.cli.options import GlobalArguments, with_global_options

TRANSPORT = "Transport security"
BULK = "Many domains"


@app.command()
@with_global_options()
def domain(
    domains: Annotated[
        Optional[list[str]], typer.Argument(metavar="DOMAIN...", help="Sending domains to check.", show_default=False)
    ] = None,
    from_file: Annotated[
        Optional[str],
        typer.Option(
            "--from-file",
            metavar="FILE",
            help="Also check the domains in FILE, one a line ('-' for stdin; # comments).",
            rich_help_panel=BULK,
            show_default=False,
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option("--concurrency", metavar="N", help="Check at most N domains at once.", rich_help_panel=BULK),
    ] = 20,
    dkim_selector: Annotated[
        Optional[list[str]],
        typer.Option(
            "--dkim-selector",
            "-s",
            metavar="S",
            help="DKIM selector to check (repeatable); default: common provider selectors.",
            show_default=False,
        ),
    ] = None,
    ip: Annotated[
        Optional[str],
        typer.Option(
            "--ip",
            metavar="ADDR",
            help="The sending IP: evaluate SPF for it, look it up on blocklists, check its reverse DNS (FCrDNS).",
            show_default=False,
        ),
    ] = None,
    helo: Annotated[
        Optional[str], typer.Option("--helo", metavar="NAME", help="HELO name for SPF evaluation with --ip.", show_default=False)
    ] = None,
    mail_from: Annotated[
        Optional[str],
        typer.Option(
            "--mail-from",
            metavar="ADDRESS",
            help="Envelope sender for SPF evaluation with --ip (default postmaster@DOMAIN).",
            show_default=False,
        ),
    ] = None,
    no_smtp: Annotated[
        bool,
        typer.Option(
            "--no-smtp",
            help="Do not connect to the MX hosts (STARTTLS, certificates, DANE and MTA-STS certificate checks).",
            rich_help_panel=TRANSPORT,
        ),
    ] = False,
    port: Annotated[
        int,
        typer.Option(
            "--port",
            metavar="PORT",
            help="SMTP port of the MX hosts (testing and relays; default 25).",
            rich_help_panel=TRANSPORT,
        ),
    ] = 25,
    https_port: Annotated[
        int,
        typer.Option(
            "--https-port",
            metavar="PORT",
            help="HTTPS port for the MTA-STS policy and BIMI files (testing and relays; default 443).",
            rich_help_panel=TRANSPORT,
        ),
    ] = 443,
    ca_file: Annotated[
        Optional[str],
        typer.Option(
            "--ca-file",
            metavar="PEM",
            help="Extra trusted CA certificates for HTTPS and SMTP TLS (testing, private CAs).",
            rich_help_panel=TRANSPORT,
            show_default=False,
        ),
    ] = None,
    bimi_selector: Annotated[
        str,
        typer.Option("--bimi-selector", metavar="S", help="BIMI selector to check.", rich_help_panel=TRANSPORT),
    ] = "default",
    parked: Annotated[
        bool,
        typer.Option(
            "--parked",
            help="Judge the domain as parked (it sends and receives no mail): no DKIM keys, report "
            "addresses, TLS-RPT, MTA-STS or BIMI asked; warns about the records it should publish.",
        ),
    ] = False,
    *,
    options: GlobalArguments,
) -> int:
    """Check a sending domain: DNS, MX, SPF, DKIM, DMARC, transport security (STARTTLS, MTA-STS, TLS-RPT, DANE, DNSSEC, BIMI) and blocklists."""
    from mailcheck.cli.bulk import run_streaming
    from mailcheck.commands.domain import DomainRequest, read_domain_file, run_domain
    from mailcheck.errors import BadInput
    from mailcheck.render.sarif import zone_artifacts

    network, output = options.settings()
    if concurrency < 1:
        raise BadInput(f"--concurrency must be at least 1, not {concurrency}")
    names = list(domains or ()) + (read_domain_file(from_file) if from_file is not None else [])
    if not names:
        raise BadInput("Missing argument 'DOMAIN...': give at least one DOMAIN, or --from-file FILE")
    request = DomainRequest.from_cli(
        names,
        dkim_selector or (),
        ip,
        helo,
        mail_from,
        smtp=not no_smtp,
        port=port,
        https_port=https_port,
        ca_file=ca_file,
        bimi_selector=bimi_selector,
        parked=parked,
    )
    return run_streaming(
        lambda on_report: run_domain(request, network, concurrency=concurrency, on_report=on_report),
        len(request.domains),
        output,
        summary=from_file is not None,
        artifacts=zone_artifacts([name.ascii for name in request.domains], network.zones),
    )
