"""What a domain check is handed: the domain, the run's resolver, and the user's options."""

from __future__ import annotations

from dataclasses import dataclass

from mailcheck.dns.library import LibraryResolver
from mailcheck.dns.resolver import Resolver
from mailcheck.names import DomainName


@dataclass(frozen=True)
class DomainOptions:
    """Options of ``mailcheck domain`` that checks read."""

    dkim_selectors: tuple[str, ...] = ()
    sending_ip: str | None = None
    helo: str | None = None
    mail_from: str | None = None


@dataclass(frozen=True)
class DomainContext:
    domain: DomainName
    resolver: Resolver
    # The same DNS as a blocking dnspython resolver, for libraries run in threads.
    library: LibraryResolver
    options: DomainOptions
    timeout: float
