"""Validators for the values a user gives, shared by the command line and config files.

Each returns the value in its clean form or raises ``BadValue`` with a message that
names no flag and no config key: the caller says whose value it was, in its own words
(``--port must be …`` in cli/, ``domains."a.example".smtp_port: must be …`` in config).
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Iterable


class BadValue(ValueError):
    """A value that is not valid; the message reads after the name of whoever gave it."""


def tcp_port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise BadValue(f"must be a TCP port from 1 to 65535, not {value}")
    return value


def ip_address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise BadValue(f"{text!r} is not an IPv4 or IPv6 address") from None


def dns_selector(text: str) -> str:
    """A DKIM or BIMI selector: one or more DNS labels, in lower case."""
    selector = text.strip().lower().rstrip(".")
    labels = selector.split(".")
    if (
        not selector
        or any(not label or len(label) > 63 for label in labels)
        or not all(ch.isalnum() or ch in "-_." for ch in selector)
    ):
        raise BadValue(f"{text!r} is not a valid selector")
    return selector


def ca_file(path: str) -> str:
    """The file must load as PEM trust anchors now, not fail inside a TLS handshake later."""
    import ssl  # here, not for every command line that never names a CA file (--help)

    try:
        ssl.create_default_context().load_verify_locations(cafile=path)
    except FileNotFoundError:
        raise BadValue(f"{path}: no such file") from None
    except (OSError, ssl.SSLError) as exc:
        raise BadValue(f"{path}: not a PEM file of CA certificates ({exc.__class__.__name__})") from None
    return path


def did_you_mean(given: str, words: Iterable[str]) -> str:
    """'; did you mean X?' when ``given`` is close to one of ``words``, else ''."""
    close = difflib.get_close_matches(given, list(words), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""
