"""Ask each list about its RFC 5782 test points, to know which lists' answers to trust.

RFC 5782 §5: an IPv4 list MUST list 127.0.0.2 and MUST NOT list 127.0.0.1; a domain
list MUST list TEST and MUST NOT list INVALID; clients SHOULD skip lists that fail.
Lists that document their own test domain (DBL's dbltest.com) are asked that one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from mailcheck.blocklists.catalogue import BlockList
from mailcheck.blocklists.lookup import Lookup, look_up
from mailcheck.blocklists.targets import Target
from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.dns.resolver import Resolver
from mailcheck.model import Check

SELF_TEST = CheckSpec(
    id="blocklist.self-test",
    title="The blocklist answers its RFC 5782 test points",
    verifies=(
        "With --self-test, each list is asked about the test point it must list (127.0.0.2 on "
        "IP lists, TEST on domain lists, or the list's own test domain such as dbltest.com) "
        "and the one it must not (127.0.0.1, INVALID). Pass when it lists the first and not "
        "the second; warn when it gets either wrong, and its answers are then left out of the "
        "run; error when either query is refused, answered with an error code or an address "
        "outside 127.0.0.0/8, or not answered, and such a list is still asked about the targets."
    ),
    why=(
        "A list whose zone lapsed into a wildcard, or whose name is misspelt, lists everything "
        "or nothing: false listings or false all-clears. RFC 5782 asks clients to test lists "
        "and stop using those that fail."
    ),
    example=Example(
        bad="2.0.0.127.bl.example. A 127.0.0.2\n1.0.0.127.bl.example. A 127.0.0.2   (a wildcard answers every name)",
        good="2.0.0.127.bl.example. A 127.0.0.2\n1.0.0.127.bl.example.   (NXDOMAIN)",
        why="The list answers for its test point only, so its listings can be trusted.",
    ),
    refs=("RFC 5782 §5",),
)

CHECK_ID = "blocklist.self-test"
REFS = ("RFC 5782 §5",)


@dataclass(frozen=True)
class SelfTest:
    blocklist: BlockList
    positive: Lookup
    negative: Lookup

    @property
    def trustworthy(self) -> bool:
        return self.positive.outcome == "listed" and self.negative.outcome == "clean"


async def self_test(resolver: Resolver, lists: Sequence[BlockList]) -> list[SelfTest]:
    async def one(blocklist: BlockList) -> SelfTest:
        positive, negative = await asyncio.gather(
            look_up(resolver, _point(blocklist, blocklist.positive_test), blocklist),
            look_up(resolver, _point(blocklist, blocklist.negative_test), blocklist),
        )
        assert positive is not None and negative is not None  # test points fit their list
        return SelfTest(blocklist, positive, negative)

    return list(await asyncio.gather(*(one(b) for b in lists)))


def self_test_check(test: SelfTest) -> Check:
    blocklist, positive, negative = test.blocklist, test.positive, test.negative
    where = f"{blocklist.name} ({blocklist.label})"
    details = {
        "list": blocklist.label,
        "test_point": {"name": positive.target.value, "outcome": positive.outcome, "codes": list(positive.codes)},
        "non_point": {"name": negative.target.value, "outcome": negative.outcome, "codes": list(negative.codes)},
    }
    positive_shown = f"{positive.target.value} → {_shown(positive)}"
    negative_shown = f"{negative.target.value} → {_shown(negative)}"
    for lookup in (positive, negative):
        if lookup.outcome in ("unavailable", "refused", "bad-answer"):
            return SELF_TEST.error(
                blocklist.label,
                f"{where} could not be tested: {lookup.target.value} {lookup.error}",
                details=details,
                fix=lookup.fix,
                refs=REFS,
            )
    if test.trustworthy:
        return SELF_TEST.ok(
            blocklist.label,
            f"{where} answers its test points as RFC 5782 asks: {positive_shown}, {negative_shown}",
            details=details,
            refs=REFS,
        )
    faults = []
    if positive.outcome != "listed":
        faults.append(f"it does not list its test point ({positive_shown})")
    if negative.outcome != "clean":
        faults.append(f"it lists what it must not ({negative_shown})")
    return SELF_TEST.warn(
        blocklist.label,
        f"{where} misbehaves: {' and '.join(faults)}; its answers are left out of this run",
        details=details,
        fix=f"Do not rely on {blocklist.label}: check the zone name, or drop the list (--skip/--list).",
        refs=REFS,
    )


def _point(blocklist: BlockList, value: str) -> Target:
    return Target(value, blocklist.kind, value, as_given=True)


def _shown(lookup: Lookup) -> str:
    if lookup.outcome == "clean":
        return "not listed"
    return ", ".join(lookup.codes)
