"""The DNS core: one resolver per run, the loopback zone server, and library adapters."""

# dnspython is told that DNS over HTTPS is off where its resolver is loaded, not here
# (see mailcheck.dns.doh_off): a run without DNS imports this package, never dnspython.
from mailcheck.dns.errors import DnsError, DnsUnavailable, NoRecords, NoSuchDomain

__all__ = ["DnsError", "DnsUnavailable", "NoRecords", "NoSuchDomain"]
