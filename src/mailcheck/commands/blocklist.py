"""Run ``mailcheck blocklist``: every target × list lookup at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mailcheck.blocklists.catalogue import BlockList, select_lists
from mailcheck.blocklists.lookup import LISTING
from mailcheck.blocklists.selftest import SelfTest
from mailcheck.blocklists.targets import Target
from mailcheck.dns.resolver import Resolver
from mailcheck.model import Check, Obstacle, Report
from mailcheck.once import Once
from mailcheck.run import DnsScope, Env, RunOutcome, run_targets
from mailcheck.runtime import NetworkOptions

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


@dataclass(frozen=True)
class SelfTestPoints:
    """The target that stands for --self-test: its report comes first."""


@dataclass(frozen=True)
class ListsInUse:
    """Which lists the targets are asked of, decided once for the run."""

    lists: tuple[BlockList, ...]
    # A skip for each list --offline puts out of reach.
    skipped: tuple[Check, ...]
    # Lists left out because they failed their --self-test (RFC 5782 §5).
    dropped: tuple[BlockList, ...] = ()
    self_test: tuple[Check, ...] = ()


BlocklistTarget = Target | SelfTestPoints


@dataclass
class BlocklistChecker:
    """Looks one target up on the lists in use. The first target to run decides them
    (the reachable lists, and under --self-test those that pass it); every other target
    awaits that one decision, so no target is asked of a list that failed."""

    request: BlocklistRequest
    command: str = "blocklist"
    in_use: Once[ListsInUse] = field(default_factory=Once)

    def label(self, target: BlocklistTarget) -> str:
        return SELF_TEST_TARGET if isinstance(target, SelfTestPoints) else target.value

    async def check(self, target: BlocklistTarget, env: Env) -> Report:
        from mailcheck.blocklists.lookup import listing_checks, look_up_all

        resolver = env.resolver
        assert resolver is not None  # DnsScope.RUN
        chosen = await self.in_use.get(lambda: _lists_in_use(resolver, self.request))
        if isinstance(target, SelfTestPoints):
            return _report(SELF_TEST_TARGET, None, [*chosen.self_test, *chosen.skipped])
        checks = listing_checks(await look_up_all(resolver, [target], chosen.lists))
        if not self.request.self_test:
            checks += [c for c in chosen.skipped if _applies(c, target, self.request.lists)]
        if not checks:
            checks = [_no_list(target, self.request.lists, chosen.dropped)]
        return _report(target.value, target.text, checks)


def run_blocklist(request: BlocklistRequest, network: NetworkOptions) -> RunOutcome[BlocklistTarget]:
    """One report per target, after the --self-test report when one is asked for."""
    targets: list[BlocklistTarget] = [SelfTestPoints()] if request.self_test else []
    targets.extend(request.targets)
    return run_targets(BlocklistChecker(request), targets, network, scope=DnsScope.RUN)


async def _lists_in_use(resolver: Resolver, request: BlocklistRequest) -> ListsInUse:
    from mailcheck.blocklists.lookup import usable_lists
    from mailcheck.blocklists.selftest import self_test, self_test_check

    lists, skipped = await usable_lists(resolver, request.lists)
    if not request.self_test:
        return ListsInUse(tuple(lists), tuple(skipped))
    tests = await self_test(resolver, lists)
    # RFC 5782 §5: a list that fails its self-test is not asked about the targets.
    kept = [t.blocklist for t in tests if t.trustworthy or not _reachable(t)]
    dropped = [t.blocklist for t in tests if not (t.trustworthy or not _reachable(t))]
    return ListsInUse(tuple(kept), tuple(skipped), tuple(dropped), tuple(self_test_check(t) for t in tests))


def _reachable(test: SelfTest) -> bool:
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
