"""The global options every command takes, declared once (design.md, "Command line").

Typer has no option groups, so each command repeats these annotated parameters and
hands them to ``global_options`` to become the run's settings.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Annotated, Optional

import typer

from mailcheck.errors import BadInput

GLOBAL = "Global options"


class OutputFormat(str, enum.Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    junit = "junit"
    sarif = "sarif"
    markdown = "markdown"


class FailOn(str, enum.Enum):
    """The least bad status that makes the exit code 1 (see ``exit_code_for``)."""

    warn = "warn"
    error = "error"
    fail = "fail"


Nameservers = Annotated[
    Optional[list[str]],
    typer.Option(
        "--nameserver",
        envvar="MAILCHECK_NAMESERVER",
        metavar="HOST[:PORT]",
        help="Send every DNS query here (repeatable; [v6addr]:port for IPv6).",
        rich_help_panel=GLOBAL,
        show_default=False,
    ),
]
Zones = Annotated[
    Optional[list[str]],
    typer.Option(
        "--zone",
        metavar="PATH",
        help="Serve these RFC 1035 zone files (a file or folder; repeatable) and answer from them first.",
        rich_help_panel=GLOBAL,
        show_default=False,
    ),
]
Offline = Annotated[
    bool,
    typer.Option("--offline", help="Names outside --zone fail at once instead of going upstream.", rich_help_panel=GLOBAL),
]
Timeout = Annotated[
    float,
    typer.Option("--timeout", metavar="SECONDS", help="Limit for each network operation.", rich_help_panel=GLOBAL),
]
Format = Annotated[
    OutputFormat,
    typer.Option("--format", help="Report format.", rich_help_panel=GLOBAL, case_sensitive=False),
]
OutputFile = Annotated[
    Optional[str],
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the --format report to FILE; the text report still goes to the terminal.",
        rich_help_panel=GLOBAL,
        show_default=False,
    ),
]
FailOnOption = Annotated[
    Optional[FailOn],
    typer.Option(
        "--fail-on",
        help="Exit 1 when a check is this bad or worse (default: 1 on fail, 3 when only errors).",
        rich_help_panel=GLOBAL,
        case_sensitive=False,
        show_default=False,
    ),
]
NoColor = Annotated[bool, typer.Option("--no-color", help="Plain text, no colour.", rich_help_panel=GLOBAL)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Only the verdict lines and what failed.", rich_help_panel=GLOBAL)]
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Add details and the DNS query log.", rich_help_panel=GLOBAL)
]


@dataclass(frozen=True)
class OutputOptions:
    format: OutputFormat = OutputFormat.text
    color: bool = True
    quiet: bool = False
    verbose: bool = False
    # --output: the --format report goes to this file and the text report to stdout.
    output_file: str | None = None
    fail_on: FailOn | None = None


def global_options(
    nameservers: list[str] | None,
    zones: list[str] | None,
    offline: bool,
    timeout: float,
    output_format: OutputFormat,
    no_color: bool,
    quiet: bool,
    verbose: bool,
    output_file: str | None = None,
    fail_on: FailOn | None = None,
):  # type: ignore[no-untyped-def]
    """Validate the global options; return (NetworkOptions, OutputOptions)."""
    from mailcheck.dns.nameservers import parse_nameserver
    from mailcheck.runtime import NetworkOptions

    if not (timeout > 0 and math.isfinite(timeout)):
        raise BadInput(f"--timeout must be a positive number of seconds, not {timeout:g}")
    servers: list = []
    for value in nameservers or []:
        # The environment variable may hold several, separated by spaces or commas.
        servers.extend(parse_nameserver(part) for part in value.replace(",", " ").split())
    if offline and not zones:
        raise BadInput("--offline needs --zone: without zones every lookup would fail")
    network = NetworkOptions(
        nameservers=tuple(servers), zones=tuple(zones or ()), offline=offline, timeout=timeout
    )
    if output_file is not None and not output_file.strip():
        raise BadInput("--output needs a file name")
    output = OutputOptions(
        format=output_format,
        color=not no_color,
        quiet=quiet,
        verbose=verbose,
        output_file=output_file,
        fail_on=fail_on,
    )
    return network, output
