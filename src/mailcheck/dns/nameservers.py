"""Where a run's DNS goes, as one typed ``Nameserver``, whichever way it was given:
``--nameserver`` / ``MAILCHECK_NAMESERVER`` values (``HOST``, ``HOST:PORT``,
``[V6]:PORT`` or a bare IPv6) or the system's resolv.conf."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mailcheck.errors import BadInput

DNS_PORT = 53
# How long one query may take (``--timeout``'s default). Here, not in the resolver, so
# the run's options can name it without loading dnspython.
DEFAULT_TIMEOUT = 5.0
SYSTEM_RESOLV_CONF = "/etc/resolv.conf"


@dataclass(frozen=True)
class Nameserver:
    """A DNS server to ask: an address and a port."""

    address: str
    port: int = DNS_PORT

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


def parse_nameservers(values: Iterable[str]) -> tuple[Nameserver, ...]:
    """Every ``--nameserver`` value; one value may hold several, split by spaces or commas
    (as ``MAILCHECK_NAMESERVER`` does). A value with none in it is a usage error: silently
    falling back to the system resolver would send the queries somewhere unasked for."""
    servers: list[Nameserver] = []
    for value in values:
        parts = value.replace(",", " ").split()
        if not parts:
            raise BadInput(f"--nameserver {value!r}: expected an IP address, HOST:PORT or [IPv6]:PORT")
        servers.extend(parse_nameserver(part) for part in parts)
    return tuple(servers)


def parse_nameserver(text: str) -> Nameserver:
    raw = text.strip()
    host, port = raw, DNS_PORT
    if raw.startswith("["):
        end = raw.find("]")
        if end == -1:
            raise BadInput(f"--nameserver {text!r}: missing ']' after the IPv6 address")
        host, rest = raw[1:end], raw[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise BadInput(f"--nameserver {text!r}: expected ':PORT' after ']'")
            port = _port(text, rest[1:])
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
        port = _port(text, port_text)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise BadInput(f"--nameserver {text!r}: expected an IP address, HOST:PORT or [IPv6]:PORT") from None
    return Nameserver(str(address), port)


def _port(text: str, port_text: str) -> int:
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise BadInput(f"--nameserver {text!r}: port must be a number from 1 to 65535")
    return int(port_text)


def system_nameservers(resolv_conf: str | None) -> tuple[Nameserver, ...]:
    """The nameservers of a resolv.conf file (the system's when ``resolv_conf`` is None).

    dnspython reads the file, so its syntax is the one every stub resolver knows; an
    explicitly named file that cannot be read or names no nameserver is bad input. The
    system's own file may be missing (a container): then there are none, and lookups
    say so instead of the run failing before it starts.
    """
    import mailcheck.dns.doh_off  # noqa: F401  (first: dnspython's resolver loads with DoH off)

    # isort: split
    import dns.exception
    import dns.resolver

    path = resolv_conf or SYSTEM_RESOLV_CONF
    where = f"MAILCHECK_RESOLV_CONF={path}" if resolv_conf else path
    if resolv_conf is not None and not Path(path).is_file():
        raise BadInput(f"{where}: {'not a file' if Path(path).exists() else 'no such file'}")
    try:
        stub = dns.resolver.Resolver(filename=path, configure=True)
    except dns.resolver.NoResolverConfiguration as exc:
        if resolv_conf is None:
            return ()
        detail = "it names no nameserver" if "no nameservers" in str(exc) else "cannot read it"
        raise BadInput(f"{where}: {detail}") from None
    except UnicodeDecodeError:
        raise BadInput(f"{where}: not a resolv.conf file (not UTF-8 text)") from None
    except (ValueError, dns.exception.DNSException) as exc:
        raise BadInput(f"{where}: {exc}") from None
    # dnspython keeps resolv.conf entries as plain address strings (and may hold its own
    # Nameserver objects once set programmatically): both become ours here.
    servers: list[Nameserver] = []
    for entry in stub.nameservers:
        address = getattr(entry, "address", entry)
        port = getattr(entry, "port", DNS_PORT)
        try:
            servers.append(Nameserver(str(ipaddress.ip_address(str(address))), int(port)))
        except ValueError:
            raise BadInput(f"{where}: nameserver {str(address)!r} is not an IP address") from None
    return tuple(servers)
