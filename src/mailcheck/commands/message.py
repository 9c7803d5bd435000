"""Validate and run ``mailcheck message``: every source checked through the run loop,
reports streamed as each message completes."""

from __future__ import annotations

import datetime
import ipaddress
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from mailcheck.errors import BadInput
from mailcheck.message.compliance import PROVIDERS, Provider
from mailcheck.message.facts import GivenFacts
from mailcheck.message.report import Kind, MessageOptions, RunState, message_report
from mailcheck.model import Report
from mailcheck.run import DEFAULT_CONCURRENCY, DnsScope, Env, RunOutcome, run_targets
from mailcheck.runtime import NetworkOptions
from mailcheck.sources import Source, SourceSpec, open_sources


@dataclass(frozen=True)
class MessageRequest:
    sources: SourceSpec
    options: MessageOptions


class MessageChecker:
    """The run loop's TargetCheck for messages; one RunState per resolver, so keys and
    policies are fetched once per run."""

    command = "message"

    def __init__(self, options: MessageOptions) -> None:
        self.options = options
        self._state: RunState | None = None

    def label(self, target: Source) -> str:
        return target.label

    async def check(self, target: Source, env: Env) -> Report:
        if self._state is None or self._state.resolver is not env.resolver:
            self._state = RunState(env.resolver, env.library, env.timeout)
        return await message_report(target, self._state, self.options)


def run_message(
    request: MessageRequest,
    network: NetworkOptions,
    on_report: Callable[[Report], None] | None = None,
    keep: bool = True,
    concurrency: int = DEFAULT_CONCURRENCY,
    workers: int | None = None,
) -> RunOutcome[Source]:
    """Every message of the request through the run loop. A mailbox of more messages
    than one loop has in flight uses every core (``workers``, default: see
    mailcheck.workers); each worker process has its own RunState, and a From domain's
    messages go to one worker while it keeps up, so the domain's key and records are
    fetched once, by that worker."""
    sources: Iterable[Source] = open_sources(request.sources)
    if workers is None:
        sources, workers = _workers_for(sources, concurrency)
    return run_targets(
        MessageChecker(request.options),
        sources,
        network,
        scope=DnsScope.RUN,
        on_report=on_report,
        keep=keep,
        concurrency=concurrency,
        workers=workers,
        route=from_domain_key,
    )


def _workers_for(sources: Iterable[Source], concurrency: int) -> tuple[Iterable[Source], int]:
    """How many processes the input is worth: the first ``concurrency + 1`` messages
    are read to tell a mailbox from a few files, then handed on with the rest."""
    rest = iter(sources)
    head = list(itertools.islice(rest, concurrency + 1))
    if len(head) <= concurrency:
        # One process (default_workers says so too), without loading the workers'
        # machinery (multiprocessing, pickle) for a file or a few.
        return head, 1
    from mailcheck.workers import default_workers

    return itertools.chain(head, rest), default_workers(len(head), concurrency)


_FROM_FIELD = re.compile(rb"^from:[^\n]*?@([-a-z0-9.]+)", re.IGNORECASE | re.MULTILINE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def from_domain_key(source: Source) -> str:
    """The From domain as the header block's bytes show it, to route a message to a
    worker. Read by a pattern, not the parser: it is a hint for sharing caches (a wrong
    one costs a lookup, never a verdict), read in the process that feeds the workers."""
    end = _HEADER_END.search(source.data)
    found = _FROM_FIELD.search(source.data, 0, end.start() if end else len(source.data))
    return found.group(1).lower().decode("ascii") if found else ""


# -- validating what the CLI was given ---------------------------------------------


def parse_ip(text: str, option: str = "--ip") -> str:
    try:
        return str(ipaddress.ip_address(text.strip().strip("[]")))
    except ValueError:
        raise BadInput(f"{option} {text!r} is not an IPv4 or IPv6 address") from None


def parse_time(text: str) -> float:
    """ISO 8601 (with a zone, or UTC when it has none) or Unix seconds."""
    value = text.strip()
    if value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        when = datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadInput(f"--at {text!r}: expected ISO 8601 (2026-03-01T12:00:00Z) or Unix seconds") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return when.timestamp()


def parse_providers(text: str | None) -> tuple[Provider, ...]:
    if text is None or text.strip().lower() == "all":
        return PROVIDERS
    chosen = [p.strip().lower() for p in text.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PROVIDERS]
    if unknown or not chosen:
        raise BadInput(f"--provider {text!r}: choose from {', '.join(PROVIDERS)} (comma-separated) or all")
    return tuple(p for p in PROVIDERS if p in chosen)


def parse_mail_from(text: str) -> str:
    value = text.strip()
    if value in ("", "<>"):
        return "<>"
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise BadInput(f"--mail-from {text!r}: an address has no spaces or control characters")
    return value.strip("<>") if value.startswith("<") and value.endswith(">") else value


def parse_helo(text: str) -> str:
    value = text.strip()
    if not value or any(c.isspace() or ord(c) < 32 for c in value):
        raise BadInput(f"--helo {text!r}: a HELO name is one word (a host name or an address literal)")
    return value


def message_request(
    sources: SourceSpec,
    *,
    ip: str | None,
    helo: str | None,
    mail_from: str | None,
    authserv_id: str | None,
    trusted_hop: int | None,
    at: str | None,
    providers: str | None,
    kind: Kind | None,
    trusted_sealers: Sequence[str],
    reputation: bool,
) -> MessageRequest:
    if trusted_hop is not None and trusted_hop < 1:
        raise BadInput(f"--trusted-hop counts Received fields from the top, from 1; not {trusted_hop}")
    given = GivenFacts(
        ip=parse_ip(ip) if ip is not None else None,
        helo=parse_helo(helo) if helo is not None else None,
        mail_from=parse_mail_from(mail_from) if mail_from is not None else None,
        authserv_id=authserv_id.strip().lower() if authserv_id else None,
        trusted_hop=trusted_hop,
    )
    sealers = tuple(s.strip().lower().rstrip(".") for s in trusted_sealers if s.strip())
    options = MessageOptions(
        given, parse_time(at) if at is not None else None, parse_providers(providers), kind, sealers, reputation
    )
    return MessageRequest(sources, options)
