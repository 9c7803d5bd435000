"""The three answers a check needs to tell apart, without importing dnspython."""


class DnsError(Exception):
    def __init__(self, name: str, rdtype: str, reason: str) -> None:
        super().__init__(f"{name} {rdtype}: {reason}")
        self.name = name
        self.rdtype = rdtype
        self.reason = reason


class NoSuchDomain(DnsError):
    """NXDOMAIN: the name does not exist."""


class NoRecords(DnsError):
    """NODATA: the name exists but has no record of this type."""


class DnsUnavailable(DnsError):
    """Could not tell: timeout, SERVFAIL, REFUSED, or a name outside --offline zones."""
