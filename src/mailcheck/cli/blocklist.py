"""``mailcheck blocklist TARGET...``: IPs, domains, URLs and addresses on DNS blocklists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mailcheck.cli import app
from mailcheck.cli.options import GlobalArguments, with_global_options

if TYPE_CHECKING:
    from mailcheck.commands.blocklist import ListChoice

LISTS = "List choice"

# Shared with ``mailcheck links``.
CustomLists = Annotated[
    list[str] | None,
    typer.Option(
        "--list",
        metavar="ip:ZONE|domain:ZONE",
        help="Also ask this list (repeatable).",
        rich_help_panel=LISTS,
        show_default=False,
    ),
]
OnlyLists = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        metavar="NAME",
        help="Ask only these catalogue lists (repeatable): zen, spamcop, barracuda, dbl, uribl, surbl.",
        rich_help_panel=LISTS,
        show_default=False,
    ),
]
SkipLists = Annotated[
    list[str] | None,
    typer.Option(
        "--skip", metavar="NAME", help="Do not ask this catalogue list (repeatable).", rich_help_panel=LISTS, show_default=False
    ),
]
DqsKey = Annotated[
    str | None,
    typer.Option(
        "--dqs-key",
        envvar="MAILCHECK_DQS_KEY",
        metavar="KEY",
        help="Ask Spamhaus through its Data Query Service with this key (KEY.zen.dq.spamhaus.net).",
        rich_help_panel=LISTS,
        show_default=False,
    ),
]


def list_choice(only: list[str] | None, skip: list[str] | None, custom: list[str] | None, dqs_key: str | None) -> ListChoice:
    from mailcheck.commands.blocklist import ListChoice

    return ListChoice(tuple(only or ()), tuple(skip or ()), tuple(custom or ()), dqs_key)


@app.command(epilog="Example: mailcheck blocklist 192.0.2.1 example.com --self-test")
@with_global_options()
def blocklist(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="TARGET...",
            help="IP addresses, domains, URLs (their host) or email addresses (their domain).",
            show_default=False,
        ),
    ] = None,
    from_file: Annotated[
        str | None,
        typer.Option(
            "--from-file",
            metavar="FILE",
            help="Read targets from FILE, one a line ('-' for stdin; # comments).",
            show_default=False,
        ),
    ] = None,
    self_test: Annotated[
        bool,
        typer.Option("--self-test", help="Ask each list about its RFC 5782 test points and leave out lists that misbehave."),
    ] = False,
    custom: CustomLists = None,
    only: OnlyLists = None,
    skip: SkipLists = None,
    dqs_key: DqsKey = None,
    *,
    options: GlobalArguments,
) -> int:
    """Look up IPs, domains, URLs and email addresses on DNS blocklists."""
    from mailcheck.blocklists.targets import parse_targets
    from mailcheck.cli.list_file import read_list_file
    from mailcheck.cli.output import emit
    from mailcheck.commands.blocklist import BlocklistRequest, run_blocklist
    from mailcheck.errors import BadInput

    network, output = options.settings()
    texts = list(targets or ())
    if from_file is not None:
        texts.extend(entry.text for entry in read_list_file(from_file).entries)
    if not texts and not self_test:
        raise BadInput("give at least one target (IP, domain, URL, email address), --from-file or --self-test")
    choice = list_choice(only, skip, custom, dqs_key)
    request = BlocklistRequest(parse_targets(texts), choice.lists(), self_test)
    outcome = run_blocklist(request, network)
    return emit(outcome.reports, output, outcome.log)
