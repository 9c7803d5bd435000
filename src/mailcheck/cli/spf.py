"""``mailcheck spf --ip ADDR --mail-from ADDR|<> --helo NAME``: SPF for raw identities."""

from __future__ import annotations

from typing import Annotated

import typer

from mailcheck.cli import app
from mailcheck.cli.options import GlobalArguments, with_global_options


@app.command(epilog="Example: mailcheck spf --ip 192.0.2.1 --mail-from user@example.com --helo mail.example.com")
@with_global_options()
def spf(
    ip: Annotated[str | None, typer.Option("--ip", metavar="ADDR", help="The client's IP address.", show_default=False)] = None,
    mail_from: Annotated[
        str | None,
        typer.Option(
            "--mail-from", metavar="ADDRESS|<>", help="MAIL FROM exactly as sent ('<>' for the null sender).", show_default=False
        ),
    ] = None,
    helo: Annotated[
        str | None,
        typer.Option(
            "--helo",
            metavar="NAME",
            help="HELO/EHLO name exactly as sent (a host name or [address literal]).",
            show_default=False,
        ),
    ] = None,
    *,
    options: GlobalArguments,
) -> int:
    """check_host() for the identities a client sends: the result, the include tree walked and the mechanism that matched."""
    from mailcheck.cli.run import emit_run
    from mailcheck.commands.spf import SpfRequest, run_spf

    network, output = options.settings()
    request = SpfRequest.from_cli(ip, mail_from, helo)
    return emit_run(lambda on_report, keep: run_spf(request, network, on_report, keep), output)  # type: ignore[arg-type,return-value]
