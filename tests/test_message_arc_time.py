"""arc.chain as of --at: ARC-Seal and ARC-Message-Signature t= are judged against the
verification time, and dkimpy's own verification does not read the wall clock."""

from __future__ import annotations

import time

from tests.helpers.message_fixtures import arc_seal, message, sign
from tests.test_message import HOP1, MARCH_1, check_message, one

# 2100-01-01T00:00:00Z: later than any wall clock these tests run on.
YEAR_2100 = 4102444800


def sealed_at(timestamp: int) -> bytes:
    """Signed by sender.example, then sealed by forwarder.example and list.example at ``timestamp``."""
    data = arc_seal(sign(message()), "forwarder.example", HOP1, timestamp=timestamp)
    return arc_seal(data, "list.example", "arc=pass; dkim=pass header.d=sender.example", timestamp=timestamp)


def test_chain_sealed_before_at_passes_with_its_timestamps(tmp_path):
    _, doc = check_message(tmp_path, sealed_at(MARCH_1), "--at", "2026-03-01T13:00:00Z")
    chain = one(doc, "arc.chain")
    assert (chain["status"], chain["details"]["cv"]) == ("pass", "pass")
    assert chain["details"]["at"] == "2026-03-01T13:00:00Z" and chain["details"]["future_instances"] == []
    instances = chain["details"]["instances"]
    assert [(i["instance"], i["sealed_at"], i["signed_at"], i["verified"]) for i in instances] == [
        (1, MARCH_1, MARCH_1, True),
        (2, MARCH_1, MARCH_1, True),
    ]


def test_chain_sealed_after_at_fails(tmp_path):
    # A month before the seals: far beyond the clock skew receivers allow.
    _, doc = check_message(tmp_path, sealed_at(MARCH_1), "--at", "2026-02-01T00:00:00Z")
    chain = one(doc, "arc.chain")
    assert (chain["status"], chain["details"]["cv"]) == ("warn", "fail")
    assert chain["details"]["future_instances"] == [1, 2]
    assert chain["details"]["reason"] == (f"ARC set i=2 was made (t={MARCH_1}) after 2026-02-01T00:00:00Z, the verification time")
    # dkimpy verifies from the newest set down and stops at the first that fails.
    assert [i["verified"] for i in chain["details"]["instances"]] == [False, False]
    assert chain["fix"].startswith("Check the sealer's clock, or give --at")


def test_chain_within_the_clock_skew_of_at_passes(tmp_path):
    # Sealed an hour after --at: a sender's clock that runs fast, which receivers forgive.
    _, doc = check_message(tmp_path, sealed_at(MARCH_1), "--at", "2026-03-01T11:00:00Z")
    chain = one(doc, "arc.chain")
    assert (chain["details"]["cv"], chain["details"]["future_instances"]) == ("pass", [])


def test_dkimpy_judges_the_seal_as_of_at_not_the_wall_clock(tmp_path):
    sealed = sealed_at(YEAR_2100)
    _, now = check_message(tmp_path, sealed)
    chain = one(now, "arc.chain")
    assert chain["details"]["cv"] == "fail" and chain["details"]["future_instances"] == [1, 2]
    assert chain["details"]["at"] <= time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _, then = check_message(tmp_path, sealed, "--at", "2100-01-01T01:00:00Z")
    chain = one(then, "arc.chain")
    assert (chain["status"], chain["details"]["cv"], chain["details"]["reason"]) == ("pass", "pass", "success")
    assert [i["sealed_at"] for i in chain["details"]["instances"]] == [YEAR_2100, YEAR_2100]


def test_signing_after_a_verification_keeps_the_wall_clock():
    # The stand-in clock answers --at only inside a verification, in its thread.
    import dkim

    from mailcheck.message.dkimpy_clock import dkimpy_now

    with dkimpy_now(MARCH_1):
        assert dkim.time.time() == MARCH_1
    assert abs(dkim.time.time() - time.time()) < 60
