"""``mailcheck probe ADDRESS...``: would the recipient's server accept this mailbox?"""

from __future__ import annotations

import ipaddress
import math
from typing import TYPE_CHECKING, Annotated

import typer

from mailcheck.cli import app
from mailcheck.cli.options import GlobalArguments, given, with_global_options
from mailcheck.errors import BadInput

if TYPE_CHECKING:
    from mailcheck.smtp.probe import ProbeOptions

MAX_RETRY_GREYLIST = 3600.0


@app.command(epilog="Example: mailcheck probe postmaster@example.com --no-catch-all")
@with_global_options(timeout=10.0)
def probe(
    addresses: Annotated[list[str], typer.Argument(metavar="ADDRESS...", help="Email addresses to probe.", show_default=False)],
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="SMTP port of the MX hosts (for tests and relays).")] = 25,
    helo: Annotated[
        str | None,
        typer.Option(
            "--helo",
            metavar="NAME",
            help="Name to say EHLO with (default: this host's FQDN); use a real public name.",
            show_default=False,
        ),
    ] = None,
    mail_from: Annotated[
        str | None,
        typer.Option(
            "--mail-from", metavar="ADDRESS", help="Envelope sender (default: the null reverse-path <>).", show_default=False
        ),
    ] = None,
    no_tls: Annotated[bool, typer.Option("--no-tls", help="Do not use STARTTLS even when offered.")] = False,
    ca_file: Annotated[
        str | None,
        typer.Option("--ca-file", metavar="PEM", help="Extra CA certificates to trust for STARTTLS.", show_default=False),
    ] = None,
    no_catch_all: Annotated[
        bool, typer.Option("--no-catch-all", help="Skip the catch-all test (RCPT to a random address).")
    ] = False,
    ipv4: Annotated[bool, typer.Option("-4", "--ipv4", help="Connect over IPv4 only.")] = False,
    ipv6: Annotated[bool, typer.Option("-6", "--ipv6", help="Connect over IPv6 only.")] = False,
    retry_greylist: Annotated[
        float | None,
        typer.Option(
            "--retry-greylist",
            metavar="SECONDS",
            help="On a 4xx at RCPT, wait this long once and retry the same MX address.",
            show_default=False,
        ),
    ] = None,
    *,
    options: GlobalArguments,
) -> int:
    """Ask the recipient's MX whether it accepts ADDRESS, without sending mail (never DATA)."""
    from mailcheck.cli.output import emit
    from mailcheck.commands.probe import ProbeRequest, parse_address, run_probe

    network, output = options.settings()
    targets = tuple(dict.fromkeys(parse_address(a) for a in addresses))
    chosen = probe_options(
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
    )
    outcome = run_probe(ProbeRequest(targets, chosen, output.verbose), network)
    return emit(outcome.reports, output, outcome.log)


def probe_options(
    *,
    port: int,
    helo: str | None,
    mail_from: str | None,
    tls: bool,
    ca_file: str | None,
    catch_all: bool,
    ipv4: bool,
    ipv6: bool,
    retry_greylist: float | None,
    timeout: float,
) -> ProbeOptions:
    """The probe's options, validated with the flags' wording (the library API too)."""
    from mailcheck.commands.probe import parse_sender
    from mailcheck.smtp.probe import ProbeOptions
    from mailcheck.values import ca_file as pem_file
    from mailcheck.values import tcp_port

    smtp_port = given("--port", tcp_port, port)
    if retry_greylist is not None and not (0 <= retry_greylist <= MAX_RETRY_GREYLIST and math.isfinite(retry_greylist)):
        raise BadInput(f"--retry-greylist must be between 0 and {MAX_RETRY_GREYLIST:g} seconds, not {retry_greylist:g}")
    trusted = given("--ca-file", pem_file, ca_file) if ca_file is not None else None
    families = frozenset({4, 6})
    if ipv4 != ipv6:
        families = frozenset({4} if ipv4 else {6})
    return ProbeOptions(
        helo=_helo(helo),
        mail_from=parse_sender(mail_from),
        port=smtp_port,
        tls=tls,
        ca_file=trusted,
        catch_all=catch_all,
        families=families,
        timeout=timeout,
        retry_greylist=retry_greylist,
    )


def _helo(text: str | None) -> str:
    from mailcheck.names import parse_domain
    from mailcheck.smtp.helo import default_helo

    if text is None:
        return default_helo()
    name = text.strip()
    if name.startswith("[") and name.endswith("]"):
        literal = name[1:-1]
        literal = literal[5:] if literal.lower().startswith("ipv6:") else literal
        try:
            ipaddress.ip_address(literal)
        except ValueError:
            raise BadInput(f"--helo {text!r} is not an address literal such as [192.0.2.1]") from None
        return name
    try:
        return parse_domain(name).ascii
    except BadInput as exc:
        raise BadInput(f"--helo: {exc}") from None
