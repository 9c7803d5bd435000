"""Follow a link's redirects, one request at a time, connecting only where the run's
resolver says the host is.

httpx is asked for one hop at a time (no follow_redirects) so that every hop is seen,
counted, checked for its scheme and given its own timeout.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urljoin, urlsplit

import httpx

from mailcheck.dns.errors import DnsError
from mailcheck.dns.resolver import Resolver, is_ip_address
from mailcheck.links.trail import Hop, Trail

MAX_HOPS = 10
MAX_BODY = 64 * 1024
WEB_SCHEMES = ("http", "https")
REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "mailcheck-links/0.1 (+link checker; follows redirects only)"


class ResolvedTransport(httpx.AsyncBaseTransport):
    """Connect to an address the run's resolver found, never the system resolver's.

    The request that reaches httpcore names the IP in its URL, so httpcore connects
    there without resolving anything; the Host header is the one built from the
    original URL, and the ``sni_hostname`` extension makes httpcore send the host name
    in TLS SNI and verify the certificate against it.
    """

    def __init__(self, resolver: Resolver, verify: object) -> None:
        self._resolver = resolver
        self._inner = httpx.AsyncHTTPTransport(verify=verify, retries=0)  # type: ignore[arg-type]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        addresses = [host] if is_ip_address(host) else await self._resolver.addresses(host)
        failures: list[str] = []
        for address in addresses:  # the next address when one refuses, as browsers do
            direct = httpx.Request(
                request.method,
                request.url.copy_with(host=address),
                headers=request.headers,  # keeps Host: <name>
                stream=request.stream,
                extensions={**request.extensions, "sni_hostname": host},
            )
            try:
                return await self._inner.handle_async_request(direct)
            except httpx.ConnectError as exc:
                failures.append(f"{address} port {request.url.port or _default_port(request.url)}: {exc}")
        raise httpx.ConnectError("; ".join(failures), request=request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


def make_client(resolver: Resolver, timeout: float, ca_file: str | None = None) -> httpx.AsyncClient:
    """An httpx client whose connections go where ``resolver`` says (no proxies from env)."""
    import ssl

    import certifi

    context = ssl.create_default_context(cafile=certifi.where())
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return httpx.AsyncClient(
        transport=ResolvedTransport(resolver, context),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,  # no proxy or netrc from the environment: connections go where DNS said
        headers={"User-Agent": USER_AGENT},
    )


async def follow(client: httpx.AsyncClient, url: str, timeout: float, max_hops: int = MAX_HOPS) -> Trail:
    """The redirect chain from ``url``: at most ``max_hops`` requests, each within ``timeout``."""
    hops: list[Hop] = []
    current = url
    while True:
        scheme = urlsplit(current).scheme.lower()
        if scheme not in WEB_SCHEMES:
            return Trail(url, tuple(hops), current, f"redirected to a {scheme}: URL, which is not followed")
        if len(hops) == max_hops:
            return Trail(url, tuple(hops), current, f"still redirecting after {max_hops} hops; stopped")
        host = urlsplit(current).hostname or ""
        try:
            async with asyncio.timeout(timeout):
                hop = await _visit(client, current)
        except TimeoutError:
            return Trail(url, tuple(hops), current, f"no answer from {host} within {timeout:g}s")
        except DnsError as exc:
            return Trail(url, tuple(hops), current, f"could not resolve {host}: {exc.reason}")
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            return Trail(url, tuple(hops), current, f"{host}: {_reason(exc)}")
        hops.append(hop)
        if hop.location is None:
            return Trail(url, tuple(hops), current)
        current = urljoin(current, hop.location)


async def _visit(client: httpx.AsyncClient, url: str) -> Hop:
    """HEAD first; GET (reading at most 64 KiB) when HEAD is refused or fails."""
    try:
        response = await client.head(url)
        if response.status_code < 400:
            return _hop(url, "HEAD", response)
    except httpx.RemoteProtocolError:
        pass  # some servers drop HEAD; GET is the method every server must answer
    async with client.stream("GET", url) as response:
        read = 0
        async for chunk in response.aiter_raw():
            read += len(chunk)
            if read >= MAX_BODY:
                break
        return _hop(url, "GET", response)


def _hop(url: str, method: str, response: httpx.Response) -> Hop:
    location = response.headers.get("Location") if response.status_code in REDIRECTS else None
    return Hop(url, method, response.status_code, location or None)


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return f"the TLS certificate was not trusted ({text})"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect ({text})"
    return text
