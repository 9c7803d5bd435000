"""``mailcheck probe ADDRESS...``: would the recipient's server accept this mailbox?"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mailcheck.cli import app
from mailcheck.cli.options import GlobalArguments, with_global_options


@app.command()
@with_global_options(timeout=10.0)
def probe(
    addresses: Annotated[list[str], typer.Argument(metavar="ADDRESS...", help="Email addresses to probe.", show_default=False)],
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="SMTP port of the MX hosts (for tests and relays).")] = 25,
    helo: Annotated[
        Optional[str],
        typer.Option("--helo", metavar="NAME", help="Name to say EHLO with (default: this host's FQDN); use a real public name.", show_default=False),
    ] = None,
    mail_from: Annotated[
        Optional[str],
        typer.Option("--mail-from", metavar="ADDRESS", help="Envelope sender (default: the null reverse-path <>).", show_default=False),
    ] = None,
    no_tls: Annotated[bool, typer.Option("--no-tls", help="Do not use STARTTLS even when offered.")] = False,
    ca_file: Annotated[
        Optional[str],
        typer.Option("--ca-file", metavar="PEM", help="Extra CA certificates to trust for STARTTLS.", show_default=False),
    ] = None,
    no_catch_all: Annotated[bool, typer.Option("--no-catch-all", help="Skip the catch-all test (RCPT to a random address).")] = False,
    ipv4: Annotated[bool, typer.Option("-4", "--ipv4", help="Connect over IPv4 only.")] = False,
    ipv6: Annotated[bool, typer.Option("-6", "--ipv6", help="Connect over IPv6 only.")] = False,
    retry_greylist: Annotated[
        Optional[float],
        typer.Option("--retry-greylist", metavar="SECONDS", help="On a 4xx at RCPT, wait this long once and retry the same MX address.", show_default=False),
    ] = None,
    *,
    options: GlobalArguments,
) -> int:
    """Ask the recipient's MX whether it accepts ADDRESS, without sending mail (never DATA)."""
    from mailcheck.cli.output import emit
    from mailcheck.commands.probe import ProbeRequest, run_probe

    network, output = options.settings()
    request = ProbeRequest.from_cli(
        addresses,
        port=port,
        helo=helo,
        mail_from=mail_from,
        tls=not no_tls,
        ca_file=ca_file,
        catch_all=not no_catch_all,
        ipv4=ipv4,
        ipv6=ipv6,
        retry_greylist=retry_greylist,
        timeout=network.timeout,
        verbose=output.verbose,
    )
    outcome = run_probe(request, network)
    return emit(outcome.reports, output, outcome.log)
