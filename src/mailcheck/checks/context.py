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
    # Transport checks (mta-sts, smtp/tls, dane, bimi).
    smtp: bool = True  # connect to each MX for STARTTLS; --no-smtp turns it off
    smtp_port: int = 25  # --port: tests and relays
    https_port: int = 443  # --https-port: MTA-STS policy and BIMI fetches, for tests and relays
    ca_file: str | None = None  # --ca-file: extra trust anchors for HTTPS and SMTP TLS
    bimi_selector: str = "default"
    # Judge the domain as parked (sends no mail) even if its records do not all say so.
    parked: bool = False


@dataclass(frozen=True)
class DomainContext:
    domain: DomainName
    resolver: Resolver
    # The same DNS as a blocking dnspython resolver, for libraries run in threads.
    library: LibraryResolver
    options: DomainOptions
    timeout: float
