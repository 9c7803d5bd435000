"""The global options every command takes, declared once (design.md, "Command line").

Typer has no option groups, so ``with_global_options`` adds these parameters to a
command's signature: the command declares only its own options and receives the
global ones as one ``GlobalArguments``, which ``settings()`` validates into the run's
NetworkOptions and OutputOptions.
"""

from __future__ import annotations

import enum
import functools
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, TypeVar

import typer

from mailcheck.errors import BadInput
from mailcheck.values import BadValue

if TYPE_CHECKING:
    from mailcheck.runtime import NetworkOptions

GLOBAL = "Global options"

V = TypeVar("V")
R = TypeVar("R")


def given(flag: str, validate: Callable[[V], R], value: V) -> R:
    """``value`` through a validator shared with config files; its message gets the flag's name."""
    try:
        return validate(value)
    except BadValue as exc:
        raise BadInput(f"{flag} {exc}") from None


class OutputFormat(str, enum.Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    junit = "junit"
    sarif = "sarif"
    markdown = "markdown"
    html = "html"  # mailcheck report only (settings(html=True))


class FailOn(str, enum.Enum):
    """The least bad status that makes the exit code 1 (see ``exit_code_for``)."""

    warn = "warn"
    error = "error"
    fail = "fail"


Nameservers = Annotated[
    list[str] | None,
    typer.Option(
        "--nameserver",
        envvar="MAILCHECK_NAMESERVER",
        metavar="HOST[:PORT]",
        help="Send every DNS query here (repeatable; \\[v6addr]:port for IPv6).",
        rich_help_panel=GLOBAL,
        show_default=False,
    ),
]
Zones = Annotated[
    list[str] | None,
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
Format = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help="Report format: text, json, jsonl, junit, sarif or markdown (html: mailcheck report only).",
        rich_help_panel=GLOBAL,
        case_sensitive=False,
    ),
]
OutputFile = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the --format report to FILE, replacing it only once the report is complete (- for stdout); the text report still goes to the terminal.",
        rich_help_panel=GLOBAL,
        show_default=False,
    ),
]
FailOnOption = Annotated[
    FailOn | None,
    typer.Option(
        "--fail-on",
        metavar="LEVEL",
        help="Exit 1 when a check is this bad or worse: warn, error or fail (default: 1 on fail, 3 when only errors).",
        rich_help_panel=GLOBAL,
        case_sensitive=False,
        show_default=False,
    ),
]
NoColor = Annotated[bool, typer.Option("--no-color", help="Plain text, no colour.", rich_help_panel=GLOBAL)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Only the verdict lines and what failed.", rich_help_panel=GLOBAL)]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Add details and the DNS query log.", rich_help_panel=GLOBAL)]


@dataclass(frozen=True)
class OutputOptions:
    """How a run's reports are shown: the format, where they go, and the exit code's gate."""

    format: OutputFormat = OutputFormat.text
    color: bool = True
    quiet: bool = False
    verbose: bool = False
    # --output: the --format report goes to this file and the text report to stdout.
    output_file: str | None = None
    fail_on: FailOn | None = None


@dataclass(frozen=True)
class GlobalArguments:
    """The global options as given on the command line, before validation."""

    nameserver: list[str] | None
    zone: list[str] | None
    offline: bool
    timeout: float | None
    output_format: OutputFormat
    no_color: bool
    quiet: bool
    verbose: bool
    output_file: str | None
    fail_on: FailOn | None

    def settings(self, *, offline: bool | None = None, timeout: float | None = None, html: bool = False) -> Settings:
        """Validate them into the run's settings; ``offline`` and ``timeout`` stand in for
        the typed ones where a command decides them itself (check's config)."""
        from mailcheck.dns.nameservers import parse_nameservers
        from mailcheck.runtime import NetworkOptions

        if self.output_format is OutputFormat.html and not html:
            raise BadInput("--format html is made by mailcheck report only; use text, json, jsonl, junit, sarif or markdown")
        offline = self.offline if offline is None else offline
        timeout = self.timeout if timeout is None else timeout
        assert timeout is not None
        if not (timeout > 0 and math.isfinite(timeout)):
            raise BadInput(f"--timeout must be a positive number of seconds, not {timeout:g}")
        servers = parse_nameservers(self.nameserver or [])
        if offline and not self.zone:
            raise BadInput("--offline needs --zone: without zones every lookup would fail")
        network = NetworkOptions(nameservers=servers, zones=tuple(self.zone or ()), offline=offline, timeout=timeout)
        if self.output_file is not None and not self.output_file.strip():
            raise BadInput("--output needs a file name")
        output = OutputOptions(
            format=self.output_format,
            color=not self.no_color,
            quiet=self.quiet,
            verbose=self.verbose,
            output_file=self.output_file,
            fail_on=self.fail_on,
        )
        return Settings(network, output)


class Settings(NamedTuple):
    """The global options, validated. A NamedTuple: ``network, output = settings()``."""

    network: NetworkOptions
    output: OutputOptions


def with_global_options(
    *, timeout: float | None = 5.0, timeout_help: str = "Limit for each network operation.", fail_on: Any = FailOnOption
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the global options after its own, as Typer reads signatures.

    The command takes ``options: GlobalArguments``; ``timeout`` is its default --timeout
    (None: the command finds one itself); ``fail_on`` replaces --fail-on's type for a
    command that accepts more values (bounce: hard|soft|complaint), which it maps back.
    """
    # Built at run time (the type depends on the default), so typed as a plain object.
    timeout_type: Any = float if timeout is not None else float | None
    timeout_option: Any = Annotated[
        timeout_type,
        typer.Option("--timeout", metavar="SECONDS", help=timeout_help, rich_help_panel=GLOBAL, show_default=timeout is not None),
    ]
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        for name, annotation, default in (
            ("nameserver", Nameservers, None),
            ("zone", Zones, None),
            ("offline", Offline, False),
            ("timeout", timeout_option, timeout),
            ("output_format", Format, OutputFormat.text),
            ("no_color", NoColor, False),
            ("quiet", Quiet, False),
            ("verbose", Verbose, False),
            ("output_file", OutputFile, None),
            ("fail_on", fail_on, None),
        )
    ]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "options"]

        @functools.wraps(command)
        def with_options(**values: Any) -> Any:
            options = GlobalArguments(**{p.name: values.pop(p.name) for p in shared})
            return command(**values, options=options)

        parameters = own + shared
        with_options.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        with_options.__annotations__ = {p.name: p.annotation for p in parameters}
        return with_options

    return decorate
