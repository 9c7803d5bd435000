"""Route the DNS of libraries that resolve on their own (pyspf, checkdmarc, dkimpy)
through the run's resolver, so ``--nameserver``, ``--zone`` and the cache hold for them.

Libraries are synchronous, so they run in worker threads (``asyncio.to_thread``);
their lookups are handed back to the run's event loop and wait there.
"""

from __future__ import annotations

import mailcheck.dns.doh_off  # noqa: F401  (first: dnspython's resolver loads with DoH off)

# isort: split
import asyncio
import contextvars
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

from mailcheck.dns.errors import DnsError, DnsUnavailable, Failure, NoRecords, NoSuchDomain
from mailcheck.dns.resolver import Resolver


class LookupFailed(dns.exception.DNSException):
    """A lookup that could not be answered, as libraries see it: what went wrong and for
    which name ("SERVFAIL for _dmarc.x.example TXT"), not dnspython's generic wording.

    Libraries treat any DNSException other than NXDOMAIN/NoAnswer as temporary (SPF
    temperror, checkdmarc's DNS error), which is what "could not tell" means.
    """

    def __init__(self, error: DnsError) -> None:
        self.error = error
        super().__init__(error.message)

    def __str__(self) -> str:
        return self.error.message


class LookupTimedOut(dns.resolver.LifetimeTimeout):
    """A timeout keeps dnspython's type (dkimpy and checkdmarc look for it) and our message."""

    def __init__(self, error: DnsError, timeout: float) -> None:
        self.error = error  # before dnspython's __init__, which formats the message
        super().__init__(timeout=timeout, errors=[])

    def __str__(self) -> str:
        return self.error.message


def library_error(error: DnsError, timeout: float = 0.0) -> dns.exception.DNSException:
    """The dnspython exception a library expects for ``error``, keeping kind and name."""
    if isinstance(error, NoSuchDomain):
        return dns.resolver.NXDOMAIN(qnames=[dns.name.from_text(error.name)])
    if isinstance(error, NoRecords):
        return dns.resolver.NoAnswer()
    if error.kind is Failure.TIMEOUT:
        return LookupTimedOut(error, timeout)
    return LookupFailed(error)


class LibraryResolver(dns.resolver.Resolver):
    """A blocking dnspython ``Resolver`` whose every query is the run's resolver's."""

    def __init__(self, resolver: Resolver, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(configure=False)
        self.nameservers = ["127.0.0.1"]  # never used: resolve() below never sends
        self._resolver = resolver
        self._loop = loop

    def resolve(
        self,
        qname: dns.name.Name | str,
        rdtype: dns.rdatatype.RdataType | str = dns.rdatatype.A,
        rdclass: Any = None,
        tcp: bool = False,
        source: str | None = None,
        raise_on_no_answer: bool = True,
        source_port: int = 0,
        lifetime: float | None = None,
        search: bool | None = None,
    ) -> dns.resolver.Answer:
        name = qname.to_text() if isinstance(qname, dns.name.Name) else str(qname)
        type_text = rdtype if isinstance(rdtype, str) else dns.rdatatype.to_text(rdtype)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError("LibraryResolver must be used from a worker thread, not the event loop")
        future = asyncio.run_coroutine_threadsafe(self._resolver.query(name, type_text), self._loop)
        try:
            return future.result().raw
        except NoSuchDomain:
            raise dns.resolver.NXDOMAIN(qnames=[dns.name.from_text(name)]) from None
        except NoRecords:
            if raise_on_no_answer:
                raise dns.resolver.NoAnswer() from None
            raise
        except DnsUnavailable as exc:
            raise library_error(exc, self._resolver.timeout) from None

    def query(self, *args: Any, **kwargs: Any) -> dns.resolver.Answer:
        return self.resolve(*args, **kwargs)


# pyspf looks its DNS up through the module function ``spf.DNSLookup`` and offers no
# per-query hook. We install one dispatcher, once, which reads the run's resolver from
# a context variable (copied into worker threads by asyncio.to_thread), so concurrent
# runs never share or overwrite each other's resolver.
_current: contextvars.ContextVar[LibraryResolver | None] = contextvars.ContextVar("mailcheck_library_resolver", default=None)


@contextmanager
def library_dns(resolver: LibraryResolver) -> Iterator[None]:
    """Within this block (and threads started from it), libraries use ``resolver``."""
    if "spf" in sys.modules:  # else pyspf() installs the hook when pyspf is first used
        _install_pyspf_hook()
    token = _current.set(resolver)
    try:
        yield
    finally:
        _current.reset(token)


def pyspf() -> Any:
    """The pyspf module, its DNS going through the run's resolver inside ``library_dns``.

    Imported at first use rather than with every run's DNS: a report that evaluates
    no SPF policy (no --ip) never loads it.
    """
    import spf

    _install_pyspf_hook()
    return spf


# pyspf() runs in worker threads: two first evaluations must not both wrap the hook.
_hook_lock = threading.Lock()


def _install_pyspf_hook() -> None:
    import spf

    with _hook_lock:
        if not getattr(spf.DNSLookup, "__mailcheck__", False):
            spf.DNSLookup = _routed(spf.DNSLookup)


def _routed(original: Any) -> Any:
    """pyspf's lookup through the resolver of the ``library_dns`` block it runs in."""

    def lookup(name: str, qtype: str, strict: Any = True, timeout: Any = 30) -> list[Any]:
        resolver = _current.get()
        if resolver is None:
            return original(name, qtype, strict, timeout)
        return _pyspf_lookup(resolver, name, qtype)

    lookup.__mailcheck__ = True  # type: ignore[attr-defined]
    return lookup


def _pyspf_lookup(resolver: LibraryResolver, name: str, qtype: str) -> list[Any]:
    """Answer in pyspf's own shape: [((name, type), value), ...], [] for no data."""
    import spf

    try:
        answer = resolver.resolve(name, qtype)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        # pyspf shows this text as the temperror's explanation: "DNS SERVFAIL for ..."
        raise spf.TempError(f"DNS {exc}") from None
    results: list[Any] = []
    for rdata in answer:
        if qtype in ("A", "AAAA"):
            results.append(((name, qtype), rdata.address))
        elif qtype == "MX":
            results.append(((name, qtype), (rdata.preference, rdata.exchange)))
        elif qtype == "PTR":
            results.append(((name, qtype), rdata.target.to_text(True)))
        elif qtype in ("TXT", "SPF"):
            results.append(((name, qtype), rdata.strings))
    return results
