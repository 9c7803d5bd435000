"""mailcheck message: each check's pass and failure modes on messages signed here,
with keys published in the fixture zones (sender.example, esp.example, ...)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import ZONES, run_cli
from tests.helpers.message_fixtures import arc_seal, message, received, sign

MARCH_1 = 1772366400  # 2026-03-01T12:00:00Z
TRACE = b"Return-Path: <bounce@sender.example>\r\n" + received("mx.receiver.test", "mail.sender.example", "127.0.0.25")
MARKETING = (
    "List-Id: <news.sender.example>\r\n"
    "List-Unsubscribe: <https://sender.example/u/42>, <mailto:unsub@sender.example?subject=u42>\r\n"
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    "Feedback-ID: march:c7:news:sendernews\r\n"
)
MARKETING_BODY = "Hello,\r\n\r\nour March news.\r\n\r\nUnsubscribe: https://sender.example/u/42\r\n"


def check_message(tmp_path: Path, data: bytes, *args: str) -> tuple[int, dict]:
    path = tmp_path / "message.eml"
    path.write_bytes(data)
    result = run_cli("message", str(path), "--zone", str(ZONES), "--offline", "--format", "json", *args)
    assert not result.stderr, result.stderr
    return result.exit_code, result.json()


def checks(document: dict, check_id: str) -> list[dict]:
    return [c for o in document["obstacles"] for c in o["checks"] if c["id"] == check_id]


def one(document: dict, check_id: str) -> dict:
    found = checks(document, check_id)
    assert len(found) == 1, [c["subject"] for c in found]
    return found[0]


# -- good mail ------------------------------------------------------------------


def test_good_mail_passes_every_check(tmp_path):
    code, doc = check_message(tmp_path, TRACE + sign(message()))
    assert code == 0 and doc["status"] == "pass"
    signature = one(doc, "dkim.signature")
    assert signature["status"] == "pass"
    assert signature["details"]["result"] == "pass"
    assert (signature["details"]["domain"], signature["details"]["selector"]) == ("sender.example", "s2048")
    assert signature["details"]["key"]["bits"] == 2048 and signature["details"]["from_signed"] is True
    body_hash = signature["details"]["body_hash"]
    assert body_hash["expected"] == body_hash["computed"]
    mfrom = one(doc, "spf.mfrom")
    assert mfrom["details"]["result"] == "pass" and mfrom["details"]["mechanism"] == "include:_spf.sender.example"
    assert "inferred from Received #1 (by mx.receiver.test), Return-Path" in mfrom["summary"]
    dmarc = one(doc, "dmarc.evaluation")
    assert (dmarc["details"]["result"], dmarc["details"]["disposition"], dmarc["details"]["policy"]) == ("pass", "none", "reject")
    assert doc["smtp"]["ip"] == {"value": "127.0.0.25", "origin": "inferred", "header": "Received #1 (by mx.receiver.test)"}
    assert doc["smtp"]["mail_from"] == {"value": "bounce@sender.example", "origin": "inferred", "header": "Return-Path"}
    assert doc["authentication_results"].startswith("Authentication-Results: mailcheck; dkim=pass header.b=")
    assert "header.d=sender.example;" in doc["authentication_results"]
    assert "spf=pass smtp.mailfrom=bounce@sender.example" in doc["authentication_results"]
    assert doc["delivery"] == {"verdict": "authenticated and within every provider rule checked", "fix_first": None, "fix": None}
    assert doc["mail_kind"] == {
        "value": "transactional",
        "origin": "guessed",
        "why": "guessed: no List-Id, List-Unsubscribe or Precedence: bulk",
    }


def test_text_report_starts_with_the_verdict_and_what_to_fix(tmp_path):
    path = tmp_path / "m.eml"
    path.write_bytes(sign(message(), selector="revoked"))
    result = run_cli("message", str(path), "--zone", str(ZONES), "--offline", "--no-color")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].endswith("✗ FAIL") and lines[1].startswith("  Problems (")
    assert lines[2].strip().startswith("✗ message.verdict  rejected: DMARC fails for sender.example and its policy is p=reject")
    assert "fix first: dmarc.evaluation" in lines[2]
    assert lines[3].strip().startswith("fix: Sign with DKIM as sender.example")


def test_given_facts_are_marked_given(tmp_path):
    code, doc = check_message(
        tmp_path, sign(message()), "--ip", "127.0.0.25", "--helo", "mail.sender.example", "--mail-from", "b@sender.example"
    )
    assert code == 0
    assert doc["smtp"]["ip"] == {"value": "127.0.0.25", "origin": "given", "header": None}
    assert "inferred" not in one(doc, "spf.mfrom")["summary"]
    assert one(doc, "spf.helo")["details"]["result"] == "pass"


# -- DKIM, one check per signature --------------------------------------------------


def test_body_changed_after_signing_fails_with_both_hashes(tmp_path):
    signed = sign(message())
    code, doc = check_message(tmp_path, signed.replace(b"is ready", b"is READY"))
    signature = one(doc, "dkim.signature")
    assert signature["status"] == "fail" and signature["details"]["result"] == "fail"
    assert signature["details"]["reason"] == "body hash mismatch: the body changed after signing"
    body_hash = signature["details"]["body_hash"]
    assert body_hash["expected"] != body_hash["computed"] and len(body_hash["computed"]) == 44
    dmarc = one(doc, "dmarc.evaluation")
    assert (dmarc["status"], dmarc["details"]["result"], dmarc["details"]["disposition"]) == ("fail", "fail", "reject")
    assert code == 1


def test_header_changed_after_signing_fails_on_b(tmp_path):
    signed = sign(message())
    _, doc = check_message(tmp_path, signed.replace(b"Subject: Your March statement", b"Subject: Your April statement"))
    signature = one(doc, "dkim.signature")
    assert signature["details"]["result"] == "fail"
    assert "the signature (b=) does not verify" in signature["details"]["reason"]
    assert signature["details"]["body_hash"]["expected"] == signature["details"]["body_hash"]["computed"]


def test_l_tag_leaves_an_unsigned_tail(tmp_path):
    signed = sign(message(), length=True) + b"Appended by anyone: https://phish.test/\r\n"
    _, doc = check_message(tmp_path, signed)
    signature = one(doc, "dkim.signature")
    assert signature["status"] == "warn" and signature["details"]["result"] == "pass"
    assert signature["details"]["unsigned_bytes"] == len(b"Appended by anyone: https://phish.test/\r\n")
    assert signature["details"]["length"] == len(b"Hello,\r\n\r\nyour statement is ready.\r\n")
    assert "bytes of the body are not signed" in signature["summary"]


def test_expired_x_is_policy_as_of_at_and_pass_before(tmp_path):
    signed = sign(message(), timestamp=MARCH_1, expires=MARCH_1 + 86400)
    _, before = check_message(tmp_path, signed, "--at", "2026-03-01T13:00:00Z")
    assert one(before, "dkim.signature")["details"]["result"] == "pass"
    _, after = check_message(tmp_path, signed, "--at", "2026-04-01T00:00:00Z")
    signature = one(after, "dkim.signature")
    assert signature["status"] == "fail" and signature["details"]["result"] == "policy"
    assert signature["details"]["expires"] == MARCH_1 + 86400
    assert "expired (x=1772452800) before 2026-04-01T00:00:00Z" in signature["details"]["reason"]
    # A Unix time is read the same way.
    _, unix = check_message(tmp_path, signed, "--at", str(MARCH_1 + 3600))
    assert one(unix, "dkim.signature")["details"]["result"] == "pass"


def test_revoked_key_is_permerror(tmp_path):
    _, doc = check_message(tmp_path, sign(message(), selector="revoked"))
    signature = one(doc, "dkim.signature")
    assert signature["details"]["result"] == "permerror"
    assert signature["details"]["reason"] == "the key at revoked._domainkey.sender.example is revoked (empty p=)"
    assert signature["details"]["key"]["revoked"] is True


def test_ed25519_signature_verifies(tmp_path):
    _, doc = check_message(tmp_path, sign(message(), selector="ed", key_name="ed25519", algorithm="ed25519-sha256"))
    signature = one(doc, "dkim.signature")
    assert signature["status"] == "pass" and signature["details"]["algorithm"] == "ed25519-sha256"
    assert signature["details"]["key"]["type"] == "ed25519"


def test_two_signatures_each_verified_one_good(tmp_path):
    data = sign(sign(message(), selector="broken"), selector="s2048")
    _, doc = check_message(tmp_path, data)
    good, broken = checks(doc, "dkim.signature")
    assert (good["subject"], good["details"]["result"], good["status"]) == ("#1 d=sender.example s=s2048", "pass", "pass")
    assert (broken["subject"], broken["details"]["result"], broken["status"]) == (
        "#2 d=sender.example s=broken",
        "permerror",
        "warn",
    )
    assert "cannot be read" in broken["details"]["reason"] and broken["summary"].endswith("(another signature passes)")
    assert one(doc, "dmarc.evaluation")["details"]["result"] == "pass"


def test_sha1_and_small_keys_verify_but_are_policy(tmp_path):
    _, sha1 = check_message(tmp_path, sign(message(), selector="sha1", algorithm="rsa-sha1"))
    assert one(sha1, "dkim.signature")["details"]["result"] == "policy"
    assert "rsa-sha1 must not be trusted (RFC 8301)" in one(sha1, "dkim.signature")["details"]["reason"]
    _, weak = check_message(tmp_path, sign(message(), selector="weak", key_name="rsa768"))
    signature = one(weak, "dkim.signature")
    assert signature["details"]["result"] == "policy" and signature["details"]["key"]["bits"] == 768
    key_rule = one(weak, "compliance.gmail.dkim-key-size")
    assert key_rule["status"] == "warn" and key_rule["details"]["seen"] == "smallest DKIM key 768 bits"
    assert "421 4.7.30" in key_rule["summary"]


def test_key_the_dns_cannot_answer_is_temperror(tmp_path):
    code, doc = check_message(tmp_path, sign(message(), domain="sender.example.test", selector="s1"), "--no-reputation")
    signature = one(doc, "dkim.signature")
    assert (signature["status"], signature["details"]["result"]) == ("error", "temperror")
    assert signature["details"]["reason"].startswith("could not look up the key s1._domainkey.sender.example.test TXT")


def test_testing_mode_key_warns(tmp_path):
    _, doc = check_message(tmp_path, sign(message(), selector="testing"))
    signature = one(doc, "dkim.signature")
    assert signature["status"] == "warn" and signature["details"]["key"]["testing"] is True


def test_unsigned_message_warns(tmp_path):
    _, doc = check_message(tmp_path, TRACE + message())
    signature = one(doc, "dkim.signature")
    assert (signature["status"], signature["details"]["result"]) == ("warn", "none")
    assert one(doc, "compliance.gmail.spf-and-dkim")["status"] == "warn"


# -- ARC ------------------------------------------------------------------------------

HOP1 = "dkim=pass header.d=sender.example; spf=pass smtp.mailfrom=sender.example; dmarc=pass header.from=sender.example"


def three_sealers() -> bytes:
    data = sign(message())
    data = arc_seal(data, "forwarder.example", HOP1)
    data = arc_seal(data, "list.example", "arc=pass; dkim=pass header.d=sender.example")
    return arc_seal(data, "relay.example", "arc=pass; dkim=pass header.d=sender.example")


def test_arc_chain_of_three_validates(tmp_path):
    _, doc = check_message(tmp_path, three_sealers(), "--trusted-arc-sealer", "relay.example")
    chain = one(doc, "arc.chain")
    assert chain["status"] == "pass" and chain["details"]["cv"] == "pass"
    assert [i["sealer"] for i in chain["details"]["instances"]] == ["forwarder.example", "list.example", "relay.example"]
    assert [i["cv"] for i in chain["details"]["instances"]] == ["none", "pass", "pass"]
    assert chain["details"]["sealer"] == "relay.example" and chain["details"]["trusted"] is True
    assert "dmarc=pass header.from=sender.example" in chain["details"]["instances"][0]["aar"]


def test_arc_chain_broken_in_the_middle_fails(tmp_path):
    data = three_sealers()
    marker = b"ARC-Authentication-Results: i=2; list.example"
    assert marker in data
    broken = data.replace(marker, b"ARC-Authentication-Results: i=2; list.example; spf=pass")
    _, doc = check_message(tmp_path, broken)
    chain = one(doc, "arc.chain")
    assert chain["status"] == "warn" and chain["details"]["cv"] == "fail"
    assert chain["details"]["trusted"] is False


def test_no_arc_headers_is_none(tmp_path):
    _, doc = check_message(tmp_path, sign(message()))
    chain = one(doc, "arc.chain")
    assert (chain["status"], chain["details"]["cv"]) == ("info", "none")


def forwarded() -> bytes:
    """Signed by sender.example, footer added by the list at forwarder.example (DKIM
    breaks), sealed there, then delivered from the forwarder's IP (SPF fails)."""
    original = sign(message())
    changed = original.replace(b"is ready.\r\n", b"is ready.\r\n--\r\nSent through the forwarder.example list\r\n")
    sealed = arc_seal(changed, "forwarder.example", HOP1)
    return b"Return-Path: <news@sender.example>\r\n" + received("mx.receiver.test", "mx.forwarder.example", "127.0.0.26") + sealed


def test_forwarded_message_fails_dmarc_without_trust(tmp_path):
    code, doc = check_message(tmp_path, forwarded())
    assert one(doc, "spf.mfrom")["details"]["result"] == "fail"
    assert one(doc, "dkim.signature")["details"]["result"] == "fail"
    dmarc = one(doc, "dmarc.evaluation")
    assert (dmarc["status"], dmarc["details"]["disposition"], dmarc["details"]["arc_override"]) == ("fail", "reject", False)
    assert dmarc["details"]["reason"].endswith(
        "an ARC chain sealed by forwarder.example passes, which receivers that trust it honour (--trusted-arc-sealer forwarder.example)"
    )
    assert code == 1


def test_forwarded_message_is_saved_by_a_trusted_arc_sealer(tmp_path):
    _, doc = check_message(tmp_path, forwarded(), "--trusted-arc-sealer", "forwarder.example")
    chain = one(doc, "arc.chain")
    assert chain["details"]["cv"] == "pass" and chain["details"]["trusted"] is True and chain["details"]["vouches"] is True
    dmarc = one(doc, "dmarc.evaluation")
    assert (dmarc["status"], dmarc["details"]["result"], dmarc["details"]["disposition"]) == ("warn", "fail", "none")
    assert dmarc["details"]["arc_override"] is True
    assert "a trusted ARC sealer vouches for it" in dmarc["summary"]
    rule = one(doc, "compliance.gmail.spf-or-dkim")
    assert rule["status"] == "pass" and rule["details"]["seen"].endswith("authenticated by the trusted ARC sealer's record")


# -- SPF and DMARC ---------------------------------------------------------------------


def test_null_sender_is_checked_as_postmaster_at_helo(tmp_path):
    _, doc = check_message(tmp_path, sign(message()), "--ip", "127.0.0.25", "--mail-from", "<>", "--helo", "mail.sender.example")
    mfrom = one(doc, "spf.mfrom")
    assert (mfrom["details"]["sender"], mfrom["details"]["result"]) == ("postmaster@mail.sender.example", "pass")


def test_address_literal_helo_is_none(tmp_path):
    _, doc = check_message(tmp_path, sign(message()), "--ip", "127.0.0.25", "--helo", "[127.0.0.25]")
    helo = one(doc, "spf.helo")
    assert (helo["status"], helo["details"]["result"]) == ("info", "none")
    assert "RFC 7208 §2.3" in helo["details"]["explanation"]
    assert one(doc, "spf.mfrom")["status"] == "skip"


def test_no_sending_ip_skips_spf(tmp_path):
    _, doc = check_message(tmp_path, sign(message()))
    mfrom = one(doc, "spf.mfrom")
    assert mfrom["status"] == "skip" and "give --ip" in mfrom["summary"]
    assert one(doc, "compliance.gmail.spf-and-dkim")["status"] == "skip"


def test_unaligned_provider_signature_fails_dmarc_with_p_none(tmp_path):
    data = (
        b"Return-Path: <b@bounces.esp.example>\r\n"
        + received("mx.receiver.test", "out.esp.example", "127.0.0.27")
        + sign(message(sender="hello@unaligned.example"), domain="esp.example", selector="s1")
    )
    _, doc = check_message(tmp_path, data)
    dmarc = one(doc, "dmarc.evaluation")
    assert (dmarc["status"], dmarc["details"]["result"], dmarc["details"]["disposition"]) == ("warn", "fail", "none")
    assert dmarc["details"]["alignment"] == [
        {"method": "spf", "domain": "bounces.esp.example", "authenticated": True, "aligned": False, "mode": "relaxed"},
        {"method": "dkim", "domain": "esp.example", "authenticated": True, "aligned": False, "mode": "relaxed"},
    ]


def test_no_dmarc_record(tmp_path):
    _, doc = check_message(tmp_path, sign(message(sender="a@nodmarc.example"), domain="nodmarc.example"))
    dmarc = one(doc, "dmarc.evaluation")
    assert (dmarc["status"], dmarc["details"]["result"]) == ("warn", "none")
    assert dmarc["details"]["generations"] == {}


# -- Authentication-Results as the receivers write them -----------------------------

GMAIL = (
    "Received: from mail.sender.example (mail.sender.example. [127.0.0.25])\r\n"
    "        by mx.google.com with ESMTPS id a1b2c3d4e5.42.2026.03.01.04.00.05\r\n"
    "        for <alice@gmail.test>\r\n"
    "        (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);\r\n"
    "        Sun, 01 Mar 2026 04:00:05 -0800 (PST)\r\n"
    "Received-SPF: pass (google.com: domain of bounce@sender.example designates 127.0.0.25 as permitted sender) client-ip=127.0.0.25;\r\n"
    "Authentication-Results: mx.google.com;\r\n"
    "       dkim=pass header.i=@sender.example header.s=s2048 header.b={b};\r\n"
    "       spf=pass (google.com: domain of bounce@sender.example designates 127.0.0.25 as permitted sender) smtp.mailfrom=bounce@sender.example;\r\n"
    "       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=sender.example\r\n"
    "Return-Path: <bounce@sender.example>\r\n"
)
MICROSOFT = (
    "Received: from AM6PR0402MB1234.eurprd04.prod.outlook.com (2603:10a6:209:1::10) by\r\n"
    " DB9PR04MB5678.eurprd04.prod.outlook.com with HTTPS; Sun, 1 Mar 2026 12:00:07 +0000\r\n"
    "Received: from mail.sender.example (127.0.0.25) by\r\n"
    " AM6PEPF00000001.mail.protection.outlook.com (10.167.16.20) with Microsoft SMTP\r\n"
    " Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id\r\n"
    " 15.20.7000.10 via Frontend Transport; Sun, 1 Mar 2026 12:00:06 +0000\r\n"
    "Authentication-Results: spf=pass (sender IP is 127.0.0.25)\r\n"
    " smtp.mailfrom=sender.example; dkim=pass (signature was verified)\r\n"
    " header.d=sender.example;dmarc=pass action=none\r\n"
    " header.from=sender.example;compauth=pass reason=100\r\n"
    "Received-SPF: Pass (protection.outlook.com: domain of sender.example designates\r\n"
    " 127.0.0.25 as permitted sender) receiver=protection.outlook.com;\r\n"
    " client-ip=127.0.0.25; helo=mail.sender.example; pr=C\r\n"
    "Return-Path: bounce@sender.example\r\n"
)
YAHOO = (
    "Received: from 127.0.0.25 (EHLO mail.sender.example)\r\n"
    " by 10.217.151.76 with SMTPS; Sun, 01 Mar 2026 12:00:06 +0000\r\n"
    "Authentication-Results: atlas-production.v2.mail-mx.gq1.yahoo.com;\r\n"
    " dkim=dkim_pass header.i=@sender.example header.s=s2048;\r\n"
    " spf=pass smtp.mailfrom=sender.example;\r\n"
    " dmarc=success(p=REJECT) header.from=sender.example;\r\n"
    "Return-Path: <bounce@sender.example>\r\n"
)
FASTMAIL = (
    "Received: from mx6.messagingengine.com (localhost [127.0.0.1])\r\n"
    "\tby mailmx.nyi.internal (Postfix) with ESMTP id 4F2A1C0004\r\n"
    "\tfor <alice@fastmail.test>; Sun,  1 Mar 2026 07:00:07 -0500 (EST)\r\n"
    "Received: from mail.sender.example (mail.sender.example [127.0.0.25])\r\n"
    "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\r\n"
    "\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\r\n"
    "\t(No client certificate requested)\r\n"
    "\tby mx6.messagingengine.com (Postfix) with ESMTPS\r\n"
    "\tfor <alice@fastmail.test>; Sun,  1 Mar 2026 07:00:06 -0500 (EST)\r\n"
    "Authentication-Results: mx6.messagingengine.com;\r\n"
    "    dkim=pass (2048-bit rsa key sha256) header.d=sender.example header.i=@sender.example header.b={b} header.a=rsa-sha256 header.s=s2048;\r\n"
    "    dmarc=pass policy.published-domain-policy=reject header.from=sender.example;\r\n"
    "    spf=pass smtp.mailfrom=bounce@sender.example smtp.helo=mail.sender.example\r\n"
    "Return-Path: <bounce@sender.example>\r\n"
)


def received_as(template: str, signed: bytes) -> bytes:
    b = signed.split(b"b=")[-1].split(b";")[0]
    b = b"".join(b.split())[:12].decode()
    return template.replace("{b}", b).encode() + signed


@pytest.mark.parametrize(
    ("template", "authserv_id", "quirks"),
    [
        (GMAIL, "mx.google.com", []),
        (
            MICROSOFT,
            None,
            [
                "no authserv-id",
                "header.d=...;dmarc=pass action=none header.from=sender.example" if False else "dmarc=pass (read as pass)",
            ][:1],
        ),
        (
            YAHOO,
            "atlas-production.v2.mail-mx.gq1.yahoo.com",
            ["dkim=dkim_pass (read as pass)", "dmarc=success(p=REJECT)", "dmarc=success (read as pass)"],
        ),
        (FASTMAIL, "mx6.messagingengine.com", []),
    ],
    ids=["gmail", "microsoft365", "yahoo", "fastmail"],
)
def test_receivers_headers_are_read_and_agree(tmp_path, template, authserv_id, quirks):
    code, doc = check_message(tmp_path, received_as(template, sign(message())))
    assert doc["smtp"]["ip"]["value"] == "127.0.0.25" and doc["smtp"]["ip"]["origin"] == "inferred"
    assert doc["smtp"]["helo"]["value"] == "mail.sender.example"
    header = checks(doc, "auth-results.header")[0]
    assert header["details"]["authserv_id"] == authserv_id
    assert header["details"]["quirks"][: len(quirks)] == quirks
    compared = {c["subject"]: c["status"] for c in checks(doc, "auth-results.compare")}
    assert compared == {"spf": "pass", "dkim": "pass", "dmarc": "pass"}
    assert one(doc, "compliance.gmail.tls")["status"] == "pass"
    assert code == 0, [c["summary"] for o in doc["obstacles"] for c in o["checks"] if c["status"] in ("fail", "error")]


def test_microsoft_header_without_authserv_id_reads_each_result(tmp_path):
    _, doc = check_message(tmp_path, received_as(MICROSOFT, sign(message())))
    header = checks(doc, "auth-results.header")[0]
    assert header["status"] == "info" and header["details"]["strict"] is False
    assert [(r["method"], r["result"]) for r in header["details"]["results"]] == [
        ("spf", "pass"),
        ("dkim", "pass"),
        ("dmarc", "pass"),
        ("compauth", "pass"),
    ]
    assert doc["smtp"]["trust"] == "the topmost Received from a public address" or doc["smtp"]["trusted_hop"] == 2


def test_disagreement_body_changed_after_delivery(tmp_path):
    delivered = received_as(GMAIL, sign(message()))
    _, doc = check_message(tmp_path, delivered.replace(b"is ready", b"was ready"))
    dkim = one(doc, "auth-results.compare") if False else {c["subject"]: c for c in checks(doc, "auth-results.compare")}["dkim"]
    assert dkim["status"] == "warn"
    assert (
        "mx.google.com saw dkim=pass, it fails now for d=sender.example: the body was changed after delivery" in dkim["summary"]
    )


def test_disagreement_receiver_used_the_helo_result(tmp_path):
    template = (
        "Received: from mail.sender.example (mail.sender.example [127.0.0.25]) by mx.receiver.test with ESMTPS; Sun, 01 Mar 2026 12:00:05 +0000\r\n"
        "Authentication-Results: mx.receiver.test; spf=fail smtp.helo=mail.sender.example\r\n"
        "Return-Path: <bounce@sender.example>\r\n"
    )
    _, doc = check_message(tmp_path, template.encode() + sign(message()), "--authserv-id", "mx.receiver.test")
    spf = {c["subject"]: c for c in checks(doc, "auth-results.compare")}["spf"]
    assert spf["status"] == "warn" and "the receiver used the HELO SPF result" in spf["summary"]


# -- transport ------------------------------------------------------------------------


def test_received_path_tls_and_delays(tmp_path):
    data = (
        received(
            "mx.receiver.test", "relay.sender.example", "127.0.0.25", protocol="ESMTP", when="Sun, 01 Mar 2026 12:50:00 +0000"
        )
        + received(
            "relay.sender.example", "app.sender.example", "10.0.0.5", protocol="ESMTPSA", when="Sun, 01 Mar 2026 12:00:00 +0000"
        )
        + sign(message())
    )
    _, doc = check_message(tmp_path, data)
    path = one(doc, "received.path")
    assert [h["ip"] for h in path["details"]["hops"]] == ["10.0.0.5", "127.0.0.25"] and path["details"]["trusted_hop"] == 1
    assert path["summary"].startswith("2 hops;")
    tls = one(doc, "received.tls")
    assert tls["status"] == "warn" and tls["details"]["plain"] == [1]
    delay = one(doc, "received.delay")
    assert delay["status"] == "warn" and delay["details"]["delays"] == [{"from": 2, "to": 1, "seconds": 3000}]
    assert "50 min" in delay["summary"]
    rule = one(doc, "compliance.gmail.tls")
    assert rule["status"] == "fail" and "550 5.7.29" in rule["summary"]


def test_a_single_received_hop_is_one_hop(tmp_path):
    _, doc = check_message(tmp_path, TRACE + sign(message()))
    path = one(doc, "received.path")
    assert len(path["details"]["hops"]) == 1 and path["summary"].startswith("1 hop;")


# -- feedback -------------------------------------------------------------------------


def test_marketing_mail_with_one_click_passes_the_feedback_checks(tmp_path):
    data = TRACE + sign(message(extra=MARKETING, body=MARKETING_BODY))
    code, doc = check_message(tmp_path, data)
    assert doc["mail_kind"]["value"] == "marketing" and doc["mail_kind"]["why"] == "guessed from its List-Id field"
    for check_id in (
        "list-unsubscribe.syntax",
        "list-unsubscribe.one-click",
        "list-unsubscribe.signed",
        "list-unsubscribe.mailto",
        "list-unsubscribe.body-link",
        "feedback-id.format",
    ):
        assert one(doc, check_id)["status"] == "pass", one(doc, check_id)["summary"]
    assert one(doc, "list-unsubscribe.body-link")["details"]["link"] == "https://sender.example/u/42"
    assert one(doc, "feedback-id.format")["details"]["sender_id"] == "sendernews"
    assert code == 0


def test_unsubscribe_failures(tmp_path):
    extra = (
        "List-Unsubscribe: https://sender.example/u/42\r\nList-Unsubscribe-Post: List-Unsubscribe=OneClick\r\nFeedback-ID: x\r\n"
    )
    _, doc = check_message(tmp_path, TRACE + sign(message(extra=extra), headers=["from", "to", "subject", "date"]), "--marketing")
    assert one(doc, "list-unsubscribe.syntax")["status"] == "fail"
    one_click = one(doc, "list-unsubscribe.one-click")
    assert one_click["status"] == "fail" and "no https URI" in one_click["summary"]
    signed = one(doc, "list-unsubscribe.signed")
    assert signed["status"] == "fail" and signed["details"]["fields"] == ["list-unsubscribe", "list-unsubscribe-post"]
    assert one(doc, "list-unsubscribe.body-link")["status"] == "fail"
    assert one(doc, "feedback-id.format")["status"] == "warn"
    assert doc["mail_kind"] == {"value": "marketing", "origin": "given", "why": "given"}


def test_post_header_must_be_exact(tmp_path):
    extra = "List-Unsubscribe: <https://sender.example/u/42>\r\nList-Unsubscribe-Post: List-Unsubscribe=OneClick\r\n"
    _, doc = check_message(tmp_path, TRACE + sign(message(extra=extra, body=MARKETING_BODY)))
    one_click = one(doc, "list-unsubscribe.one-click")
    assert one_click["status"] == "fail"
    assert (
        "List-Unsubscribe-Post is 'List-Unsubscribe=OneClick', not exactly 'List-Unsubscribe=One-Click'" in one_click["summary"]
    )


def test_malformed_mailto(tmp_path):
    extra = "List-Unsubscribe: <mailto:unsubscribe>\r\n"
    _, doc = check_message(tmp_path, sign(message(extra=extra)))
    assert one(doc, "list-unsubscribe.mailto")["status"] == "fail"


# -- the providers' rules -------------------------------------------------------------

RULES = [
    "gmail.spf-or-dkim",
    "gmail.ptr",
    "gmail.tls",
    "gmail.format",
    "gmail.spf-and-dkim",
    "gmail.dmarc-record",
    "gmail.alignment",
    "gmail.one-click",
    "gmail.body-link",
    "gmail.dkim-key-size",
    "yahoo.spf-or-dkim",
    "yahoo.ptr",
    "yahoo.format",
    "yahoo.spf-and-dkim",
    "yahoo.dmarc-pass",
    "yahoo.one-click",
    "yahoo.body-link",
    "outlook.spf-and-dkim",
    "outlook.dmarc-record",
    "outlook.alignment",
]


def test_every_provider_rule_passes_on_good_marketing_mail(tmp_path):
    _, doc = check_message(tmp_path, TRACE + sign(message(extra=MARKETING, body=MARKETING_BODY)))
    assert {c["id"].removeprefix("compliance."): c["status"] for c in doc["obstacles"][-1]["checks"]} == {
        rule: "pass" for rule in RULES
    }


def _unsigned_from_forwarder() -> bytes:
    return (
        b"Return-Path: <news@sender.example>\r\n" + received("mx.receiver.test", "mx.forwarder.example", "127.0.0.26") + message()
    )


def _no_ptr() -> bytes:
    return (
        b"Return-Path: <b@bounces.esp.example>\r\n"
        + received("mx.receiver.test", "out.esp.example", "127.0.0.27")
        + sign(message(), selector="s2048")
    )


def _plain() -> bytes:
    return (
        b"Return-Path: <bounce@sender.example>\r\n"
        + received("mx.receiver.test", "mail.sender.example", "127.0.0.25", protocol="ESMTP")
        + sign(message())
    )


def _bad_format() -> bytes:
    return TRACE + sign(message(extra="Subject: again\r\n"))


def _spf_fails() -> bytes:
    return (
        b"Return-Path: <news@sender.example>\r\n"
        + received("mx.receiver.test", "mx.forwarder.example", "127.0.0.26")
        + sign(message())
    )


def _no_dmarc() -> bytes:
    return TRACE.replace(b"bounce@sender.example", b"bounce@nodmarc.example") + sign(
        message(sender="a@nodmarc.example"), domain="nodmarc.example"
    )


def _unaligned() -> bytes:
    return (
        b"Return-Path: <b@bounces.esp.example>\r\n"
        + received("mx.receiver.test", "out.esp.example", "127.0.0.27")
        + sign(message(sender="hello@unaligned.example"), domain="esp.example", selector="s1")
    )


def _marketing_without_unsubscribe() -> bytes:
    return TRACE + sign(message(extra="List-Id: <news.sender.example>\r\n"))


def _small_key() -> bytes:
    return TRACE + sign(message(), selector="weak", key_name="rsa768")


FAILURES = {
    "gmail.spf-or-dkim": (_unsigned_from_forwarder, "fail", "550 5.7.26"),
    "gmail.ptr": (_no_ptr, "fail", "550 5.7.25"),
    "gmail.tls": (_plain, "fail", "550 5.7.29"),
    "gmail.format": (_bad_format, "fail", "550 5.7.1"),
    "gmail.spf-and-dkim": (_spf_fails, "warn", "550 5.7.27"),
    "gmail.dmarc-record": (_no_dmarc, "warn", "421 4.7.40"),
    "gmail.alignment": (_unaligned, "warn", "421 4.7.32"),
    "gmail.one-click": (_marketing_without_unsubscribe, "warn", "filtered to spam"),
    "gmail.body-link": (_marketing_without_unsubscribe, "warn", "filtered to spam"),
    "gmail.dkim-key-size": (_small_key, "warn", "421 4.7.30"),
    "yahoo.spf-or-dkim": (_unsigned_from_forwarder, "fail", "550 5.7.9"),
    "yahoo.ptr": (_no_ptr, "fail", "421 4.7.0 [TSS04]"),
    "yahoo.format": (_bad_format, "fail", "554 5.7.9"),
    "yahoo.spf-and-dkim": (_spf_fails, "warn", "550 5.7.9"),
    "yahoo.dmarc-pass": (_unaligned, "warn", "554 5.7.9"),
    "yahoo.one-click": (_marketing_without_unsubscribe, "warn", "filtered to spam"),
    "yahoo.body-link": (_marketing_without_unsubscribe, "warn", "filtered to spam"),
    "outlook.spf-and-dkim": (_spf_fails, "warn", "550 5.7.515"),
    "outlook.dmarc-record": (_no_dmarc, "warn", "550 5.7.515"),
    "outlook.alignment": (_unaligned, "warn", "550 5.7.515"),
}


def test_every_rule_has_a_failure_case():
    assert sorted(FAILURES) == sorted(RULES)


@pytest.mark.parametrize("rule", RULES)
def test_each_provider_rule_fails_with_its_reply(tmp_path, rule):
    build, status, reply = FAILURES[rule]
    _, doc = check_message(tmp_path, build())
    check = one(doc, f"compliance.{rule}")
    assert check["status"] == status, check["summary"]
    assert check["details"]["passed"] is False and reply in check["details"]["reply"] and reply in check["summary"]
    assert check["refs"] and check["refs"][0].startswith("https://")


def test_provider_choice_limits_the_rules(tmp_path):
    _, doc = check_message(tmp_path, TRACE + sign(message()), "--provider", "outlook")
    assert sorted(c["id"] for c in checks_with_prefix(doc, "compliance.")) == [
        "compliance.outlook.alignment",
        "compliance.outlook.dmarc-record",
        "compliance.outlook.spf-and-dkim",
    ]


def checks_with_prefix(document: dict, prefix: str) -> list[dict]:
    return [c for o in document["obstacles"] for c in o["checks"] if c["id"].startswith(prefix)]


# -- bad input ------------------------------------------------------------------------


def run_raw(tmp_path: Path, data: bytes, *args: str):
    path = tmp_path / "input.eml"
    path.write_bytes(data)
    return run_cli("message", str(path), "--zone", str(ZONES), "--offline", "--no-reputation", *args)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the input is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "the input is binary"),
        (b"Hello Bob,\nthis is only the text.\n", "no header fields"),
    ],
    ids=["empty", "binary", "only-a-body"],
)
def test_not_a_message_is_one_finding(tmp_path, data, reason):
    result = run_raw(tmp_path, data, "--format", "json")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    doc = result.json()
    check = one(doc, "message.input")
    assert check["status"] == "fail" and reason in check["summary"]


def test_duplicate_from_and_missing_message_id(tmp_path):
    data = message(extra="From: other@elsewhere.test\r\n", message_id="<x@y>").replace(b"Message-ID: <x@y>\r\n", b"")
    result = run_raw(tmp_path, data, "--format", "json")
    doc = result.json()
    assert one(doc, "message.from")["status"] == "fail" and one(doc, "message.from")["details"]["count"] == 2
    assert one(doc, "message.headers")["details"]["repeated"] == {"from": 2}
    assert one(doc, "message.message-id")["status"] == "fail"
    assert one(doc, "dmarc.evaluation")["details"]["result"] == "none"


def test_long_line_broken_mime_and_eight_bit_headers(tmp_path):
    body = "--b1\r\nContent-Type: text/plain\r\n\r\n" + "x" * 1200 + "\r\n"  # never closed
    data = message(body=body).replace(
        b"Content-Type: text/plain; charset=utf-8", b'Content-Type: multipart/alternative; boundary="b1"'
    )
    data = data.replace(b"Subject: Your March statement", "Subject: Réunion".encode())
    doc = run_raw(tmp_path, data, "--format", "json").json()
    line = one(doc, "message.line-length")
    assert line["status"] == "fail" and line["details"]["longest"] == 1200
    assert one(doc, "message.mime")["status"] == "fail" and "CloseBoundaryNotFoundDefect" in one(doc, "message.mime")["summary"]
    encoding = one(doc, "message.encoding")
    assert encoding["status"] == "warn" and encoding["details"]["eight_bit_headers"] == ["Subject"]


def test_a_huge_message_is_cut_at_the_cap(tmp_path):
    path = tmp_path / "huge.eml"
    with path.open("wb") as stream:
        stream.write(message(body=""))
        chunk = (b"A" * 76 + b"\r\n") * 13000
        for _ in range(100):
            stream.write(chunk)
    result = run_cli(
        "message", str(path), "--zone", str(ZONES), "--offline", "--no-reputation", "--max-size", "1M", "--format", "json"
    )
    doc = result.json()
    size = one(doc, "message.size")
    assert size["status"] == "warn" and size["details"]["truncated"] is True
    assert size["details"]["read"] == 1024 * 1024 and size["details"]["size"] > 100_000_000


def test_an_mbox_with_one_broken_message_reports_it_and_goes_on(tmp_path):
    good = sign(message())
    mbox = tmp_path / "box.mbox"
    mbox.write_bytes(
        b"From a@b Sun Mar  1 12:00:00 2026\n"
        + good
        + b"\n"
        + b"From a@b Sun Mar  1 12:00:00 2026\n"
        + b"\x00\x01\x02binary\n\n"
        + b"From a@b Sun Mar  1 12:00:00 2026\n"
        + good
        + b"\n"
    )
    result = run_cli("message", "--mbox", str(mbox), "--zone", str(ZONES), "--offline", "--no-reputation", "--format", "jsonl")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [doc["target"] for doc in lines] == [f"{mbox}#1", f"{mbox}#2", f"{mbox}#3"] or sorted(d["target"] for d in lines) == [
        f"{mbox}#1",
        f"{mbox}#2",
        f"{mbox}#3",
    ]
    by_target = {doc["target"]: doc for doc in lines}
    assert by_target[f"{mbox}#2"]["status"] == "fail" and one(by_target[f"{mbox}#2"], "message.input")["details"][
        "reason"
    ].startswith("the input is binary")
    assert (
        one(by_target[f"{mbox}#1"], "dkim.signature")["status"] == "pass"
        and one(by_target[f"{mbox}#3"], "dkim.signature")["status"] == "pass"
    )
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("args", "message_text"),
    [
        (("missing.eml",), "missing.eml: no such file"),
        (("m.eml", "--ip", "999.1.1.1"), "--ip '999.1.1.1' is not an IPv4 or IPv6 address"),
        (("m.eml", "--at", "yesterday"), "--at 'yesterday': expected ISO 8601"),
        (("m.eml", "--provider", "aol"), "--provider 'aol': choose from gmail, yahoo, outlook"),
        (("m.eml", "--trusted-hop", "0"), "--trusted-hop counts Received fields from the top, from 1"),
        (("m.eml", "--helo", "two words"), "--helo 'two words': a HELO name is one word"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path, monkeypatch, args, message_text):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.eml").write_bytes(message())
    result = run_cli("message", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"mailcheck: error: {message_text}" + result.stderr[len(f"mailcheck: error: {message_text}") :]
    assert result.stderr.startswith(f"mailcheck: error: {message_text}") and result.stderr.count("\n") == 1


def test_stdin(tmp_path, monkeypatch):
    import io
    import sys

    data = sign(message())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    result = run_cli("message", "-", "--zone", str(ZONES), "--offline", "--no-reputation", "--format", "json")
    doc = result.json()
    assert doc["target"] == "stdin" and one(doc, "dkim.signature")["status"] == "pass"


def test_from_domain_records_in_brief(tmp_path):
    _, good = check_message(tmp_path, TRACE + sign(message()))
    brief = one(good, "from-domain.records")
    assert brief["status"] == "pass" and brief["subject"] == "sender.example"
    assert {c["id"] for c in brief["details"]["checks"]} >= {"spf.record", "dmarc.policy"}
    _, bad = check_message(tmp_path, message(sender="news@spf-toomany.example"))
    brief = one(bad, "from-domain.records")
    assert brief["status"] == "warn" and "spf.lookups fail" in brief["summary"]
    assert brief["fix"] == "Run mailcheck domain spf-toomany.example for the whole report and fix what it names first."


def test_control_characters_from_the_message_are_never_printed_raw(tmp_path):
    data = b"From: evil\x1b[31mred@x.example\r\nMessage-ID: <a\x1b]0;title\x07@b.example>\r\nSubject: hi\r\n\r\nbody\r\n"
    result = run_raw(tmp_path, data, "--no-color", "-v")  # -v: passing checks are shown too
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "Message-ID <a\\x1b]0;title\\x07@b.example>" in result.stdout


def test_links_of_an_html_body_are_looked_up_on_the_blocklists(tmp_path):
    html = (
        '<p>Read <a href="https://links-listed.example/offer">our offer</a> and <a href="https://sender.example/">us</a>.</p>\r\n'
    )
    data = message(body=html).replace(b"Content-Type: text/plain", b"Content-Type: text/html")
    code, doc = check_message(tmp_path, TRACE + sign(data))
    listed = [c for c in checks(doc, "blocklist.listing") if c["status"] == "fail"]
    assert code == 1 and [c["details"]["target"] for c in listed] == ["links-listed.example"]
    assert "links-listed.example is listed on Spamhaus DBL" in listed[0]["summary"]
