"""The DNS core: one resolver per run, the loopback zone server, and library adapters."""

import dns._features

# mailcheck speaks DNS over UDP and TCP only. With DNS over HTTPS available,
# dnspython's query module imports httpx2 and h2 the moment the async resolver loads
# (tens of milliseconds of every run); telling it DoH is off keeps them out.
dns._features.force("doh", False)

from mailcheck.dns.errors import DnsError, DnsUnavailable, NoRecords, NoSuchDomain

__all__ = ["DnsError", "DnsUnavailable", "NoRecords", "NoSuchDomain"]
