"""Validate and run ``mailcheck blocklist``: every target × list lookup at once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from mailcheck.blocklists.catalogue import BlockList, select_lists
from mailcheck.blocklists.lookup import LISTING
from mailcheck.blocklists.targets import Target, parse_targets, read_target_file
from mailcheck.dns.resolver import QueryRecord, Resolver
from mailcheck.errors import BadInput
from mailcheck.model import Check, Obstacle, Report
from mailcheck.runtime import NetworkOptions, run_dns, serving_zones

SELF_TEST_TARGET = "self-test"


@dataclass(frozen=True)
class ListChoice:
    """The list options shared by ``blocklist`` and ``links``."""

    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    custom: tuple[str, ...] = ()
    dqs_key: str | None = None

    def lists(self) -> tuple[BlockList, ...]:
        return select_lists(self.only, self.skip, self.custom, self.dqs_key)


@dataclass(frozen=True)
class BlocklistRequest:
    targets: tuple[Target, ...]
    lists: tuple[BlockList, ...]
    self_test: bool = False

    @classmethod
    def from_cli(
        cls,
        targets: Sequence[str],
        from_file: str | None,
        choice: ListChoice,
        self_test: bool,
    ) -> BlocklistRequest:
        texts = list(targets)
        if from_file is not None:
            texts.extend(read_target_file(from_file))
        if not texts and not self_test:
            raise BadInput("give at least one target (IP, domain, URL, email address), --from-file or --self-test")
        return cls(parse_targets(texts), choice.lists(), self_test)


def run_blocklist(request: BlocklistRequest, network: NetworkOptions) -> tuple[list[Report], list[QueryRecord]]:
    with serving_zones(network.zones) as zones:
        return asyncio.run(_run(request, network, zones))


async def _run(request: BlocklistRequest, network, zones):  # type: ignore[no-untyped-def]
    async with run_dns(network, zones) as (resolver, _library):
        reports = await blocklist_reports(resolver, request)
    stats = resolver.stats()
    reports = [Report(r.command, r.target, r.obstacles, stats, r.display_target, r.extra) for r in reports]
    return reports, list(resolver.log)


async def blocklist_reports(resolver: Resolver, request: BlocklistRequest) -> list[Report]:
    """One report per target (and one for --self-test), from lookups all made together."""
    from mailcheck.blocklists.lookup import listing_checks, look_up_all, usable_lists
    from mailcheck.blocklists.selftest import self_test, self_test_check

    lists, skipped = await usable_lists(resolver, request.lists)
    reports = []
    dropped: list[BlockList] = []
    if request.self_test:
        tests = await self_test(resolver, lists)
        # RFC 5782 §5: a list that fails its self-test is not asked about the targets.
        lists = [t.blocklist for t in tests if t.trustworthy or not _reachable(t)]
        dropped = [t.blocklist for t in tests if not (t.trustworthy or not _reachable(t))]
        checks = [self_test_check(t) for t in tests] + skipped
        reports.append(_report(SELF_TEST_TARGET, None, checks))
    lookups = await look_up_all(resolver, request.targets, lists)
    for target in request.targets:
        checks = listing_checks([lookup for lookup in lookups if lookup.target is target])
        if not request.self_test:
            checks += [c for c in skipped if _applies(c, target, request.lists)]
        if not checks:
            checks = [_no_list(target, request.lists, dropped)]
        reports.append(_report(target.value, target.text, checks))
    return reports


def _reachable(test) -> bool:  # type: ignore[no-untyped-def]
    # A list that could not be reached is not known to misbehave: it stays, and its
    # lookups say that they could not tell.
    unreachable = ("unavailable", "refused", "bad-answer")
    return test.positive.outcome not in unreachable and test.negative.outcome not in unreachable


def _applies(check: Check, target: Target, lists: Sequence[BlockList]) -> bool:
    return any(b.label == check.subject and b.kind == target.kind for b in lists)


def _no_list(target: Target, chosen: Sequence[BlockList], dropped: Sequence[BlockList]) -> Check:
    """Why no list was asked about ``target``: none takes its kind (skip), or every one that
    does failed its --self-test (error: no verdict), or is not served under --offline."""
    from mailcheck.blocklists.targets import answers_for, kind_words
    from mailcheck.model import Status

    applicable = [b for b in chosen if answers_for(target, b)]
    if not applicable:
        kind = "IPv6" if target.is_ipv6 else target.kind
        return LISTING.skip(target.value, f"no chosen list answers for {kind} targets such as {target.value}")
    dropped_zones = {b.zone for b in dropped}
    failed = [b for b in applicable if b.zone in dropped_zones]
    offline = [b for b in applicable if b.zone not in dropped_zones]  # skipped: --offline, not served
    details: dict[str, object] = {
        "target": target.value,
        "kind": target.kind,
        "failed_self_test": [b.label for b in failed],
        "not_served": [b.label for b in offline],
    }
    if not failed:
        return LISTING.skip(
            target.value,
            f"no list was asked about {target.value}: the chosen lists for {kind_words(target)} "
            f"({_names(offline)}) are not served by --zone and --offline is set",
            details=details,
        )
    if offline:
        why = (
            f"{_names(failed)} failed {'its' if len(failed) == 1 else 'their'} self-test and "
            f"{_names(offline)} {'is' if len(offline) == 1 else 'are'} not served under --offline"
        )
    else:
        why = f"every chosen list for {kind_words(target)} failed its self-test ({_names(failed)})"
    return LISTING.error(
        target.value,
        f"no list was asked about {target.value}: {why}; no verdict",
        details=details,
        fix=(
            "A list that fails its self-test lists everything or nothing: check the zone names, "
            "or choose lists that pass (--only, --skip, --list)."
        ),
        refs=("RFC 5782 §5",),
    )


def _names(lists: Sequence[BlockList]) -> str:
    return ", ".join(b.label if b.name == b.label else f"{b.name} ({b.label})" for b in lists)


def _report(target: str, display: str | None, checks: list[Check]) -> Report:
    return Report(
        command="blocklist",
        target=target,
        obstacles=(Obstacle("reputation", "Reputation", tuple(checks)),),
        display_target=display,
    )
