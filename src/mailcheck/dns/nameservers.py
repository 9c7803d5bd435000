"""Parse ``--nameserver`` values: ``HOST``, ``HOST:PORT``, ``[V6]:PORT`` or a bare IPv6."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from mailcheck.errors import BadInput

DNS_PORT = 53


@dataclass(frozen=True)
class Nameserver:
    address: str
    port: int = DNS_PORT

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


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
        raise BadInput(
            f"--nameserver {text!r}: expected an IP address, HOST:PORT or [IPv6]:PORT"
        ) from None
    return Nameserver(str(address), port)


def _port(text: str, port_text: str) -> int:
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise BadInput(f"--nameserver {text!r}: port must be a number from 1 to 65535")
    return int(port_text)
