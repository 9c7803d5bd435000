"""One STARTTLS look at one MX address for ``mailcheck domain``: banner, EHLO,
STARTTLS, QUIT, built on ``SmtpSession``. Never MAIL FROM.

The session module does the talking; this only turns its outcome, whatever it is,
into an ``MxProbe`` the transport checks judge.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass, replace

from mailcheck.smtp.session import (
    ConnectFailed,
    ConnectFailure,
    ReplyError,
    SessionFailure,
    SmtpError,
    SmtpSession,
    TlsFailed,
    session_failure,
)
from mailcheck.smtp.tls import TlsInfo

# Where outbound port 25 is blocked, connections hang until this runs out, on every run:
# keep it short. A live MX accepts TCP in well under a second; the banner, which some
# servers delay on purpose, still gets the whole --timeout.
CONNECT_TIMEOUT = 3.0


@dataclass(frozen=True)
class MxProbe:
    """One STARTTLS session with one MX address."""

    host: str
    address: str
    port: int
    reachable: bool
    error: str | None = None  # why the session did not get as far as TLS
    banner: str = ""
    banner_code: int = 0
    starttls_offered: bool = False
    tls: TlsInfo | None = None
    tls_error: str | None = None  # STARTTLS refused or the handshake failed
    # Why the TCP connection itself failed.
    connect_failure: ConnectFailure | None = None
    # When TLS 1.2+ failed: the older version the server does speak ("TLSv1.1"), if any.
    legacy_version: str | None = None
    # The connection was accepted and then the server failed the session (see SessionFailure).
    session_failure: SessionFailure | None = None

    @property
    def blocked(self) -> bool:
        """Nothing answered at the TCP level (not a protocol error): from one address
        that is a host down, from all of them most likely our own network."""
        return self.connect_failure is not None

    @property
    def greeted(self) -> bool:
        """An SMTP session was had: the server accepted and greeted with 220."""
        return self.reachable and self.banner_code == 220

    @property
    def label(self) -> str:
        """For summaries: "mx.example.com [192.0.2.1]", as an MTA's logs name a peer."""
        return f"{self.host} [{self.address}]"

    @property
    def subject(self) -> str:
        """The check subject: one check per MX address, the renderer adds the brackets."""
        return f"{self.host} {self.address}"


def helo_name(local_address: str | None) -> str:
    """The machine's own name when it is a dotted one, else our address as a literal
    (RFC 5321 §4.1.4): never a made-up name, which gets the prober's address listed,
    and never a bare host name, which strict servers refuse. gethostname() asks no DNS."""
    name = socket.gethostname().rstrip(".")
    if "." in name and not name.endswith(".localdomain"):
        return name
    if local_address:
        return f"[IPv6:{local_address}]" if ":" in local_address else f"[{local_address}]"
    return name or "localhost"


async def probe_starttls(host: str, address: str, port: int, *, timeout: float, ca_file: str | None) -> MxProbe:
    session = SmtpSession(timeout=timeout)
    unreached = MxProbe(host, address, port, reachable=False)
    try:
        try:
            banner = await session.connect(address, port, server_hostname=host, timeout=min(timeout, CONNECT_TIMEOUT))
        except ConnectFailed as exc:
            return replace(unreached, error=exc.message, connect_failure=exc.reason)
        except SmtpError as exc:
            return replace(unreached, error=exc.message, session_failure=session_failure(exc))
        text = " ".join(banner.lines).strip()
        seen = replace(unreached, reachable=True, banner=text, banner_code=banner.code)
        if banner.code != 220:
            return replace(seen, error=f"banner {banner.code} {text}")
        try:
            extensions = await session.ehlo(helo_name(session.local_address))
        except SmtpError as exc:
            return replace(seen, error=exc.message, session_failure=session_failure(exc))
        if "STARTTLS" not in extensions:
            return seen
        offered = replace(seen, starttls_offered=True)
        try:
            tls = await session.starttls(ca_file=ca_file)
        except TlsFailed as exc:
            await session.quit()
            if exc.timed_out:
                return replace(offered, tls_error=exc.message, session_failure="timeout")
            legacy = await legacy_tls_version(address, port, host, timeout)
            return replace(offered, tls_error=_reason(exc.message), legacy_version=legacy)
        except ReplyError as exc:
            return replace(offered, tls_error=exc.message)
        except SmtpError as exc:
            return replace(offered, tls_error=exc.message, session_failure=session_failure(exc))
        return replace(offered, tls=tls)
    finally:
        await session.quit()


def _reason(message: str) -> str:
    # A peer that drops the connection mid-handshake leaves OpenSSL with no words.
    return message if not message.endswith(": ") else message + "the server closed the connection"


async def legacy_tls_version(address: str, port: int, host: str, timeout: float) -> str | None:
    """The TLS version a server speaks when it refused ours (1.2+): "TLSv1.1", or None.

    SmtpSession's contexts allow TLS 1.2 and up only, as they should; to tell a server
    stuck on TLS 1.0/1.1 from one that is broken, try once more allowing the old
    versions, and only read the version: nothing else travels over that session.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 refuses TLS 1.0/1.1 otherwise
    except ssl.SSLError:
        return None
    session = SmtpSession(timeout=timeout)
    try:
        banner = await session.connect(address, port, server_hostname=host)
        if banner.code != 220 or "STARTTLS" not in await session.ehlo(helo_name(session.local_address)):
            return None
        return await asyncio.wait_for(session.starttls_with(context), timeout)
    except (SmtpError, ssl.SSLError, OSError, TimeoutError):
        return None
    finally:
        session.close()
