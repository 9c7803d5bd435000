"""``mailcheck message FILE.eml|-``: one real message verified as a receiver would."""

from __future__ import annotations

from typing import Annotated

import typer

from mailcheck.cli import app
from mailcheck.cli.options import GlobalArguments, with_global_options
from mailcheck.cli.sources import DEFAULT_MAX_SIZE_TEXT, Maildir, MaxSize, Mbox, source_spec

SMTP = "SMTP facts (default: read from the receiver's trace headers)"
JUDGING = "Judging"


@app.command(epilog="Example: mailcheck message received.eml --ip 192.0.2.1")
@with_global_options()
def message(
    files: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FILE.eml|-",
            help="Messages to verify ('-' for stdin): as sent, or as received with the receiver's headers.",
            show_default=False,
        ),
    ] = None,
    mbox: Mbox = None,
    maildir: Maildir = None,
    max_size: MaxSize = DEFAULT_MAX_SIZE_TEXT,
    ip: Annotated[
        str | None,
        typer.Option(
            "--ip", metavar="ADDR", help="The IP that sent the message to the receiver.", rich_help_panel=SMTP, show_default=False
        ),
    ] = None,
    helo: Annotated[
        str | None,
        typer.Option("--helo", metavar="NAME", help="The HELO/EHLO name it gave.", rich_help_panel=SMTP, show_default=False),
    ] = None,
    mail_from: Annotated[
        str | None,
        typer.Option(
            "--mail-from",
            metavar="ADDRESS|<>",
            help="The envelope sender ('<>' for the null sender).",
            rich_help_panel=SMTP,
            show_default=False,
        ),
    ] = None,
    authserv_id: Annotated[
        str | None,
        typer.Option(
            "--authserv-id",
            metavar="ID",
            help="The receiver's authserv-id: its Authentication-Results and its Received field are the ones trusted.",
            rich_help_panel=SMTP,
            show_default=False,
        ),
    ] = None,
    trusted_hop: Annotated[
        int | None,
        typer.Option(
            "--trusted-hop",
            metavar="N",
            help="Take the SMTP facts from the Nth Received field from the top.",
            rich_help_panel=SMTP,
            show_default=False,
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="TIME",
            help="Verify as of this time (ISO 8601 or Unix seconds): x= expiry, timestamps. Default: now.",
            rich_help_panel=JUDGING,
            show_default=False,
        ),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            metavar="LIST",
            help="Judge against these providers' rules: gmail,yahoo,outlook (default all).",
            rich_help_panel=JUDGING,
            show_default=False,
        ),
    ] = None,
    marketing: Annotated[
        bool | None,
        typer.Option(
            "--marketing/--transactional",
            help="What kind of mail it is (default: guessed from List-Id, List-Unsubscribe, Precedence).",
            rich_help_panel=JUDGING,
            show_default=False,
        ),
    ] = None,
    trusted_arc_sealer: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-arc-sealer",
            metavar="DOMAIN",
            help="An ARC sealer you trust to vouch for forwarded mail (repeatable).",
            rich_help_panel=JUDGING,
            show_default=False,
        ),
    ] = None,
    no_reputation: Annotated[
        bool,
        typer.Option(
            "--no-reputation", help="Do not look the sending IP and the links up on blocklists.", rich_help_panel=JUDGING
        ),
    ] = False,
    *,
    options: GlobalArguments,
) -> int:
    """Verify a message as a receiver would: DKIM, ARC, SPF, DMARC, the receiver's Authentication-Results, unsubscribe headers and the providers' sender rules."""
    from mailcheck.cli.run import emit_run
    from mailcheck.commands.message import message_request, run_message
    from mailcheck.message.report import Kind

    network, output = options.settings()
    kind: Kind | None = None if marketing is None else ("marketing" if marketing else "transactional")
    request = message_request(
        source_spec(files, mbox, maildir, max_size),
        ip=ip,
        helo=helo,
        mail_from=mail_from,
        authserv_id=authserv_id,
        trusted_hop=trusted_hop,
        at=at,
        providers=provider,
        kind=kind,
        trusted_sealers=trusted_arc_sealer or (),
        reputation=not no_reputation,
    )
    # Paths are checked before the run starts, so a missing file is exit 2 at once.
    from mailcheck.sources import open_sources

    open_sources(request.sources)
    return emit_run(lambda on_report, keep: run_message(request, network, on_report, keep), output)  # type: ignore[arg-type,return-value]
