"""Make any connection or datagram to a non-loopback address fail loudly in tests.

pytest-socket guards connect() only; DNS over UDP uses sendto() and the system
resolver sends from C, so this guard covers connect, sendto and getaddrinfo.
"""

from __future__ import annotations

import ipaddress
import socket

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_sendto = socket.socket.sendto
_real_getaddrinfo = socket.getaddrinfo


class NonLoopbackConnection(AssertionError):
    pass


def _check(address: object) -> None:
    if not isinstance(address, tuple):  # AF_UNIX paths and the like
        return
    host = str(address[0])
    if host in ("localhost", ""):
        return
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        raise NonLoopbackConnection(f"test tried to reach host name {host!r}") from None
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    if not ip.is_loopback:
        raise NonLoopbackConnection(f"test tried to reach {host} (only loopback is allowed)")


def _connect(self: socket.socket, address: object) -> None:
    _check(address)
    return _real_connect(self, address)


def _connect_ex(self: socket.socket, address: object) -> int:
    _check(address)
    return _real_connect_ex(self, address)


def _sendto(self: socket.socket, data: bytes, *args: object) -> int:
    _check(args[-1])
    return _real_sendto(self, data, *args)  # type: ignore[arg-type]


def _getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if host is not None:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name != "localhost":
            try:
                ipaddress.ip_address(name.split("%")[0])
            except ValueError:
                raise NonLoopbackConnection(f"test tried to resolve {name!r} with the system resolver") from None
    return _real_getaddrinfo(host, *args, **kwargs)


def install_loopback_guard() -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = _sendto  # type: ignore[method-assign]
    socket.getaddrinfo = _getaddrinfo
