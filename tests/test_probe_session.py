"""The shared SMTP client API (mailcheck.smtp.session) against real aiosmtpd servers."""

from __future__ import annotations

import asyncio

import pytest
import trustme

from mailcheck.smtp.session import ConnectFailed, SmtpSession
from tests.helpers.smtp_servers import free_port, smtp_server


def test_session_api_with_starttls(tmp_path) -> None:
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    port = free_port()

    async def dialogue() -> tuple:
        session = SmtpSession(timeout=1.0)
        banner = await session.connect("127.0.1.15", port, server_hostname="mx.probe-tls.example")
        before = await session.ehlo("prober.probe-client.example")
        info = await session.starttls(ca_file=str(ca_file))
        after = await session.ehlo("prober.probe-client.example")
        await session.quit()
        return session, banner, before, info, after

    with smtp_server("127.0.1.15", port, tls=ca.issue_cert("mx.probe-tls.example"), hostname="mx.probe-tls.example") as server:
        session, banner, before, info, after = asyncio.run(dialogue())
    assert banner.code == 220 and banner.lines[0].startswith("mx.probe-tls.example")
    assert "STARTTLS" in before and "STARTTLS" not in after
    assert info.trusted and info.trust_error is None and info.hostname_match
    assert info.version in ("TLSv1.2", "TLSv1.3") and info.sans == ("mx.probe-tls.example",)
    assert info.leaf_der[:1] == b"\x30"  # a DER SEQUENCE
    assert server.verbs() == ["EHLO", "STARTTLS", "EHLO", "QUIT"]
    directions = [line.direction for line in session.transcript]
    assert {"C", "S", "*"} <= set(directions)
    assert [line.text for line in session.transcript if line.direction == "C"] == [
        "EHLO prober.probe-client.example",
        "STARTTLS",
        "EHLO prober.probe-client.example",
        "QUIT",
    ]
    assert all(a.ms <= b.ms for a, b in zip(session.transcript, session.transcript[1:], strict=False))


def test_session_refuses_forbidden_verbs_and_reports_refused_connections() -> None:
    port = free_port()

    async def run() -> None:
        session = SmtpSession(timeout=0.5)
        with pytest.raises(ConnectFailed) as failed:
            await session.connect("127.0.1.21", port)
        assert failed.value.reason == "refused"
        for verb in ("DATA", "BDAT 10 LAST", "VRFY postmaster", "EXPN staff"):
            with pytest.raises(ValueError, match="a probe never sends"):
                await session.command(verb)

    asyncio.run(run())
