"""``mailcheck probe`` end to end: fixture zones, real scripted SMTP servers on loopback."""

from __future__ import annotations

import ssl
import time
from pathlib import Path

import pytest
import trustme

from tests.helpers import ZONES, checks_by_id, mentions, one_check, run_cli
from tests.helpers.smtp_servers import (
    ACCEPT,
    Script,
    blocked_port,
    free_port,
    known_users,
    smtp_server,
)

HELO = "prober.probe-client.example"


@pytest.fixture
def port() -> int:
    return free_port()


def probe(port: int, *args: str, timeout: str = "1"):
    return run_cli("probe", *args, "--zone", str(ZONES), "--offline", "--port", str(port), "--helo", HELO, "--timeout", timeout)


def probe_json(port: int, *args: str, timeout: str = "1"):
    result = probe(port, *args, "--format", "json", timeout=timeout)
    return result, result.json()


def verdict(report: dict) -> dict:
    return one_check(report, "acceptance.verdict")


# -- verdicts ----------------------------------------------------------------------


def test_known_mailbox_is_deliverable_and_unknown_ones_are_refused(port: int) -> None:
    with smtp_server("127.0.1.10", port, Script(rcpt=known_users("alice@probe-ok.example"))) as server:
        result, report = probe_json(port, "alice@probe-ok.example")
    assert result.exit_code == 0
    assert report["command"] == "probe" and report["target"] == "alice@probe-ok.example"
    assert report["verdict"] == "deliverable"
    check = verdict(report)
    assert check["status"] == "pass"
    assert mentions(check["summary"], "250 2.1.5", "'OK'", "mx1.probe-ok.example", "127.0.1.10", "refuses unknown")
    assert check["details"]["code"] == 250 and check["details"]["enhanced"] == "2.1.5"
    catch_all = one_check(report, "acceptance.catch-all")
    assert catch_all["status"] == "pass" and catch_all["summary"].startswith("refuses unknown: the random address mailcheck-")
    assert "550 5.1.1" in catch_all["summary"]
    # The real address first, the random one in a new transaction after RSET, QUIT always.
    assert server.verbs() == ["EHLO", "MAIL", "RCPT", "RSET", "MAIL", "RCPT", "RSET", "QUIT"]
    assert server.args("MAIL") == ["FROM:<>", "FROM:<>"]
    assert server.args("RCPT")[0] == "TO:<alice@probe-ok.example>"
    assert [o["id"] for o in report["obstacles"]] == ["routing", "transport", "acceptance"]
    connection = one_check(report, "smtp.connection")
    assert connection["status"] == "pass"
    assert mentions(connection["summary"], "1 address", f"port {port}", "preference 10")
    transcript = connection["details"]["transcript"]
    assert {"direction": "C", "text": "RCPT TO:<alice@probe-ok.example>"}.items() <= transcript[5].items() or any(
        t["text"] == "RCPT TO:<alice@probe-ok.example>" and t["direction"] == "C" for t in transcript
    )
    assert all(isinstance(t["ms"], float) for t in transcript)
    assert "DATA" not in server.verbs()


def test_text_output_shows_verdict_and_verbose_shows_transcript(port: int) -> None:
    with smtp_server("127.0.1.10", port, Script(rcpt=known_users("alice@probe-ok.example"))):
        plain = probe(port, "alice@probe-ok.example", "--no-color")
        verbose = probe(port, "alice@probe-ok.example", "--no-color", "--verbose")
    assert plain.exit_code == 0
    assert "deliverable: 250 2.1.5 accepted — 'OK' (mx1.probe-ok.example 127.0.1.10)" in plain.stdout
    assert "RCPT TO:<alice@probe-ok.example>" not in plain.stdout
    assert verbose.exit_code == 0
    # Once, as timed lines: not again inside the details dump.
    assert verbose.stdout.count("C: RCPT TO:<alice@probe-ok.example>") == 1
    assert " S: 250 2.1.5 OK" in verbose.stdout
    assert '"transcript"' not in verbose.stdout


def test_no_catch_all_skips_the_random_recipient(port: int) -> None:
    with smtp_server("127.0.1.10", port) as server:
        result, report = probe_json(port, "anyone@probe-ok.example", "--no-catch-all")
    assert result.exit_code == 0
    assert verdict(report)["status"] == "pass"
    assert verdict(report)["summary"].endswith("catch-all test: not run")
    catch_all = one_check(report, "acceptance.catch-all")
    assert catch_all["status"] == "skip" and catch_all["summary"] == "not run: skipped with --no-catch-all"
    assert server.verbs() == ["EHLO", "MAIL", "RCPT", "RSET", "QUIT"]


def test_unknown_mailbox_is_undeliverable(port: int) -> None:
    with smtp_server("127.0.1.11", port, Script(rcpt=lambda a: "550 5.1.1 User unknown")) as server:
        result, report = probe_json(port, "nobody@probe-bad.example")
        text = probe(port, "nobody@probe-bad.example", "--no-color")
    assert result.exit_code == 1 and text.exit_code == 1
    check = verdict(report)
    assert check["status"] == "fail"
    assert mentions(check["summary"], "550 5.1.1", "'User unknown'", "mx1.probe-bad.example", "127.0.1.11")
    assert check["details"]["decoded"] == (
        "550 (mailbox unavailable (not found, no access, or refused by policy)), "
        "5.1.1 (permanent failure: bad destination mailbox address (mailbox unknown))"
    )
    assert check["details"]["kind"] == "mailbox unknown"
    assert one_check(report, "acceptance.catch-all")["summary"] == "not run: the address was not accepted"
    assert "undeliverable: 550 5.1.1 mailbox unknown" in text.stdout
    assert "DATA" not in server.verbs()


def test_greylisting_is_deferred_with_a_retry_hint(port: int) -> None:
    reply = "451 4.7.1 Greylisted, please try again in 300 seconds"
    with smtp_server("127.0.1.12", port, Script(rcpt=lambda a: reply)) as server:
        result, report = probe_json(port, "bob@probe-grey.example")
    assert result.exit_code == 0
    check = verdict(report)
    assert check["status"] == "warn"
    assert mentions(
        check["summary"],
        "451 4.7.1",
        "'Greylisted, please try again in 300 seconds'",
        "mx1.probe-grey.example",
        "127.0.1.12",
        "300 s",
    )
    assert check["details"]["retry_hint"] == "the server asks to retry after 300 s"
    assert "DATA" not in server.verbs()


def test_greylisting_without_enhanced_code_is_called_greylisting(port: int) -> None:
    with smtp_server("127.0.1.12", port, Script(rcpt=lambda a: "450 Greylisted: come back later")):
        result, report = probe_json(port, "bob@probe-grey.example")
    check = verdict(report)
    assert result.exit_code == 0 and check["status"] == "warn"
    assert check["summary"].startswith("deferred: 450 greylisted — 'Greylisted: come back later'")
    assert "greylisting windows are usually 1 to 15 minutes" in check["summary"]


def test_retry_greylist_waits_once_and_retries_the_same_address(port: int) -> None:
    seen: list[str] = []

    def greylist_once(address: str) -> str:
        seen.append(address)
        return "451 4.7.1 Greylisted, try again later" if len(seen) == 1 else ACCEPT

    with smtp_server("127.0.1.12", port, Script(rcpt=greylist_once)) as server:
        started = time.monotonic()
        result, report = probe_json(port, "bob@probe-grey.example", "--retry-greylist", "0.3", "--no-catch-all")
        elapsed = time.monotonic() - started
    assert result.exit_code == 0
    assert verdict(report)["summary"].startswith("deliverable: 250 2.1.5 accepted")
    assert verdict(report)["details"]["retried_after_greylisting"] is True
    assert server.connections == 2 and seen == ["bob@probe-grey.example"] * 2
    assert elapsed >= 0.3
    assert len(checks_by_id(report, "smtp.connection")) == 2


def test_policy_block_is_about_the_sender_not_the_address(port: int) -> None:
    # 5.7.x refuses the sender (classify() says so), never the mailbox: no verdict on it.
    reply = "554 5.7.1 Service unavailable; client host blocked using a DNSBL"
    with smtp_server("127.0.1.13", port, Script(rcpt=lambda a: reply)) as server:
        result, report = probe_json(port, "carol@probe-policy.example")
        text = probe(port, "carol@probe-policy.example", "--no-color")
    assert result.exit_code == 3 and text.exit_code == 3
    assert report["verdict"] == "unknown"
    check = verdict(report)
    assert check["status"] == "error"
    assert mentions(
        check["summary"],
        "554 5.7.1",
        "'Service unavailable; client host blocked using a DNSBL'",
        "mx1.probe-policy.example",
        "127.0.1.13",
    )
    assert check["details"]["verdict"] == "unknown" and check["details"]["kind"] == "refused by policy"
    assert "does not mean the address does not exist" in check["details"]["explanation"]
    assert "sender, not the address" in check["fix"]
    assert "undeliverable" not in text.stdout
    assert "the server refused the sender, not the mailbox" in text.stdout
    # Not accepted, so no catch-all test; the session still ends with QUIT and never DATA.
    assert one_check(report, "acceptance.catch-all")["summary"] == "not run: the address was not accepted"
    assert server.verbs() == ["EHLO", "MAIL", "RCPT", "RSET", "QUIT"] * 2  # two runs, one session each


def test_microsoft_block_list_refusal_is_unknown_with_the_delisting_hint(port: int) -> None:
    reply = "550 5.7.606 Access denied, banned sending IP [127.0.1.250]"
    with smtp_server("127.0.1.13", port, Script(rcpt=lambda a: reply)) as server:
        result, report = probe_json(port, "carol@probe-policy.example")
    assert result.exit_code == 3
    check = verdict(report)
    assert check["status"] == "error" and report["verdict"] == "unknown"
    assert mentions(
        check["summary"],
        "550 5.7.606",
        "'Access denied, banned sending IP [127.0.1.250]'",
        "mx1.probe-policy.example",
        "127.0.1.13",
    )
    assert check["details"]["enhanced"] == "5.7.606"
    assert "sender.office.com" in check["details"]["hint"]["text"]
    assert "DATA" not in server.verbs()


def test_starttls_required_at_rcpt_is_unknown_not_undeliverable(port: int) -> None:
    reply = "530 5.7.0 Must issue a STARTTLS command first"
    with smtp_server("127.0.1.13", port, Script(rcpt=lambda a: reply)) as server:
        result, report = probe_json(port, "carol@probe-policy.example", "--no-tls")
    assert result.exit_code == 3
    check = verdict(report)
    assert check["status"] == "error" and report["verdict"] == "unknown"
    assert mentions(
        check["summary"], "530 5.7.0", "'Must issue a STARTTLS command first'", "mx1.probe-policy.example", "127.0.1.13"
    )
    assert check["fix"] == "The server requires STARTTLS: run the probe without --no-tls."
    assert "DATA" not in server.verbs()


def test_a_3xx_at_rcpt_is_a_protocol_error_not_acceptance(port: int) -> None:
    # Only DATA and AUTH expect a 3xx; at RCPT it neither accepts nor refuses the address.
    reply = "354 End data with <CR><LF>.<CR><LF>"
    with smtp_server("127.0.1.10", port, Script(rcpt=lambda a: reply)) as server:
        result, report = probe_json(port, "alice@probe-ok.example")
    assert result.exit_code == 3
    assert report["verdict"] == "unknown"
    check = verdict(report)
    assert check["status"] == "error"
    assert mentions(check["summary"], "354 unexpected", "'End data with <CR><LF>.<CR><LF>'", "mx1.probe-ok.example", "127.0.1.10")
    assert check["details"]["code"] == 354 and check["details"]["kind"] == "protocol error"
    assert check["refs"] == ["RFC 5321 §4.2.1", "RFC 5321 §4.3.2"]
    # No catch-all test after a 3xx (it is not acceptance), and never DATA.
    catch_all = one_check(report, "acceptance.catch-all")
    assert catch_all["status"] == "skip" and catch_all["summary"] == "not run: the address was not accepted"
    assert server.args("RCPT") == ["TO:<alice@probe-ok.example>"]
    assert server.verbs() == ["EHLO", "MAIL", "RCPT", "RSET", "QUIT"]
    assert server.forbidden == []
    # A 3xx is no RCPT answer: the session is a failure of that host, not a pass.
    connection = one_check(report, "smtp.connection")
    assert connection["status"] == "error"
    assert mentions(connection["summary"], "354 End", f"port {port}", "preference 10")


def test_a_3xx_at_rcpt_moves_on_to_the_next_mx_host(port: int) -> None:
    odd = Script(rcpt=lambda a: "354 Start mail input; end with <CRLF>.<CRLF>")
    refuses = Script(rcpt=lambda a: "550 5.1.1 User unknown")
    with smtp_server("127.0.1.21", port, odd) as mx1, smtp_server("127.0.1.22", port, refuses) as mx2:
        result, report = probe_json(port, "kim@probe-fallback.example")
        text = probe(port, "kim@probe-fallback.example", "--no-color")
    assert result.exit_code == 1 and text.exit_code == 1
    assert report["verdict"] == "undeliverable"
    assert mentions(verdict(report)["summary"], "550 5.1.1", "'User unknown'", "mx2.probe-fallback.example", "127.0.1.22")
    first, second = checks_by_id(report, "smtp.connection")
    assert first["subject"] == "mx1.probe-fallback.example 127.0.1.21" and first["status"] == "warn"
    assert mentions(first["summary"], "354 Start", f"port {port}", "preference 10")
    assert second["status"] == "pass"
    assert mentions(second["summary"], "1 address", f"port {port}", "preference 20")
    assert "undeliverable: 550 5.1.1 mailbox unknown — 'User unknown' (mx2.probe-fallback.example 127.0.1.22)" in text.stdout
    # Each session stays EHLO, MAIL, RCPT, RSET, QUIT: never DATA after the 354.
    assert mx1.verbs() == ["EHLO", "MAIL", "RCPT", "RSET", "QUIT"] * 2  # two runs
    assert mx2.verbs() == ["EHLO", "MAIL", "RCPT", "RSET", "QUIT"] * 2
    assert mx1.forbidden == [] and mx2.forbidden == []


def test_a_3xx_at_rcpt_with_no_other_host_answering_stays_unknown(port: int) -> None:
    # Nothing listens on mx2 (127.0.1.22): the probe moves on to it after the 3xx, in vain.
    odd = Script(rcpt=lambda a: "354 Start mail input")
    with smtp_server("127.0.1.21", port, odd) as mx1:
        result, report = probe_json(port, "kim@probe-fallback.example")
    assert result.exit_code == 3
    assert report["verdict"] == "unknown"
    check = verdict(report)
    assert check["status"] == "error"
    assert mentions(
        check["summary"], "354 unexpected", "'Start mail input'", "mx1.probe-fallback.example", "127.0.1.21", "1 more"
    )
    assert check["details"]["last_problem"] == "mx2.probe-fallback.example 127.0.1.22: connection refused"
    assert [c["status"] for c in checks_by_id(report, "smtp.connection")] == ["error", "error"]
    assert [c["subject"] for c in checks_by_id(report, "smtp.connection")] == [
        "mx1.probe-fallback.example 127.0.1.21",
        "mx2.probe-fallback.example 127.0.1.22",
    ]
    assert one_check(report, "acceptance.catch-all")["summary"] == "not run: the address was not accepted"
    assert mx1.verbs() == ["EHLO", "MAIL", "RCPT", "RSET", "QUIT"]


def test_a_3xx_for_the_random_address_is_not_a_catch_all(port: int) -> None:
    def odd(address: str) -> str:
        return ACCEPT if address == "alice@probe-ok.example" else "354 Start mail input"

    with smtp_server("127.0.1.10", port, Script(rcpt=odd)) as server:
        result, report = probe_json(port, "alice@probe-ok.example")
    assert result.exit_code == 0
    check = verdict(report)
    assert check["status"] == "pass"
    assert mentions(check["summary"], "250 2.1.5", "'OK'", "mx1.probe-ok.example", "127.0.1.10", "inconclusive")
    catch_all = one_check(report, "acceptance.catch-all")
    assert catch_all["status"] == "info"
    assert catch_all["summary"].endswith(": RCPT TO answered 354 Start mail input")
    assert server.forbidden == []


def test_mailbox_full_is_deferred_with_its_own_fix(port: int) -> None:
    reply = "452 4.2.2 Mailbox full"
    with smtp_server("127.0.1.12", port, Script(rcpt=lambda a: reply)) as server:
        result, report = probe_json(port, "bob@probe-grey.example")
    assert result.exit_code == 0
    check = verdict(report)
    assert check["status"] == "warn" and report["verdict"] == "deferred"
    assert mentions(check["summary"], "452 4.2.2", "'Mailbox full'", "mx1.probe-grey.example", "127.0.1.12")
    assert check["fix"] == "The mailbox exists but is over quota; retry later or contact the recipient."
    assert "greylist" not in check["fix"].lower() and "greylist" not in check["summary"].lower()
    assert check["details"]["kind"] == "mailbox full"
    assert "DATA" not in server.verbs()


def test_greylisting_keeps_the_greylisting_fix(port: int) -> None:
    with smtp_server("127.0.1.12", port, Script(rcpt=lambda a: "451 4.7.1 Greylisted, try again later")):
        result, report = probe_json(port, "bob@probe-grey.example")
    check = verdict(report)
    assert result.exit_code == 0 and check["status"] == "warn"
    assert check["fix"] == "Retry later, as a sending MTA would; a greylisting server accepts the retry after its window."


def test_catch_all_server_makes_the_address_risky(port: int) -> None:
    with smtp_server("127.0.1.14", port) as server:
        result, report = probe_json(port, "dave@probe-catchall.example")
    assert result.exit_code == 0
    assert report["verdict"] == "risky"
    check = verdict(report)
    assert check["status"] == "warn"
    assert mentions(check["summary"], "250 2.1.5", "'OK'", "mx1.probe-catchall.example", "127.0.1.14", "catch-all")
    catch_all = one_check(report, "acceptance.catch-all")
    assert catch_all["status"] == "warn" and catch_all["summary"].startswith("accepts all: the random address mailcheck-")
    assert len(server.args("RCPT")) == 2
    assert "DATA" not in server.verbs()


# -- STARTTLS ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def test_starttls_with_a_trusted_certificate(port: int, ca: trustme.CA, tmp_path) -> None:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert = ca.issue_cert("mx.probe-tls.example")
    with smtp_server("127.0.1.15", port, tls=cert) as server:
        result, report = probe_json(port, "erin@probe-tls.example", "--ca-file", str(ca_file), "--no-catch-all")
    assert result.exit_code == 0
    starttls = one_check(report, "tls.starttls")
    assert starttls["status"] == "pass" and starttls["summary"].startswith("STARTTLS: TLSv1.3, ")
    certificate = one_check(report, "tls.certificate")
    assert certificate["status"] == "pass"
    assert certificate["summary"].startswith("certificate for mx.probe-tls.example issued by ")
    assert certificate["summary"].endswith(": trusted, matches mx.probe-tls.example")
    assert certificate["details"]["trusted"] is True and certificate["details"]["hostname_match"] is True
    assert certificate["details"]["sans"] == ["mx.probe-tls.example"]
    # EHLO again after STARTTLS (RFC 3207 §4.2); MAIL only over TLS.
    assert server.verbs() == ["EHLO", "STARTTLS", "EHLO", "MAIL", "RCPT", "RSET", "QUIT"]
    assert verdict(report)["status"] == "pass"


class _CommonNameOnly:
    """A leaf certificate naming its host in the CN alone, no subjectAltName, signed by
    ``ca`` (trustme always writes SANs, as every public CA must)."""

    def __init__(self, ca: trustme.CA, host: str, folder: Path) -> None:
        import datetime as dt

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        ca_key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=90))
            .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
        )
        self.pem = folder / "cn-only.pem"
        self.pem.write_bytes(
            cert.public_bytes(serialization.Encoding.PEM)
            + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )

    def configure_cert(self, context: ssl.SSLContext) -> None:
        context.load_cert_chain(str(self.pem))


def test_a_certificate_with_only_a_cn_says_clients_ignore_the_cn(port: int, ca: trustme.CA, tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert = _CommonNameOnly(ca, "mx.probe-tls.example", tmp_path)
    with smtp_server("127.0.1.15", port, tls=cert):
        result, report = probe_json(port, "erin@probe-tls.example", "--ca-file", str(ca_file), "--no-catch-all")
        text = probe(port, "erin@probe-tls.example", "--ca-file", str(ca_file), "--no-catch-all", "--no-color", "-v")
    certificate = one_check(report, "tls.certificate")
    assert certificate["status"] == "warn"
    assert (certificate["details"]["sans"], certificate["details"]["hostname_match"]) == ([], False)
    assert mentions(certificate["summary"], "does not match mx.probe-tls.example", "no subjectAltName")
    assert "        names:   no subjectAltName; clients ignore the CN" in text.stdout.splitlines()


def test_retry_greylist_tells_the_certificate_once(port: int, ca: trustme.CA) -> None:
    seen: list[str] = []

    def greylist_once(address: str) -> str:
        seen.append(address)
        return "451 4.7.1 Greylisted, try again later" if len(seen) == 1 else ACCEPT

    cert = ca.issue_cert("mx.probe-tls.example")
    with smtp_server("127.0.1.15", port, Script(rcpt=greylist_once), tls=cert):
        result, report = probe_json(port, "erin@probe-tls.example", "--retry-greylist", "0.1", "--no-catch-all")
    assert result.exit_code == 0 and seen == ["erin@probe-tls.example"] * 2
    # Two sessions, one certificate: its checks are told once, from the last session.
    assert len(checks_by_id(report, "smtp.connection")) == 2
    assert len(checks_by_id(report, "tls.certificate")) == 1 and len(checks_by_id(report, "tls.starttls")) == 1
    assert one_check(report, "tls.certificate")["details"]["sans"] == ["mx.probe-tls.example"]


def test_starttls_with_an_untrusted_certificate_warns_and_carries_on(port: int, ca: trustme.CA) -> None:
    cert = ca.issue_cert("mx.probe-tls.example")
    with smtp_server("127.0.1.15", port, tls=cert) as server:
        result, report = probe_json(port, "erin@probe-tls.example", "--no-catch-all")
    assert result.exit_code == 0
    certificate = one_check(report, "tls.certificate")
    assert certificate["status"] == "warn"
    assert certificate["details"]["trusted"] is False
    assert certificate["details"]["trust_error"] == "unable to get local issuer certificate"
    assert certificate["summary"].startswith("certificate ")
    assert mentions(
        certificate["summary"], "SANs: mx.probe-tls.example", "not trusted", "unable to get local issuer certificate", "expires"
    )
    assert certificate["summary"].endswith("the probe carried on over TLS")
    # The verified handshake failed; the probe reconnected and went on over TLS.
    assert server.connections == 2
    assert server.verbs() == ["EHLO", "STARTTLS", "EHLO", "STARTTLS", "EHLO", "MAIL", "RCPT", "RSET", "QUIT"]
    assert verdict(report)["summary"].startswith("deliverable: 250 2.1.5 accepted")


def test_certificate_for_another_name_is_a_mismatch(port: int, ca: trustme.CA, tmp_path) -> None:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with smtp_server("127.0.1.15", port, tls=ca.issue_cert("*.other.example")):
        result, report = probe_json(port, "erin@probe-tls.example", "--ca-file", str(ca_file), "--no-catch-all")
    certificate = one_check(report, "tls.certificate")
    assert result.exit_code == 0 and certificate["status"] == "warn"
    assert mentions(certificate["summary"], "SANs: *.other.example", "does not match mx.probe-tls.example", "expires")
    assert certificate["details"]["trusted"] is True and certificate["details"]["hostname_match"] is False


def test_starttls_required_is_unknown_when_tls_is_off(port: int, ca: trustme.CA) -> None:
    def tls_first(address: str, over_tls: bool) -> str:
        return "250 2.1.0 OK" if over_tls else "530 5.7.0 Must issue a STARTTLS command first"

    with smtp_server("127.0.1.16", port, Script(mail=tls_first), tls=ca.issue_cert("mx1.probe-tlsreq.example")) as server:
        result, report = probe_json(port, "frank@probe-tlsreq.example", "--no-tls")
    assert result.exit_code == 3
    check = verdict(report)
    assert check["status"] == "error"
    assert mentions(
        check["summary"], "530 5.7.0", "'Must issue a STARTTLS command first'", "mx1.probe-tlsreq.example", "127.0.1.16"
    )
    assert check["details"]["code"] == 530 and check["details"]["enhanced"] == "5.7.0"
    assert "without --no-tls" in check["fix"]
    assert one_check(report, "tls.starttls")["status"] == "skip"
    assert "STARTTLS" not in server.verbs() and "RCPT" not in server.verbs()
    assert server.verbs()[-1] == "QUIT"


# -- servers that misbehave ------------------------------------------------------


def test_server_that_never_greets_times_out_quickly(port: int) -> None:
    with smtp_server("127.0.1.17", port, Script(behaviour="silent")) as server:
        started = time.monotonic()
        result, report = probe_json(port, "gina@probe-silent.example", timeout="0.5")
        elapsed = time.monotonic() - started
    assert result.exit_code == 3
    assert elapsed < 3
    check = verdict(report)
    assert check["status"] == "error"
    assert mentions(check["summary"], "mx1.probe-silent.example", "127.0.1.17", "0.5")
    assert one_check(report, "smtp.connection")["status"] == "error"
    assert server.forbidden == []


def test_server_that_speaks_garbage_is_a_clean_error(port: int) -> None:
    with smtp_server("127.0.1.18", port, Script(behaviour="garbage")):
        result, report = probe_json(port, "hank@probe-garbage.example", timeout="0.5")
    assert result.exit_code == 3
    check = verdict(report)
    assert check["status"] == "error"
    assert mentions(check["summary"], "mx1.probe-garbage.example", "127.0.1.18", "'HTTP/1.1 400 Bad Request'")
    assert "Traceback" not in result.stderr


def test_server_that_hangs_up_after_ehlo(port: int) -> None:
    with smtp_server("127.0.1.19", port, Script(close_after_ehlo=True)) as server:
        result, report = probe_json(port, "ivy@probe-hangup.example", timeout="0.5")
    assert result.exit_code == 3
    check = verdict(report)
    assert mentions(check["summary"], "mx1.probe-hangup.example", "127.0.1.19", "closed the connection", "at EHLO")
    assert server.verbs() == ["EHLO"]


def test_multi_line_banner_and_replies(port: int) -> None:
    script = Script(
        banner=("220-mx1.probe-multiline.example ESMTP", "220-No UCE", "220 Welcome"),
        ehlo_extra=("PIPELINING", "ENHANCEDSTATUSCODES"),
        rcpt=lambda a: (
            "550-5.1.1 The email account that you tried to reach does not exist.\r\n550 5.1.1 Please check the address."
        ),
    )
    with smtp_server("127.0.1.20", port, script) as server:
        result, report = probe_json(port, "jack@probe-multiline.example")
    assert result.exit_code == 1
    check = verdict(report)
    assert mentions(
        check["summary"],
        "550 5.1.1",
        "'The email account that you tried to reach does not exist. Please check the address.'",
        "mx1.probe-multiline.example",
        "127.0.1.20",
    )
    connection = one_check(report, "smtp.connection")
    assert connection["details"]["banner"] == ["mx1.probe-multiline.example ESMTP", "No UCE", "Welcome"]
    assert {"PIPELINING", "ENHANCEDSTATUSCODES", "SMTPUTF8", "8BITMIME"} <= set(connection["details"]["extensions"])
    assert connection["details"]["banner_code"] == 220
    assert "DATA" not in server.verbs()


# -- routing -----------------------------------------------------------------------


def test_mx_fallback_when_the_first_host_refuses(port: int) -> None:
    # Nothing listens on mx1 (127.0.1.21): the connection is refused.
    with smtp_server("127.0.1.22", port, Script(rcpt=known_users("kim@probe-fallback.example"))) as server:
        result, report = probe_json(port, "kim@probe-fallback.example")
    assert result.exit_code == 0
    connections = checks_by_id(report, "smtp.connection")
    assert [c["subject"] for c in connections] == [
        "mx1.probe-fallback.example 127.0.1.21",
        "mx2.probe-fallback.example 127.0.1.22",
    ]
    assert connections[0]["status"] == "warn"
    assert mentions(connections[0]["summary"], "connection refused", f"port {port}", "preference 10")
    assert connections[1]["status"] == "pass"
    assert verdict(report)["summary"].startswith("deliverable: 250 2.1.5 accepted — 'OK' (mx2.probe-fallback.example 127.0.1.22)")
    assert "DATA" not in server.verbs()


def test_null_mx_fails_without_connecting(port: int) -> None:
    result, report = probe_json(port, "x@probe-null.example")
    assert result.exit_code == 1
    check = verdict(report)
    assert check["status"] == "fail"
    assert mentions(check["summary"], "RFC 7505", "probe-null.example", "null MX")
    assert checks_by_id(report, "smtp.connection") == []
    assert one_check(report, "mx.null")["subject"] == "probe-null.example"


def test_nxdomain_fails_without_connecting(port: int) -> None:
    result, report = probe_json(port, "x@missing.probe-ok.example")
    assert result.exit_code == 1
    assert mentions(verdict(report)["summary"], "missing.probe-ok.example", "NXDOMAIN")
    assert checks_by_id(report, "smtp.connection") == []


def test_no_mx_uses_the_implicit_address(port: int) -> None:
    with smtp_server("127.0.1.23", port, Script(rcpt=known_users("lee@probe-nomx.example"))) as server:
        result, report = probe_json(port, "lee@probe-nomx.example")
    assert result.exit_code == 0
    records = one_check(report, "mx.records")
    assert records["status"] == "warn"
    assert mentions(records["summary"], "probe-nomx.example", "127.0.1.23")
    connection = one_check(report, "smtp.connection")
    assert connection["subject"] == "probe-nomx.example 127.0.1.23"
    assert mentions(connection["summary"], "1 address", f"port {port}", "implicit MX")
    assert verdict(report)["status"] == "pass"
    assert "DATA" not in server.verbs()


def test_ipv4_and_ipv6_restrictions(port: int) -> None:
    with smtp_server("127.0.1.25", port):
        _, only4 = probe_json(port, "max@probe-dual.example", "-4", "--no-catch-all")
        _, only6 = probe_json(port, "max@probe-dual.example", "-6", "--no-catch-all")
    assert [c["subject"] for c in checks_by_id(only4, "smtp.connection")] == ["mx1.probe-dual.example 127.0.1.25"]
    assert verdict(only4)["status"] == "pass"
    # Nothing listens on [::1] at this port: refused, and no verdict.
    assert [c["subject"] for c in checks_by_id(only6, "smtp.connection")] == ["mx1.probe-dual.example ::1"]
    assert mentions(verdict(only6)["summary"], "mx1.probe-dual.example", "::1", "connection refused")


def test_blocked_port_is_said_plainly(port: int) -> None:
    with blocked_port("127.0.1.24", port):
        started = time.monotonic()
        result, report = probe_json(port, "ned@probe-blocked.example", timeout="0.5")
        elapsed = time.monotonic() - started
    assert result.exit_code == 3
    assert elapsed < 3
    check = verdict(report)
    assert check["status"] == "error"
    assert mentions(check["summary"], f"port {port}", "probe-blocked.example")
    assert check["details"]["port_blocked"] is True
    assert mentions(one_check(report, "smtp.connection")["summary"], "0.5", f"port {port}", "preference 10")


# -- several addresses -------------------------------------------------------------


def test_addresses_at_one_domain_share_a_session(port: int) -> None:
    users = known_users("alice@probe-ok.example", "bob@probe-ok.example")
    with (
        smtp_server("127.0.1.10", port, Script(rcpt=users)) as ok,
        smtp_server("127.0.1.11", port, Script(rcpt=lambda a: "550 5.1.1 User unknown")),
    ):
        result, document = probe_json(
            port, "alice@probe-ok.example", "bob@probe-ok.example", "ghost@probe-ok.example", "zed@probe-bad.example"
        )
    assert result.exit_code == 1
    assert document["schema"] == "mailcheck.reports/1"
    verdicts = {r["target"]: r["verdict"] for r in document["reports"]}
    assert verdicts == {
        "alice@probe-ok.example": "deliverable",
        "bob@probe-ok.example": "deliverable",
        "ghost@probe-ok.example": "undeliverable",
        "zed@probe-bad.example": "undeliverable",
    }
    assert ok.connections == 1
    assert ok.args("RCPT")[0] == "TO:<alice@probe-ok.example>"
    assert ok.args("RCPT")[2:] == ["TO:<bob@probe-ok.example>", "TO:<ghost@probe-ok.example>"]
    assert ok.verbs().count("RSET") == 4 and ok.verbs()[-1] == "QUIT"


# EHLO refused, HELO accepted: a session with no ESMTP extensions, so no SMTPUTF8.
NO_SMTPUTF8 = "502 5.5.2 EHLO not implemented"


def test_internationalized_address_on_a_server_without_smtputf8_is_no_answer(port: int) -> None:
    with smtp_server("127.0.1.10", port, Script(ehlo=NO_SMTPUTF8)) as server:
        result, report = probe_json(port, "josé@probe-ok.example")
        text = probe(port, "josé@probe-ok.example", "--no-color")
    assert result.exit_code == 3 and text.exit_code == 3
    connection = one_check(report, "smtp.connection")
    # The session reached its end, but no RCPT was sent: that is no pass.
    assert connection["status"] == "error"
    assert mentions(connection["summary"], "probe-ok.example", "RFC 6531", f"port {port}", "preference 10")
    assert connection["details"]["ending"] == "failed"
    check = verdict(report)
    assert check["status"] == "error" and report["verdict"] == "unknown"
    assert mentions(check["summary"], "mx1.probe-ok.example", "127.0.1.10", "probe-ok.example", "RFC 6531")
    assert "no RCPT sent: the server does not offer SMTPUTF8" in text.stdout
    assert "answered RCPT for 0 addresses" not in text.stdout
    assert server.verbs() == ["EHLO", "HELO", "QUIT"] * 2  # two runs: no MAIL, no RCPT


def test_without_smtputf8_the_ascii_address_is_answered_and_the_other_named(port: int) -> None:
    script = Script(ehlo=NO_SMTPUTF8, rcpt=known_users("alice@probe-ok.example"))
    with smtp_server("127.0.1.10", port, script) as server:
        result, document = probe_json(port, "alice@probe-ok.example", "josé@probe-ok.example", "--no-catch-all")
    assert result.exit_code == 3
    alice, jose = document["reports"]
    summary = f"answered RCPT for 1 address; not asked for josé@probe-ok.example: no SMTPUTF8 (RFC 6531) (port {port}, MX preference 10)"
    assert one_check(alice, "smtp.connection")["status"] == "pass"
    assert one_check(alice, "smtp.connection")["summary"] == summary
    assert verdict(alice)["summary"].startswith("deliverable: 250 2.1.5 accepted")
    # The same session answered nothing for josé: not a pass in his report.
    assert one_check(jose, "smtp.connection")["status"] == "error"
    assert one_check(jose, "smtp.connection")["summary"] == summary
    assert verdict(jose)["status"] == "error" and jose["verdict"] == "unknown"
    assert server.args("RCPT") == ["TO:<alice@probe-ok.example>"]


def test_without_smtputf8_the_probe_moves_on_to_the_next_mx_host(port: int) -> None:
    with smtp_server("127.0.1.21", port, Script(ehlo=NO_SMTPUTF8)) as mx1, smtp_server("127.0.1.22", port) as mx2:
        result, report = probe_json(port, "josé@probe-fallback.example", "--no-catch-all")
    assert result.exit_code == 0
    first, second = checks_by_id(report, "smtp.connection")
    assert first["status"] == "warn"
    assert first["summary"].startswith("no RCPT sent: the server does not offer SMTPUTF8")
    assert second["status"] == "pass"
    assert mentions(second["summary"], "1 address", f"port {port}", "preference 20")
    assert verdict(report)["summary"].startswith("deliverable: 250 2.1.5 accepted — 'OK' (mx2.probe-fallback.example 127.0.1.22)")
    assert mx1.verbs() == ["EHLO", "HELO", "QUIT"]
    assert mx2.args("MAIL") == ["FROM:<> SMTPUTF8"]


def test_internationalized_local_part_uses_smtputf8(port: int) -> None:
    with smtp_server("127.0.1.10", port, Script(rcpt=known_users("josé@probe-ok.example"))) as server:
        result, report = probe_json(port, "josé@probe-ok.example", "--no-catch-all")
    assert result.exit_code == 0
    assert report["target"] == "josé@probe-ok.example"
    assert server.args("MAIL") == ["FROM:<> SMTPUTF8"]
    assert verdict(report)["status"] == "pass"


# -- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("not-an-address",), "'not-an-address' is not a valid email address"),
        (("a@@probe-ok.example",), "is not a valid email address"),
        (("a@probe-ok.example", "--port", "0"), "--port must be a TCP port from 1 to 65535, not 0"),
        (("a@probe-ok.example", "--port", "70000"), "--port must be a TCP port from 1 to 65535, not 70000"),
        (("a@probe-ok.example", "--retry-greylist", "-1"), "--retry-greylist must be between 0 and 3600 seconds"),
        (("a@probe-ok.example", "--ca-file", "/nonexistent/ca.pem"), "--ca-file /nonexistent/ca.pem: no such file"),
        (("a@probe-ok.example", "--mail-from", "bad sender"), "'bad sender' is not a valid email address"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    result = run_cli("probe", *args, "--zone", str(ZONES), "--offline", "--helo", HELO)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_port_that_is_not_a_number_is_a_usage_error() -> None:
    result = run_cli("probe", "a@probe-ok.example", "--port", "smtp")
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_a_421_greeting_moves_on_to_the_next_host(port: int) -> None:
    busy = Script(banner=("421 4.7.0 mx1 too busy, try later",))
    with (
        smtp_server("127.0.1.21", port, busy),
        smtp_server("127.0.1.22", port, Script(rcpt=lambda a: "550 5.1.1 User unknown")) as mx2,
    ):
        result, report = probe_json(port, "kim@probe-fallback.example")
    assert result.exit_code == 1
    first, second = checks_by_id(report, "smtp.connection")
    assert first["status"] == "warn"
    assert mentions(first["summary"], "421 4.7.0", f"port {port}", "preference 10")
    assert second["status"] == "pass"
    assert mentions(verdict(report)["summary"], "550 5.1.1", "'User unknown'", "mx2.probe-fallback.example", "127.0.1.22")
    assert "DATA" not in mx2.verbs()


def test_a_server_that_stalls_at_rcpt_ends_in_about_the_timeout(port: int) -> None:
    with smtp_server("127.0.1.10", port, Script(stall_rcpt=True)) as server:
        started = time.monotonic()
        result, report = probe_json(port, "alice@probe-ok.example", timeout="0.5")
        elapsed = time.monotonic() - started
    assert result.exit_code == 3 and elapsed < 3
    assert mentions(verdict(report)["summary"], "mx1.probe-ok.example", "127.0.1.10", "0.5")
    assert server.verbs() == ["EHLO", "MAIL", "RCPT"]


@pytest.mark.parametrize(
    ("helo", "summary"),
    [
        ("box.local", "HELO name box.local is not a public DNS name; fake HELO names get the prober's IP listed"),
        (
            "mx.gmail.com",
            "HELO name mx.gmail.com belongs to gmail.com, not to the prober; fake HELO names get the prober's IP listed",
        ),
        (
            "nohost.probe-client.example",
            "HELO name nohost.probe-client.example does not resolve in DNS; fake HELO names get the prober's IP listed",
        ),
        (HELO, "HELO name prober.probe-client.example resolves to 127.0.1.250"),
    ],
)
def test_helo_name_is_checked(port: int, helo: str, summary: str) -> None:
    with smtp_server("127.0.1.10", port) as server:
        result = run_cli(
            "probe",
            "a@probe-ok.example",
            "--no-catch-all",
            "--format",
            "json",
            "--helo",
            helo,
            "--zone",
            str(ZONES),
            "--offline",
            "--port",
            str(port),
            "--timeout",
            "1",
        )
    check = one_check(result.json(), "smtp.helo")
    assert check["summary"] == summary
    assert check["status"] == ("pass" if helo == HELO else "warn")
    assert server.args("EHLO") == [helo]


class _OldTlsOnly:
    """A trustme certificate served with TLS 1.0 at most, which clients refuse to speak."""

    def __init__(self, cert: trustme.LeafCert) -> None:
        self.cert = cert

    def configure_cert(self, context) -> None:
        import ssl

        self.cert.configure_cert(context)
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.maximum_version = ssl.TLSVersion.TLSv1


def test_failed_tls_handshake_is_retried_in_plain_text(port: int, ca: trustme.CA) -> None:
    with smtp_server("127.0.1.15", port, tls=_OldTlsOnly(ca.issue_cert("mx.probe-tls.example"))) as server:
        result, report = probe_json(port, "erin@probe-tls.example", "--no-catch-all")
    assert result.exit_code == 0
    first, second = checks_by_id(report, "tls.starttls")
    assert first["status"] == "warn" and first["summary"].startswith(
        "STARTTLS with mx.probe-tls.example failed: TLS handshake failed"
    )
    assert second["status"] == "warn"
    assert mentions(second["summary"], "mx.probe-tls.example", "retried in plain text")
    assert verdict(report)["summary"].startswith("deliverable: 250 2.1.5 accepted")
    assert server.connections == 2
    assert server.verbs()[-5:] == ["EHLO", "MAIL", "RCPT", "RSET", "QUIT"]


def test_expired_certificate_is_reported(port: int, ca: trustme.CA, tmp_path) -> None:
    import datetime

    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    expired = ca.issue_cert(
        "mx.probe-tls.example",
        not_before=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
        not_after=datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC),
    )
    with smtp_server("127.0.1.15", port, tls=expired):
        result, report = probe_json(port, "erin@probe-tls.example", "--ca-file", str(ca_file), "--no-catch-all")
    certificate = one_check(report, "tls.certificate")
    assert result.exit_code == 0 and certificate["status"] == "warn"
    assert mentions(certificate["summary"], "not trusted", "certificate has expired", "2021-01-01")
    assert certificate["details"]["not_after"].startswith("2021-01-01")


def test_unreachable_dns_gives_unknown(port: int) -> None:
    # --offline: a domain outside the fixture zones cannot be looked up at all.
    result, report = probe_json(port, "a@example.net")
    assert result.exit_code == 3
    assert mentions(verdict(report)["summary"], "example.net", "--offline")
    assert one_check(report, "mx.lookup")["status"] == "error"


def test_a_crash_in_the_mx_checks_is_an_error_and_the_probe_goes_on(port: int, monkeypatch) -> None:
    # Simulates a bug in check_mx (not a server behaviour): the probe itself must carry on.
    import mailcheck.checks.mx as mx_module

    async def crashing(context):
        raise ValueError("mx parser exploded")

    monkeypatch.setattr(mx_module, "check_mx", crashing)
    with smtp_server("127.0.1.10", port, Script(rcpt=known_users("alice@probe-ok.example"))) as server:
        result, report = probe_json(port, "alice@probe-ok.example")
        text = probe(port, "alice@probe-ok.example", "--no-color")
    assert "Traceback" not in result.stderr and "Traceback" not in text.stderr
    # The address was answered: the verdict stands, and the crash is listed first.
    assert result.exit_code == 0 and text.exit_code == 0
    crash = one_check(report, "mx.crash")
    assert crash["status"] == "error" and crash["subject"] == "probe-ok.example" and crash["side_fact"] is True
    assert report["status"] == "warn"
    lines = text.stdout.splitlines()
    assert lines[1:3] == [
        "  1 check could not be made:",
        "    ? mx.crash [probe-ok.example]: the mx checks crashed: ValueError: mx parser exploded",
    ]
    assert crash["summary"] == "the mx checks crashed: ValueError: mx parser exploded"
    assert crash["details"] == {"exception": "ValueError", "message": "mx parser exploded"}
    assert checks_by_id(report, "mx.lookup") == []
    # The rest of the run went on: the session, the verdict, the catch-all test.
    assert report["verdict"] == "deliverable"
    assert verdict(report)["status"] == "pass"
    assert verdict(report)["summary"].startswith("deliverable: 250 2.1.5 accepted — 'OK' (mx1.probe-ok.example 127.0.1.10)")
    assert one_check(report, "smtp.connection")["status"] == "pass"
    assert one_check(report, "acceptance.catch-all")["status"] == "pass"
    assert "the mx checks crashed: ValueError: mx parser exploded" in text.stdout
    assert "RCPT" in server.verbs() and "DATA" not in server.verbs()


def test_ehlo_refused_falls_back_to_helo(port: int) -> None:
    script = Script(ehlo="502 5.5.2 EHLO not implemented", rcpt=known_users("alice@probe-ok.example"))
    with smtp_server("127.0.1.10", port, script) as server:
        result, report = probe_json(port, "alice@probe-ok.example")
    assert result.exit_code == 0
    assert server.verbs()[:3] == ["EHLO", "HELO", "MAIL"]
    connection = one_check(report, "smtp.connection")
    assert connection["details"]["esmtp"] is False and connection["details"]["extensions"] == {}
    assert (connection["details"]["helo_ok"], connection["details"]["esmtp"]) == (True, False)
    assert one_check(report, "tls.starttls")["status"] == "warn"
    assert verdict(report)["summary"].startswith("deliverable: 250 2.1.5 accepted")


def test_a_4xx_at_mail_moves_on_to_the_next_host(port: int) -> None:
    busy = Script(mail=lambda address, tls: "451 4.3.0 Temporary local problem")
    with smtp_server("127.0.1.21", port, busy) as mx1, smtp_server("127.0.1.22", port) as mx2:
        result, report = probe_json(port, "kim@probe-fallback.example", "--no-catch-all")
    assert result.exit_code == 0
    first, second = checks_by_id(report, "smtp.connection")
    assert first["status"] == "warn"
    assert mentions(first["summary"], "451 4.3.0", f"port {port}", "preference 10")
    assert mx1.verbs() == ["EHLO", "MAIL", "QUIT"]
    assert verdict(report)["summary"].startswith("deliverable: 250 2.1.5 accepted — 'OK' (mx2.probe-fallback.example 127.0.1.22)")
    assert "DATA" not in mx2.verbs()
