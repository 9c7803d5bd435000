"""``mailcheck domain DOMAIN...``: the sending domain's report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mailcheck.cli import app
from mailcheck.cli.options import GlobalArguments, OutputFormat, given, with_global_options
from mailcheck.errors import BadInput

if TYPE_CHECKING:
    from mailcheck.checks.context import DomainOptions
    from mailcheck.commands.domain import DomainRequest

TRANSPORT = "Transport security"
BULK = "Many domains"


@app.command(epilog="Example: mailcheck domain example.com --ip 192.0.2.1 --dkim-selector s1")
@with_global_options()
def domain(
    domains: Annotated[
        list[str] | None, typer.Argument(metavar="DOMAIN...", help="Sending domains to check.", show_default=False)
    ] = None,
    from_file: Annotated[
        str | None,
        typer.Option(
            "--from-file",
            metavar="FILE",
            help="Also check the domains in FILE, one a line ('-' for stdin; # comments).",
            rich_help_panel=BULK,
            show_default=False,
        ),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            metavar="N",
            help="Check at most N domains at once (default: 20; 100 with --from-file).",
            rich_help_panel=BULK,
            show_default=False,
        ),
    ] = None,
    dkim_selector: Annotated[
        list[str] | None,
        typer.Option(
            "--dkim-selector",
            "-s",
            metavar="S",
            help="DKIM selector to check (repeatable); default: common provider selectors.",
            show_default=False,
        ),
    ] = None,
    ip: Annotated[
        str | None,
        typer.Option(
            "--ip",
            metavar="ADDR",
            help="The sending IP: evaluate SPF for it, look it up on blocklists, check its reverse DNS (FCrDNS).",
            show_default=False,
        ),
    ] = None,
    helo: Annotated[
        str | None, typer.Option("--helo", metavar="NAME", help="HELO name for SPF evaluation with --ip.", show_default=False)
    ] = None,
    mail_from: Annotated[
        str | None,
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
        typer.Option("--port", metavar="PORT", help="SMTP port of the MX hosts (testing and relays).", rich_help_panel=TRANSPORT),
    ] = 25,
    https_port: Annotated[
        int,
        typer.Option(
            "--https-port",
            metavar="PORT",
            help="HTTPS port for the MTA-STS policy and BIMI files (testing and relays).",
            rich_help_panel=TRANSPORT,
        ),
    ] = 443,
    ca_file: Annotated[
        str | None,
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
    from mailcheck.commands.domain import DomainRequest, run_domain
    from mailcheck.names import parse_domain

    network, output = options.settings()
    if concurrency is None:
        from mailcheck.run import BULK_CONCURRENCY, DEFAULT_CONCURRENCY

        concurrency = BULK_CONCURRENCY if from_file is not None else DEFAULT_CONCURRENCY
    if concurrency < 1:
        raise BadInput(f"--concurrency must be at least 1, not {concurrency}")
    names = list(domains or ()) + (read_domain_file(from_file) if from_file is not None else [])
    if not names:
        raise BadInput("Missing argument 'DOMAIN...': give at least one DOMAIN, or --from-file FILE")
    request = DomainRequest(
        tuple(parse_domain(text) for text in names),
        domain_options(
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
        ),
    )
    return run_streaming(
        lambda on_report, keep: run_domain(
            request, network, concurrency=concurrency, on_report=on_report, keep=keep, keep_log=output.verbose
        ),
        len(request.domains),
        output,
        summary=from_file is not None,
        artifacts=_zone_artifacts(request, network.zones) if output.format is OutputFormat.sarif else None,
    )


def _zone_artifacts(request: DomainRequest, zones: Sequence[str]) -> dict[str, Any]:
    """Where SARIF results point: each domain's records in the --zone files (only SARIF
    shows them, and reading the zones is work the other formats need not do)."""
    from mailcheck.render.sarif import zone_artifacts

    return zone_artifacts([name.ascii for name in request.domains], zones)


def domain_options(
    selectors: Sequence[str],
    ip: str | None,
    helo: str | None,
    mail_from: str | None,
    *,
    smtp: bool,
    port: int,
    https_port: int,
    ca_file: str | None,
    bimi_selector: str,
    parked: bool = False,
) -> DomainOptions:
    """The flags' values, validated, each error naming its flag."""
    from mailcheck.checks.context import DomainOptions
    from mailcheck.values import ca_file as pem_file
    from mailcheck.values import dns_selector, ip_address, tcp_port

    sending_ip = given("--ip", ip_address, ip) if ip is not None else None
    if (helo or mail_from) and sending_ip is None:
        raise BadInput("--helo and --mail-from are used with --ip (SPF evaluation)")
    return DomainOptions(
        tuple(dict.fromkeys(given("--dkim-selector", dns_selector, s) for s in selectors)),
        sending_ip,
        helo,
        mail_from,
        smtp=smtp,
        smtp_port=given("--port", tcp_port, port),
        https_port=given("--https-port", tcp_port, https_port),
        ca_file=given("--ca-file", pem_file, ca_file) if ca_file is not None else None,
        bimi_selector=given("--bimi-selector", dns_selector, bimi_selector),
        parked=parked,
    )


def read_domain_file(path: str) -> list[str]:
    """Domains from ``path`` (``-``: stdin); a line that is not a domain is bad input
    naming its line number."""
    from mailcheck.cli.list_file import read_list_file
    from mailcheck.names import parse_domain

    listed = read_list_file(path)
    for entry in listed.entries:
        try:
            parse_domain(entry.text)
        except BadInput as exc:
            raise BadInput(f"--from-file {listed.where} line {entry.line}: {exc}") from None
    if not listed.entries:
        raise BadInput(f"--from-file {listed.where}: no domains (only blank lines and comments)")
    return [entry.text for entry in listed.entries]
