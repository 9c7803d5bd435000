"""Fetch an HTTPS URL from the address the run's resolver found, never through the
operating system's resolver, so ``--zone`` and ``--nameserver`` hold for it too.

httpx resolves host names with the OS. We connect it to the IP instead
(``https://ADDRESS:PORT/path``) and pass the real host name twice: as the
``sni_hostname`` request extension, which httpcore hands to ``wrap_socket`` as
``server_hostname`` (so SNI is sent and the certificate is checked against the host
name, not the IP), and as the ``Host:`` header.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mailcheck.dns.errors import DnsError, DnsUnavailable
from mailcheck.dns.resolver import Resolver, is_ip_address


@dataclass(frozen=True)
class Fetched:
    """What an HTTPS GET returned, or why it did not (``error`` set, ``status`` 0)."""

    url: str
    address: str = ""
    status: int = 0
    content_type: str = ""
    body: bytes = b""
    # The body went past the caller's limit; ``body`` holds only the first limit+1 bytes.
    oversize: bool = False
    location: str | None = None
    error: str | None = None
    # The error was the certificate (untrusted, expired, wrong name), not the network.
    certificate_error: bool = False
    # The host (or the DNS that names it) did not answer in time: "could not tell",
    # never a verdict on what it serves.
    no_answer: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


async def fetch(
    resolver: Resolver,
    url: str,
    *,
    ssl_context: ssl.SSLContext,
    timeout: float,
    limit: int,
    port: int | None = None,
) -> Fetched:
    """GET ``url`` without following redirects, reading at most ``limit`` + 1 bytes.

    ``port`` replaces the URL's port (``--https-port``: tests and relays cannot use 443).
    """
    import httpx

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host:
        return Fetched(url, error=f"not an https:// URL: {url}")
    target_port = port or parts.port or 443
    if is_ip_address(host):
        addresses = [host]
    else:
        try:
            addresses = await resolver.addresses(host)
        except DnsUnavailable as exc:
            return Fetched(url, error=f"could not resolve {host}: {exc.reason}", no_answer=True)
        except DnsError as exc:
            return Fetched(url, error=f"{host} does not resolve: {exc.reason}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    last = Fetched(url, error=f"{host} has no address")
    # trust_env=False: no proxy from the environment may route around our DNS answers.
    async with httpx.AsyncClient(verify=ssl_context, timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for address in addresses:
            literal = f"[{address}]" if ":" in address else address
            request = client.build_request(
                "GET",
                f"https://{literal}:{target_port}{path}",
                headers={"Host": host if target_port == 443 else f"{host}:{target_port}", "User-Agent": "mailcheck"},
                extensions={"sni_hostname": host},
            )
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                last = Fetched(
                    url,
                    address,
                    error=_reason(exc),
                    certificate_error=_is_certificate(exc),
                    no_answer=isinstance(exc, httpx.TimeoutException),
                )
                if last.certificate_error:
                    return last  # another address would present the same name's certificate
                continue
            try:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > limit:
                        break
            except httpx.HTTPError as exc:
                return Fetched(
                    url, address, response.status_code, error=_reason(exc), no_answer=isinstance(exc, httpx.TimeoutException)
                )
            finally:
                await response.aclose()
            return Fetched(
                url,
                address,
                status=response.status_code,
                content_type=response.headers.get("content-type", ""),
                body=bytes(body[: limit + 1]),
                oversize=len(body) > limit,
                location=response.headers.get("location"),
                headers=dict(response.headers),
            )
    return last


def _is_certificate(exc: Exception) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _reason(exc: Exception) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"certificate not valid: {cause.verify_message or cause.reason}"
        cause = cause.__cause__ or cause.__context__
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    cause = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ssl.SSLError):
            return f"TLS failed: {cause.reason or cause}"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
        cause = cause.__cause__ or cause.__context__
    return str(exc) or type(exc).__name__
