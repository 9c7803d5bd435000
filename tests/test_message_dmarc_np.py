"""dmarc.evaluation under RFC 9989: np= for a From domain that does not exist, sp= for
a subdomain that does, p= for the domain itself; details.policy_tag says which decided.

dmarc-npmail.example publishes p=reject; sp=quarantine; np=reject and has news. below
it; the messages are signed by sender.example, which does not align, so DMARC fails and
the disposition shows which tag applied."""

from __future__ import annotations

from tests.helpers import ZONES, run_cli
from tests.helpers.message_fixtures import message, sign
from tests.test_message import check_message, one


def evaluation(tmp_path, sender: str) -> tuple[int, dict]:
    code, doc = check_message(tmp_path, sign(message(sender=sender)), "--no-reputation")
    return code, one(doc, "dmarc.evaluation")


def test_a_non_existent_subdomain_gets_np(tmp_path):
    code, dmarc = evaluation(tmp_path, "billing@ghost.dmarc-npmail.example")
    details = dmarc["details"]
    assert (dmarc["status"], details["result"], details["disposition"]) == ("fail", "fail", "reject")
    assert (details["policy_tag"], details["policy_value"], details["policy_generation"]) == ("np", "reject", "rfc9989")
    assert details["from_domain_exists"] is False and details["policy_domain"] == "dmarc-npmail.example"
    # RFC 7489 receivers know no np=: they apply sp=.
    assert details["generations"]["rfc7489"] == {
        "policy_domain": "dmarc-npmail.example",
        "tag": "sp",
        "policy": "quarantine",
        "disposition": "quarantine",
        "note": "",
    }
    assert details["generations"]["rfc9989"]["tag"] == "np"
    assert dmarc["summary"].endswith("ghost.dmarc-npmail.example does not exist (NXDOMAIN), so np=reject applies (RFC 9989 §4.7)")
    assert code == 1


def test_an_existing_subdomain_gets_sp(tmp_path):
    _, dmarc = evaluation(tmp_path, "news@news.dmarc-npmail.example")
    details = dmarc["details"]
    assert (dmarc["status"], details["disposition"]) == ("fail", "quarantine")
    assert (details["policy_tag"], details["policy_value"], details["from_domain_exists"]) == ("sp", "quarantine", True)
    assert "NXDOMAIN" not in dmarc["summary"]


def test_the_domain_itself_gets_p_without_asking_whether_it_exists(tmp_path):
    _, dmarc = evaluation(tmp_path, "news@dmarc-npmail.example")
    details = dmarc["details"]
    assert (details["disposition"], details["policy_tag"], details["policy_value"]) == ("reject", "p", "reject")
    assert details["from_domain_exists"] is None


def test_the_verdict_and_text_name_the_tag_that_decided(tmp_path):
    path = tmp_path / "m.eml"
    path.write_bytes(sign(message(sender="news@news.dmarc-npmail.example")))
    result = run_cli("message", str(path), "--zone", str(ZONES), "--offline", "--no-reputation", "--no-color")
    lines = result.stdout.splitlines()
    assert (
        lines[2]
        .strip()
        .startswith("✗ message.verdict  spam folder: DMARC fails for news.dmarc-npmail.example and its policy is sp=quarantine")
    )
    assert "        policy: sp=quarantine from _dmarc.dmarc-npmail.example" in lines
