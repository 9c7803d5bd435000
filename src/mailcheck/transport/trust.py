"""The TLS trust anchors of a run: the system's roots plus the user's ``--ca-file``."""

from __future__ import annotations

import ssl


def client_context(ca_file: str | None, *, verify: bool = True) -> ssl.SSLContext:
    """A client context trusting the system roots (and certifi's) plus ``ca_file``.

    ``verify=False`` still loads the anchors but accepts any certificate: the SMTP
    check must see a bad certificate to report on it, as SMTP senders without
    MTA-STS or DANE do (RFC 7435 opportunistic TLS).
    """
    context = ssl.create_default_context()
    try:
        import certifi

        # Slim containers often ship without a system CA bundle; certifi is what
        # httpx trusts by default, so HTTPS verdicts agree with other httpx tools.
        context.load_verify_locations(cafile=certifi.where())
    except (ImportError, OSError):  # pragma: no cover - certifi comes with httpx
        pass
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
