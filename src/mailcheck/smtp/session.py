"""An SMTP client session that records everything it says and hears.

Public API (stable, shared with ``mailcheck domain``'s transport checks)::

    session = SmtpSession(timeout=5.0)
    banner = await session.connect("192.0.2.1", 25, server_hostname="mx.example.com")
    extensions = await session.ehlo("probe.example.org")   # {"STARTTLS": "", "SIZE": "1000"}
    if "STARTTLS" in extensions:
        tls = await session.starttls(ca_file=None)          # TlsInfo; trusted or not
        extensions = await session.ehlo("probe.example.org")
    await session.quit()                                     # never raises
    session.transcript                                       # [(ms, "C"|"S"|"*", text)]

Errors are ``SmtpError`` subclasses that carry the stage they happened in:
``ConnectFailed`` (refused, timed out, unreachable), ``SmtpTimeout`` (no reply in time),
``SmtpClosed`` (the server hung up), ``SmtpProtocolError`` (not SMTP), ``TlsFailed``
(handshake failed for a reason other than trust) and ``ReplyError`` (a reply that
stops the step: a 4xx/5xx to EHLO and HELO, to STARTTLS, a non-2xx banner).

Why not aiosmtplib: the probe must show the raw (multi-line) banner, time every line
of the dialogue, survive a peer that speaks garbage with a clean error, and reconnect
with another TLS context after a failed verification; aiosmtplib folds the greeting
into connect(), keeps no transcript and parses replies its own way. A line-based
client over asyncio streams is short and does all of that.

The session refuses to send DATA, BDAT, VRFY and EXPN: a probe never sends mail and
never asks a server to reveal addresses.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from typing import Literal, NamedTuple

from mailcheck.smtp.codes import Reply
from mailcheck.smtp.tls import TlsInfo, client_context, tls_info, verify_reason

FORBIDDEN_VERBS = frozenset({"DATA", "BDAT", "VRFY", "EXPN"})
MAX_LINE = 4096  # RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; be lenient
MAX_REPLY_LINES = 100


# Who spoke a transcript line: "C" client, "S" server, "*" a note (connect, TLS, errors).
Direction = Literal["C", "S", "*"]
# Why a TCP connection failed.
ConnectFailure = Literal["refused", "timeout", "unreachable"]


class TranscriptLine(NamedTuple):
    ms: float  # since the session started
    direction: Direction
    text: str


class SmtpError(Exception):
    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message


class ConnectFailed(SmtpError):
    def __init__(self, reason: ConnectFailure, message: str) -> None:
        super().__init__("connect", message)
        self.reason = reason


class SmtpTimeout(SmtpError):
    pass


class SmtpClosed(SmtpError):
    pass


class SmtpProtocolError(SmtpError):
    pass


class TlsFailed(SmtpError):
    def __init__(self, stage: str, message: str, *, timed_out: bool = False) -> None:
        super().__init__(stage, message)
        self.timed_out = timed_out  # the server let the handshake time out: no verdict on its TLS


# How a server that accepted the TCP connection let the session down: never greeted
# ("silent"), stopped answering later ("timeout"), hung up, or spoke something not SMTP.
SessionFailure = Literal["silent", "timeout", "hung-up", "not-smtp"]


def session_failure(exc: SmtpError) -> SessionFailure | None:
    """What an error after the TCP connection says about the server; None for a reply
    that turned us away, which is an answer, not a failure."""
    if isinstance(exc, SmtpTimeout):
        return "silent" if exc.stage == "banner" else "timeout"
    if isinstance(exc, SmtpClosed):
        return "hung-up"
    if isinstance(exc, SmtpProtocolError):
        return "not-smtp"
    return None


class ReplyError(SmtpError):
    def __init__(self, stage: str, reply: Reply) -> None:
        super().__init__(stage, f"{stage}: {reply.short()}")
        self.reply = reply


class SmtpSession:
    def __init__(self, timeout: float, *, started: float | None = None) -> None:
        self.timeout = timeout
        self.transcript: list[TranscriptLine] = []
        self.banner: Reply | None = None
        self.extensions: dict[str, str] = {}
        self.esmtp = False
        self.tls: TlsInfo | None = None
        self._started = started if started is not None else time.perf_counter()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._endpoint: tuple[str, int, str | None] | None = None
        self._helo: str | None = None

    @property
    def connected(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    @property
    def local_address(self) -> str | None:
        """Our end's IP address, for an EHLO address literal (RFC 5321 §4.1.4)."""
        sockname = self._writer.get_extra_info("sockname") if self._writer is not None else None
        return sockname[0] if sockname else None

    # -- the dialogue ------------------------------------------------------------

    async def connect(
        self, address: str, port: int = 25, server_hostname: str | None = None, timeout: float | None = None
    ) -> Reply:
        """Open the connection and read the banner (any code: the caller judges it)."""
        limit = timeout if timeout is not None else self.timeout
        self._endpoint = (address, port, server_hostname)
        self._note(f"connecting to {_hostport(address, port)}" + (f" ({server_hostname})" if server_hostname else ""))
        try:
            async with asyncio.timeout(limit):
                self._reader, self._writer = await asyncio.open_connection(address, port, limit=MAX_LINE)
        except TimeoutError:
            self._note(f"no connection within {limit:g} s")
            raise ConnectFailed("timeout", f"connection timed out after {limit:g} s") from None
        except ConnectionRefusedError:
            self._note("connection refused")
            raise ConnectFailed("refused", "connection refused") from None
        except OSError as exc:
            self._note(f"connection failed: {exc.strerror or exc}")
            raise ConnectFailed("unreachable", f"connection failed: {exc.strerror or exc}") from None
        self.banner = await self._read_reply("banner")
        return self.banner

    async def ehlo(self, helo: str) -> dict[str, str]:
        """EHLO, or HELO when EHLO is refused with 5xx; the extensions offered (upper case)."""
        self._helo = helo
        reply = await self.command(f"EHLO {helo}", stage="EHLO")
        if reply.code == 250:
            self.esmtp = True
            self.extensions = _extensions(reply)
            return self.extensions
        if reply.is_permanent and reply.code != 554:
            reply = await self.command(f"HELO {helo}", stage="HELO")
            if reply.code == 250:
                self.esmtp = False
                self.extensions = {}
                return self.extensions
            raise ReplyError("HELO", reply)
        raise ReplyError("EHLO", reply)

    async def starttls(self, ca_file: str | None = None) -> TlsInfo:
        """Upgrade to TLS; an untrusted chain is recorded and the session goes on over TLS.

        After it, call ``ehlo`` again (RFC 3207 §4.2: the server forgets the old state).
        """
        try:
            self.tls = await self._handshake(verify=True, ca_file=ca_file)
        except ssl.SSLCertVerificationError as exc:
            reason = verify_reason(exc)
            self._note(f"certificate not trusted ({reason}); reconnecting without verification")
            self._drop()
            await self._reconnect()
            self.tls = await self._handshake(verify=False, ca_file=None, trust_error=reason)
        return self.tls

    async def mail(self, sender: str, params: tuple[str, ...] = ()) -> Reply:
        extra = "".join(f" {p}" for p in params)
        return await self.command(f"MAIL FROM:<{sender}>{extra}", stage="MAIL")

    async def rcpt(self, recipient: str) -> Reply:
        return await self.command(f"RCPT TO:<{recipient}>", stage="RCPT")

    async def rset(self) -> Reply:
        return await self.command("RSET", stage="RSET")

    async def quit(self) -> None:
        """QUIT and close; a server that already left is not an error here."""
        if self.connected:
            with contextlib.suppress(SmtpError):
                await self.command("QUIT", stage="QUIT", timeout=min(self.timeout, 2.0))
        self._drop()

    async def command(self, line: str, *, stage: str | None = None, timeout: float | None = None) -> Reply:
        """Send one command line and read its reply."""
        verb = line.split(" ", 1)[0].upper()
        if verb in FORBIDDEN_VERBS:
            raise ValueError(f"a probe never sends {verb}")
        stage = stage or verb
        if not self.connected:
            raise SmtpClosed(stage, f"the connection is closed before {stage}")
        self._log("C", line)
        assert self._writer is not None
        try:
            self._writer.write(line.encode("utf-8") + b"\r\n")
            await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            self._note(f"send failed: {exc}")
            self._drop()
            raise SmtpClosed(stage, f"the server closed the connection before {stage}") from None
        return await self._read_reply(stage, timeout)

    async def starttls_with(self, context: ssl.SSLContext) -> str | None:
        """STARTTLS with the caller's own TLS context, verifying nothing; the TLS version
        agreed, or None when the server refuses STARTTLS.

        For looking at a server, not for talking to it: ``starttls`` is the verified way.
        """
        reply = await self.command("STARTTLS", stage="STARTTLS")
        if reply.code != 220 or self._writer is None:
            return None
        await self._writer.start_tls(context, server_hostname=None, ssl_handshake_timeout=self.timeout)
        ssl_object = self._writer.get_extra_info("ssl_object")
        return ssl_object.version() if ssl_object is not None else None

    def close(self) -> None:
        self._drop()

    # -- internals ---------------------------------------------------------------

    async def _handshake(self, verify: bool, ca_file: str | None, trust_error: str | None = None) -> TlsInfo:
        reply = await self.command("STARTTLS", stage="STARTTLS")
        if reply.code != 220:
            raise ReplyError("STARTTLS", reply)
        assert self._writer is not None and self._endpoint is not None
        host = self._endpoint[2]
        sni = host if host and not _is_ip(host) else None
        try:
            context = client_context(verify, ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise TlsFailed("STARTTLS", f"cannot load --ca-file {ca_file}: {exc}") from None
        try:
            await self._writer.start_tls(context, server_hostname=sni, ssl_handshake_timeout=self.timeout)
        except ssl.SSLCertVerificationError:
            raise
        except TimeoutError:
            self._note(f"no TLS handshake within {self.timeout:g} s")
            self._drop()
            raise TlsFailed("STARTTLS", f"TLS handshake failed: no answer within {self.timeout:g} s", timed_out=True) from None
        except (ssl.SSLError, ConnectionError, OSError) as exc:
            self._note(f"TLS handshake failed: {exc}")
            self._drop()
            raise TlsFailed("STARTTLS", f"TLS handshake failed: {str(exc) or type(exc).__name__}") from None
        ssl_object = self._writer.get_extra_info("ssl_object")
        info = tls_info(ssl_object, host or self._endpoint[0], trusted=verify, trust_error=trust_error)
        self._note(f"TLS established: {info.version} {info.cipher}; certificate {info.subject}")
        return info

    async def _reconnect(self) -> None:
        assert self._endpoint is not None and self._helo is not None
        address, port, host = self._endpoint
        banner = await self.connect(address, port, host)
        if banner.code != 220:
            raise ReplyError("banner", banner)
        await self.ehlo(self._helo)

    async def _read_reply(self, stage: str, timeout: float | None = None) -> Reply:
        limit = timeout if timeout is not None else self.timeout
        code: int | None = None
        texts: list[str] = []
        try:
            async with asyncio.timeout(limit):
                while True:
                    line = await self._read_line(stage)
                    this_code, more, text = _parse_line(line, stage)
                    if code is not None and this_code != code:
                        raise SmtpProtocolError(stage, f"reply lines disagree on the code ({code} then {this_code})")
                    code = this_code
                    texts.append(text)
                    if not more:
                        break
                    if len(texts) >= MAX_REPLY_LINES:
                        raise SmtpProtocolError(stage, f"a reply of more than {MAX_REPLY_LINES} lines")
        except TimeoutError:
            what = "no greeting" if stage == "banner" else f"no reply to {stage}"
            self._note(f"no complete reply within {limit:g} s")
            self._drop()
            raise SmtpTimeout(stage, f"{what} within {limit:g} s") from None
        except SmtpProtocolError as exc:
            self._note(exc.message)
            self._drop()
            raise
        assert code is not None
        reply = Reply(code, tuple(texts))
        if code == 421:
            self._drop()  # RFC 5321 §3.8: the server closes the channel after a 421
        return reply

    async def _read_line(self, stage: str) -> str:
        assert self._reader is not None
        try:
            raw = await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                self._log("S", exc.partial.decode("utf-8", "replace"))
            self._note("the server closed the connection")
            self._drop()
            what = "greeting" if stage == "banner" else stage
            raise SmtpClosed(stage, f"the server closed the connection (at {what})") from None
        except asyncio.LimitOverrunError:
            raise SmtpProtocolError(stage, f"a reply line longer than {MAX_LINE} bytes: not SMTP") from None
        except (ConnectionError, OSError) as exc:
            self._drop()
            raise SmtpClosed(stage, f"the connection broke at {stage}: {exc}") from None
        text = raw.rstrip(b"\r\n").decode("utf-8", "replace")
        self._log("S", text)
        return text

    def _log(self, direction: Direction, text: str) -> None:
        ms = round((time.perf_counter() - self._started) * 1000, 1)
        self.transcript.append(TranscriptLine(ms, direction, text))

    def _note(self, text: str) -> None:
        self._log("*", text)

    def _drop(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):  # closing a broken transport must not hide the real error
                self._writer.close()
        self._reader = self._writer = None


def _parse_line(line: str, stage: str) -> tuple[int, bool, str]:
    """(code, more lines follow, text) of one reply line (RFC 5321 §4.2)."""
    head = line[:3]
    sep = line[3:4]
    if len(line) < 3 or not head.isdigit() or head[0] not in "2345" or sep not in ("", " ", "-"):
        shown = line if len(line) <= 60 else line[:57] + "..."
        raise SmtpProtocolError(stage, f"not an SMTP reply: {shown!r}")
    return int(head), sep == "-", line[4:].strip()


def _extensions(reply: Reply) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in reply.lines[1:]:  # the first line is the server's name and greeting
        keyword, _, params = line.partition(" ")
        if keyword:
            found[keyword.upper()] = params.strip()
    return found


def _hostport(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _is_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
